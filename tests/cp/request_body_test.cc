#include "cp/request_body.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace causeway::cp {
namespace {

using Code = Status::Code;
using Json = nlohmann::json;

constexpr const char* kForm = "application/x-www-form-urlencoded";

Json parsedOk(std::string_view type, std::string_view body) {
  auto r = parseEntityBody(type, body);
  EXPECT_TRUE(r.isOk()) << "'" << body << "': " << r.status().toString();
  return r.isOk() ? *r : Json();
}

TEST(PercentDecode, DecodesEscapes) {
  EXPECT_EQ(percentDecode("%41", false), "A");
  EXPECT_EQ(percentDecode("a%41b", false), "aAb");
  EXPECT_EQ(percentDecode("%2f%2F", false), "//");
  EXPECT_EQ(percentDecode("%e2%82%ac", false), "\xe2\x82\xac");
  EXPECT_EQ(percentDecode("%00", false), std::string("\0", 1));
  EXPECT_EQ(percentDecode("", false), "");
}

TEST(PercentDecode, PlusIsASpaceOnlyWhenAsked) {
  EXPECT_EQ(percentDecode("a+b", true), "a b");
  EXPECT_EQ(percentDecode("a+b", false), "a+b");
  EXPECT_EQ(percentDecode("%2B", true), "+");  // an escaped plus stays a plus
  EXPECT_EQ(percentDecode("%2B", false), "+");
}

TEST(PercentDecode, KeepsBadEscapes) {
  EXPECT_EQ(percentDecode("%zz", false), "%zz");
  EXPECT_EQ(percentDecode("%4g", false), "%4g");
  EXPECT_EQ(percentDecode("%g4", false), "%g4");
  EXPECT_EQ(percentDecode("%4", false), "%4");
  EXPECT_EQ(percentDecode("%", false), "%");
  EXPECT_EQ(percentDecode("100%", false), "100%");
  EXPECT_EQ(percentDecode("%%41", false), "%A");
  EXPECT_EQ(percentDecode("%+1", true), "% 1");
}

TEST(ParseQuery, SplitsAndDecodesPairs) {
  auto q = parseQuery("size=10&offset=abc%3D&tags=a+b");
  EXPECT_EQ(
      q, (std::map<std::string, std::string>{{"size", "10"}, {"offset", "abc="}, {"tags", "a b"}}));
}

TEST(ParseQuery, HandlesEmptyPartsAndMissingValues) {
  EXPECT_TRUE(parseQuery("").empty());
  EXPECT_TRUE(parseQuery("&&").empty());
  auto q = parseQuery("flag&empty=&x=1&");
  EXPECT_EQ(q, (std::map<std::string, std::string>{{"flag", ""}, {"empty", ""}, {"x", "1"}}));
}

TEST(ParseQuery, RepeatedNameKeepsTheLastValue) {
  auto q = parseQuery("a=1&b=2&a=3");
  EXPECT_EQ(q.at("a"), "3");
  EXPECT_EQ(q.at("b"), "2");
  EXPECT_EQ(q.size(), 2u);
}

TEST(ParseQuery, DecodesNames) {
  auto q = parseQuery("x%20y=1&a%5B%5D=2");
  EXPECT_EQ(q.at("x y"), "1");
  EXPECT_EQ(q.at("a[]"), "2");
}

TEST(ParseEntityBody, JsonObject) {
  EXPECT_EQ(parsedOk("application/json", R"({"name":"x","port":80,"tags":["a"]})"),
            Json::parse(R"({"name":"x","port":80,"tags":["a"]})"));
  // Parameters and case in the media type do not matter.
  EXPECT_EQ(parsedOk("Application/JSON; charset=utf-8", R"({"a":1})"), Json({{"a", 1}}));
  // Without a content type, a body that looks like an object is JSON.
  EXPECT_EQ(parsedOk("", R"(  {"a":1})"), Json({{"a", 1}}));
}

TEST(ParseEntityBody, JsonNonObjectIsRefused) {
  for (std::string_view body : {"[1,2]", "\"x\"", "42", "null", "true"}) {
    auto r = parseEntityBody("application/json", body);
    ASSERT_FALSE(r.isOk()) << body;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find("object"), std::string::npos) << r.status().message();
  }
}

TEST(ParseEntityBody, InvalidJsonIsRefused) {
  for (std::string_view body : {"{", "{\"a\":}", "{'a':1}", "name=x"}) {
    auto r = parseEntityBody("application/json", body);
    ASSERT_FALSE(r.isOk()) << body;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "Cannot parse JSON body") << body;
  }
  auto untyped = parseEntityBody("", "{not json");
  ASSERT_FALSE(untyped.isOk());
  EXPECT_EQ(untyped.status().message(), "Cannot parse JSON body");
}

