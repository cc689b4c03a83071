#pragma once
// The PostgreSQL side shared by the service and the officers' commands: the schema's migrations,
// daily partitions of compliance.audit, the chain's head.
//
// Thread rules: functions over the caller's transaction or connection.

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "venue/common/pg_migrations.h"
#include "venue/compliance/audit_row.h"

namespace venue::compliance {

inline constexpr const char* kSchema = "compliance";

// spec/sql/compliance/*.sql, compiled in (venue_embed_migrations).
const std::vector<pg::Migration>& compliance_migrations();

// "audit_d20261206": the partition of one trading day (YYYY-MM-DD).
std::string partition_name(const std::string& day);
// Creates the day's partition when missing. Returns true when it created it.
bool ensure_partition(pqxx::transaction_base& tx, const std::string& day);
// "YYYY-MM-DD" of today + `days` (UTC).
std::string utc_day(int days_from_today);

struct Head {
  std::uint64_t venue_seq = 0;
  Hash row_hash = kGenesisHash;
  std::uint64_t rows = 0;
};
// The committed head; `lock` takes the row lock (select ... for update) for a writer.
Head load_head(pqxx::transaction_base& tx, bool lock);

struct GapAck {
  std::uint64_t from = 0;
  std::uint64_t to = 0;
};
std::vector<GapAck> load_gap_acks(pqxx::transaction_base& tx);

}  // namespace venue::compliance
