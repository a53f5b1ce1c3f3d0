// The YAML/JSON front end of the declarative loader: scalar typing, tags, aliases and their
// limits, duplicate keys, multi-document streams and error positions.
#include "model/kong/document.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace causeway::model::kong {
namespace {

using Json = nlohmann::json;

Json parseOk(const std::string& text) {
  Json j;
  std::string error;
  EXPECT_TRUE(parseDocument(text, j, error)) << text << "\n" << error;
  return j;
}

std::string parseError(const std::string& text) {
  Json j;
  std::string error;
  EXPECT_FALSE(parseDocument(text, j, error)) << text;
  EXPECT_FALSE(error.empty()) << text;
  return error;
}

TEST(DocumentParseTest, PlainScalarsResolveByTheCoreSchema) {
  const Json j = parseOk(
      "n1: ~\nn2: null\nn3: Null\nn4: NULL\nn5:\n"
      "b1: true\nb2: False\nb3: TRUE\nyes: yes\n"
      "i1: 42\ni2: -7\ni3: +8\ni4: 0x1F\ni5: 0o17\ni6: 99999999999999999999\n"
      "f1: 1.5\nf2: -.5\nf3: 1e3\nf4: .inf\nf5: -.Inf\nf6: .nan\n"
      "s1: text\ns2: 1.2.3\ns3: 0x\ns4: 1e\ns5: 12abc\n");
  for (const char* key : {"n1", "n2", "n3", "n4", "n5"}) EXPECT_TRUE(j[key].is_null()) << key;
  EXPECT_EQ(j["b1"], true);
  EXPECT_EQ(j["b2"], false);
  EXPECT_EQ(j["b3"], true);
  EXPECT_EQ(j["yes"], "yes");  // YAML 1.1 booleans are strings
  EXPECT_EQ(j["i1"], 42);
  EXPECT_TRUE(j["i1"].is_number_integer());
  EXPECT_EQ(j["i2"], -7);
  EXPECT_EQ(j["i3"], 8);
  EXPECT_EQ(j["i4"], 31);
  EXPECT_EQ(j["i5"], 15);
  EXPECT_TRUE(j["i6"].is_number_float());
  EXPECT_TRUE(j["f1"].is_number_float());
  EXPECT_EQ(j["f1"], 1.5);
  EXPECT_EQ(j["f2"], -0.5);
  EXPECT_EQ(j["f3"], 1000.0);
  EXPECT_TRUE(std::isinf(j["f4"].get<double>()) && j["f4"].get<double>() > 0);
  EXPECT_TRUE(std::isinf(j["f5"].get<double>()) && j["f5"].get<double>() < 0);
  EXPECT_TRUE(std::isnan(j["f6"].get<double>()));
  for (const char* key : {"s1", "s2", "s3", "s4", "s5"}) EXPECT_TRUE(j[key].is_string()) << key;
  EXPECT_EQ(j["s2"], "1.2.3");
}

TEST(DocumentParseTest, QuotedAndBlockScalarsStayStrings) {
  const Json j = parseOk(
      "a: \"1\"\nb: '2'\nc: \"true\"\nd: 'null'\ne: \"\"\nf: \"~\"\n"
      "g: |\n  12\nh: >-\n  folded\n  line\ni: \"tab\\tescape\"\nj: 'it''s'\n");
  EXPECT_EQ(j["a"], "1");
  EXPECT_EQ(j["b"], "2");
  EXPECT_EQ(j["c"], "true");
  EXPECT_EQ(j["d"], "null");
  EXPECT_EQ(j["e"], "");
  EXPECT_EQ(j["f"], "~");
  EXPECT_EQ(j["g"], "12\n");
  EXPECT_EQ(j["h"], "folded line");
  EXPECT_EQ(j["i"], "tab\tescape");
  EXPECT_EQ(j["j"], "it's");
}

TEST(DocumentParseTest, SingleQuotedEscapesAndFolding) {
  // Decoded by document.cc itself when `''` occurs (libfyaml 0.7.12 leaks and garbles runs of
  // them); the dev build's LeakSanitizer checks the leak stays away.
  const Json j = parseOk(
      "a: 'x''''y''''z'\n"
      "b: '" +
      std::string(100, '\'') +
      "'\n"
      "c: [ 'p''q\n    r  \n\n\n    s ' ]\n"
      "'k''ey': 'v''\r\n  w'\n");
  EXPECT_EQ(j["a"], "x''y''z");
  EXPECT_EQ(j["b"], std::string(50, '\''));
  EXPECT_EQ(j["c"][0], "p'q r\n\ns ");
  EXPECT_EQ(j["k'ey"], "v' w");
}

TEST(DocumentParseTest, TagsAreHonoured) {
  const Json j = parseOk(
      "a: !!str 5\nb: !!int \"5\"\nc: !!bool 'true'\nd: !!float \"1.5\"\ne: !!null \"\"\n"
      "f: !custom 7\ng: ! 8\nh: !!str\ni: !!map {k: 1}\nj: !!seq [1]\n");
  EXPECT_EQ(j["a"], "5");
  EXPECT_EQ(j["b"], 5);
  EXPECT_EQ(j["c"], true);
  EXPECT_EQ(j["d"], 1.5);
  EXPECT_TRUE(j["e"].is_null());
  EXPECT_EQ(j["f"], "7");
  EXPECT_EQ(j["g"], "8");
  EXPECT_EQ(j["h"], "");
  EXPECT_EQ(j["i"]["k"], 1);
  EXPECT_EQ(j["j"][0], 1);
}

TEST(DocumentParseTest, KeysAreTakenVerbatim) {
  const Json j = parseOk("1: a\ntrue: b\n\"q\": c\n1.50: d\n");
  EXPECT_EQ(j["1"], "a");
  EXPECT_EQ(j["true"], "b");
  EXPECT_EQ(j["q"], "c");
  EXPECT_EQ(j["1.50"], "d");
}

TEST(DocumentParseTest, NonScalarOrNullKeysAreRefused) {
  EXPECT_NE(parseError("? [a]\n: 1\n").find("mapping keys must be strings"), std::string::npos);
  EXPECT_NE(parseError("{? {a: 1}: 1}\n").find("mapping keys must be strings"), std::string::npos);
  EXPECT_NE(parseError("~: 1\n").find("mapping keys must be strings (line 1, column 1)"),
            std::string::npos);
  EXPECT_NE(parseError("x: &m {a: 1}\n*m : 2\n").find("mapping keys must be strings"),
            std::string::npos);
}

TEST(DocumentParseTest, AliasesExpand) {
  const Json j = parseOk(
      "base: &svc {host: a.internal, port: 80}\n"
      "copy: *svc\n"
      "list: [&one 1, *one, *one]\n"
      "name: &k host\n"
      "keyed: {*k : b.internal}\n"
      "merged:\n  <<: *svc\n  port: 81\n");
  EXPECT_EQ(j["copy"], j["base"]);
  EXPECT_EQ(j["list"], Json::parse("[1, 1, 1]"));
  EXPECT_EQ(j["keyed"]["host"], "b.internal");
  // Merge keys are not special (as with yaml-cpp): `<<` is an ordinary key.
  EXPECT_EQ(j["merged"]["<<"]["host"], "a.internal");
  EXPECT_EQ(j["merged"]["port"], 81);
}

TEST(DocumentParseTest, AnchorsCanBeRedefined) {
  const Json j = parseOk("a: &x 1\nb: *x\nc: &x 2\nd: *x\n");
  EXPECT_EQ(j["b"], 1);
  EXPECT_EQ(j["d"], 2);
}

TEST(DocumentParseTest, UnknownOrSelfReferencingAliasesFail) {
  const std::string unknown = parseError("a: 1\nb: *nope\n");
  EXPECT_NE(unknown.find("unknown anchor \"nope\""), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("line 2"), std::string::npos) << unknown;
  EXPECT_NE(parseError("a: &x [1, *x]\n").find("unknown anchor"), std::string::npos);
}

TEST(DocumentParseTest, AliasBombIsRefused) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += std::string(k ? ", " : "") + "*a" + std::to_string(i - 1);
    text += "]\n";
  }
  const std::string error = parseError(text);
  EXPECT_NE(error.find("too many values"), std::string::npos) << error;
}

