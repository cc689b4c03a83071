#pragma once
// The venue process's configuration: one TOML file (every key documented in
// spec/venue-config.md, generated from read_config). Firms, accounts and FIX sessions, their
// credentials, entitlements, throttles and cancel-on-disconnect; risk limits; the engine (instrument
// file, journal, shards); listeners (plain and TLS) and observability.
//
//   auto cfg = venue::fix_gateway::load_config("deploy/local/venue.toml");  // throws config::ConfigError
//
// Relative paths in the file are relative to the file's folder.
//
// Thread rules: plain values.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "venue/common/config.h"
#include "venue/common/domain.h"
#include "venue/common/fixed_point.h"
#include "venue/common/kafka_config.h"
#include "venue/common/log_config.h"
#include "venue/matcher/instrument.h"
#include "venue/matcher/journal.h"
#include "venue/matcher/ring.h"

namespace venue::fix_gateway {

enum class SessionRole : std::uint8_t { kOrderEntry, kReadOnly };
enum class CancelOnDisconnect : std::uint8_t { kOff, kDayOnly, kAll };
enum class Transport : std::uint8_t { kPlain, kTls };

// Pre-trade limits; an account's limits default to the [risk] section's.
struct RiskLimits {
  std::int64_t max_order_qty_lots = 0;        // 0: no limit
  std::optional<Decimal> max_order_notional;  // currency units
  std::optional<Decimal> credit_limit;        // open notional of live orders, currency units
};

struct AccountConfig {
  AccountId id;
  std::string name;  // Account(1) as brokers send it
  FirmId firm;
  RiskLimits limits;
};

struct FirmConfig {
  FirmId id;
  std::string name;
};

struct ThrottleConfig {
  std::int64_t orders_per_second = 0;     // new orders and replaces; 0: unlimited
  std::int64_t burst = 0;                 // bucket depth; 0: one second's worth
  std::int64_t cancels_per_second = 0;    // cancels (and status requests); 0: twice the order rate
  std::int64_t logout_after_seconds = 5;  // consecutive seconds throttled before the session is logged out
};

struct SessionConfig {
  SessionId id;                // explicit in the file (stored in the journal and the identity log)
  std::string sender_comp_id;  // the client's CompID (its SenderCompID, our TargetCompID)
  FirmId firm;
  SessionRole role = SessionRole::kOrderEntry;
  std::string username;
  std::string password_hash;  // see auth.h
  Transport transport = Transport::kPlain;
  std::vector<std::string> allow_from;  // CIDR blocks; empty: any address
  std::vector<AccountId> accounts;      // the first is the default when Account(1) is absent
  CancelOnDisconnect cancel_on_disconnect = CancelOnDisconnect::kOff;
  StpMode default_stp = StpMode::kNone;
  ThrottleConfig throttle;
  std::int64_t heartbeat_seconds_max = 120;
  bool enabled = true;  // false: every Logon refused until an operator enables the session
  // Fields beyond standard FIX 4.4 on ExecutionReports (TrdMatchID(880), the venue's tag 8000): off by
  // default, so a broker's engine with a stock FIX 4.4 dictionary accepts every report (RoE 3.3).
  bool extended_fields = false;
  // Sequence numbers start again at 1 on every Logon (QuickFIX ResetOnLogon), for brokers whose engines
  // expect it; resends of an earlier logon's reports are then impossible.
  bool reset_on_logon = false;
};

struct ShardConfig {
  std::uint16_t id = 0;
  int cpu = -1;
  std::vector<std::string> symbols;  // empty in a single-shard setup: every instrument
};

struct EngineConfig {
  std::filesystem::path instruments_file;
  std::filesystem::path journal_dir;
  matcher::SyncPolicy sync = matcher::SyncPolicy::kWrite;
  bool inline_engine = false;  // thread = "gateway": the gateway thread applies commands itself
  matcher::IdleMode idle = matcher::IdleMode::kBackoff;
  std::int64_t spin_us = 50;  // backoff: how long an engine with nothing to do spins,
  std::int64_t yield_us = 0;  // then yields, before parking
  matcher::StpScope stp_scope = matcher::StpScope::kAccount;
  matcher::PostOnlyPolicy post_only = matcher::PostOnlyPolicy::kReject;
  std::uint64_t snapshot_every = 1'000'000;
  std::uint32_t reserve_orders = 0;  // live orders each engine and the gateway's order maps are sized for
  std::uint32_t reserve_trades = 0;  // trades of a day each engine takes its trade records' memory for
  std::string end_of_day_time;       // UTC HH:MM:SS when Day orders expire; empty: never by the clock
  std::vector<ShardConfig> shards;
};

struct KafkaConfig {
  kafka::Connection connection;  // brokers and transport security (TLS, SASL)
  std::string brokers;           // connection.brokers
  std::string topic = "venue.execution-reports";
  std::string client_id = "venue";
  std::int64_t max_in_flight = 100'000;
  std::int64_t linger_ms = 3;  // librdkafka linger.ms of the report producer
  // The kill-switch commands from the risk service (risk_control.h); empty topic: not consumed.
  std::string risk_control_topic = "venue.risk-control";
  std::string risk_control_acks_topic = "venue.risk-control-acks";
  std::string risk_control_group = "venue-risk-control";
};

struct ListenerConfig {
  std::uint16_t fix_port = 9878;
  std::string fix_address = "0.0.0.0";  // IPv4 address the listeners bind
  std::string tls_address = "0.0.0.0";
  std::uint16_t tls_port = 0;  // 0: no TLS listener
  std::filesystem::path tls_certificate;
  std::filesystem::path tls_private_key;
};

enum class OperatorRole : std::uint8_t { kViewer, kOperator };

struct OperatorUser {
  std::string name;
  OperatorRole role = OperatorRole::kViewer;
  std::string password_hash;  // fix_session/auth.h's format (build/bin/venue-passwd makes one)
};

// The operator API and console (spec/operator-api.md): a port of its own, never the metrics port.
struct OperatorApiConfig {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;                 // 0: no operator API
  std::filesystem::path tls_certificate;  // both set: HTTPS only
  std::filesystem::path tls_private_key;
  std::int64_t token_ttl_seconds = 8 * 3600;  // a login's token expires this long after it was issued
  std::int64_t request_timeout_ms = 3000;     // how long a request waits for the gateway thread
  std::filesystem::path audit_log;            // empty: <state_dir>/operator-audit.jsonl
  std::vector<std::string> allowed_origins;   // Origins besides the API's own (a proxy in front of it)
  std::vector<std::string> allowed_hosts;     // Host header values besides the bind address and localhost
  std::vector<OperatorUser> users;
};

struct GatewayConfig {
  std::string comp_id = "VENUE";  // our SenderCompID
  ListenerConfig listen;
  std::filesystem::path store_dir;   // FIX FileStore per session
  std::filesystem::path state_dir;   // order identity log
  std::filesystem::path report_dir;  // report log and Kafka publish cursor
  std::optional<KafkaConfig> kafka;  // absent: reports are logged, not published
  OperatorApiConfig operator_api;
  std::filesystem::path data_dictionary;
  std::string session_start_time = "00:00:00";  // UTC; sequence numbers reset when a new session day starts
  std::string session_end_time = "00:00:00";
  std::string metrics_bind = "127.0.0.1";
  std::uint16_t metrics_port = 0;   // 0: no metrics endpoint
  std::int64_t poll_spin_us = 50;   // the main loop polls without waiting this long after engine traffic,
  std::int64_t poll_yield_us = 0;   // then polls and yields the CPU between polls this long
  std::int64_t await_yield_us = 0;  // while an engine holds commands it has not answered yet: polls and
                                    // yields between polls at most this long instead of waiting
  bool direct_fix = true;           // D, F, G taken and reports sent from their text (VenueAcceptor)
  int cpu = -1;                     // core the gateway (main) thread is pinned to; -1: not pinned
  int realtime_priority = 0;        // 1-99: the main thread runs SCHED_FIFO at this priority; 0: not
  std::string log_level = "info";
  log::LogOutput log;                 // [log]
  std::int64_t price_collar_bps = 0;  // 0: no collar
  RiskLimits default_limits;
  EngineConfig engine;
  std::vector<FirmConfig> firms;
  std::vector<AccountConfig> accounts;
  std::vector<SessionConfig> sessions;

