#pragma once
// Versioned PostgreSQL schema migrations, applied at start by the one service that owns the schema.
//
// A schema's migrations are plain SQL files in spec/sql/<schema>/ named NNNN_what_it_does.sql (version
// NNNN: 0001, 0002, ... without gaps). They are compiled into the owning binary
// (venue_embed_migrations() in cmake/VenueHelpers.cmake), so a binary knows exactly which versions it
// understands. migrate() then, in one transaction per migration, under an advisory lock (two instances
// starting together do not both migrate):
//   - creates the schema and its table <schema>.schema_migrations (version, name, checksum, applied_at,
//     applied_by) when missing;
//   - refuses (MigrationError) a database whose schema is newer than the binary knows ("database schema
//     compliance is at version 7; this binary knows versions up to 5: run a binary built from the same
//     or a later spec/sql"), or one where an applied migration's checksum differs from the binary's
//     (someone edited a migration after it was applied);
//   - applies each missing migration in order, exactly once, and records it; a migration runs with
//     search_path set to the schema, so the names it creates unqualified are the schema's.
//
//   auto report = venue::pg::migrate(db.connection(), "compliance", compliance_migrations(), "compliance");
//
// Thread rules: pure functions over the caller's connection.

#include <cstdint>
#include <pqxx/connection>
#include <stdexcept>
#include <string>
#include <vector>

namespace venue::pg {

struct Migration {
  int version = 0;   // NNNN of the file name
  std::string name;  // the file name without the .sql
  std::string sql;
};

struct MigrationReport {
  int from_version = 0;  // the schema's version before (0: new)
  int to_version = 0;    // after
  std::vector<std::string> applied;
};

class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Checks a list (file names NNNN_name, versions 1..n in order without gaps or repeats, non-empty SQL).
// Throws MigrationError naming the first problem.
void check_migrations(const std::vector<Migration>& migrations);

// A stable checksum of a migration's SQL (hex of a 64-bit FNV-1a), as recorded in schema_migrations.
std::string migration_checksum(const std::string& sql);

// Brings `schema` up to the last of `migrations`. Throws MigrationError when the database is newer than
// the list or disagrees with it; pqxx errors (a failing migration, a lost connection) propagate, with the
// failed migration rolled back.
MigrationReport migrate(pqxx::connection& connection, const std::string& schema,
                        const std::vector<Migration>& migrations, const std::string& applied_by);

// The schema's current version (0 when it has never been migrated).
int schema_version(pqxx::connection& connection, const std::string& schema);

}  // namespace venue::pg
