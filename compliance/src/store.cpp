#include "venue/compliance/store.h"

#include <array>
#include <cstdio>
#include <ctime>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include "venue/compliance/surveillance.h"

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

namespace {

// `s` as a JSON string: valid UTF-8 as it is, anything else as printable_utf8 shows it (as the audit rows).
void append_json_string(std::string& out, std::string_view s) {
  std::string fixed;
  if (!valid_utf8(s)) {
    fixed = printable_utf8(s);
    s = fixed;
  }
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  out += '"';
}

}  // namespace

AlertHead append_alerts(pqxx::transaction_base& tx, const std::vector<Alert>& alerts) {
  AlertHead head = load_alert_head(tx);
  if (alerts.empty()) return head;
  // The alerts as one JSON array for jsonb_to_recordset, written out directly (a JSON object per alert
  // costs more than the rest of its path); "ord" keeps the order they were raised in.
  std::string payload = "[";
  std::unordered_set<std::string_view> ids;
  std::size_t ord = 0;
  for (const Alert& a : alerts) {
    if (!ids.insert(a.id).second) continue;  // raised twice in one batch: the first stands
    if (ord > 0) payload += ',';
    payload += "{\"ord\":" + std::to_string(ord++) + ",\"alert_id\":";
    append_json_string(payload, a.id);
    const std::pair<const char*, const std::string*> texts[] = {
        {"rule", &a.rule},     {"firm", &a.firm},       {"account", &a.account},        {"owner", &a.owner},
        {"symbol", &a.symbol}, {"summary", &a.summary}, {"traceparent", &a.traceparent}};
    for (const auto& [key, value] : texts) {
      payload += ",\"";
      payload += key;
      payload += "\":";
      append_json_string(payload, *value);
    }
    payload += ",\"event_time_ns\":" + std::to_string(a.event_time_ns);
    payload += ",\"trigger_venue_seq\":" + std::to_string(a.trigger_seq);
    payload += ",\"figures\":" + a.figures.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    payload +=
        ",\"evidence\":" + evidence_json(a.evidence).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    payload += ",\"evidence_exec_ids\":[";
    for (std::size_t i = 0; i < a.evidence.size(); ++i) {
      if (i > 0) payload += ',';
      append_json_string(payload, a.evidence[i].exec_id);
    }
    payload += "]}";
  }
  payload += ']';
  // The new alerts as they will be stored, under the table's own name so that alert_chain_select_list()
  // reads them: an alert whose id is stored already (a batch written again after a restart) is left out,
  // the others take the next alert_seq values in the order raised. detected_at is the transaction's
  // now(), as the column's default would give.
  const std::string new_alerts =
      std::string(
          "with v as (select * from jsonb_to_recordset($1::jsonb) as v(ord bigint, alert_id text, rule text, "
          "event_time_ns numeric, firm text, account text, owner text, symbol text, summary text, "
          "figures jsonb, evidence jsonb, evidence_exec_ids text[], trigger_venue_seq bigint, "
          "traceparent text)), "
          "alerts as (select ($2::bigint + row_number() over (order by ord))::bigint as alert_seq, alert_id, "
          "rule, now() as detected_at, to_timestamp(event_time_ns / 1e9) as event_time, firm, account, "
          "owner, symbol, summary, figures, evidence, evidence_exec_ids, trigger_venue_seq, "
          "nullif(traceparent, '') as traceparent from v where not exists (select 1 from ") +
      kSchema + ".alerts a where a.alert_id = v.alert_id)) ";
  // First their hashed columns as text, hashed here by the code verify uses; then one insert with the
  // hashes (no update of rows just written).
  const auto canonical =
      tx.exec_params(new_alerts + "select " + alert_chain_select_list() + " from alerts order by alerts.alert_seq",
                     payload, static_cast<std::int64_t>(head.alert_seq));
  if (canonical.empty()) return head;
  const std::uint64_t before_seq = head.alert_seq;
  std::string hashes = "[";
  for (const pqxx::row& r : canonical) {
    const Hash prev = head.row_hash;
    head = AlertHead{head.alert_seq + 1, alert_chain_hash(prev, r)};
    if (hashes.size() > 1) hashes += ',';
    hashes += "{\"alert_id\":";
    append_json_string(hashes, r[1].as<std::string>());
    hashes += ",\"prev\":\"" + hex(prev) + "\",\"hash\":\"" + hex(head.row_hash) + "\"}";
  }
  const auto inserted = tx.exec_params(
      new_alerts + "insert into " + kSchema +
          ".alerts (alert_seq, alert_id, rule, detected_at, event_time, firm, account, owner, symbol, summary, "
          "figures, evidence, evidence_exec_ids, trigger_venue_seq, traceparent, prev_hash, row_hash) "
          "select alerts.alert_seq, alerts.alert_id, rule, detected_at, event_time, firm, account, owner, symbol, "
          "summary, figures, evidence, evidence_exec_ids, trigger_venue_seq, traceparent, decode(h.prev, 'hex'), "
          "decode(h.hash, 'hex') from alerts join jsonb_to_recordset($3::jsonb) as h(alert_id text, prev text, "
          "hash text) on h.alert_id = alerts.alert_id",
      payload, static_cast<std::int64_t>(before_seq), hashes + "]");
  if (inserted.affected_rows() != canonical.size()) {
    throw std::runtime_error("alert chain: " + std::to_string(inserted.affected_rows()) + " alerts inserted of " +
                             std::to_string(canonical.size()) + " hashed");
  }
  return head;
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
