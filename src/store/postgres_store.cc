// The PostgreSQL store, for several control-plane replicas on one database.
//
// Writers are serialized by the row lock of `UPDATE meta SET revision = revision + 1`, taken as
// the first statement of every write transaction and held to commit, so revisions are gapless and
// become visible in commit order; the same statement queues NOTIFY causeway_changes '<revision>',
// which PostgreSQL delivers only if the transaction commits. A transaction that wrote nothing is
// rolled back, so the revision does not move.
//
// Connections come from a small pool; a call that finds its connection dead (the server restarted)
// retries once on a new one, and reports unavailable when the server cannot be reached.
#include <mutex>

#include "store/codec.h"
#include "store/migrations.h"
#include "store/nested_write_guard.h"
#include "store/paging.h"
#include "store/postgres_connection.h"
#include "store/postgres_listener.h"
#include "store/store.h"

namespace causeway::store {

namespace {

// pg_advisory_lock(int, int) keys: "Caus" and a purpose (1 leadership, 2 migrations).
constexpr const char* kTryLeaderLock = "SELECT pg_try_advisory_lock(1130460531, 1)";

constexpr const char* kGet =
    "SELECT kind, id, body, revision, keys_json, refs_json FROM records WHERE kind = $1 AND id = "
    "$2";
constexpr const char* kFindByKey =
    "SELECT r.kind, r.id, r.body, r.revision, r.keys_json, r.refs_json FROM unique_keys u "
    "JOIN records r ON r.kind = u.kind AND r.id = u.id WHERE u.kind = $1 AND u.key = $2";
constexpr const char* kReferencing =
    "SELECT r.kind, r.id, r.body, r.revision, r.keys_json, r.refs_json FROM refs f "
    "JOIN records r ON r.kind = f.kind AND r.id = f.id WHERE f.ref = $1 ORDER BY f.kind, f.id";
constexpr const char* kList =
    "SELECT kind, id, body, revision, keys_json, refs_json FROM records "
    "WHERE kind = $1 AND id > $2 ORDER BY id LIMIT $3";
constexpr const char* kListByRef =
    "SELECT r.kind, r.id, r.body, r.revision, r.keys_json, r.refs_json FROM refs f "
    "JOIN records r ON r.kind = f.kind AND r.id = f.id "
    "WHERE f.ref = $1 AND f.kind = $2 AND f.id > $3 ORDER BY f.id LIMIT $4";
constexpr const char* kDumpRecords =
    "SELECT kind, id, body, revision, keys_json, refs_json FROM records ORDER BY kind, id";
constexpr const char* kRevision = "SELECT revision FROM meta";
constexpr const char* kChanges =
    "SELECT m.changes_low_water, c.revision, c.kind, c.id, c.deleted, c.body FROM meta m "
    "LEFT JOIN changes c ON c.revision > $1::bigint AND c.revision <= $2::bigint "
    "ORDER BY c.revision, c.seq";
constexpr const char* kNextRevision =
    "UPDATE meta SET revision = revision + 1 "
    "RETURNING revision, pg_notify('causeway_changes', revision::text)";
// One round trip per put. The key insert updates a key this record already holds (so it is
// returned) and skips one another record holds (so it is not): the first input key missing from
// the returned ones is the conflict. The other sub-statements then ran too, but a conflict rolls
// the whole transaction back.
constexpr const char* kPut = R"sql(
WITH
  old_keys AS (DELETE FROM unique_keys WHERE kind = $1 AND id = $2 AND key <> ALL ($4::text[])),
  new_keys AS (
    INSERT INTO unique_keys (kind, key, id) SELECT $1, k, $2 FROM unnest($4::text[]) AS k
    ON CONFLICT (kind, key) DO UPDATE SET id = excluded.id WHERE unique_keys.id = excluded.id
    RETURNING key),
  old_refs AS (DELETE FROM refs WHERE kind = $1 AND id = $2 AND ref <> ALL ($5::text[])),
  new_refs AS (
    INSERT INTO refs (kind, id, ref) SELECT $1, $2, r FROM unnest($5::text[]) AS r
    ON CONFLICT DO NOTHING),
  record AS (
    INSERT INTO records (kind, id, body, revision, keys_json, refs_json)
    VALUES ($1, $2, $3, $6::bigint, $7, $8)
    ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, revision = excluded.revision,
      keys_json = excluded.keys_json, refs_json = excluded.refs_json),
  change AS (
    INSERT INTO changes (revision, seq, kind, id, deleted, body)
    VALUES ($6::bigint, $9::integer, $1, $2, false, $3))
SELECT t.k FROM unnest($4::text[]) WITH ORDINALITY AS t(k, n)
WHERE t.k NOT IN (SELECT key FROM new_keys) ORDER BY t.n LIMIT 1
)sql";
constexpr const char* kRemove = R"sql(
WITH
  gone AS (DELETE FROM records WHERE kind = $1 AND id = $2 RETURNING kind, id),
  old_keys AS (DELETE FROM unique_keys WHERE kind = $1 AND id = $2),
  old_refs AS (DELETE FROM refs WHERE kind = $1 AND id = $2),
  change AS (
    INSERT INTO changes (revision, seq, kind, id, deleted, body)
    SELECT $3::bigint, $4::integer, kind, id, true, '' FROM gone)
SELECT count(*) FROM gone
)sql";
constexpr const char* kBeginMigration =
    "BEGIN; SELECT pg_advisory_xact_lock(1130460531, 2); "
    "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
    "description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())";
