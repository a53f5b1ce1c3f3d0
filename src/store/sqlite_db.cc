#include "store/sqlite_db.h"

namespace causeway::store {

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

void SqliteStatement::bindAll(std::initializer_list<SqliteParam> params) {
  int index = 1;
  for (const auto& p : params) {
    int rc;
    if (const auto* s = std::get_if<std::string_view>(&p)) {
      rc = sqlite3_bind_text64(stmt_, index, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else {
      rc = sqlite3_bind_int64(stmt_, index, std::get<int64_t>(p));
    }
    if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
    ++index;
  }
}

Result<bool> SqliteStatement::step() {
  if (bind_error_ != SQLITE_OK) return db_->error(bind_error_);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->error(rc);
}

Status SqliteStatement::run() {
  auto r = step();
  if (!r.isOk()) return r.status();
  return Status::ok();
}

std::string_view SqliteStatement::text(int column) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (p == nullptr) return {};
  return {p, size_t(sqlite3_column_bytes(stmt_, column))};
}

int64_t SqliteStatement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

bool SqliteStatement::isNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const std::string& path, bool query_only) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return Status::ioError("sqlite: cannot open " + path + ": " + message);
  }
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  {
    auto mode = db->prepare("PRAGMA journal_mode = WAL");
    if (!mode.isOk()) return mode.status();
    auto row = mode->step();
    if (!row.isOk()) return row.status();
    if (!*row || mode->text(0) != "wal") {
      return Status::ioError("sqlite: cannot use WAL mode for " + path);
    }
  }
  auto s = db->exec(query_only ? "PRAGMA synchronous = NORMAL; PRAGMA query_only = ON"
                               : "PRAGMA synchronous = NORMAL");
  if (!s.isOk()) return s;
  return db;
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status SqliteDb::exec(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(rc);
  return Status::ok();
}

Result<SqliteStatement> SqliteDb::prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return error(rc);
    it = cache_.emplace(sql, stmt).first;
  }
  return SqliteStatement(*this, it->second);
}

Status SqliteDb::error(int rc) const {
  std::string message = "sqlite: " + path_ + ": " + sqlite3_errmsg(db_);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::unavailable(message);
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::ioError(message);
    default:
      return Status::internal(message);
  }
}

SqliteTransaction::~SqliteTransaction() {
  // SQLite may already have rolled back by itself (after SQLITE_FULL, for example).
  if (!done_ && db_.inTransaction()) (void)db_.exec("ROLLBACK");
}

Status SqliteTransaction::commit() {
  auto s = db_.exec("COMMIT");
  if (s.isOk()) done_ = true;
  return s;
}

}  // namespace causeway::store