TEST(DocumentParseTest, AliasesCannotDeepenPastTheLimit) {
  // 40 levels under the anchor, used 40 levels down: nothing in the text nests beyond 64.
  std::string deep = std::string(40, '[') + std::string(40, ']');
  std::string text =
      "a: &d " + deep + "\nb: " + std::string(40, '[') + "*d" + std::string(40, ']') + "\n";
  ASSERT_LE(estimateNesting(text), kMaxNesting);
  const std::string error = parseError(text);
  EXPECT_NE(error.find("nests deeper"), std::string::npos) << error;
}

TEST(DocumentParseTest, DeepNestingIsRefused) {
  EXPECT_NE(parseError("a: " + std::string(100, '[')).find("nests deeper"), std::string::npos);
  std::string block;
  std::string indent;
  for (int i = 0; i < 100; ++i) {
    block += indent + "k" + std::to_string(i) + ":\n";
    indent += " ";
  }
  EXPECT_NE(parseError(block).find("nests deeper"), std::string::npos);
  // 60 levels is fine.
  const Json j = parseOk("a: " + std::string(60, '[') + std::string(60, ']') + "\n");
  EXPECT_TRUE(j["a"].is_array());
}

TEST(DocumentParseTest, DuplicateKeysAreRefusedWithTheirPosition) {
  const std::string error = parseError("a: 1\nb:\n  c: 1\n  c: 2\n");
  EXPECT_NE(error.find("duplicate key \"c\" (line 4, column 3)"), std::string::npos) << error;
  EXPECT_NE(parseError("{a: 1, a: 1}").find("duplicate key \"a\""), std::string::npos);
  // Keys are compared by their text: a plain 1 and a quoted "1" are the same key.
  EXPECT_NE(parseError("1: a\n\"1\": b\n").find("duplicate key \"1\""), std::string::npos);
}