constexpr const char* kHasMigrations = "SELECT to_regclass('schema_migrations') IS NOT NULL";
constexpr const char* kCurrentVersion = "SELECT coalesce(max(version), 0) FROM schema_migrations";
constexpr const char* kRecordMigration =
    "INSERT INTO schema_migrations (version, description) VALUES ($1::integer, $2)";
constexpr const char* kSetSchemaVersion = "UPDATE meta SET schema_version = $1::integer";

Result<std::vector<Record>> readRecords(const PgResult& rows) {
  std::vector<Record> out;
  out.reserve(size_t(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i) {
    Record r;
    r.kind = rows.text(i, 0);
    r.id = rows.text(i, 1);
    r.body = rows.text(i, 2);
    r.revision = rows.integer(i, 3);
    auto keys = decodeStringList(rows.text(i, 4));
    auto refs = decodeStringList(rows.text(i, 5));
    if (!keys || !refs) {
      return Status::internal("postgres: corrupt key or ref list in record " + r.kind + "/" + r.id);
    }
    r.unique_keys = std::move(*keys);
    r.refs = std::move(*refs);
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<Record>> queryRecords(PgConnection& conn, const char* sql,
                                         std::initializer_list<std::string_view> params) {
  auto rows = conn.exec(sql, params);
  if (!rows.isOk()) return rows.status();
  return readRecords(*rows);
}

Result<std::optional<Record>> queryRecord(PgConnection& conn, const char* sql,
                                          std::initializer_list<std::string_view> params) {
  auto records = queryRecords(conn, sql, params);
  if (!records.isOk()) return records.status();
  if (records->empty()) return std::optional<Record>();
  return std::optional<Record>(std::move(records->front()));
}

Result<int64_t> queryInteger(PgConnection& conn, const char* sql,
                             std::initializer_list<std::string_view> params = {}) {
  auto rows = params.size() == 0 ? conn.exec(sql) : conn.exec(sql, params);
  if (!rows.isOk()) return rows.status();
  if (rows->rows() < 1 || rows->isNull(0, 0)) {
    return Status::internal(std::string("postgres: no value from: ") + sql);
  }
  return rows->integer(0, 0);
}

Status callTxnFunction(const std::function<Status(WriteTxn&)>& fn, WriteTxn& txn) {
  try {
    return fn(txn);
  } catch (const std::exception& e) {
    return Status::internal(std::string("write: the transaction function threw: ") + e.what());
  } catch (...) {
    return Status::internal("write: the transaction function threw");
  }
}

class PgWriteTxn final : public WriteTxn {
 public:
  PgWriteTxn(PgConnection& conn, int64_t revision) : conn_(conn), revision_(revision) {}

  Result<std::optional<Record>> get(const std::string& kind, const std::string& id) override {
    if (!failure_.isOk()) return failure_;
    return queryRecord(conn_, kGet, {kind, id});
  }
  Result<std::optional<Record>> findByKey(const std::string& kind,
                                          const std::string& key) override {
    if (!failure_.isOk()) return failure_;
    return queryRecord(conn_, kFindByKey, {kind, key});
  }
  Result<std::vector<Record>> referencing(const std::string& ref) override {
    if (!failure_.isOk()) return failure_;
    return queryRecords(conn_, kReferencing, {ref});
  }
  Status put(const Record& record) override {
    if (!failure_.isOk()) return failure_;
    Status s = doPut(record);
    if (!s.isOk()) failure_ = s;
    return s;
  }
  Status remove(const std::string& kind, const std::string& id) override {
    if (!failure_.isOk()) return failure_;
    Status s = doRemove(kind, id);
    if (!s.isOk() && s.code() != Status::Code::kNotFound) failure_ = s;
    return s;
  }

  const Status& failure() const { return failure_; }
  bool wrote() const { return seq_ > 0; }

 private:
  Status doPut(const Record& record) {
    if (record.kind.empty() || record.id.empty()) {
      return Status::invalidArgument("put: kind and id must not be empty");
    }
    auto keys = uniqueValues(record.unique_keys);
    auto refs = uniqueValues(record.refs);
    auto keys_json = encodeStringList(keys, "a unique key of " + record.kind + "/" + record.id);
    if (!keys_json.isOk()) return keys_json.status();
    auto refs_json = encodeStringList(refs, "a ref of " + record.kind + "/" + record.id);
    if (!refs_json.isOk()) return refs_json.status();
    std::string revision = std::to_string(revision_);
    std::string seq = std::to_string(seq_);
    auto conflict = conn_.exec(kPut, {record.kind, record.id, record.body, pgTextArray(keys),
                                      pgTextArray(refs), revision, *keys_json, *refs_json, seq});
    if (!conflict.isOk()) return conflict.status();
    if (conflict->rows() > 0) return Status::alreadyExists(std::string(conflict->text(0, 0)));
    ++seq_;
    return Status::ok();
  }

  Status doRemove(const std::string& kind, const std::string& id) {
    auto removed =
        queryInteger(conn_, kRemove, {kind, id, std::to_string(revision_), std::to_string(seq_)});
    if (!removed.isOk()) return removed.status();
    if (*removed == 0) return Status::notFound(kind + "/" + id);
    ++seq_;
    return Status::ok();
  }

  PgConnection& conn_;
  int64_t revision_;
  int64_t seq_ = 0;
  Status failure_;
};

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(PgTarget target) : target_(std::move(target)), pool_(target_) {}
  ~PostgresStore() override {
    std::lock_guard lock(watch_mu_);
    listener_.reset();  // stops the feed thread before anything it uses goes away
  }

  Status migrate() override {
    auto applied = withConnection<int>([](PgConnection& conn) { return migrateOn(conn); });
    return applied.status();
  }

  Result<int> schemaVersion() override {
    return withConnection<int>([](PgConnection& conn) -> Result<int> {
      auto has = conn.exec(kHasMigrations);
      if (!has.isOk()) return has.status();
      if (!has->boolean(0, 0)) return 0;
      auto v = queryInteger(conn, kCurrentVersion);
      if (!v.isOk()) return v.status();
      return int(*v);
    });
  }

  Result<int64_t> write(const std::function<Status(WriteTxn&)>& fn) override {
    if (!fn) return Status::invalidArgument("write: no transaction function");
    NestedWriteGuard nested(this);
    if (nested.nested()) {
      return Status::invalidArgument(
          "write: called from inside a write transaction of the same store");
    }
    auto acquired = pool_.acquire();
    if (!acquired.isOk()) return acquired.status();
    auto conn = std::move(acquired).value();
    auto next = beginWrite(*conn);
    if (!next.isOk() && conn->broken()) {  // a pooled connection the server has dropped
      acquired = pool_.reconnect();
      if (!acquired.isOk()) return acquired.status();
      conn = std::move(acquired).value();
      next = beginWrite(*conn);
    }
    if (!next.isOk()) {
      pool_.release(std::move(conn));
      return next.status();
    }

    PgWriteTxn txn(*conn, *next);
    Status s = callTxnFunction(fn, txn);
    if (!txn.failure().isOk()) s = txn.failure();
    if (s.isOk() && !txn.wrote()) {
      pool_.release(std::move(conn));  // rolls back: the revision does not move
      return *next - 1;
    }
    if (!s.isOk()) {
      pool_.release(std::move(conn));
      return s;
    }
    auto committed = conn->exec("COMMIT");
    if (!committed.isOk()) {
      if (conn->broken()) {
        return Status::unavailable("postgres: the connection to " + target_.display +
                                   " was lost while committing revision " + std::to_string(*next) +
                                   "; it may or may not have been applied");
      }
      pool_.release(std::move(conn));
      return committed.status();
    }
    if (committed->commandStatus() != "COMMIT") {  // the server rolled back an aborted transaction
      pool_.release(std::move(conn));
      return Status::internal(
          "postgres: the transaction was rolled back: a statement in it failed");
    }
    pool_.release(std::move(conn));
    return *next;
  }

  Result<std::optional<Record>> get(const std::string& kind, const std::string& id) override {
    return withConnection<std::optional<Record>>([&](PgConnection& conn) {
      return queryRecord(conn, kGet, {kind, id});
    });
  }

  Result<std::optional<Record>> findByKey(const std::string& kind,
                                          const std::string& key) override {
    return withConnection<std::optional<Record>>([&](PgConnection& conn) {
      return queryRecord(conn, kFindByKey, {kind, key});
    });
  }

  Result<Page> list(const std::string& kind, const std::string& offset, size_t size,
                    const std::string& ref,
                    const std::function<bool(const Record&)>& filter) override {
    return paginate(offset, size, filter, [&](const std::string& after, size_t limit) {
      std::string limit_text = std::to_string(limit);
      return withConnection<std::vector<Record>>([&](PgConnection& conn) {
        if (ref.empty()) return queryRecords(conn, kList, {kind, after, limit_text});
        return queryRecords(conn, kListByRef, {ref, kind, after, limit_text});
      });
    });
  }

  Result<Dump> dumpAll() override {
    return withConnection<Dump>([](PgConnection& conn) -> Result<Dump> {
      auto begun = conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      if (!begun.isOk()) return begun.status();
      Dump dump;
      auto revision = queryInteger(conn, kRevision);
      if (!revision.isOk()) return revision.status();
      dump.revision = *revision;
      auto records = queryRecords(conn, kDumpRecords, {});
      if (!records.isOk()) return records.status();
      dump.records = std::move(records).value();
      auto done = conn.exec("COMMIT");
      if (!done.isOk()) return done.status();
      return dump;
    });
  }

  Result<int64_t> revision() override {
    return withConnection<int64_t>(
        [](PgConnection& conn) { return queryInteger(conn, kRevision); });
  }

  Result<std::vector<Change>> changesSince(int64_t after, size_t limit) override {
    if (after < 0) return Status::invalidArgument("changesSince: negative revision");
    // Revisions are gapless and each has at least one change, so `limit` revisions end here.
    int64_t last = limit >= size_t(INT64_MAX - after) ? INT64_MAX : after + int64_t(limit);
    std::string after_text = std::to_string(after);
    std::string last_text = std::to_string(last);
    return withConnection<std::vector<Change>>(
        [&](PgConnection& conn) -> Result<std::vector<Change>> {
          auto rows = conn.exec(kChanges, {after_text, last_text});
          if (!rows.isOk()) return rows.status();
          std::vector<Change> out;
          out.reserve(size_t(rows->rows()));
          for (int i = 0; i < rows->rows(); ++i) {
            int64_t low_water = rows->integer(i, 0);
            if (low_water > after) {
              return Status::notFound("changes after revision " + after_text +
                                      " were pruned (the log starts after " +
                                      std::to_string(low_water) + ")");
            }
            if (rows->isNull(i, 1)) continue;  // no changes: the row carries only the low water
            Change c;
            c.revision = rows->integer(i, 1);
            c.kind = rows->text(i, 2);
            c.id = rows->text(i, 3);
            c.deleted = rows->boolean(i, 4);
            c.body = rows->text(i, 5);
            out.push_back(std::move(c));
          }
          return out;
        });
  }

  Status watch(std::function<void(int64_t)> onRevision) override {
    std::lock_guard lock(watch_mu_);
    if (listener_) return Status::invalidArgument("watch: this store already has a watcher");
    auto listener = PgListener::start(target_, std::move(onRevision));
    if (!listener.isOk()) return listener.status();
    listener_ = std::move(listener).value();
    return Status::ok();
  }

  Result<bool> tryLeadership() override {
    std::lock_guard lock(leader_mu_);
    if (leader_conn_ && leader_) {
      if (leader_conn_->exec("SELECT 1").isOk()) return true;
      leader_ = false;  // the session is gone, and the lock with it
    }
    if (leader_conn_ && leader_conn_->broken()) leader_conn_.reset();
    if (!leader_conn_) {
      auto conn = PgConnection::connect(target_);
      if (!conn.isOk()) return conn.status();
      leader_conn_ = std::move(conn).value();
    }
    auto locked = leader_conn_->exec(kTryLeaderLock);
    if (!locked.isOk()) {
      if (leader_conn_->broken()) leader_conn_.reset();
      return locked.status();
    }
    leader_ = locked->boolean(0, 0);
    return leader_;
  }

  std::string describe() const override { return target_.display; }

 private:
  // Runs `op` on a pooled connection; if the connection turns out dead, once more on a new one.
  // `op` must be safe to repeat (reads, or a whole transaction that was not committed).
  template <class T, class Op>
  Result<T> withConnection(const Op& op) {
    auto acquired = pool_.acquire();
    if (!acquired.isOk()) return acquired.status();
    auto conn = std::move(acquired).value();
    Result<T> result = op(*conn);
    if (!result.isOk() && conn->broken()) {
      acquired = pool_.reconnect();
      if (!acquired.isOk()) return acquired.status();
      conn = std::move(acquired).value();
      result = op(*conn);
    }
    pool_.release(std::move(conn));
    return result;
  }

  // BEGIN and take the writers' lock; the new revision.
  static Result<int64_t> beginWrite(PgConnection& conn) {
    auto begun = conn.exec("BEGIN");
    if (!begun.isOk()) return begun.status();
    return queryInteger(conn, kNextRevision);
  }

  // Applies each missing migration in its own transaction, under a transaction-scoped advisory
  // lock so that concurrent callers apply each one once. The number applied.
  static Result<int> migrateOn(PgConnection& conn) {
    auto migrations = postgresMigrations();
    const int latest = migrations.back().version;
    int applied = 0;
    for (;;) {
      auto begun = conn.exec(kBeginMigration);
      if (!begun.isOk()) return begun.status();
      auto current = queryInteger(conn, kCurrentVersion);
      if (!current.isOk()) return current.status();
      if (*current > latest) {
        return Status::invalidArgument("postgres: the database has schema version " +
                                       std::to_string(*current) + ", newer than this binary's " +
                                       std::to_string(latest));
      }
      const Migration* next = nullptr;
      for (const auto& m : migrations) {
        if (m.version > *current) {
          next = &m;
          break;
        }
      }
      if (next == nullptr) {
        auto done = conn.exec("COMMIT");
        if (!done.isOk()) return done.status();
        return applied;
      }
      std::string version = std::to_string(next->version);
      auto step = conn.exec(next->sql);
      if (step.isOk()) step = conn.exec(kRecordMigration, {version, next->description});
      if (step.isOk()) step = conn.exec(kSetSchemaVersion, {version});
      if (step.isOk()) step = conn.exec("COMMIT");
      if (step.isOk() && step->commandStatus() != "COMMIT") {
        step = Status::internal("postgres: the transaction was rolled back");
      }
      if (!step.isOk()) {
        std::string what = "migration " + version + " failed: " + step.status().message();
        return step.status().code() == Status::Code::kUnavailable ? Status::unavailable(what)
                                                                  : Status::internal(what);
      }
      ++applied;
    }
  }

  PgTarget target_;
  PgPool pool_;
  std::mutex leader_mu_;
  std::unique_ptr<PgConnection> leader_conn_;
  bool leader_ = false;
  std::mutex watch_mu_;
  std::unique_ptr<PgListener> listener_;
};

}  // namespace

Result<std::unique_ptr<Store>> openPostgres(const std::string& uri) {
  auto target = parsePgTarget(uri);
  if (!target.isOk()) return target.status();
  auto store = std::make_unique<PostgresStore>(std::move(target).value());
  // Fail now, with the reason, if the server cannot be reached.
  auto revision = store->schemaVersion();
  if (!revision.isOk() && revision.status().code() == Status::Code::kUnavailable) {
    return revision.status();
  }
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace causeway::store
