#pragma once
// The PostgreSQL side shared by the service and the officers' commands: the schema's migrations,
// daily partitions of compliance.audit, the chain's head, the alerts' chain, the alert actions' chain.
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

struct Alert;  // surveillance.h

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

// The alerts' hash chain (spec/sql/compliance/0002_alert_chain.sql): the audit trail's scheme,
// SHA-256(prev_hash || canonical), over each alert's content in the order alerts are raised. A batch's
// alerts are appended in the batch's transaction (the writer holds chain_head's lock, so one writer at a
// time), all of them in two statements:
//
//   AlertHead ah = append_alerts(tx, batch_alerts);   // hashes them as PostgreSQL stores them, inserts
//   store_alert_head(tx, ah);
struct AlertHead {
  std::uint64_t alert_seq = 0;
  Hash row_hash = kGenesisHash;
};
AlertHead load_alert_head(pqxx::transaction_base& tx);
void store_alert_head(pqxx::transaction_base& tx, const AlertHead& head);
// The hashed columns of compliance.alerts as their canonical text, in chain order (kAlertChainColumns of
// them); verify reads the same list, then encode(prev_hash, 'hex'), encode(row_hash, 'hex').
inline constexpr int kAlertChainColumns = 15;
const std::string& alert_chain_select_list();
// SHA-256(prev || canonical(the first kAlertChainColumns fields of `r`)).
Hash alert_chain_hash(const Hash& prev, const pqxx::row& r);
// Appends `alerts` (in the order raised) to compliance.alerts and its chain after the stored head: one
// select of their hashed columns as PostgreSQL will store them (alert_chain_select_list), hashed here,
// then one insert with alert_seq, prev_hash and row_hash. An alert whose id is stored already is skipped
// (a batch written again after a restart). Returns the new head (the loaded one when nothing was new);
// store it with store_alert_head.
AlertHead append_alerts(pqxx::transaction_base& tx, const std::vector<Alert>& alerts);

// The officers' actions on alerts (compliance.alert_actions: every close, who, when, why) form a third
// chain in the same scheme (spec/sql/compliance/0003_alert_action_chain.sql), by action_seq, over
// action_seq, alert_id, action, acted_by, acted_at (epoch microseconds) and reason. An action is
// appended in the transaction that changes the alert, under the head's row lock (one at a time):
//
//   append_alert_action(tx, "wash_trade-12", "close", "jane", "house hedge, approved");
struct ActionHead {
  std::uint64_t action_seq = 0;
  Hash row_hash = kGenesisHash;
};
// The recorded head; `lock` takes its row lock (select ... for update) for a writer.
ActionHead load_action_head(pqxx::transaction_base& tx, bool lock);
// The hashed columns of compliance.alert_actions as their canonical text, in chain order
// (kActionChainColumns of them); verify reads the same list, then encode(prev_hash, 'hex'),
// encode(row_hash, 'hex').
inline constexpr int kActionChainColumns = 6;
const std::string& action_chain_select_list();
// SHA-256(prev || canonical(the first kActionChainColumns fields of `r`)).
Hash action_chain_hash(const Hash& prev, const pqxx::row& r);
// Inserts the action chained after the head, hashes what PostgreSQL stored, moves the head; the new head.
ActionHead append_alert_action(pqxx::transaction_base& tx, const std::string& alert_id, const std::string& action,
                               const std::string& acted_by, const std::string& reason);

struct GapAck {
  std::uint64_t from = 0;
  std::uint64_t to = 0;
};
std::vector<GapAck> load_gap_acks(pqxx::transaction_base& tx);

}  // namespace venue::compliance
