// The control plane's store: every resource of every layer as a JSON record, one global revision
// counter, and a change log. Two implementations behind one interface: SQLite (embedded default,
// one CP) and PostgreSQL (several CP replicas, change feed by LISTEN/NOTIFY).
//
// The store knows nothing about Kong, Kuma or the network model: a record is (kind, id, body) plus
// the unique keys and references the model layer derived from it. Uniqueness is enforced by the
// store (so two replicas cannot both create "name=x"); references are indexed so that "who refers
// to this" is one query (restrict / cascade on delete, nested listing).
//
// Revisions: each committed write transaction increments the revision by exactly one, and revisions
// become visible in commit order (writers are serialized), so a reader that has applied every
// change up to R can ask for the changes after R and never miss one.
//
// Thread-safety: a Store object may be used from several threads; calls are blocking. The watch
// callback runs on a thread of the store's own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace causeway::store {

struct Record {
  std::string kind;  // collection name: "services", "routes", ..., later "meshes", "dataplanes"
  std::string id;    // unique within the kind
  std::string body;  // the resource as JSON text, exactly as the caller stored it
  // Values unique within `kind`, as "field=value" strings (e.g. "name=users",
  // "target=<upstream id>/10.0.0.1:80"). A put() that would duplicate one fails with kAlreadyExists
  // whose message is the conflicting key.
  std::vector<std::string> unique_keys;
  // The records this one refers to, as "kind/id" (e.g. "services/6c1e..."), indexed.
  std::vector<std::string> refs;
  int64_t revision = 0;  // the revision of the write that stored this version (set by the store)
};

struct Change {
  int64_t revision = 0;
  std::string kind;
  std::string id;
  bool deleted = false;
  std::string body;  // the new body; empty when deleted
};

struct Page {
  std::vector<Record> records;
  std::string next_offset;  // empty on the last page
};

// A read-write transaction handed to Store::write. Reads see the transaction's own writes.
class WriteTxn {
 public:
  virtual ~WriteTxn() = default;
  virtual Result<std::optional<Record>> get(const std::string& kind, const std::string& id) = 0;
  // The record of `kind` holding unique key `key` ("name=users"), if any.
  virtual Result<std::optional<Record>> findByKey(const std::string& kind,
                                                  const std::string& key) = 0;
  // Every record that lists `ref` ("services/<id>") in its refs, of any kind.
  virtual Result<std::vector<Record>> referencing(const std::string& ref) = 0;
  // Inserts or replaces (kind, id); keys and refs are replaced too.
  virtual Status put(const Record& record) = 0;
  // Removes (kind, id); kNotFound if absent.
  virtual Status remove(const std::string& kind, const std::string& id) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Creates or upgrades the schema (versioned migrations, each applied once, in order).
  virtual Status migrate() = 0;
  // The schema version the database is at and the one this binary expects.
  virtual Result<int> schemaVersion() = 0;
  static constexpr int kSchemaVersion = 1;

  // Runs `fn` in one serialized write transaction. If `fn` returns an error or any write fails,
  // nothing is applied and that error is returned. Otherwise commits and returns the new revision
  // (a transaction that wrote nothing commits without a new revision and returns the current one).
  virtual Result<int64_t> write(const std::function<Status(WriteTxn&)>& fn) = 0;

  virtual Result<std::optional<Record>> get(const std::string& kind, const std::string& id) = 0;
  virtual Result<std::optional<Record>> findByKey(const std::string& kind,
                                                  const std::string& key) = 0;
  // Records of `kind` in id order, starting after `offset` (an opaque token from a previous page;
  // "" for the first page), at most `size`. When `ref` is set, only records referring to it.
  // `filter`, when set, keeps only the records it accepts (pages are still `size` long).
  virtual Result<Page> list(const std::string& kind, const std::string& offset, size_t size,
                            const std::string& ref = "",
                            const std::function<bool(const Record&)>& filter = nullptr) = 0;

  // Every record and the revision they are consistent with (one read transaction).
  struct Dump {
    int64_t revision = 0;
    std::vector<Record> records;
  };
  virtual Result<Dump> dumpAll() = 0;
  virtual Result<int64_t> revision() = 0;
  // Changes with revision > `after`, in revision order, at most `limit` revisions' worth. kNotFound
  // when the log no longer reaches back to `after` (the caller then reloads with dumpAll()).
  virtual Result<std::vector<Change>> changesSince(int64_t after, size_t limit) = 0;

  // Calls `onRevision(revision)` after any writer (this process or, on PostgreSQL, another
  // replica) committed a new revision. May coalesce several revisions into one call; callers read
  // changesSince() from what they last applied. One watcher per Store.
  virtual Status watch(std::function<void(int64_t)> onRevision) = 0;

  // Leader election for background work (PostgreSQL advisory lock; SQLite: always the leader).
  virtual Result<bool> tryLeadership() = 0;

  // A human-readable name for logs: "sqlite:/var/lib/causeway/causeway.db", "postgres://host/db"
  // (never the password).
  virtual std::string describe() const = 0;
};

// SQLite in WAL mode at `path` (created if absent, parent directory must exist).
Result<std::unique_ptr<Store>> openSqlite(const std::string& path);
// PostgreSQL at a libpq URI ("postgres://user:pass@host:port/db?sslmode=..."); does not migrate.
Result<std::unique_ptr<Store>> openPostgres(const std::string& uri);
// "postgres://..." or "postgresql://..." opens PostgreSQL; anything else is refused.
Result<std::unique_ptr<Store>> openStore(const std::string& uri_or_empty, const std::string& data_dir);

}  // namespace causeway::store
