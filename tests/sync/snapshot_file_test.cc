#include "sync/snapshot_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace causeway::sync {
namespace {

using Code = Status::Code;
using Json = nlohmann::json;

class SnapshotFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/cw-snapshot-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void writeFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good());
  }

  static SavedSnapshot sample() {
    SavedSnapshot s;
    s.revision = 42;
    s.hash = "0123456789abcdef0123456789abcdef";
    s.config = Json::parse(R"({
      "_format_version": "3.0",
      "services": [{"id": "s1", "name": "users", "host": "users.internal", "port": 80}],
      "routes": [{"id": "r1", "paths": ["/users"], "service": {"id": "s1"}}],
      "certificates": [{"id": "c1", "key": "-----BEGIN PRIVATE KEY-----\nAAA\n"}]
    })");
    return s;
  }

  std::string dir_;
};

TEST_F(SnapshotFileTest, SaveThenLoadRoundTrips) {
  const SavedSnapshot saved = sample();
  ASSERT_TRUE(saveSnapshot(dir_, saved).isOk());
  auto loaded = loadSnapshot(dir_);
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->revision, saved.revision);
  EXPECT_EQ(loaded->hash, saved.hash);
  EXPECT_EQ(loaded->config, saved.config);
}

TEST_F(SnapshotFileTest, SaveReplacesThePreviousSnapshot) {
  ASSERT_TRUE(saveSnapshot(dir_, sample()).isOk());
  SavedSnapshot next;
  next.revision = 43;
  next.hash = std::string(32, '0');
  next.config = Json::object();
  ASSERT_TRUE(saveSnapshot(dir_, next).isOk());
  auto loaded = loadSnapshot(dir_);
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->revision, 43);
  EXPECT_EQ(loaded->hash, next.hash);
  EXPECT_EQ(loaded->config, Json::object());
}

TEST_F(SnapshotFileTest, FileHasMode0600) {
  const mode_t old_umask = ::umask(0);  // a permissive umask must not widen the file's mode
  Status st = saveSnapshot(dir_, sample());
  ::umask(old_umask);
  ASSERT_TRUE(st.isOk()) << st.toString();
  struct stat info {};
  ASSERT_EQ(::stat(snapshotPath(dir_).c_str(), &info), 0);
  EXPECT_TRUE(S_ISREG(info.st_mode));
  EXPECT_EQ(info.st_mode & 07777, 0600u);
}

TEST_F(SnapshotFileTest, NoTemporaryFileIsLeft) {
  ASSERT_TRUE(saveSnapshot(dir_, sample()).isOk());
  ASSERT_TRUE(saveSnapshot(dir_, sample()).isOk());
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"gateway-snapshot.json"});
  EXPECT_FALSE(std::filesystem::exists(snapshotPath(dir_) + ".tmp"));
}

TEST_F(SnapshotFileTest, SnapshotPathIsInsideTheDataDir) {
  EXPECT_EQ(snapshotPath("/var/lib/causeway"), "/var/lib/causeway/gateway-snapshot.json");
}

TEST_F(SnapshotFileTest, LoadFromAnEmptyDirIsNotFound) {
  auto loaded = loadSnapshot(dir_);
  ASSERT_FALSE(loaded.isOk());
  EXPECT_EQ(loaded.status().code(), Code::kNotFound);
}

TEST_F(SnapshotFileTest, LoadFromAMissingDirIsNotFound) {
  auto loaded = loadSnapshot(dir_ + "/absent");
  ASSERT_FALSE(loaded.isOk());
  EXPECT_EQ(loaded.status().code(), Code::kNotFound);
}

TEST_F(SnapshotFileTest, CorruptFileIsInvalidArgument) {
  const std::vector<std::string> corrupt = {
      "",
      "{\"revision\":1,\"hash\":\"ab\",\"config\":{",  // truncated
      "not json",
      "[1,2,3]",
      R"({"revision":1,"hash":"ab"})",                   // no config
      R"({"revision":"1","hash":"ab","config":{}})",     // revision not an integer
      R"({"revision":1.5,"hash":"ab","config":{}})",     // revision not an integer
      R"({"hash":"ab","config":{}})",                    // no revision
      R"({"revision":1,"hash":7,"config":{}})",          // hash not a string
      R"({"revision":1,"config":{}})",                   // no hash
  };
  for (const std::string& text : corrupt) {
    writeFile(snapshotPath(dir_), text);
    auto loaded = loadSnapshot(dir_);
    ASSERT_FALSE(loaded.isOk()) << text;
    EXPECT_EQ(loaded.status().code(), Code::kInvalidArgument) << text;
  }
}

TEST_F(SnapshotFileTest, SaveCreatesTheDirectory) {
  const std::string data = dir_ + "/data";
  ASSERT_FALSE(std::filesystem::exists(data));
  ASSERT_TRUE(saveSnapshot(data, sample()).isOk());
  EXPECT_TRUE(std::filesystem::is_directory(data));
  struct stat info {};
  ASSERT_EQ(::stat(data.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0077, 0u);  // private: the snapshot holds keys
  auto loaded = loadSnapshot(data);
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->revision, 42);
}

TEST_F(SnapshotFileTest, SaveIntoAnExistingDirectoryKeepsIt) {
  ASSERT_TRUE(saveSnapshot(dir_, sample()).isOk());
  ASSERT_TRUE(saveSnapshot(dir_, sample()).isOk());  // EEXIST from mkdir is fine
}

TEST_F(SnapshotFileTest, SaveFailsWhenTheDataDirIsAFile) {
  const std::string file = dir_ + "/plain";
  writeFile(file, "x");
  Status st = saveSnapshot(file, sample());
  ASSERT_FALSE(st.isOk());
  EXPECT_EQ(st.code(), Code::kIoError);
}

}  // namespace
}  // namespace causeway::sync
