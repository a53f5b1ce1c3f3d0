#include "store/postgres_connection.h"

#include <charconv>

namespace causeway::store {

namespace {

std::string firstLine(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  auto nl = s.find('\n');
  return std::string(nl == std::string_view::npos ? s : s.substr(0, nl));
}

// Server errors that mean "try again later" rather than "this request is wrong".
bool isTransient(std::string_view sqlstate) {
  return sqlstate.starts_with("08") ||   // connection exception
         sqlstate.starts_with("53") ||   // insufficient resources
         sqlstate.starts_with("57P") ||  // admin shutdown, crash shutdown, cannot connect now
         sqlstate == "40001" || sqlstate == "40P01";  // serialization failure, deadlock
}

}  // namespace

std::string PgTarget::redact(std::string message) const {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (size_t at = message.find(secret); at != std::string::npos;
         at = message.find(secret, at + 3)) {
      message.replace(at, secret.size(), "***");
    }
  }
  return message;
}

Result<PgTarget> parsePgTarget(const std::string& uri) {
  std::string_view rest = uri;
  std::string scheme;
  for (std::string_view s : {"postgres://", "postgresql://"}) {
    if (rest.starts_with(s)) {
      scheme = s;
      rest.remove_prefix(s.size());
      break;
    }
  }
  if (scheme.empty()) {
    return Status::invalidArgument(
        "postgres: the URI must start with postgres:// or postgresql://");
  }
  PgTarget target;
  target.uri = uri;

  // Secrets first, so that even a parse error below cannot echo them.
  std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  std::string_view user_info;
  std::string_view host_part = authority;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    user_info = authority.substr(0, at);
    host_part = authority.substr(at + 1);
  }
  std::string_view user = user_info;
  if (auto colon = user_info.find(':'); colon != std::string_view::npos) {
    user = user_info.substr(0, colon);
    target.secrets.emplace_back(user_info.substr(colon + 1));
  }
  std::string_view path_and_query = rest.substr(authority.size());
  std::string_view path = path_and_query.substr(0, path_and_query.find('?'));
  if (auto q = path_and_query.find('?'); q != std::string_view::npos) {
    std::string_view query = path_and_query.substr(q + 1);
    while (!query.empty()) {
      std::string_view param = query.substr(0, query.find('&'));
      query.remove_prefix(std::min(query.size(), param.size() + 1));
      auto eq = param.find('=');
      if (eq != std::string_view::npos &&
          param.substr(0, eq).find("password") != std::string_view::npos) {
        target.secrets.emplace_back(param.substr(eq + 1));
      }
    }
  }

  if (auto lib = loadLibPq(); !lib.isOk()) return lib.status();
  char* error = nullptr;
  PQconninfoOption* options = pq().PQconninfoParse(uri.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? firstLine(error) : "out of memory";
    pq().PQfreemem(error);
    return Status::invalidArgument("postgres: invalid URI: " + target.redact(message));
  }
  pq().PQconninfoFree(options);

  target.display = scheme;
  if (!user.empty()) {
    target.display += user;
    target.display += '@';
  }
  target.display += host_part;
  target.display += path;
  return target;
}

int64_t PgResult::integer(int row, int col) const {
  auto s = text(row, col);
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

Result<std::unique_ptr<PgConnection>> PgConnection::connect(const PgTarget& target) {
  // Entries before dbname are defaults the URI may override.
  const char* keywords[] = {
      "connect_timeout",     "application_name", "keepalives", "keepalives_idle",
      "keepalives_interval", "keepalives_count", "dbname",     nullptr};
  const char* values[] = {"5", "causeway", "1", "30", "10", "3", target.uri.c_str(), nullptr};
  if (auto lib = loadLibPq(); !lib.isOk()) return lib.status();
  PGconn* conn = pq().PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Status::unavailable("postgres: out of memory");
  if (pq().PQstatus(conn) != CONNECTION_OK) {
    std::string reason = target.redact(firstLine(pq().PQerrorMessage(conn)));
    pq().PQfinish(conn);
    return Status::unavailable("postgres: cannot connect to " + target.display + ": " + reason);
  }
  // NOTICEs ("relation already exists, skipping") are not for the process's stderr.
  pq().PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn, target));
}

PgConnection::~PgConnection() { pq().PQfinish(conn_); }

Result<PgResult> PgConnection::exec(const char* sql) { return check(pq().PQexec(conn_, sql)); }

Result<PgResult> PgConnection::exec(const char* sql,
                                    std::initializer_list<std::string_view> params) {
  // Text-format parameters are NUL-terminated, and PostgreSQL text cannot hold a NUL anyway.
  for (auto p : params) {
    if (p.find('\0') != std::string_view::npos) {
      return Status::invalidArgument("postgres: a value contains a NUL byte");
    }
  }
  std::vector<std::string> copies(params.begin(), params.end());
  std::vector<const char*> values;
  values.reserve(copies.size());
  for (const auto& c : copies) values.push_back(c.c_str());
  return check(pq().PQexecParams(conn_, sql, int(values.size()), nullptr, values.data(), nullptr,
                                 nullptr, 0));
}

Status PgConnection::connectionError(std::string_view what) const {
  return Status::unavailable("postgres: " + std::string(what) + " (" + target_.display +
                             "): " + target_.redact(firstLine(pq().PQerrorMessage(conn_))));
}

Result<PgResult> PgConnection::check(PGresult* raw) {
  PgResult result(raw);
  if (raw == nullptr) return connectionError("no result");
  auto status = pq().PQresultStatus(raw);
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY) {
    return result;
  }
  if (pq().PQstatus(conn_) != CONNECTION_OK) return connectionError("connection lost");
  const char* state = pq().PQresultErrorField(raw, PG_DIAG_SQLSTATE);
  const char* primary = pq().PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY);
  std::string sqlstate = state != nullptr ? state : "";
  std::string message =
      "postgres: " +
      target_.redact(primary != nullptr ? primary : firstLine(pq().PQresultErrorMessage(raw)));
  if (sqlstate == "42P01") message += " (is the schema migrated? run `causeway cp migrate`)";
  if (isTransient(sqlstate)) return Status::unavailable(message);
  if (sqlstate == "23505") return Status::alreadyExists(message);
  if (sqlstate.starts_with("22")) return Status::invalidArgument(message);  // e.g. bad UTF-8
  return Status::internal(message);
}

std::string pgTextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

Result<std::unique_ptr<PgConnection>> PgPool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (!conn->broken()) return conn;
    }
  }
  return PgConnection::connect(target_);
}

Result<std::unique_ptr<PgConnection>> PgPool::reconnect() {
  std::vector<std::unique_ptr<PgConnection>> dropped;
  {
    std::lock_guard lock(mu_);
    dropped.swap(idle_);
  }
  dropped.clear();  // closes them outside the lock
  return PgConnection::connect(target_);
}

void PgPool::release(std::unique_ptr<PgConnection> conn) {
  if (!conn || conn->broken()) return;
  if (!conn->idle()) {
    (void)conn->exec("ROLLBACK");
    if (conn->broken() || !conn->idle()) return;
  }
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(conn));
}

}  // namespace causeway::store
