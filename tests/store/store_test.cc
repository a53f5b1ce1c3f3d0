// The Store contract, run against both backends: SQLite in a temporary directory and PostgreSQL in
// a throwaway cluster (scripts/pg-sandbox), each test on a fresh database.
#include "store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "pg_sandbox.h"
#include "store_test_util.h"

namespace causeway::store {
namespace {

using testing::idsOf;
using testing::makeRecord;
using testing::PgSandbox;
using testing::putOne;
using testing::RevisionWaiter;
using Code = Status::Code;

enum class Backend { kSqlite, kPostgres };

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      char dir[] = "/tmp/cw-store-XXXXXX";
      ASSERT_NE(::mkdtemp(dir), nullptr);
      dir_ = dir;
      location_ = dir_ + "/causeway.db";
    } else {
      auto& pg = PgSandbox::shared();
      ASSERT_TRUE(pg.ok()) << "cannot start PostgreSQL: " << pg.error();
      std::string error;
      location_ = pg.freshUri(&error);
      ASSERT_FALSE(location_.empty()) << error;
    }
    store_ = openAnother();
    ASSERT_NE(store_, nullptr);
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Another Store on the same database, migrated.
  std::unique_ptr<Store> openAnother() {
    auto opened = GetParam() == Backend::kSqlite ? openSqlite(location_) : openPostgres(location_);
    EXPECT_TRUE(opened.isOk()) << opened.status().toString();
    if (!opened.isOk()) return nullptr;
    Status migrated = (*opened)->migrate();
    EXPECT_TRUE(migrated.isOk()) << migrated.toString();
    return std::move(opened).value();
  }

  // Runs SQL on the database behind the store, bypassing it.
  void execRaw(const std::string& sql) {
    if (GetParam() == Backend::kSqlite) {
      sqlite3* db = nullptr;
      ASSERT_EQ(sqlite3_open(location_.c_str(), &db), SQLITE_OK);
      char* error = nullptr;
      int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
      std::string message = error != nullptr ? error : "";
      sqlite3_free(error);
      sqlite3_close(db);
      ASSERT_EQ(rc, SQLITE_OK) << message;
    } else {
      ASSERT_EQ(PgSandbox::exec(location_, sql), "");
    }
  }

  int64_t revision() {
    auto r = store_->revision();
    EXPECT_TRUE(r.isOk()) << r.status().toString();
    return r.isOk() ? *r : -1;
  }

  std::string dir_;
  std::string location_;  // SQLite file or PostgreSQL URI
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, PutThenGetAndFindByKey) {
  auto rev = putOne(*store_, makeRecord("services", "s1", R"({"name":"users"})", {"name=users"},
                                        {"certificates/c1"}));
  ASSERT_TRUE(rev.isOk()) << rev.status().toString();
  EXPECT_EQ(*rev, 1);

  auto got = store_->get("services", "s1");
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->kind, "services");
  EXPECT_EQ((*got)->id, "s1");
  EXPECT_EQ((*got)->body, R"({"name":"users"})");
  EXPECT_EQ((*got)->unique_keys, std::vector<std::string>{"name=users"});
  EXPECT_EQ((*got)->refs, std::vector<std::string>{"certificates/c1"});
  EXPECT_EQ((*got)->revision, 1);

  auto byKey = store_->findByKey("services", "name=users");
  ASSERT_TRUE(byKey.isOk());
  ASSERT_TRUE(byKey->has_value());
  EXPECT_EQ((*byKey)->id, "s1");
  EXPECT_FALSE(store_->findByKey("routes", "name=users")->has_value());
  EXPECT_FALSE(store_->get("services", "nope")->has_value());
  EXPECT_FALSE(store_->get("routes", "s1")->has_value());

  // Replacing the record replaces its keys: the old one is free again.
  rev = putOne(*store_, makeRecord("services", "s1", R"({"name":"people"})", {"name=people"}));
  ASSERT_TRUE(rev.isOk()) << rev.status().toString();
  EXPECT_EQ(*rev, 2);
  EXPECT_FALSE(store_->findByKey("services", "name=users")->has_value());
  EXPECT_EQ(store_->findByKey("services", "name=people").value()->id, "s1");
  got = store_->get("services", "s1");
  EXPECT_EQ((*got)->body, R"({"name":"people"})");
  EXPECT_EQ((*got)->revision, 2);
  EXPECT_TRUE((*got)->refs.empty());
  // A record keeps its own key across a put.
  EXPECT_TRUE(putOne(*store_, makeRecord("services", "s1", "{}", {"name=people"})).isOk());
  // The same key in another kind is no conflict.
  EXPECT_TRUE(putOne(*store_, makeRecord("routes", "r1", "{}", {"name=people"})).isOk());
}

