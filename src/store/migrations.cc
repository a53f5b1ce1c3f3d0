#include "store/migrations.h"

#include "store/store.h"

namespace causeway::store {

namespace {

// SQLite compares TEXT bytewise (BINARY collation), which gives list() its id order.
constexpr Migration kSqlite[] = {
    {1, "records, unique keys, refs, change log, meta", R"sql(
CREATE TABLE records (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  body TEXT NOT NULL,
  revision INTEGER NOT NULL,
  keys_json TEXT NOT NULL,
  refs_json TEXT NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE TABLE unique_keys (
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  id TEXT NOT NULL,
  PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE INDEX unique_keys_by_record ON unique_keys (kind, id);
CREATE TABLE refs (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  ref TEXT NOT NULL,
  PRIMARY KEY (kind, id, ref)
) WITHOUT ROWID;
CREATE INDEX refs_by_ref ON refs (ref, kind, id);
CREATE TABLE changes (
  revision INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (revision, seq)
) WITHOUT ROWID;
CREATE TABLE meta (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  revision INTEGER NOT NULL,
  schema_version INTEGER NOT NULL,
  changes_low_water INTEGER NOT NULL
);
INSERT INTO meta (singleton, revision, schema_version, changes_low_water) VALUES (1, 0, 0, 0);
)sql"},
};

// COLLATE "C" makes id order bytewise, the same as SQLite's, whatever the database's locale.
constexpr Migration kPostgres[] = {
    {1, "records, unique keys, refs, change log, meta", R"sql(
CREATE TABLE records (
  kind text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  body text NOT NULL,
  revision bigint NOT NULL,
  keys_json text NOT NULL,
  refs_json text NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE TABLE unique_keys (
  kind text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  PRIMARY KEY (kind, key)
);
CREATE INDEX unique_keys_by_record ON unique_keys (kind, id);
CREATE TABLE refs (
  kind text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  ref text COLLATE "C" NOT NULL,
  PRIMARY KEY (kind, id, ref)
);
CREATE INDEX refs_by_ref ON refs (ref, kind, id);
CREATE TABLE changes (
  revision bigint NOT NULL,
  seq integer NOT NULL,
  kind text NOT NULL,
  id text NOT NULL,
  deleted boolean NOT NULL,
  body text NOT NULL,
  PRIMARY KEY (revision, seq)
);
CREATE TABLE meta (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  revision bigint NOT NULL,
  schema_version integer NOT NULL,
  changes_low_water bigint NOT NULL
);
INSERT INTO meta (singleton, revision, schema_version, changes_low_water) VALUES (true, 0, 0, 0);
)sql"},
};

static_assert(std::size(kSqlite) == Store::kSchemaVersion);
static_assert(std::size(kPostgres) == Store::kSchemaVersion);

}  // namespace

std::span<const Migration> sqliteMigrations() { return kSqlite; }
std::span<const Migration> postgresMigrations() { return kPostgres; }

}  // namespace causeway::store
