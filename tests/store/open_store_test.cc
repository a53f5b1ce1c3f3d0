#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "store/store.h"
#include "store_test_util.h"

namespace causeway::store {
namespace {

using Code = Status::Code;

class OpenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/cw-open-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(OpenStoreTest, NoUriMeansSqliteInTheDataDirectory) {
  std::string data = dir_ + "/var/causeway";
  auto store = openStore("", data);
  ASSERT_TRUE(store.isOk()) << store.status().toString();
  EXPECT_EQ((*store)->describe(), "sqlite:" + data + "/causeway.db");
  struct stat st {};
  ASSERT_EQ(::stat(data.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(std::filesystem::exists(data + "/causeway.db"));
  // Migrated on open.
  EXPECT_EQ((*store)->schemaVersion().value(), Store::kSchemaVersion);
  ASSERT_TRUE(testing::putOne(**store, testing::makeRecord("services", "a", "{}")).isOk());
  store.value().reset();

  // Reopening finds the data.
  auto again = openStore("", data);
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ((*again)->revision().value(), 1);
  EXPECT_TRUE((*again)->get("services", "a")->has_value());
}

TEST_F(OpenStoreTest, OtherSchemesAreRefused) {
  auto store = openStore("mysql://root:hunter22@db/causeway", dir_);
  ASSERT_FALSE(store.isOk());
  EXPECT_EQ(store.status().code(), Code::kInvalidArgument);
  EXPECT_NE(store.status().message().find("postgres://"), std::string::npos);
  EXPECT_NE(store.status().message().find("mysql"), std::string::npos);
  EXPECT_EQ(store.status().message().find("hunter22"), std::string::npos);
  EXPECT_EQ(openStore("causeway.db", dir_).status().code(), Code::kInvalidArgument);
}

TEST_F(OpenStoreTest, SqliteNeedsAnExistingParentDirectory) {
  auto store = openSqlite(dir_ + "/missing/causeway.db");
  ASSERT_FALSE(store.isOk());
  EXPECT_EQ(store.status().code(), Code::kIoError);
  EXPECT_NE(store.status().message().find("missing/causeway.db"), std::string::npos);
}

TEST_F(OpenStoreTest, SqliteRefusesANewerSchema) {
  std::string path = dir_ + "/causeway.db";
  {
    auto store = openSqlite(path);
    ASSERT_TRUE(store.isOk());
  }
  {
    auto store = openSqlite(path);  // an older binary opening it again is fine
    ASSERT_TRUE(store.isOk());
    // A binary from the future recorded a later migration.
    ASSERT_TRUE((*store)
                    ->write([](WriteTxn& txn) {
                      return txn.put(testing::makeRecord("services", "a", "{}"));
                    })
                    .isOk());
  }
  std::string command =
      "sqlite3 '" + path +
      "' \"INSERT INTO schema_migrations (version, description) VALUES (99, 'x')\"";
  if (std::system(command.c_str()) != 0) GTEST_SKIP() << "no sqlite3 shell";
  auto store = openSqlite(path);
  ASSERT_FALSE(store.isOk());
  EXPECT_NE(store.status().message().find("newer"), std::string::npos) << store.status().message();
}

}  // namespace
}  // namespace causeway::store