TEST_P(StoreTest, BodyIsStoredExactly) {
  std::string body = "{ \"a\" : [1, 2.50, \"\\u00e9\\\"x\"],\n  \"b\": null }  ";
  ASSERT_TRUE(putOne(*store_, makeRecord("services", "s", body)).isOk());
  EXPECT_EQ(store_->get("services", "s").value()->body, body);
  // Quotes, backslashes and commas in keys and refs survive too.
  Record odd = makeRecord("services", "t", "{}", {"name=a\"b\\c,d", "x={}"}, {"k/\"q\""});
  ASSERT_TRUE(putOne(*store_, odd).isOk());
  auto got = store_->get("services", "t");
  EXPECT_EQ((*got)->unique_keys, odd.unique_keys);
  EXPECT_EQ((*got)->refs, odd.refs);
  EXPECT_EQ(store_->findByKey("services", "name=a\"b\\c,d").value()->id, "t");
}

TEST_P(StoreTest, ListPaginatesInIdOrder) {
  ASSERT_TRUE(store_
                  ->write([](WriteTxn& txn) {
                    for (const char* id : {"e", "a", "g", "c", "b", "f", "d"}) {
                      Status s = txn.put(makeRecord("services", id, "{}"));
                      if (!s.isOk()) return s;
                    }
                    return txn.put(makeRecord("routes", "a", "{}"));
                  })
                  .isOk());
  auto p1 = store_->list("services", "", 3);
  ASSERT_TRUE(p1.isOk()) << p1.status().toString();
  EXPECT_EQ(idsOf(p1->records), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_FALSE(p1->next_offset.empty());
  auto p2 = store_->list("services", p1->next_offset, 3);
  ASSERT_TRUE(p2.isOk());
  EXPECT_EQ(idsOf(p2->records), (std::vector<std::string>{"d", "e", "f"}));
  ASSERT_FALSE(p2->next_offset.empty());
  auto p3 = store_->list("services", p2->next_offset, 3);
  ASSERT_TRUE(p3.isOk());
  EXPECT_EQ(idsOf(p3->records), std::vector<std::string>{"g"});
  EXPECT_TRUE(p3->next_offset.empty());

  // A page that ends exactly at the last record is the last page.
  auto all = store_->list("services", "", 7);
  ASSERT_TRUE(all.isOk());
  EXPECT_EQ(all->records.size(), 7u);
  EXPECT_TRUE(all->next_offset.empty());
  auto empty = store_->list("consumers", "", 3);
  ASSERT_TRUE(empty.isOk());
  EXPECT_TRUE(empty->records.empty());
  EXPECT_TRUE(empty->next_offset.empty());

  for (const char* bad : {"not a token", "!!", "bm9wZQ", "x"}) {
    auto r = store_->list("services", bad, 3);
    ASSERT_FALSE(r.isOk()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "invalid offset");
  }
}

TEST_P(StoreTest, ListByRefReturnsOnlyRecordsReferringToIt) {
  ASSERT_TRUE(
      store_
          ->write([](WriteTxn& txn) {
            Status s = txn.put(makeRecord("routes", "r1", "{}", {}, {"services/a"}));
            if (s.isOk()) s = txn.put(makeRecord("routes", "r2", "{}", {}, {"services/b"}));
            if (s.isOk()) {
              s = txn.put(makeRecord("routes", "r3", "{}", {}, {"services/b", "services/a"}));
            }
            if (s.isOk()) s = txn.put(makeRecord("plugins", "p1", "{}", {}, {"services/a"}));
            return s;
          })
          .isOk());
  auto all = store_->list("routes", "", 10, "services/a");
  ASSERT_TRUE(all.isOk()) << all.status().toString();
  EXPECT_EQ(idsOf(all->records), (std::vector<std::string>{"r1", "r3"}));
  EXPECT_TRUE(all->next_offset.empty());

  auto first = store_->list("routes", "", 1, "services/a");
  ASSERT_TRUE(first.isOk());
  EXPECT_EQ(idsOf(first->records), std::vector<std::string>{"r1"});
  ASSERT_FALSE(first->next_offset.empty());
  auto second = store_->list("routes", first->next_offset, 1, "services/a");
  ASSERT_TRUE(second.isOk());
  EXPECT_EQ(idsOf(second->records), std::vector<std::string>{"r3"});
  EXPECT_TRUE(second->next_offset.empty());
  EXPECT_TRUE(store_->list("routes", "", 10, "services/zzz")->records.empty());
}

TEST_P(StoreTest, ListFilterKeepsPagesFull) {
  ASSERT_TRUE(store_
                  ->write([](WriteTxn& txn) {
                    for (int i = 0; i < 10; ++i) {
                      std::string id = "id" + std::to_string(i);
                      Status s = txn.put(makeRecord("services", id, i % 2 == 0 ? "even" : "odd"));
                      if (!s.isOk()) return s;
                    }
                    return Status::ok();
                  })
                  .isOk());
  auto even = [](const Record& r) { return r.body == "even"; };
  std::vector<std::string> seen;
  std::string offset;
  int pages = 0;
  do {
    auto page = store_->list("services", offset, 2, "", even);
    ASSERT_TRUE(page.isOk()) << page.status().toString();
    ++pages;
    if (pages < 3) {
      EXPECT_EQ(page->records.size(), 2u);
    }
    for (const auto& r : page->records) seen.push_back(r.id);
    offset = page->next_offset;
  } while (!offset.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"id0", "id2", "id4", "id6", "id8"}));

  auto none = store_->list("services", "", 2, "", [](const Record&) { return false; });
  ASSERT_TRUE(none.isOk());
  EXPECT_TRUE(none->records.empty());
  EXPECT_TRUE(none->next_offset.empty());
}