TEST(ParseEntityBody, EmptyBodyIsAnEmptyObject) {
  for (std::string_view type : {"application/json", kForm, "", "text/plain"}) {
    for (std::string_view body : {"", "  \r\n\t"}) {
      auto r = parseEntityBody(type, body);
      ASSERT_TRUE(r.isOk()) << type << ": " << r.status().toString();
      EXPECT_EQ(*r, Json::object());
    }
  }
}

TEST(ParseEntityBody, SimpleForm) {
  EXPECT_EQ(parsedOk(kForm, "a=1&b=2"), Json({{"a", "1"}, {"b", "2"}}));
  // Without a content type, a body that does not start with '{' is a form.
  EXPECT_EQ(parsedOk("", "a=1&b=2"), Json({{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(parsedOk("application/x-www-form-urlencoded; charset=UTF-8", "a=1"),
            Json({{"a", "1"}}));
}

TEST(ParseEntityBody, FormValuesAreDecodedAndStayStrings) {
  EXPECT_EQ(parsedOk(kForm, "name=hello+world&url=http%3A%2F%2Fx%2Fy&port=80&flag"),
            Json({{"name", "hello world"}, {"url", "http://x/y"}, {"port", "80"}, {"flag", ""}}));
}

TEST(ParseEntityBody, RepeatedKeysMakeAnArray) {
  EXPECT_EQ(parsedOk(kForm, "hosts=a&hosts=b"), Json({{"hosts", {"a", "b"}}}));
  EXPECT_EQ(parsedOk(kForm, "hosts=a&hosts=b&hosts=c"), Json({{"hosts", {"a", "b", "c"}}}));
}

TEST(ParseEntityBody, BracketsMakeAnArray) {
  EXPECT_EQ(parsedOk(kForm, "paths[]=/a&paths[]=/b"), Json({{"paths", {"/a", "/b"}}}));
  EXPECT_EQ(parsedOk(kForm, "paths[]=/a"), Json({{"paths", {"/a"}}}));
  EXPECT_EQ(parsedOk(kForm, "paths%5B%5D=/a&paths%5B%5D=/b"), Json({{"paths", {"/a", "/b"}}}));
}

TEST(ParseEntityBody, DotsMakeNestedObjects) {
  EXPECT_EQ(parsedOk(kForm, "service.id=X"), Json::parse(R"({"service":{"id":"X"}})"));
  EXPECT_EQ(parsedOk(kForm, "name=r&service.id=X&config.a.b=1"),
            Json::parse(R"({"name":"r","service":{"id":"X"},"config":{"a":{"b":"1"}}})"));
}

TEST(ParseEntityBody, IndexedPositionsAreOneBased) {
  EXPECT_EQ(parsedOk(kForm, "a[1]=x&a[2]=y"), Json({{"a", {"x", "y"}}}));
  EXPECT_EQ(parsedOk(kForm, "a[2]=y&a[1]=x"), Json({{"a", {"x", "y"}}}));
  EXPECT_EQ(parsedOk(kForm, "a[2]=x"), Json::parse(R"({"a":[null,"x"]})"));
  EXPECT_EQ(parsedOk(kForm, "a[1].name=n&a[1].port=1&a[2].name=m"),
            Json::parse(R"({"a":[{"name":"n","port":"1"},{"name":"m"}]})"));
}

TEST(ParseEntityBody, MalformedFieldNamesAreRefused) {
  for (std::string_view body :
       {"[x]=1", ".a=1", "a.=1", "a[=1", "a[x]=1", "a[99999]=1", "a=1&a.b=2", "a.b=1&a[]=2"}) {
    auto r = parseEntityBody(kForm, body);
    ASSERT_FALSE(r.isOk()) << body;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << body;
    EXPECT_NE(r.status().message().find("invalid form field name"), std::string::npos)
        << r.status().message();
  }
}

TEST(ParseEntityBody, UnsupportedContentTypeIsRefused) {
  for (std::string_view type : {"text/plain", "application/xml", "application/yaml"}) {
    auto r = parseEntityBody(type, "a=1");
    ASSERT_FALSE(r.isOk()) << type;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find("Unsupported Content-Type"), std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find(type), std::string::npos) << r.status().message();
  }
}

TEST(ParseEntityBody, MultipartIsRefused) {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nsvc\r\n--XyZ--\r\n";
  auto r = parseEntityBody("multipart/form-data; boundary=XyZ", body);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("multipart/form-data"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace causeway::cp
