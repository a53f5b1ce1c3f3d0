// The versioned schema of each backend. Migration N brings the schema from version N-1 to N; a
// runner applies the missing ones in order, each once, and records them in schema_migrations.
// The last version of each list equals Store::kSchemaVersion.
//
// Tables (both backends):
//   records(kind, id, body, revision, keys_json, refs_json)  PRIMARY KEY (kind, id); keys_json and
//       refs_json repeat the record's unique keys and refs as JSON arrays so a read needs no join
//   unique_keys(kind, key, id)  PRIMARY KEY (kind, key): enforces uniqueness within a kind
//   refs(kind, id, ref)         indexed on (ref, kind, id): "who refers to this"
//   changes(revision, seq, kind, id, deleted, body)  PRIMARY KEY (revision, seq): the change log
//   meta: one row (revision, schema_version, changes_low_water); changes with a revision at or
//       below changes_low_water have been pruned
//   schema_migrations(version, description, applied_at)  created by the runner itself
#pragma once

#include <span>

namespace causeway::store {

struct Migration {
  int version;
  const char* description;
  const char* sql;  // one or more statements, run in one transaction with the bookkeeping
};

std::span<const Migration> sqliteMigrations();
std::span<const Migration> postgresMigrations();

}  // namespace causeway::store
