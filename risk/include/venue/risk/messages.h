#pragma once
// The risk service's Kafka messages: control commands to the venue (venue.risk-control, format in
// spec/kafka-topics.md), the venue's answers (venue.risk-control-acks, same spec), and the service's
// alerts (venue.risk-alerts, format in spec/risk.md).
//
//   Command c = breach_command(event, now_ns);   // block_account or kill_firm, with reason and figures
//   producer.produce(control_topic, c.firm, command_json(c), {{"traceparent", c.traceparent}});
//   auto ack = parse_ack(record_text, &why);      // nullopt: not an ack (why says what is wrong)
//
// Ids are deterministic (the same breach found again after a restart has the same id, which the venue
// answers `duplicate`), printable and at most 128 characters.
//
// Thread rules: value types and pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "venue/risk/monitor.h"

namespace venue::risk {

struct Command {
  std::string id;
  std::int64_t issued_ns = 0;
  std::string issuer = "risk";
  std::string action;  // block_account, kill_firm, release_account, release_firm
  std::string firm;
  std::string account;
  std::string reason;
  std::string limit;  // the limit type, for a breach
  std::string usage;
  std::string limit_value;
  std::string symbol;
  std::uint64_t trigger_seq = 0;
  std::string trigger_exec_id;
  std::string traceparent;
  std::int64_t trigger_transact_ns = 0;  // the breaching fill's TransactTime (for the breach-to-block time)
  std::int64_t trigger_record_ms = -1;
};

struct Ack {
  std::string command_id;
  std::string result;  // applied, duplicate, stale, refused
  std::string reason;
  std::string action;
  std::string firm;
  std::string account;
  std::int64_t orders_cancelled = 0;
  std::int64_t applied_ns = 0;  // 0 when absent
};

// The command a breach causes: block_account for an account's limit, kill_firm for a firm's.
Command breach_command(const LimitEvent& e, std::int64_t now_ns);
// A release on an operator's behalf.
Command release_command(Scope scope, const std::string& firm, const std::string& account, const std::string& issuer,
                        const std::string& reason, std::int64_t now_ns);
std::string command_json(const Command& c);
// Reads a command back (the service's own records in PostgreSQL; tests reading the topic).
std::optional<Command> parse_command(std::string_view json, std::string* why);

std::optional<Ack> parse_ack(std::string_view json, std::string* why);

// A warning or breach record for venue.risk-alerts (spec/risk.md); `command_id` for a breach.
std::string alert_id(const LimitEvent& e);
std::string alert_json(const LimitEvent& e, std::int64_t now_ns, const std::string& command_id);

// The sentence a breach carries to the venue's cancellations and refusals.
std::string breach_reason(const LimitEvent& e);

// "2026-12-06T14:03:11.402Z" (UTC, milliseconds) and back (nullopt when malformed).
std::string iso_time_ms(std::int64_t ns);
std::optional<std::int64_t> parse_iso_time(std::string_view text);

}  // namespace venue::risk
