#include "venue/compliance/store.h"

#include <ctime>

namespace venue::compliance {

std::string partition_name(const std::string& day) {
  std::string out = "audit_d";
  for (const char c : day) {
    if (c != '-') out += c;
  }
  return out;
}

std::string utc_day(int days_from_today) {
  const std::time_t t = std::time(nullptr) + static_cast<std::time_t>(days_from_today) * 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

bool ensure_partition(pqxx::transaction_base& tx, const std::string& day) {
  const std::string name = partition_name(day);
  const auto exists = tx.exec_params1("select to_regclass($1) is not null", std::string(kSchema) + "." + name);
  if (exists[0].as<bool>()) return false;
  tx.exec("create table if not exists " + std::string(kSchema) + "." + name + " partition of " + kSchema +
          ".audit for values from ('" + day + "') to (date '" + day + "' + 1)");
  return true;
}

Head load_head(pqxx::transaction_base& tx, bool lock) {
  const auto r = tx.exec1(std::string("select venue_seq, encode(row_hash, 'hex'), rows_written from ") + kSchema +
                          ".chain_head" + (lock ? " for update" : ""));
  Head h;
  h.venue_seq = r[0].as<std::uint64_t>();
  h.row_hash = hash_from_hex(r[1].as<std::string>()).value_or(kGenesisHash);
  h.rows = r[2].as<std::uint64_t>();
  return h;
}

std::vector<GapAck> load_gap_acks(pqxx::transaction_base& tx) {
  std::vector<GapAck> out;
  for (const auto& row :
       tx.exec(std::string("select from_seq, to_seq from ") + kSchema + ".gap_acknowledgements order by from_seq")) {
    out.push_back({row[0].as<std::uint64_t>(), row[1].as<std::uint64_t>()});
  }
  return out;
}

}  // namespace venue::compliance