TEST(DocumentParseTest, SyntaxErrorsCarryLineAndColumn) {
  const std::string unclosed = parseError("_format_version: \"3.0\"\nservices:\n  - host: [a\n");
  EXPECT_EQ(unclosed.rfind("failed parsing YAML: ", 0), 0u) << unclosed;
  EXPECT_NE(unclosed.find("(line "), std::string::npos) << unclosed;
  const std::string nested = parseError("a: b: c\n");
  EXPECT_NE(nested.find("(line 1, column 5)"), std::string::npos) << nested;
  const std::string quote = parseError("a: 1\nb: \"open\n");
  EXPECT_NE(quote.find("line "), std::string::npos) << quote;
  const std::string tab = parseError("a:\n\t- b\n");
  EXPECT_NE(tab.find("line 2"), std::string::npos) << tab;
}

TEST(DocumentParseTest, FirstDocumentOfAStreamIsUsed) {
  const Json j = parseOk("---\na: 1\n...\n---\nb: 2\n");
  EXPECT_EQ(j, Json::parse(R"({"a": 1})"));
  // Later documents are still checked for syntax, but not expanded.
  EXPECT_NE(parseError("a: 1\n---\nb: [\n").find("line "), std::string::npos);
  std::string bomb = "a: 1\n---\nx: &x [y, y, y, y, y, y, y, y]\n";
  for (int i = 0; i < 12; ++i) bomb += "x" + std::to_string(i) + ": &x [*x, *x, *x, *x]\n";
  EXPECT_EQ(parseOk(bomb), Json::parse(R"({"a": 1})"));
}

TEST(DocumentParseTest, EmptyAndScalarDocuments) {
  EXPECT_TRUE(parseOk("").is_null());
  EXPECT_TRUE(parseOk("# only a comment\n").is_null());
  EXPECT_TRUE(parseOk("---\n").is_null());
  EXPECT_EQ(parseOk("42"), 42);
  EXPECT_EQ(parseOk("- a\n- b\n"), Json::parse(R"(["a", "b"])"));
}

TEST(DocumentParseTest, JsonAndFlowMappings) {
  EXPECT_EQ(parseOk(R"({"a": [1, "x", null, true]})"),
            Json::parse(R"({"a": [1, "x", null, true]})"));
  // Not strict JSON: parsed as YAML flow.
  EXPECT_EQ(parseOk("{a: 1, b: 'two'}"), Json::parse(R"({"a": 1, "b": "two"})"));
}

TEST(DocumentParseTest, BytesThatAreNotUtf8PassThrough) {
  // yaml-cpp passed them through and the loader reports them per field; keep that.
  const Json j = parseOk(
      "a: \"\xff\xfe\"\nb: x\xc3(\nc: '\xf4\x8f\xbf\xbf'\nd: \xf4\x8f\xbe\x80 \xe2\x82\xac\n"
      "\xc0\xaf: e\n# \xff comment\n");
  EXPECT_EQ(j["a"], "\xff\xfe");
  EXPECT_EQ(j["b"], "x\xc3(");
  EXPECT_EQ(j["c"], "\xf4\x8f\xbf\xbf");  // U+10FFFF survives the byte carrying
  EXPECT_EQ(j["d"], "\xf4\x8f\xbe\x80 \xe2\x82\xac");
  EXPECT_EQ(j["\xc0\xaf"], "e");
  EXPECT_EQ(parseOk("a: \xf4\x8f\xbf\xbf\n")["a"], "\xf4\x8f\xbf\xbf");  // valid UTF-8
}

TEST(DocumentParseTest, HostileBytesFailCleanly) {
  for (const std::string& text :
       {std::string("a: \"x\"\nb: \0\n", 13), std::string("\xff\xfe\x00\x01", 4),
        std::string("a: [\"\\u\"]\n"), std::string("a: \"\\xZZ\"\n")}) {
    Json j;
    std::string error;
    if (!parseDocument(text, j, error)) {
      EXPECT_FALSE(error.empty());
    }
  }
}

}  // namespace
}  // namespace causeway::model::kong