TEST_P(StoreTest, UniqueKeyConflictRollsBackTheWholeTransaction) {
  ASSERT_TRUE(putOne(*store_, makeRecord("services", "a", "{}", {"name=x"})).isOk());
  const int64_t before = revision();

  auto failed = store_->write([](WriteTxn& txn) {
    Status s = txn.put(makeRecord("services", "b", "{}", {"name=y"}));
    if (!s.isOk()) return s;
    return txn.put(makeRecord("services", "c", "{}", {"name=z", "name=x"}));
  });
  ASSERT_FALSE(failed.isOk());
  EXPECT_EQ(failed.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(failed.status().message(), "name=x");
  EXPECT_FALSE(store_->get("services", "b")->has_value());
  EXPECT_FALSE(store_->get("services", "c")->has_value());
  EXPECT_FALSE(store_->findByKey("services", "name=y")->has_value());
  EXPECT_EQ(revision(), before);
  EXPECT_TRUE(store_->changesSince(before, 100)->empty());

  // A function that swallows the failure cannot commit the rest.
  failed = store_->write([](WriteTxn& txn) {
    (void)txn.put(makeRecord("services", "d", "{}", {"name=w"}));
    (void)txn.put(makeRecord("services", "e", "{}", {"name=x"}));
    return Status::ok();
  });
  ASSERT_FALSE(failed.isOk());
  EXPECT_EQ(failed.status().code(), Code::kAlreadyExists);
  EXPECT_FALSE(store_->get("services", "d")->has_value());
  EXPECT_EQ(revision(), before);

  // Removing the holder first frees the key within the same transaction.
  auto moved = store_->write([](WriteTxn& txn) {
    Status s = txn.remove("services", "a");
    if (!s.isOk()) return s;
    return txn.put(makeRecord("services", "f", "{}", {"name=x"}));
  });
  ASSERT_TRUE(moved.isOk()) << moved.status().toString();
  EXPECT_EQ(*moved, before + 1);
  EXPECT_EQ(store_->findByKey("services", "name=x").value()->id, "f");
}

TEST_P(StoreTest, RemoveAndReferencing) {
  ASSERT_TRUE(store_
                  ->write([](WriteTxn& txn) {
                    Status s = txn.put(makeRecord("services", "s", "{}", {"name=s"}));
                    if (s.isOk()) s = txn.put(makeRecord("routes", "r2", "{}", {}, {"services/s"}));
                    if (s.isOk()) s = txn.put(makeRecord("routes", "r1", "{}", {}, {"services/s"}));
                    if (s.isOk()) s = txn.put(makeRecord("plugins", "p", "{}", {}, {"routes/r1"}));
                    return s;
                  })
                  .isOk());
  auto rev = store_->write([](WriteTxn& txn) {
    auto refs = txn.referencing("services/s");
    EXPECT_TRUE(refs.isOk());
    EXPECT_EQ(idsOf(*refs), (std::vector<std::string>{"r1", "r2"}));
    Status s = txn.remove("routes", "r1");
    if (!s.isOk()) return s;
    refs = txn.referencing("services/s");
    EXPECT_EQ(idsOf(*refs), std::vector<std::string>{"r2"});
    Status again = txn.remove("routes", "r1");
    EXPECT_EQ(again.code(), Code::kNotFound);
    // A miss is reported but does not doom the transaction.
    return txn.remove("services", "s");
  });
  ASSERT_TRUE(rev.isOk()) << rev.status().toString();
  EXPECT_EQ(*rev, 2);
  EXPECT_FALSE(store_->get("routes", "r1")->has_value());
  EXPECT_FALSE(store_->get("services", "s")->has_value());
  EXPECT_TRUE(store_->get("routes", "r2")->has_value());
  EXPECT_FALSE(store_->findByKey("services", "name=s")->has_value());
  EXPECT_TRUE(store_->list("routes", "", 10, "services/s").isOk());
  EXPECT_EQ(idsOf(store_->list("routes", "", 10, "services/s")->records),
            std::vector<std::string>{"r2"});
  // The key of a removed record is free.
  EXPECT_TRUE(putOne(*store_, makeRecord("services", "s2", "{}", {"name=s"})).isOk());
  auto missing = store_->write([](WriteTxn& txn) { return txn.remove("services", "nope"); });
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

TEST_P(StoreTest, RevisionMovesByOneOnlyOnCommittedWrites) {
  EXPECT_EQ(revision(), 0);
  auto empty = store_->write([](WriteTxn&) { return Status::ok(); });
  ASSERT_TRUE(empty.isOk());
  EXPECT_EQ(*empty, 0);
  EXPECT_EQ(revision(), 0);

  EXPECT_EQ(putOne(*store_, makeRecord("services", "a", "{}")).value(), 1);
  auto failed = store_->write([](WriteTxn& txn) {
    EXPECT_TRUE(txn.put(makeRecord("services", "b", "{}")).isOk());
    return Status::invalidArgument("changed my mind");
  });
  EXPECT_EQ(failed.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(failed.status().message(), "changed my mind");
  EXPECT_FALSE(store_->get("services", "b")->has_value());
  EXPECT_EQ(revision(), 1);

  auto threw = store_->write([](WriteTxn& txn) -> Status {
    (void)txn.put(makeRecord("services", "b", "{}"));
    throw std::runtime_error("boom");
  });
  EXPECT_EQ(threw.status().code(), Code::kInternal);
  EXPECT_EQ(revision(), 1);

  auto onlyMiss = store_->write([](WriteTxn& txn) {
    (void)txn.remove("services", "nope");
    return Status::ok();
  });
  ASSERT_TRUE(onlyMiss.isOk());
  EXPECT_EQ(*onlyMiss, 1);

  auto invalid = putOne(*store_, makeRecord("services", "", "{}"));
  EXPECT_EQ(invalid.status().code(), Code::kInvalidArgument);

  auto three = store_->write([](WriteTxn& txn) {
    Status s = txn.put(makeRecord("services", "c", "{}"));
    if (s.isOk()) s = txn.put(makeRecord("services", "d", "{}"));
    if (s.isOk()) s = txn.put(makeRecord("services", "c", "{\"v\":2}"));
    return s;
  });
  ASSERT_TRUE(three.isOk());
  EXPECT_EQ(*three, 2);
  EXPECT_EQ(revision(), 2);

  auto nested = store_->write([&](WriteTxn&) {
    auto inner = store_->write([](WriteTxn&) { return Status::ok(); });
    return inner.status();
  });
  EXPECT_EQ(nested.status().code(), Code::kInvalidArgument);
}

TEST_P(StoreTest, ReadsInsideTheTransactionSeeItsOwnWrites) {
  ASSERT_TRUE(putOne(*store_, makeRecord("services", "old", "{}", {"name=old"})).isOk());
  auto rev = store_->write([&](WriteTxn& txn) {
    EXPECT_TRUE(txn.put(makeRecord("services", "a", "{\"v\":1}", {"name=a"}, {"x/1"})).isOk());
    auto got = txn.get("services", "a");
    EXPECT_TRUE(got.isOk() && got->has_value() && (*got)->body == "{\"v\":1}");
    auto byKey = txn.findByKey("services", "name=a");
    EXPECT_TRUE(byKey.isOk() && byKey->has_value());
    EXPECT_EQ(idsOf(txn.referencing("x/1").value()), std::vector<std::string>{"a"});
    // Not visible outside until commit.
    EXPECT_FALSE(store_->get("services", "a")->has_value());
    EXPECT_TRUE(txn.remove("services", "old").isOk());
    EXPECT_FALSE(txn.get("services", "old")->has_value());
    EXPECT_TRUE(store_->get("services", "old")->has_value());
    return Status::ok();
  });
  ASSERT_TRUE(rev.isOk()) << rev.status().toString();
  EXPECT_TRUE(store_->get("services", "a")->has_value());
  EXPECT_FALSE(store_->get("services", "old")->has_value());
}

TEST_P(StoreTest, ChangesSinceListsChangesInOrder) {
  ASSERT_TRUE(store_
                  ->write([](WriteTxn& txn) {
                    Status s = txn.put(makeRecord("services", "a", "A1"));
                    if (s.isOk()) s = txn.put(makeRecord("services", "b", "B1"));
                    return s;
                  })
                  .isOk());
  ASSERT_TRUE(store_
                  ->write([](WriteTxn& txn) {
                    Status s = txn.remove("services", "a");
                    if (s.isOk()) s = txn.put(makeRecord("routes", "c", "C1"));
                    return s;
                  })
                  .isOk());
  ASSERT_TRUE(putOne(*store_, makeRecord("services", "b", "B2")).isOk());

  auto all = store_->changesSince(0, 100);
  ASSERT_TRUE(all.isOk()) << all.status().toString();
  ASSERT_EQ(all->size(), 5u);
  auto expect = [](const Change& c, int64_t rev, const char* kind, const char* id, bool deleted,
                   const char* body) {
    EXPECT_EQ(c.revision, rev);
    EXPECT_EQ(c.kind, kind);
    EXPECT_EQ(c.id, id);
    EXPECT_EQ(c.deleted, deleted);
    EXPECT_EQ(c.body, body);
  };
  expect((*all)[0], 1, "services", "a", false, "A1");
  expect((*all)[1], 1, "services", "b", false, "B1");
  expect((*all)[2], 2, "services", "a", true, "");
  expect((*all)[3], 2, "routes", "c", false, "C1");
  expect((*all)[4], 3, "services", "b", false, "B2");

  auto firstRevision = store_->changesSince(0, 1);  // limit counts revisions, not changes
  ASSERT_TRUE(firstRevision.isOk());
  EXPECT_EQ(firstRevision->size(), 2u);
  auto middle = store_->changesSince(1, 1);
  ASSERT_TRUE(middle.isOk());
  ASSERT_EQ(middle->size(), 2u);
  EXPECT_EQ((*middle)[0].revision, 2);
  EXPECT_EQ(store_->changesSince(2, 100)->size(), 1u);
  EXPECT_TRUE(store_->changesSince(3, 100)->empty());
  EXPECT_TRUE(store_->changesSince(50, 100)->empty());
  EXPECT_EQ(store_->changesSince(-1, 100).status().code(), Code::kInvalidArgument);

  // Once the log no longer reaches back, the caller is told to reload.
  execRaw("UPDATE meta SET changes_low_water = 1");
  auto pruned = store_->changesSince(0, 100);
  ASSERT_FALSE(pruned.isOk());
  EXPECT_EQ(pruned.status().code(), Code::kNotFound);
  EXPECT_TRUE(store_->changesSince(1, 100).isOk());
}

TEST_P(StoreTest, DumpAllIsConsistentWithItsRevision) {
  ASSERT_TRUE(putOne(*store_, makeRecord("services", "b", "B", {"name=b"}, {"x/1"})).isOk());
  ASSERT_TRUE(putOne(*store_, makeRecord("routes", "a", "A")).isOk());
  ASSERT_TRUE(putOne(*store_, makeRecord("services", "a", "A")).isOk());
  auto dump = store_->dumpAll();
  ASSERT_TRUE(dump.isOk()) << dump.status().toString();
  EXPECT_EQ(dump->revision, 3);
  ASSERT_EQ(dump->records.size(), 3u);
  EXPECT_EQ(dump->records[0].kind, "routes");
  EXPECT_EQ(dump->records[1].id, "a");
  EXPECT_EQ(dump->records[2].id, "b");
  EXPECT_EQ(dump->records[2].revision, 1);
  EXPECT_EQ(dump->records[2].unique_keys, std::vector<std::string>{"name=b"});
}

TEST_P(StoreTest, WatchReportsCommittedRevisions) {
  RevisionWaiter waiter;
  ASSERT_TRUE(store_->watch(waiter.callback()).isOk());
  EXPECT_EQ(store_->watch([](int64_t) {}).code(), Code::kInvalidArgument);
  auto rev = putOne(*store_, makeRecord("services", "a", "{}"));
  ASSERT_TRUE(rev.isOk());
  EXPECT_TRUE(waiter.waitForRevision(*rev));
  rev = putOne(*store_, makeRecord("services", "b", "{}"));
  ASSERT_TRUE(rev.isOk());
  EXPECT_TRUE(waiter.waitForRevision(*rev));
  // Calls come in increasing order and never name an uncommitted revision.
  auto calls = waiter.calls();
  EXPECT_TRUE(std::is_sorted(calls.begin(), calls.end()));
  EXPECT_LE(calls.back(), 2);
}

TEST_P(StoreTest, ConcurrentWritersGetGaplessOrderedRevisions) {
  auto other = openAnother();
  ASSERT_NE(other, nullptr);
  constexpr int kPerWriter = 20;
  std::vector<int64_t> revisions[2];
  auto writer = [&](Store* store, int n) {
    for (int i = 0; i < kPerWriter; ++i) {
      std::string id = "w" + std::to_string(n) + "-" + std::to_string(i);
      auto rev = store->write([&](WriteTxn& txn) {
        Status s = txn.put(makeRecord("services", id, "{}", {"name=" + id}));
        if (s.isOk()) s = txn.put(makeRecord("routes", id, "{}", {}, {"services/" + id}));
        return s;
      });
      ASSERT_TRUE(rev.isOk()) << rev.status().toString();
      revisions[n].push_back(*rev);
    }
  };
  std::thread t0(writer, store_.get(), 0);
  std::thread t1(writer, other.get(), 1);
  t0.join();
  t1.join();

  for (const auto& rs : revisions) EXPECT_TRUE(std::is_sorted(rs.begin(), rs.end()));
  std::vector<int64_t> merged(revisions[0]);
  merged.insert(merged.end(), revisions[1].begin(), revisions[1].end());
  std::sort(merged.begin(), merged.end());
  ASSERT_EQ(merged.size(), size_t(2 * kPerWriter));
  for (size_t i = 0; i < merged.size(); ++i) EXPECT_EQ(merged[i], int64_t(i + 1));

  auto changes = store_->changesSince(0, 1000);
  ASSERT_TRUE(changes.isOk());
  ASSERT_EQ(changes->size(), size_t(4 * kPerWriter));
  for (size_t i = 0; i < changes->size(); ++i) {
    EXPECT_EQ((*changes)[i].revision, int64_t(i / 2 + 1));
    // Both changes of a revision belong to the same transaction.
    EXPECT_EQ((*changes)[i].id, (*changes)[i - i % 2].id);
  }
  EXPECT_EQ(revision(), 2 * kPerWriter);
}

TEST_P(StoreTest, MigrateTwiceIsANoOp) {
  ASSERT_TRUE(putOne(*store_, makeRecord("services", "a", "{}")).isOk());
  EXPECT_TRUE(store_->migrate().isOk());
  EXPECT_TRUE(store_->migrate().isOk());
  auto version = store_->schemaVersion();
  ASSERT_TRUE(version.isOk()) << version.status().toString();
  EXPECT_EQ(*version, Store::kSchemaVersion);
  EXPECT_EQ(revision(), 1);
  EXPECT_TRUE(store_->get("services", "a")->has_value());
}

TEST_P(StoreTest, DescribeNamesTheDatabase) {
  std::string name = store_->describe();
  if (GetParam() == Backend::kSqlite) {
    EXPECT_EQ(name, "sqlite:" + location_);
  } else {
    EXPECT_EQ(name, location_.substr(0, location_.find('?')));
  }
  EXPECT_TRUE(store_->tryLeadership().value());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace causeway::store
