#include "venue/compliance/store.h"

#include <array>
#include <ctime>
#include <optional>
#include <span>

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

AlertHead load_alert_head(pqxx::transaction_base& tx) {
  const auto r =
      tx.exec1(std::string("select alert_seq, encode(row_hash, 'hex') from ") + kSchema + ".alert_chain_head");
  AlertHead h;
  h.alert_seq = r[0].as<std::uint64_t>();
  h.row_hash = hash_from_hex(r[1].as<std::string>()).value_or(kGenesisHash);
  return h;
}

void store_alert_head(pqxx::transaction_base& tx, const AlertHead& head) {
  tx.exec_params(std::string("update ") + kSchema +
                     ".alert_chain_head set alert_seq = $1, row_hash = decode($2, 'hex'), updated_at = now()",
                 static_cast<std::int64_t>(head.alert_seq), hex(head.row_hash));
}

const std::string& alert_chain_select_list() {
  // Written out column by column in compliance/audit/recompute-chain.sql too.
  static const std::string list =
      "alerts.alert_seq::text, alerts.alert_id, alerts.rule, "
      "(extract(epoch from alerts.detected_at) * 1000000)::bigint::text, "
      "(extract(epoch from alerts.event_time) * 1000000)::bigint::text, alerts.firm, alerts.account, alerts.owner, "
      "alerts.symbol, alerts.summary, alerts.figures::text, alerts.evidence::text, alerts.evidence_exec_ids::text, "
      "alerts.trigger_venue_seq::text, alerts.traceparent";
  return list;
}

Hash alert_chain_hash(const Hash& prev, const pqxx::row& r) {
  std::array<std::optional<std::string>, kAlertChainColumns> v;
  for (int i = 0; i < kAlertChainColumns; ++i) {
    if (!r[i].is_null()) v[static_cast<std::size_t>(i)] = r[i].as<std::string>();
  }
  return chain_hash(prev, canonical(std::span<const std::optional<std::string>>(v)));
}

AlertHead seal_alert(pqxx::transaction_base& tx, const std::string& alert_id, const AlertHead& before,
                     const pqxx::row& inserted) {
  const AlertHead after{before.alert_seq + 1, alert_chain_hash(before.row_hash, inserted)};
  tx.exec_params(std::string("update ") + kSchema + ".alerts set row_hash = decode($1, 'hex') where alert_id = $2",
                 hex(after.row_hash), alert_id);
  return after;
}

ActionHead load_action_head(pqxx::transaction_base& tx, bool lock) {
  const auto r = tx.exec1(std::string("select action_seq, encode(row_hash, 'hex') from ") + kSchema +
                          ".alert_action_chain_head" + (lock ? " for update" : ""));
  ActionHead h;
  h.action_seq = r[0].as<std::uint64_t>();
  h.row_hash = hash_from_hex(r[1].as<std::string>()).value_or(kGenesisHash);
  return h;
}

const std::string& action_chain_select_list() {
  // Written out column by column in compliance/audit/recompute-chain.sql and in migration 0003 too.
  static const std::string list =
      "alert_actions.action_seq::text, alert_actions.alert_id, alert_actions.action, alert_actions.acted_by, "
      "(extract(epoch from alert_actions.acted_at) * 1000000)::bigint::text, alert_actions.reason";
  return list;
}

Hash action_chain_hash(const Hash& prev, const pqxx::row& r) {
  std::array<std::optional<std::string>, kActionChainColumns> v;
  for (int i = 0; i < kActionChainColumns; ++i) {
    if (!r[i].is_null()) v[static_cast<std::size_t>(i)] = r[i].as<std::string>();
  }
  return chain_hash(prev, canonical(std::span<const std::optional<std::string>>(v)));
}

ActionHead append_alert_action(pqxx::transaction_base& tx, const std::string& alert_id, const std::string& action,
                               const std::string& acted_by, const std::string& reason) {
  const ActionHead before = load_action_head(tx, true);
  // row_hash is written once PostgreSQL's own text of the row (acted_at) is known.
  const auto inserted = tx.exec_params1(
      std::string("insert into ") + kSchema +
          ".alert_actions (alert_id, action, acted_by, reason, action_seq, prev_hash, row_hash) values ($1, $2, $3, "
          "$4, $5, decode($6, 'hex'), decode($6, 'hex')) returning " +
          action_chain_select_list() + ", alert_actions.id",
      alert_id, action, acted_by, reason, static_cast<std::int64_t>(before.action_seq + 1), hex(before.row_hash));
  const ActionHead after{before.action_seq + 1, action_chain_hash(before.row_hash, inserted)};
  tx.exec_params(std::string("update ") + kSchema + ".alert_actions set row_hash = decode($1, 'hex') where id = $2",
                 hex(after.row_hash), inserted[kActionChainColumns].as<std::int64_t>());
  tx.exec_params(std::string("update ") + kSchema +
                     ".alert_action_chain_head set action_seq = $1, row_hash = decode($2, 'hex'), updated_at = now()",
                 static_cast<std::int64_t>(after.action_seq), hex(after.row_hash));
  return after;
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
