// A thin owner of one SQLite connection: statements prepared once and cached, errors turned into
// Status values. Not thread-safe: the owner serializes access (one mutex per connection).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "base/status.h"

namespace causeway::store {

using SqliteParam = std::variant<std::string_view, int64_t>;

class SqliteDb;

// A cached statement in use; reset (bindings cleared) when it goes out of scope.
class SqliteStatement {
 public:
  SqliteStatement(SqliteDb& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  ~SqliteStatement();
  SqliteStatement(SqliteStatement&& other) noexcept
      : db_(other.db_), stmt_(other.stmt_), bind_error_(other.bind_error_) {
    other.stmt_ = nullptr;
  }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  SqliteStatement& operator=(SqliteStatement&&) = delete;

  // Binds ?1, ?2, ... in order.
  void bindAll(std::initializer_list<SqliteParam> params);
  // true when a row is available, false when the statement is done.
  Result<bool> step();
  // Runs a statement that returns no rows.
  Status run();

  std::string_view text(int column) const;
  int64_t integer(int column) const;
  bool isNull(int column) const;

 private:
  SqliteDb* db_;
  sqlite3_stmt* stmt_;
  int bind_error_ = SQLITE_OK;
};

class SqliteDb {
 public:
  // Opens (creating if absent) the database at `path`, WAL mode, synchronous=NORMAL, busy_timeout
  // 5 s. `query_only` refuses writes on this connection.
  static Result<std::unique_ptr<SqliteDb>> open(const std::string& path, bool query_only);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements without parameters.
  Status exec(const char* sql);
  // `sql` must be a string literal: its address keys the statement cache.
  Result<SqliteStatement> prepare(const char* sql);
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t changes() const { return sqlite3_changes64(db_); }
  bool inTransaction() const { return sqlite3_get_autocommit(db_) == 0; }
  // The Status for SQLite result code `rc` with the connection's current message.
  Status error(int rc) const;
  const std::string& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

// Rolls back the connection's open transaction unless commit() succeeded.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb& db) : db_(db) {}
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  Status commit();

 private:
  SqliteDb& db_;
  bool done_ = false;
};

}  // namespace causeway::store
