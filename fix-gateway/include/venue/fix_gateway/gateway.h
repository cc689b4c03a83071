#pragma once
// The venue process's core: FIX 4.4 order entry in front of the matching engine.
//
//   brokers --FIX--> VenueAcceptor --> Gateway (validate, entitle, throttle, pre-trade risk, translate)
//                                         | commands            ^ events (ring)
//                                         v                     |
//                                   matcher::Shard (pinned engine thread, journal)
//
// One thread, the gateway thread, runs everything on this side: QuickFIX sessions and stores, the
// translation both ways, the pre-trade state. Nothing here is locked except the admin queue (other
// threads ask the gateway thread to do things and wait for the answer).
//
// Start-up: load the config and instruments, recover every shard from its journal (the engine's state
// comes back exactly), reload the order identities (ClOrdIDs and the like) and rebuild the live-order
// maps, then listen. Shutdown: log sessions out, stop the listeners, stop the engines (checkpoint and
// snapshot).
//
// Thread rules: construct, start(), run() and stop() from one thread; admin_*() and request_stop()
// from any thread.

#include <prometheus/registry.h>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "venue/common/reject_code.h"
#include "venue/fix_gateway/blocks.h"
#include "venue/fix_gateway/config.h"

namespace venue::fix_gateway {

struct AdminResult {
  AdminResult() = default;
  AdminResult(bool ok_value, std::string message_text) : ok(ok_value), message(std::move(message_text)) {}
  bool ok = false;
  std::string message;
  // When not ok, what kind of no (spec/operator-api.md): "not_found", "conflict", "invalid", "timeout",
  // "unavailable", "failed".
  std::string code;
  nlohmann::json data;  // what a view returns, or more about an action's outcome
};

// The operator API's (operator_routes.h) entry points take the time by which their request must have been
// answered: work the gateway thread has not started by then is dropped, never done later.
using Deadline = std::chrono::steady_clock::time_point;

enum class SessionAction : std::uint8_t {
  kLogout,      // a Logout (with `reason`); the session may log on again
  kDisconnect,  // the connection closed without a Logout
  kDisable,     // Logons refused until enabled (logged out first when logged on); persisted
  kEnable,
  kSetSequence,  // next_in / next_out (0: unchanged); only while logged out
  kReset,        // both sequence numbers to 1 and the store emptied; only while logged out
  kUnlock,       // lifts the failed-logon lock-outs of every address
};
struct SessionActionArgs {
  SessionAction action = SessionAction::kLogout;
  std::string reason;
  int next_in = 0;   // the next MsgSeqNum expected from the client
  int next_out = 0;  // the next MsgSeqNum the venue sends
};

// An operator's kill switch request: exactly one of firm and account.
struct KillSwitchArgs {
  std::string firm;
  std::string account;
  bool release = false;
  std::string user;    // the operator (the block's issuer)
  std::string reason;  // "" : a default naming the operator
};

// An order asked about by OrderID, or by ClOrdID (and optionally the session that sent it).
struct OrderQuery {
  std::uint64_t order_id = 0;
  std::string clordid;
  std::string session;  // SenderCompID or id; "" any
};

// The answer to a block or release (blocks.h, spec/kafka-topics.md venue.risk-control-acks).
struct BlockOutcome {
  std::string result;  // "applied", "duplicate", "stale" or "refused"
  std::string reason;  // why refused; what is still pending
  std::uint64_t orders_cancelled = 0;
  bool cancels_confirmed = false;  // a block: every engine reported its cancels before the answer
  std::int64_t applied_at_ms = 0;
};

class Gateway {
 public:
  Gateway(GatewayConfig config, std::shared_ptr<prometheus::Registry> registry);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Recovers the engines and opens the listeners. Throws on any failure (bad journal, port in use...).
  void start();
  // Serves until request_stop() or a shutdown signal, then shuts down cleanly.
  void run();
  void request_stop();
  bool ready() const;

  std::uint16_t fix_port() const;
  std::uint16_t tls_port() const;

  // The kill switch, for every source (operators, the risk service's venue.risk-control commands): the
  // block is saved (it survives restarts), new orders in scope are refused, and for a block the answer
  // comes once the engines cancelled the live orders in scope (up to 10 s). Idempotent by command id.
  // Any thread; refused ("did not answer in time", nothing done) when the gateway thread has not taken
  // it by `deadline` (5 s without one).
  BlockOutcome apply_block(const BlockCommand& command);
  BlockOutcome apply_block(const BlockCommand& command, Deadline deadline);

  // The operator API's views and actions (each queued to the gateway thread as one short job; `code`
  // "timeout" when the deadline passed first, and then nothing was done). A session is named by its id
  // or its SenderCompID.
  AdminResult admin_session_list(Deadline deadline);
  AdminResult admin_session(const std::string& session, Deadline deadline);
  AdminResult admin_session_action(const std::string& session, const SessionActionArgs& args, Deadline deadline);
  // Adds a session (create) or replaces an existing one's settings with `config` (same id and
  // SenderCompID), persisted to <state_dir>/sessions.toml before it takes effect.
  AdminResult admin_put_session(const SessionConfig& config, bool create, Deadline deadline);
  // Refused while the session is logged on or has live orders.
  AdminResult admin_remove_session(const std::string& session, Deadline deadline);
  // An operator's kill switch or release: a BlockCommand issued by `user` through apply_block().
  AdminResult admin_kill_switch(const KillSwitchArgs& args, Deadline deadline);
  AdminResult admin_kill_switches(Deadline deadline);
  // An operator's trade bust (spec/rules-of-engagement.md 11a): the engine's journaled BustTradeCmd for
  // the trade's shard. The answer comes once the engine has decided and both brokers' ExecutionReports
  // (ExecType H) are sent: ok with the corrected sides, or refused with code "not_found" (1060
  // UnknownTrade), "conflict" (1061 TradeAlreadyBusted), "unavailable" (the engine could not take it)
  // or "timeout" (no answer in time: the bust may still take effect; look at the trade's orders).
  // `data` carries "reject_code" and "reject_reason" on an engine refusal.
  AdminResult admin_bust_trade(std::uint64_t trade, const std::string& user, const std::string& reason,
                               Deadline deadline);
  AdminResult admin_trading_status(const std::string& symbol, const std::string& status, Deadline deadline);
  AdminResult admin_instruments(Deadline deadline);
  AdminResult admin_book(const std::string& symbol, std::size_t depth, Deadline deadline);
  // The order as the gateway knows it (live, or recently ended), with its OrderID and session, for the
  // report search (operator_routes.cpp reads the report log off the gateway thread).
  AdminResult admin_order(const OrderQuery& query, Deadline deadline);
  AdminResult admin_health(Deadline deadline);

  // The configuration the venue started with (firms, accounts, instruments file, folders): never changed
  // after start(), so any thread may read it. Sessions change at runtime: ask admin_session().
  const GatewayConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace venue::fix_gateway