  const AccountConfig* account(std::string_view name) const;
  const AccountConfig* account(AccountId id) const;
  const FirmConfig* firm(FirmId id) const;
  const SessionConfig* session_by_comp_id(std::string_view sender_comp_id) const;
  const FirmConfig* firm(std::string_view name) const;
  // Where the sessions operators added, changed or removed at runtime are kept (session_changes below).
  std::filesystem::path session_changes_file() const { return state_dir / "sessions.toml"; }
};

void read_config(config::Table& root, GatewayConfig& out, const std::filesystem::path& base_dir);
GatewayConfig load_config(const std::filesystem::path& file);
GatewayConfig parse_config(const std::string& text, const std::string& name, const std::filesystem::path& base_dir);
std::string config_reference();

// One [[session]] table, checked against the configuration's firms, accounts and listeners (the same
// reader serves the configuration file, the runtime changes file and the operator API). It does not
// check that the id and SenderCompID are unique: the caller knows the other sessions.
void read_session(config::Table& t, const GatewayConfig& c, SessionConfig& out);
// The same session as a [[session]] table that read_session() reads back equal.
std::string session_toml(const SessionConfig& s, const GatewayConfig& c);

// Sessions changed at runtime through the operator API, kept in <state_dir>/sessions.toml so that a
// restart keeps them: complete [[session]] tables (added, or replacing the configuration file's entry
// with the same id) and [[removed_session]] ids. At start they are applied over the file's sessions.
struct SessionChanges {
  std::vector<SessionConfig> sessions;
  std::vector<SessionId> removed;
};
// Reads the changes file (none: no changes). Throws config::ConfigError.
SessionChanges read_session_changes(const GatewayConfig& c);
// Applies `changes` to c.sessions; what it replaced, added or removed is described in `notes`. Throws
// config::ConfigError when a change contradicts the file (an id used by two different SenderCompIDs, a
// SenderCompID used twice).
void apply_session_changes(GatewayConfig& c, const SessionChanges& changes, std::vector<std::string>* notes = nullptr);
// Writes the changes file atomically (a temporary file, fsync, rename, fsync of the folder). Throws
// std::runtime_error.
void write_session_changes(const GatewayConfig& c, const SessionChanges& changes);

}  // namespace venue::fix_gateway
