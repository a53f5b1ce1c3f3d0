// Rendering of load errors: the one-line message and Kong's error body.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/kong/loader.h"

namespace causeway::model::kong {
namespace {

using Json = nlohmann::json;

TEST(LoadErrorTest, KongShape) {
  LoadError e;
  e.errors = {{"services[0].routes[1].paths[0]", "bad path"},
              {"services[0].port", "value should be between 0 and 65535"},
              {"services[0]", "entity problem"},
              {"consumers[2]", "at least one of these fields must be non-empty"},
              {"servicez", "unknown field"}};
  const Json j = Json::parse(e.kongJson());
  EXPECT_EQ(j["code"], 14);
  EXPECT_EQ(j["name"], "invalid declarative configuration");
  const std::string message = j["message"];
  EXPECT_EQ(message.rfind("declarative config is invalid: {", 0), 0u) << message;
  EXPECT_NE(message.find("paths={\"bad path\"}"), std::string::npos) << message;
  EXPECT_NE(message.find("[3]={[\"@entity\"]"), std::string::npos) << message;  // 1-based

  const Json& fields = j["fields"];
  EXPECT_EQ(fields["servicez"], "unknown field");
  EXPECT_EQ(fields["services"][0]["port"], "value should be between 0 and 65535");
  EXPECT_TRUE(fields["services"][0]["routes"][0].is_null());
  EXPECT_EQ(fields["services"][0]["routes"][1]["paths"][0], "bad path");
  EXPECT_EQ(fields["services"][0]["@entity"][0], "entity problem");
  EXPECT_EQ(fields["consumers"][2]["@entity"][0],
            "at least one of these fields must be non-empty");

  const Json& flat = j["flattened_errors"];
  ASSERT_TRUE(flat.is_array());
  ASSERT_EQ(flat.size(), 3u);  // route, service, consumer; top-level keys are not entities
  EXPECT_EQ(flat[0]["entity_type"], "route");
  EXPECT_EQ(flat[0]["entity_path"], "services[0].routes[1]");
  EXPECT_EQ(flat[0]["errors"][0]["type"], "field");
  EXPECT_EQ(flat[0]["errors"][0]["field"], "paths[0]");
  EXPECT_EQ(flat[1]["entity_type"], "service");
  EXPECT_EQ(flat[1]["errors"].size(), 2u);
  EXPECT_EQ(flat[1]["errors"][1]["type"], "entity");
  EXPECT_EQ(flat[2]["entity_type"], "consumer");
}

TEST(LoadErrorTest, SparseArraysBecomeObjects) {
  LoadError e;
  e.errors = {{"routes[99999].paths[0]", "bad"}};
  const Json j = Json::parse(e.kongJson());
  EXPECT_EQ(j["fields"]["routes"]["99999"]["paths"][0], "bad");
  EXPECT_NE(j["message"].get<std::string>().find("[100000]="), std::string::npos);
}

TEST(LoadErrorTest, DocumentLevelError) {
  LoadError e;
  e.errors = {{"", "failed parsing YAML: x"}};
  const Json j = Json::parse(e.kongJson());
  EXPECT_EQ(j["message"], "declarative config is invalid: failed parsing YAML: x");
  EXPECT_EQ(j["fields"]["@entity"][0], "failed parsing YAML: x");
  EXPECT_EQ(e.message(), "failed parsing YAML: x");
}

TEST(LoadErrorTest, HeaderNamesAndOddPathsDoNotBreakRendering) {
  LoadError e;
  e.errors = {{"routes[0].headers.x-a[0]", "invalid regex"},
              {"routes[0].headers", "expected a map"},
              {"a[b.c]]..[", "odd"},
              {"plugins[0].config.routes[0]", "plugin detail"}};
  const Json j = Json::parse(e.kongJson());
  EXPECT_EQ(j["fields"]["routes"][0]["headers"]["x-a"][0], "invalid regex");
  EXPECT_EQ(j["fields"]["routes"][0]["headers"]["@entity"][0], "expected a map");
  for (const auto& entry : j["flattened_errors"]) {
    if (entry["entity_type"] == "plugin") {
      EXPECT_EQ(entry["errors"][0]["field"], "config.routes[0]");
    }
  }
}

TEST(LoadErrorTest, RealLoadRendersValidJson) {
  auto r = loadDeclarative("_format_version: \"3.0\"\nservices:\n- port: 0x7fffffff\n"
                           "  name: \"\xff\xfe\"\n");
  ASSERT_FALSE(r.isOk());
  const Json j = Json::parse(r.error().kongJson());  // invalid UTF-8 is replaced, not thrown
  EXPECT_EQ(j["fields"]["services"][0]["host"], "required field missing");
}

}  // namespace
}  // namespace causeway::model::kong
