#pragma once
// The risk service's PostgreSQL schema (spec/sql/risk/, spec/risk.md "What PostgreSQL holds"): reading
// the state back at start, writing what changed (with the Kafka offsets it covers) in one transaction,
// the limits and their history, commands, acks and alerts.
//
//   pqxx::work tx(conn);
//   use_schema(tx, "risk");                 // every function below expects it
//   LoadedState s = load_state(tx);
//   write_delta(tx, delta);                  // idempotent: writing the same delta twice changes nothing
//   tx.commit();
//
// Thread rules: plain functions over the caller's transaction.

#include <cstdint>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "venue/common/pg_migrations.h"
#include "venue/risk/book.h"
#include "venue/risk/limits.h"
#include "venue/risk/messages.h"
#include "venue/risk/monitor.h"

namespace venue::risk {

// The migrations compiled into this binary (spec/sql/risk/).
const std::vector<venue::pg::Migration>& risk_migrations();

// Sets search_path for this transaction.
void use_schema(pqxx::transaction_base& tx, const std::string& schema);

// The service's advisory lock (one writing instance per schema); true when this session holds it.
bool try_lock_service(pqxx::transaction_base& tx, const std::string& schema);

struct AlertRow {
  std::string id;
  std::int64_t at_ns = 0;
  LimitEvent event;
  std::string command_id;
  std::string body;
};

struct ParkedRow {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::uint64_t venue_seq = 0;
  std::string reason;
  std::string payload;
};

struct OffsetRow {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t next_offset = 0;
};

// What changed since the last write.
struct Delta {
  BookChanges book;
  std::vector<std::pair<LimitKey, std::optional<LimitState>>> limit_states;  // nullopt: dropped
  std::vector<AlertRow> alerts;
  std::vector<Command> commands;
  std::vector<std::string> published_commands;  // ids Kafka acknowledged
  std::vector<Ack> acks;
  std::vector<ParkedRow> parked;
  std::vector<OffsetRow> offsets;
  std::uint64_t next_venue_seq = 0;
  std::vector<std::uint64_t> skipped;
  bool has_sequence = false;  // next_venue_seq and skipped are set
};

struct LoadedState {
  std::vector<Baseline> baselines;
  std::vector<Fill> fills;  // venue-seq order
  std::vector<OrderState> orders;
  std::vector<Mark> marks;
  std::vector<std::pair<LimitKey, LimitState>> limit_states;
  std::vector<Command> unanswered;  // the service's own commands without an ack yet
  std::set<std::string> acked;      // ids of the commands answered
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> offsets;
  std::uint64_t next_venue_seq = 0;
  std::vector<std::uint64_t> skipped;
};

LoadedState load_state(pqxx::transaction_base& tx);
void write_delta(pqxx::transaction_base& tx, const Delta& d);

// Limits.
struct LimitRow {
  Limit limit;
  std::string updated_at;
  std::string updated_by;
};
// The limits' version (the last change's id; 0: never changed).
std::int64_t limits_version(pqxx::transaction_base& tx);
std::vector<LimitRow> read_limits(pqxx::transaction_base& tx);
// Sets (inserts or changes) a limit and records the change; returns the previous value, if any.
std::optional<Amount> set_limit(pqxx::transaction_base& tx, const Limit& l, const std::string& by,
                                const std::string& note);
// Inserts a limit only when none exists for its key (a seed from the configuration); true if inserted.
bool seed_limit(pqxx::transaction_base& tx, const Limit& l, const std::string& by);
// Deletes a limit and records the change; false when there was none.
bool delete_limit(pqxx::transaction_base& tx, const Limit& key, const std::string& by, const std::string& note);

struct LimitChangeRow {
  std::int64_t id = 0;
  std::string at;
  std::string by;
  std::string action;
  Limit limit;  // value: the new value (0 for a delete)
  std::string old_value;
  std::string new_value;
  std::string note;
};
std::vector<LimitChangeRow> limit_history(pqxx::transaction_base& tx, const std::string& entity, int max_rows);

// Commands issued on an operator's behalf (`risk release`) and what the venue answered.
void record_command(pqxx::transaction_base& tx, const Command& c);
void mark_published(pqxx::transaction_base& tx, const std::string& id);
struct CommandRow {
  Command command;
  std::string published_at;
  std::optional<Ack> ack;
};
std::vector<CommandRow> list_commands(pqxx::transaction_base& tx, const std::string& firm, int max_rows);
std::optional<Ack> find_ack(pqxx::transaction_base& tx, const std::string& command_id);
// Blocks in force by the acks: per firm and account, the last applied command, where it was a block
// (kill_firm, block_account) rather than a release.
std::vector<Ack> active_blocks(pqxx::transaction_base& tx);

struct AlertListRow {
  std::string id;
  std::string at;
  std::string kind;
  std::string scope;
  std::string firm;
  std::string account;
  std::string limit;
  std::string symbol;
  int level = 0;
  std::string usage;
  std::string limit_value;
  std::string command_id;
};
std::vector<AlertListRow> list_alerts(pqxx::transaction_base& tx, const std::string& firm, int max_rows);

}  // namespace venue::risk
