// What only the PostgreSQL store does: several replicas on one database (change feed, leadership,
// concurrent migrations), password hygiene, and surviving the server going away.
#include <gtest/gtest.h>

#include <thread>

#include "pg_sandbox.h"
#include "store/store.h"
#include "store_test_util.h"

namespace causeway::store {
namespace {

using testing::makeRecord;
using testing::PgSandbox;
using testing::putOne;
using testing::RevisionWaiter;
using Code = Status::Code;

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg().ok()) << "cannot start PostgreSQL: " << pg().error();
    std::string error;
    uri_ = pg().freshUri(&error);
    ASSERT_FALSE(uri_.empty()) << error;
  }
  static PgSandbox& pg() { return PgSandbox::shared(); }

  std::unique_ptr<Store> open(bool migrate = true) {
    auto opened = openPostgres(uri_);
    EXPECT_TRUE(opened.isOk()) << opened.status().toString();
    if (!opened.isOk()) return nullptr;
    if (migrate) {
      Status s = (*opened)->migrate();
      EXPECT_TRUE(s.isOk()) << s.toString();
    }
    return std::move(opened).value();
  }

  std::string uri_;
};

TEST_F(PostgresStoreTest, ReplicasSeeEachOthersWrites) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a && b);
  RevisionWaiter waiter;
  ASSERT_TRUE(b->watch(waiter.callback()).isOk());

  auto rev = putOne(*a, makeRecord("services", "s", "{}", {"name=s"}));
  ASSERT_TRUE(rev.isOk()) << rev.status().toString();
  ASSERT_TRUE(waiter.waitForRevision(*rev));
  auto changes = b->changesSince(0, 10);
  ASSERT_TRUE(changes.isOk());
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].id, "s");
  EXPECT_TRUE(b->get("services", "s")->has_value());

  // Uniqueness holds across replicas.
  auto dup = putOne(*b, makeRecord("services", "t", "{}", {"name=s"}));
  EXPECT_EQ(dup.status().code(), Code::kAlreadyExists);

  // Several commits in a row: the watcher ends up at the last one.
  int64_t last = 0;
  for (int i = 0; i < 5; ++i)
    last = putOne(*a, makeRecord("routes", std::to_string(i), "{}")).value();
  EXPECT_TRUE(waiter.waitForRevision(last));
  auto calls = waiter.calls();
  EXPECT_TRUE(std::is_sorted(calls.begin(), calls.end()));
}

TEST_F(PostgresStoreTest, OneReplicaIsTheLeader) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->tryLeadership().value());
  EXPECT_FALSE(b->tryLeadership().value());
  EXPECT_TRUE(a->tryLeadership().value());
  EXPECT_FALSE(b->tryLeadership().value());
  a.reset();  // its session ends, and the lock with it
  bool leader = false;
  // The server releases the lock when it notices the session is gone: poll, bounded.
  for (int i = 0; i < 100 && !leader; ++i) {
    leader = b->tryLeadership().value();
    if (!leader) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(leader);
}

TEST_F(PostgresStoreTest, ConcurrentMigrationsApplyEachMigrationOnce) {
  auto fresh = open(/*migrate=*/false);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->schemaVersion().value(), 0);
  auto unmigrated = fresh->revision();
  ASSERT_FALSE(unmigrated.isOk());
  EXPECT_NE(unmigrated.status().message().find("migrate"), std::string::npos)
      << unmigrated.status().message();

  constexpr int kReplicas = 4;
  std::vector<std::unique_ptr<Store>> stores;
  stores.reserve(kReplicas);
  for (int i = 0; i < kReplicas; ++i) stores.push_back(open(/*migrate=*/false));
  std::vector<Status> results(kReplicas);
  std::vector<std::thread> threads;
  threads.reserve(kReplicas);
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] { results[i] = stores[i]->migrate(); });
  }
  for (auto& t : threads) t.join();
  for (const auto& s : results) EXPECT_TRUE(s.isOk()) << s.toString();
  EXPECT_EQ(fresh->schemaVersion().value(), Store::kSchemaVersion);
  EXPECT_EQ(PgSandbox::queryValue(uri_, "SELECT count(*) FROM schema_migrations"),
            std::to_string(Store::kSchemaVersion));
  EXPECT_EQ(PgSandbox::queryValue(uri_, "SELECT schema_version FROM meta"),
            std::to_string(Store::kSchemaVersion));
  EXPECT_EQ(fresh->revision().value(), 0);
}

