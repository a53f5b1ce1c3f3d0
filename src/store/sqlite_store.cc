// The SQLite store: one writer connection (write transactions are serialized by a mutex and by
// BEGIN IMMEDIATE, so other processes on the same file are serialized too) and one query-only
// reader connection, which in WAL mode reads committed data without waiting for a writer. watch()
// reports this Store object's own commits, from a notifier thread; commits made through another
// connection to the same file are not reported.
#include <mutex>

#include "store/codec.h"
#include "store/migrations.h"
#include "store/nested_write_guard.h"
#include "store/paging.h"
#include "store/revision_notifier.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace causeway::store {

namespace {

// Every query that returns records selects these columns first, in this order.
constexpr const char* kGet =
    "SELECT kind, id, body, revision, keys_json, refs_json FROM records WHERE kind = ?1 AND id = "
    "?2";
constexpr const char* kFindByKey =
    "SELECT r.kind, r.id, r.body, r.revision, r.keys_json, r.refs_json FROM unique_keys u "
    "JOIN records r ON r.kind = u.kind AND r.id = u.id WHERE u.kind = ?1 AND u.key = ?2";
constexpr const char* kReferencing =
    "SELECT r.kind, r.id, r.body, r.revision, r.keys_json, r.refs_json FROM refs f "
    "JOIN records r ON r.kind = f.kind AND r.id = f.id WHERE f.ref = ?1 ORDER BY f.kind, f.id";
constexpr const char* kList =
    "SELECT kind, id, body, revision, keys_json, refs_json FROM records "
    "WHERE kind = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
constexpr const char* kListByRef =
    "SELECT r.kind, r.id, r.body, r.revision, r.keys_json, r.refs_json FROM refs f "
    "JOIN records r ON r.kind = f.kind AND r.id = f.id "
    "WHERE f.ref = ?1 AND f.kind = ?2 AND f.id > ?3 ORDER BY f.id LIMIT ?4";
constexpr const char* kDumpRecords =
    "SELECT kind, id, body, revision, keys_json, refs_json FROM records ORDER BY kind, id";
constexpr const char* kRevision = "SELECT revision FROM meta";
constexpr const char* kChanges =
    "SELECT m.changes_low_water, c.revision, c.kind, c.id, c.deleted, c.body FROM meta m "
    "LEFT JOIN changes c ON c.revision > ?1 AND c.revision <= ?2 ORDER BY c.revision, c.seq";
constexpr const char* kNextRevision = "UPDATE meta SET revision = revision + 1 RETURNING revision";
constexpr const char* kDeleteKeys = "DELETE FROM unique_keys WHERE kind = ?1 AND id = ?2";
constexpr const char* kDeleteRefs = "DELETE FROM refs WHERE kind = ?1 AND id = ?2";
constexpr const char* kInsertKey =
    "INSERT OR IGNORE INTO unique_keys (kind, key, id) VALUES (?1, ?2, ?3)";
constexpr const char* kInsertRef = "INSERT OR IGNORE INTO refs (kind, id, ref) VALUES (?1, ?2, ?3)";
constexpr const char* kUpsertRecord =
    "INSERT INTO records (kind, id, body, revision, keys_json, refs_json) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, "
    "revision = excluded.revision, keys_json = excluded.keys_json, refs_json = excluded.refs_json";
constexpr const char* kDeleteRecord = "DELETE FROM records WHERE kind = ?1 AND id = ?2";
constexpr const char* kInsertChange =
    "INSERT INTO changes (revision, seq, kind, id, deleted, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kCreateMigrations =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
    "description TEXT NOT NULL, "
    "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))";
constexpr const char* kHasMigrations =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
constexpr const char* kCurrentVersion = "SELECT coalesce(max(version), 0) FROM schema_migrations";
constexpr const char* kRecordMigration =
    "INSERT INTO schema_migrations (version, description) VALUES (?1, ?2)";
constexpr const char* kSetSchemaVersion = "UPDATE meta SET schema_version = ?1";

Result<Record> readRecord(const SqliteStatement& st) {
  Record r;
  r.kind = st.text(0);
  r.id = st.text(1);
  r.body = st.text(2);
  r.revision = st.integer(3);
  auto keys = decodeStringList(st.text(4));
  auto refs = decodeStringList(st.text(5));
  if (!keys || !refs) {
    return Status::internal("sqlite: corrupt key or ref list in record " + r.kind + "/" + r.id);
  }
  r.unique_keys = std::move(*keys);
  r.refs = std::move(*refs);
  return r;
}

Result<std::vector<Record>> queryRecords(SqliteDb& db, const char* sql,
                                         std::initializer_list<SqliteParam> params) {
  auto st = db.prepare(sql);
  if (!st.isOk()) return st.status();
  st->bindAll(params);
  std::vector<Record> out;
  for (;;) {
    auto row = st->step();
    if (!row.isOk()) return row.status();
    if (!*row) return out;
    auto record = readRecord(*st);
    if (!record.isOk()) return record.status();
    out.push_back(std::move(record).value());
  }
}

Result<std::optional<Record>> queryRecord(SqliteDb& db, const char* sql,
                                          std::initializer_list<SqliteParam> params) {
  auto st = db.prepare(sql);
  if (!st.isOk()) return st.status();
  st->bindAll(params);
  auto row = st->step();
  if (!row.isOk()) return row.status();
  if (!*row) return std::optional<Record>();
  auto record = readRecord(*st);
  if (!record.isOk()) return record.status();
  return std::optional<Record>(std::move(record).value());
}

Result<int64_t> queryInteger(SqliteDb& db, const char* sql,
                             std::initializer_list<SqliteParam> params = {}) {
  auto st = db.prepare(sql);
  if (!st.isOk()) return st.status();
  st->bindAll(params);
  auto row = st->step();
  if (!row.isOk()) return row.status();
  if (!*row) return Status::internal("sqlite: " + db.path() + ": no row from: " + sql);
  return st->integer(0);
}

Status runStatement(SqliteDb& db, const char* sql, std::initializer_list<SqliteParam> params) {
  auto st = db.prepare(sql);
  if (!st.isOk()) return st.status();
  st->bindAll(params);
  return st->run();
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

class SqliteWriteTxn final : public WriteTxn {
 public:
  SqliteWriteTxn(SqliteDb& db, int64_t revision) : db_(db), revision_(revision) {}

  Result<std::optional<Record>> get(const std::string& kind, const std::string& id) override {
    if (!failure_.isOk()) return failure_;
    return queryRecord(db_, kGet, {kind, id});
  }
  Result<std::optional<Record>> findByKey(const std::string& kind,
                                          const std::string& key) override {
    if (!failure_.isOk()) return failure_;
    return queryRecord(db_, kFindByKey, {kind, key});
  }
  Result<std::vector<Record>> referencing(const std::string& ref) override {
    if (!failure_.isOk()) return failure_;
    return queryRecords(db_, kReferencing, {ref});
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

  // The first failed write, which dooms the transaction whatever the function returns.
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

    Status s = runStatement(db_, kDeleteKeys, {record.kind, record.id});
    if (s.isOk()) s = runStatement(db_, kDeleteRefs, {record.kind, record.id});
    if (!s.isOk()) return s;
    for (const auto& key : keys) {
      s = runStatement(db_, kInsertKey, {record.kind, key, record.id});
      if (!s.isOk()) return s;
      if (db_.changes() == 0) return Status::alreadyExists(key);  // held by another record
    }
    for (const auto& ref : refs) {
      s = runStatement(db_, kInsertRef, {record.kind, record.id, ref});
      if (!s.isOk()) return s;
    }
    s = runStatement(db_, kUpsertRecord,
                     {record.kind, record.id, record.body, revision_, *keys_json, *refs_json});
    if (!s.isOk()) return s;
    return appendChange(record.kind, record.id, false, record.body);
  }

  Status doRemove(const std::string& kind, const std::string& id) {
    Status s = runStatement(db_, kDeleteRecord, {kind, id});
    if (!s.isOk()) return s;
    if (db_.changes() == 0) return Status::notFound(kind + "/" + id);
    s = runStatement(db_, kDeleteKeys, {kind, id});
    if (s.isOk()) s = runStatement(db_, kDeleteRefs, {kind, id});
    if (!s.isOk()) return s;
    return appendChange(kind, id, true, "");
  }

  Status appendChange(const std::string& kind, const std::string& id, bool deleted,
                      const std::string& body) {
    Status s = runStatement(db_, kInsertChange,
                            {revision_, seq_, kind, id, int64_t(deleted ? 1 : 0), body});
    if (s.isOk()) ++seq_;
    return s;
  }

  SqliteDb& db_;
  int64_t revision_;
  int64_t seq_ = 0;
  Status failure_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<SqliteDb> writer, std::unique_ptr<SqliteDb> reader)
      : writer_(std::move(writer)), reader_(std::move(reader)) {}
  ~SqliteStore() override { notifier_.stop(); }

  Status migrate() override {
    std::lock_guard lock(write_mu_);
    return migrateLocked(*writer_);
  }

  static Status migrateLocked(SqliteDb& db) {
    auto migrations = sqliteMigrations();
    const int latest = migrations.back().version;
    for (;;) {
      Status s = db.exec("BEGIN IMMEDIATE");
      if (!s.isOk()) return s;
      SqliteTransaction txn(db);
      s = db.exec(kCreateMigrations);
      if (!s.isOk()) return s;
      auto current = queryInteger(db, kCurrentVersion);
      if (!current.isOk()) return current.status();
      if (*current > latest) {
        return Status::invalidArgument("sqlite: " + db.path() + " has schema version " +
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
      if (next == nullptr) return txn.commit();
      s = db.exec(next->sql);
      if (s.isOk())
        s = runStatement(db, kRecordMigration, {int64_t(next->version), next->description});
      if (s.isOk()) s = runStatement(db, kSetSchemaVersion, {int64_t(next->version)});
      if (s.isOk()) s = txn.commit();
      if (!s.isOk()) {
        std::string what = "migration " + std::to_string(next->version) + " failed: " + s.message();
        return s.code() == Status::Code::kUnavailable ? Status::unavailable(what)
                                                      : Status::internal(what);
      }
    }
  }

  Result<int> schemaVersion() override {
    std::lock_guard lock(read_mu_);
    auto has = queryInteger(*reader_, kHasMigrations);
    if (!has.isOk()) return has.status();
    if (*has == 0) return 0;
    auto v = queryInteger(*reader_, kCurrentVersion);
    if (!v.isOk()) return v.status();
    return int(*v);
  }

  Result<int64_t> write(const std::function<Status(WriteTxn&)>& fn) override {
    if (!fn) return Status::invalidArgument("write: no transaction function");
    NestedWriteGuard nested(this);
    if (nested.nested()) {
      return Status::invalidArgument(
          "write: called from inside a write transaction of the same store");
    }
    int64_t revision = 0;
    {
      std::lock_guard lock(write_mu_);
      Status s = writer_->exec("BEGIN IMMEDIATE");
      if (!s.isOk()) return s;
      SqliteTransaction sql_txn(*writer_);
      auto next = queryInteger(*writer_, kNextRevision);
      if (!next.isOk()) return next.status();
      SqliteWriteTxn txn(*writer_, *next);
      s = callTxnFunction(fn, txn);
      if (!txn.failure().isOk()) s = txn.failure();
      if (!s.isOk()) return s;
      if (!txn.wrote()) return *next - 1;  // rolled back: the revision does not move
      s = sql_txn.commit();
      if (!s.isOk()) return s;
      revision = *next;
    }
    notifier_.post(revision);
    return revision;
  }

  Result<std::optional<Record>> get(const std::string& kind, const std::string& id) override {
    std::lock_guard lock(read_mu_);
    return queryRecord(*reader_, kGet, {kind, id});
  }

  Result<std::optional<Record>> findByKey(const std::string& kind,
                                          const std::string& key) override {
    std::lock_guard lock(read_mu_);
    return queryRecord(*reader_, kFindByKey, {kind, key});
  }

  Result<Page> list(const std::string& kind, const std::string& offset, size_t size,
                    const std::string& ref,
                    const std::function<bool(const Record&)>& filter) override {
    return paginate(offset, size, filter,
                    [&](const std::string& after, size_t limit) -> Result<std::vector<Record>> {
                      std::lock_guard lock(read_mu_);
                      if (ref.empty()) {
                        return queryRecords(*reader_, kList, {kind, after, int64_t(limit)});
                      }
                      return queryRecords(*reader_, kListByRef, {ref, kind, after, int64_t(limit)});
                    });
  }

  Result<Dump> dumpAll() override {
    std::lock_guard lock(read_mu_);
    Status s = reader_->exec("BEGIN");
    if (!s.isOk()) return s;
    SqliteTransaction txn(*reader_);  // read-only: rolled back at the end
    Dump dump;
    auto revision = queryInteger(*reader_, kRevision);
    if (!revision.isOk()) return revision.status();
    dump.revision = *revision;
    auto records = queryRecords(*reader_, kDumpRecords, {});
    if (!records.isOk()) return records.status();
    dump.records = std::move(records).value();
    return dump;
  }

  Result<int64_t> revision() override {
    std::lock_guard lock(read_mu_);
    return queryInteger(*reader_, kRevision);
  }

  Result<std::vector<Change>> changesSince(int64_t after, size_t limit) override {
    if (after < 0) return Status::invalidArgument("changesSince: negative revision");
    // Revisions are gapless and each has at least one change, so `limit` revisions end here.
    int64_t last = limit >= size_t(INT64_MAX - after) ? INT64_MAX : after + int64_t(limit);
    std::lock_guard lock(read_mu_);
    auto st = reader_->prepare(kChanges);
    if (!st.isOk()) return st.status();
    st->bindAll({after, last});
    std::vector<Change> out;
    for (;;) {
      auto row = st->step();
      if (!row.isOk()) return row.status();
      if (!*row) break;
      if (st->integer(0) > after) {
        return Status::notFound("changes after revision " + std::to_string(after) +
                                " were pruned (the log starts after " +
                                std::to_string(st->integer(0)) + ")");
      }
      if (st->isNull(1)) continue;  // no changes: the one row carries only the low-water mark
      Change c;
      c.revision = st->integer(1);
      c.kind = st->text(2);
      c.id = st->text(3);
      c.deleted = st->integer(4) != 0;
      c.body = st->text(5);
      out.push_back(std::move(c));
    }
    return out;
  }

  Status watch(std::function<void(int64_t)> onRevision) override {
    return notifier_.start(std::move(onRevision));
  }

  Result<bool> tryLeadership() override { return true; }

  std::string describe() const override { return "sqlite:" + writer_->path(); }

 private:
  std::mutex write_mu_;
  std::unique_ptr<SqliteDb> writer_;
  std::mutex read_mu_;
  std::unique_ptr<SqliteDb> reader_;
  RevisionNotifier notifier_;
};

}  // namespace

Result<std::unique_ptr<Store>> openSqlite(const std::string& path) {
  auto writer = SqliteDb::open(path, /*query_only=*/false);
  if (!writer.isOk()) return writer.status();
  Status s = SqliteStore::migrateLocked(**writer);
  if (!s.isOk()) return s;
  auto reader = SqliteDb::open(path, /*query_only=*/true);
  if (!reader.isOk()) return reader.status();
  return std::unique_ptr<Store>(
      std::make_unique<SqliteStore>(std::move(writer).value(), std::move(reader).value()));
}

}  // namespace causeway::store
