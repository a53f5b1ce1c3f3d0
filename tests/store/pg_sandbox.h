// Test helper: a throwaway PostgreSQL cluster started with scripts/pg-sandbox. shared() is started
// on first use and stopped when the test binary exits; a crashed binary's cluster is stopped by the
// script's watchdog (CAUSEWAY_PG_SANDBOX_OWNER).
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

namespace causeway::store::testing {

class PgSandbox {
 public:
  // Creates and starts a cluster in a new temporary directory; check ok().
  static std::unique_ptr<PgSandbox> create() {
    std::unique_ptr<PgSandbox> sandbox(new PgSandbox);
    char dir[] = "/tmp/cw-pg-XXXXXX";
    if (::mkdtemp(dir) == nullptr) {
      sandbox->error_ = "mkdtemp failed";
      return sandbox;
    }
    sandbox->dir_ = dir;
    sandbox->error_ = sandbox->start();
    return sandbox;
  }

  // The one cluster most tests share.
  static PgSandbox& shared() {
    static std::unique_ptr<PgSandbox> sandbox = create();
    return *sandbox;
  }

  ~PgSandbox() {
    if (running_) (void)stop();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // postgres://postgres@127.0.0.1:PORT/causeway
  const std::string& uri() const { return uri_; }

  // Stops the server (fast mode); "" or the failure.
  std::string stop() {
    running_ = false;
    return run("stop").second;
  }
  // Starts it again on the same port; "" or the failure.
  std::string start() {
    auto [out, err] = run("start");
    if (!err.empty()) return err;
    if (out.rfind("postgres://", 0) != 0) return "pg-sandbox printed: " + out;
    uri_ = out;
    running_ = true;
    return "";
  }

  // Runs `sql` on the database at `uri`; "" or the error.
  static std::string exec(const std::string& uri, const std::string& sql) {
    PGconn* conn = PQconnectdb(uri.c_str());
    std::string error;
    if (PQstatus(conn) != CONNECTION_OK) {
      error = PQerrorMessage(conn);
    } else {
      PGresult* r = PQexec(conn, sql.c_str());
      auto status = PQresultStatus(r);
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) error = PQresultErrorMessage(r);
      PQclear(r);
    }
    PQfinish(conn);
    return error;
  }

  // The first column of the first row of `sql` on the database at `uri`, or "" on error.
  static std::string queryValue(const std::string& uri, const std::string& sql) {
    PGconn* conn = PQconnectdb(uri.c_str());
    std::string value;
    if (PQstatus(conn) == CONNECTION_OK) {
      PGresult* r = PQexec(conn, sql.c_str());
      if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) value = PQgetvalue(r, 0, 0);
      PQclear(r);
    }
    PQfinish(conn);
    return value;
  }

  // The URI of a new, empty namespace for one test: a schema of its own in database causeway,
  // selected through search_path (much cheaper than CREATE DATABASE). "" (and the failure in
  // `error`) if it could not be created.
  std::string freshUri(std::string* error = nullptr) {
    static std::atomic<int> counter{0};
    std::string schema = "cw_test_" + std::to_string(++counter);
    std::string e = exec(uri_, "CREATE SCHEMA " + schema);
    if (!e.empty()) {
      if (error != nullptr) *error = e;
      return "";
    }
    return uri_ + "?options=-csearch_path%3D" + schema;
  }

 private:
  PgSandbox() = default;

  // Runs the script; (stdout's first line, "" or the failure).
  std::pair<std::string, std::string> run(const std::string& command) {
    std::string script = std::string(CAUSEWAY_TEST_DATA_DIR) + "/../../scripts/pg-sandbox";
    std::string line = "CAUSEWAY_PG_SANDBOX_OWNER=" + std::to_string(::getpid()) + " '" + script +
                       "' " + command + " '" + dir_ + "'";
    if (command == "start" && port_ != 0) line += " " + std::to_string(port_);
    FILE* out = ::popen(line.c_str(), "r");
    if (out == nullptr) return {"", "popen failed: " + line};
    std::string text;
    std::array<char, 512> buf{};
    while (std::fgets(buf.data(), int(buf.size()), out) != nullptr) text += buf.data();
    int rc = ::pclose(out);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (rc != 0) return {text, line + " failed (status " + std::to_string(rc) + ")"};
    if (command == "start") {
      auto colon = text.rfind(':');
      auto slash = text.rfind('/');
      if (colon != std::string::npos && slash != std::string::npos && slash > colon) {
        port_ = std::atoi(text.substr(colon + 1, slash - colon - 1).c_str());
      }
    }
    return {text, ""};
  }

  std::string dir_;
  std::string uri_;
  std::string error_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace causeway::store::testing
