#include "venue/common/pg_migrations.h"

#include <cstdio>
#include <pqxx/pqxx>

#include "venue/common/log.h"

namespace venue::pg {

namespace {

bool valid_identifier(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return s[0] < '0' || s[0] > '9';
}

void ensure_table(pqxx::work& tx, const std::string& schema) {
  tx.exec("create schema if not exists " + schema);
  tx.exec("create table if not exists " + schema +
          ".schema_migrations (version integer primary key, name text not null, checksum text not null, "
          "applied_at timestamptz not null default now(), applied_by text not null)");
}

}  // namespace

void check_migrations(const std::vector<Migration>& migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    const auto& m = migrations[i];
    const int expected = static_cast<int>(i) + 1;
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "%04d_", expected);
    if (m.version != expected || m.name.rfind(prefix, 0) != 0 || m.name.size() <= 5) {
      throw MigrationError("migration " + std::to_string(i + 1) + " is \"" + m.name + "\" (version " +
                           std::to_string(m.version) + "): expected a file named " + prefix +
                           "<what_it_does>.sql; versions start at 0001 and have no gaps");
    }
    if (m.sql.find_first_not_of(" \t\r\n") == std::string::npos) {
      throw MigrationError("migration " + m.name + " is empty");
    }
  }
}

std::string migration_checksum(const std::string& sql) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : sql) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

int schema_version(pqxx::connection& connection, const std::string& schema) {
  if (!valid_identifier(schema)) throw MigrationError("bad schema name \"" + schema + "\"");
  pqxx::read_transaction tx(connection);
  const auto exists =
      tx.exec_params1("select to_regclass($1) is not null", schema + ".schema_migrations")[0].as<bool>();
  if (!exists) return 0;
  return tx.exec1("select coalesce(max(version), 0) from " + schema + ".schema_migrations")[0].as<int>();
}

MigrationReport migrate(pqxx::connection& connection, const std::string& schema,
                        const std::vector<Migration>& migrations, const std::string& applied_by) {
  if (!valid_identifier(schema)) throw MigrationError("bad schema name \"" + schema + "\"");
  check_migrations(migrations);
  const int known = static_cast<int>(migrations.size());
  MigrationReport report;
  bool first = true;
  for (;;) {
    pqxx::work tx(connection);
    // One migrator at a time per schema; released when the transaction ends.
    tx.exec_params("select pg_advisory_xact_lock(hashtext($1))", "venue-migrations:" + schema);
    ensure_table(tx, schema);
    const auto rows = tx.exec("select version, name, checksum from " + schema + ".schema_migrations order by version");
    int version = 0;
    for (const auto& row : rows) {
      const int v = row[0].as<int>();
      if (v > known) {
        throw MigrationError("database schema " + schema + " is at version " +
                             std::to_string(rows.back()[0].as<int>()) + "; this binary knows versions up to " +
                             std::to_string(known) + ": run a binary built from the same or a later spec/sql/" +
                             schema + " (a newer database is never changed by an older binary)");
      }
      const Migration& m = migrations[static_cast<std::size_t>(v) - 1];
      if (row[2].as<std::string>() != migration_checksum(m.sql)) {
        throw MigrationError("migration " + row[1].as<std::string>() + " applied to schema " + schema +
                             " differs from this binary's " + m.name +
                             " (checksum): a migration must never be edited once applied; add a new one");
      }
      version = std::max(version, v);
    }
    if (first) {
      report.from_version = version;
      first = false;
    }
    if (version >= known) {
      report.to_version = version;
      tx.commit();
      return report;
    }
    const Migration& next = migrations[static_cast<std::size_t>(version)];
    // Unqualified names in a migration are the schema's own.
    tx.exec("set local search_path to " + schema + ", public");
    tx.exec(next.sql);
    tx.exec_params(
        "insert into " + schema + ".schema_migrations (version, name, checksum, applied_by) values ($1, $2, $3, $4)",
        next.version, next.name, migration_checksum(next.sql), applied_by);
    tx.commit();
    report.applied.push_back(next.name);
    VENUE_LOG_KV(info, "schema migration applied", {{"schema", schema}, {"migration", next.name}});
  }
}

}  // namespace venue::pg