TEST_F(PostgresStoreTest, PasswordsStayOutOfNamesAndErrors) {
  // Trust authentication ignores the password, so the connection works.
  std::string base = pg().uri().substr(std::string("postgres://postgres@").size());
  auto opened = openPostgres("postgresql://postgres:s3cret-pw@" + base + "?application_name=x");
  ASSERT_TRUE(opened.isOk()) << opened.status().toString();
  EXPECT_EQ((*opened)->describe(), "postgresql://postgres@" + base);

  auto refused = openPostgres("postgres://postgres:s3cret-pw@127.0.0.1:1/causeway");
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.status().code(), Code::kUnavailable);
  EXPECT_NE(refused.status().message().find("127.0.0.1"), std::string::npos);
  EXPECT_NE(refused.status().message().find("refused"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(refused.status().message().find("s3cret"), std::string::npos);

  auto malformed = openPostgres("postgres://postgres:s3cret-pw@127.0.0.1:1/causeway?nonsense=1");
  ASSERT_FALSE(malformed.isOk());
  EXPECT_EQ(malformed.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(malformed.status().message().find("s3cret"), std::string::npos);

  auto query = openPostgres("postgres://postgres@127.0.0.1:1/causeway?password=s3cret-pw");
  ASSERT_FALSE(query.isOk());
  EXPECT_EQ(query.status().message().find("s3cret"), std::string::npos);
}

TEST_F(PostgresStoreTest, ValuesPostgresCannotHoldAreRefused) {
  auto store = open();
  ASSERT_TRUE(store);
  auto nul = putOne(*store, makeRecord("services", std::string("a\0b", 3), "{}"));
  EXPECT_EQ(nul.status().code(), Code::kInvalidArgument) << nul.status().toString();
  auto utf8 = store->write([](WriteTxn& txn) {
    Status s = txn.put(makeRecord("services", "ok", "{}"));
    if (s.isOk()) s = txn.put(makeRecord("services", "bad", "{\"x\":\"\xff\"}"));
    return s;
  });
  EXPECT_EQ(utf8.status().code(), Code::kInvalidArgument) << utf8.status().toString();
  EXPECT_FALSE(store->get("services", "ok")->has_value());
  EXPECT_EQ(store->revision().value(), 0);
}

TEST_F(PostgresStoreTest, ServerDownMeansUnavailableThenRecovers) {
  auto own = PgSandbox::create();  // a server of its own, to stop and start
  ASSERT_TRUE(own->ok()) << own->error();
  auto opened = openPostgres(own->uri());
  ASSERT_TRUE(opened.isOk()) << opened.status().toString();
  auto store = std::move(opened).value();
  ASSERT_TRUE(store->migrate().isOk());
  RevisionWaiter waiter;
  ASSERT_TRUE(store->watch(waiter.callback()).isOk());
  ASSERT_EQ(putOne(*store, makeRecord("services", "a", "{}")).value(), 1);
  ASSERT_TRUE(waiter.waitForRevision(1));
  ASSERT_TRUE(store->tryLeadership().value());

  ASSERT_EQ(own->stop(), "");
  auto got = store->get("services", "a");
  ASSERT_FALSE(got.isOk());
  EXPECT_EQ(got.status().code(), Code::kUnavailable) << got.status().toString();
  auto wrote = putOne(*store, makeRecord("services", "b", "{}"));
  EXPECT_EQ(wrote.status().code(), Code::kUnavailable) << wrote.status().toString();
  EXPECT_EQ(store->changesSince(0, 10).status().code(), Code::kUnavailable);
  EXPECT_EQ(store->dumpAll().status().code(), Code::kUnavailable);
  EXPECT_FALSE(store->tryLeadership().isOk());
  EXPECT_EQ(openPostgres(own->uri()).status().code(), Code::kUnavailable);

  size_t callsBefore = waiter.calls().size();
  ASSERT_EQ(own->start(), "");
  // The feed reconnects by itself and reports the current revision, so nothing is missed.
  ASSERT_TRUE(waiter.waitForCallsAbove(callsBefore));
  EXPECT_EQ(waiter.calls().back(), 1);
  // Calls reconnect transparently.
  auto after = putOne(*store, makeRecord("services", "b", "{}"));
  ASSERT_TRUE(after.isOk()) << after.status().toString();
  EXPECT_EQ(*after, 2);
  EXPECT_TRUE(waiter.waitForRevision(2));
  EXPECT_TRUE(store->get("services", "a")->has_value());
  EXPECT_TRUE(store->tryLeadership().value());
}

}  // namespace
}  // namespace causeway::store
