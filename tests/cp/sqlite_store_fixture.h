// A test fixture with a fresh, migrated SQLite store in a temporary folder, removed afterwards.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "store/store.h"

namespace causeway::cp {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/cw-cp-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    auto opened = store::openSqlite(dir_ + "/causeway.db");
    ASSERT_TRUE(opened.isOk()) << opened.status().toString();
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->migrate().isOk());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  int64_t revision() { return store_->revision().value(); }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
};

}  // namespace causeway::cp
