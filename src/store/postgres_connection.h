// libpq glue for the PostgreSQL store: the parsed target (URI, a password-free name, the secrets to
// keep out of messages), one connection with statements returning Status values, and a small pool.
// A PgConnection is used by one thread at a time; PgPool is thread-safe.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/libpq.h"

namespace causeway::store {

struct PgTarget {
  std::string uri;      // as given, password included: only ever handed to libpq
  std::string display;  // "postgres://user@host:port/db", no password, no query parameters
  std::vector<std::string> secrets;

  // `message` with every secret replaced by "***".
  std::string redact(std::string message) const;
};

// Checks a "postgres://" or "postgresql://" URI (libpq's own parser) and derives its display name.
Result<PgTarget> parsePgTarget(const std::string& uri);

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r, pq().PQclear) {}
  int rows() const { return pq().PQntuples(r_.get()); }
  bool isNull(int row, int col) const { return pq().PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view text(int row, int col) const {
    return {pq().PQgetvalue(r_.get(), row, col), size_t(pq().PQgetlength(r_.get(), row, col))};
  }
  int64_t integer(int row, int col) const;  // 0 if not a number
  bool boolean(int row, int col) const { return text(row, col) == "t"; }
  std::string_view commandStatus() const { return pq().PQcmdStatus(r_.get()); }

 private:
  std::shared_ptr<PGresult> r_;
};

class PgConnection {
 public:
  // Connects (5 s timeout, TCP keepalives); unavailable with libpq's reason on failure.
  static Result<std::unique_ptr<PgConnection>> connect(const PgTarget& target);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` (several statements allowed when there are no parameters). Errors: unavailable
  // when the connection is lost or the server is going away, alreadyExists for a unique
  // violation, invalidArgument for a value PostgreSQL cannot store (a NUL byte, bad UTF-8),
  // internal otherwise; the message starts with "postgres: ".
  Result<PgResult> exec(const char* sql);
  Result<PgResult> exec(const char* sql, std::initializer_list<std::string_view> params);

  bool broken() const { return pq().PQstatus(conn_) != CONNECTION_OK; }
  bool idle() const { return pq().PQtransactionStatus(conn_) == PQTRANS_IDLE; }
  PGconn* raw() { return conn_; }
  // The Status for the connection's last failure, e.g. after PQconsumeInput returned 0.
  Status connectionError(std::string_view what) const;

 private:
  PgConnection(PGconn* conn, const PgTarget& target) : conn_(conn), target_(target) {}
  Result<PgResult> check(PGresult* r);

  PGconn* conn_;
  const PgTarget& target_;
};

// A text[] literal for an array parameter ("{"a","b"}").
std::string pgTextArray(const std::vector<std::string>& values);

// Idle connections kept for reuse; a new one is opened whenever none is idle, so a caller never
// waits for another (a write transaction's function may read through the store meanwhile).
class PgPool {
 public:
  explicit PgPool(const PgTarget& target) : target_(target) {}
  Result<std::unique_ptr<PgConnection>> acquire();
  // Drops every idle connection (after one turned out dead, the others likely are too) and opens
  // a new one.
  Result<std::unique_ptr<PgConnection>> reconnect();
  // Takes a connection back, if it is healthy and outside any transaction.
  void release(std::unique_ptr<PgConnection> conn);

 private:
  static constexpr size_t kMaxIdle = 4;
  const PgTarget& target_;
  std::mutex mu_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
};

}  // namespace causeway::store
