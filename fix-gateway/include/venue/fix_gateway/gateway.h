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
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "venue/common/reject_code.h"
#include "venue/fix_gateway/blocks.h"
#include "venue/fix_gateway/config.h"

namespace venue::fix_gateway {

struct SessionStatus {
  std::string sender_comp_id;
  std::string firm;
  std::string role;
  bool logged_on = false;
  std::string peer;
  int next_in = 0;   // next sequence number expected from the client
  int next_out = 0;  // next sequence number the venue sends
  std::uint64_t throttle_refused = 0;
  std::size_t live_orders = 0;
};

struct AdminResult {
  bool ok = false;
  std::string message;
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

  // Admin (any thread; performed on the gateway thread, waited for up to a few seconds).
  std::vector<SessionStatus> admin_sessions();
  // Blocks (and cancels the live orders of) a firm or an account; release lifts the block.
  AdminResult admin_kill_switch(const std::string& firm, const std::string& account, bool release);
  // The kill switch, for every source (operators, the risk service's venue.risk-control commands): the
  // block is saved (it survives restarts), new orders in scope are refused, and for a block the answer
  // comes once the engines cancelled the live orders in scope (up to 10 s). Idempotent by command id.
  BlockOutcome apply_block(const BlockCommand& command);
  AdminResult admin_trading_status(const std::string& symbol, const std::string& status);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace venue::fix_gateway
