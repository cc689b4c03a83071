#pragma once
// The matching engine of one shard: price-time priority order books for a set of instruments.
//
// Pure and deterministic: no I/O, no clock, no threads, no randomness. Give it the same commands in the
// same order and it produces the same events, ids and state, bit for bit; that is what makes journal
// replay exact (state_hash() proves it).
//
//   venue::matcher::Engine engine(settings, instruments, listener);
//   engine.apply(Command::make(NewOrderCmd{...}));    // outcomes arrive at listener
//
// What it implements (see spec/rules-of-engagement.md for the user-facing rules):
//   - limit, market (bounded by the price band, remainder cancelled), stop and stop-limit (triggered by
//     the last trade price, then entered with new time priority), iceberg (MaxFloor; each replenishment
//     goes to the back of the queue), MinQty on IOC, post-only (rejected or cancelled, per settings);
//   - Day, IOC, FOK, GTC, GTD (expired by a kTimer command), end-of-day expiry of Day orders;
//   - cancel; replace (only a quantity reduction at the same price keeps priority; a quantity at or
//     below the filled quantity ends the order; a replace that crosses trades at once); mass cancel by
//     session, firm, account, instrument and side; order status;
//   - self-trade prevention keyed by account or firm (settings), mode chosen by the aggressing order;
//   - trading status per instrument: open, halted and closed (new orders and replaces rejected, cancels
//     accepted);
//   - trade busts (operators): a trade of the current day is cancelled, both orders' CumQty and AvgPx
//     corrected, a still-live order's LeavesQty restored; the day's trades and the final state of the
//     orders that traded and left are kept (and snapshotted) until the end of day.
// Invalid input is never asserted on: it is rejected with a RejectCode from the catalogue.
//
// Ids: OrderId, TradeId and ExecId are (shard << 48) | counter, each counter starting at 1 and
// advanced only by journaled commands, so they are unique per venue and survive restarts.
//
// Thread rules: one thread owns an Engine (the shard's engine thread); nothing here is thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "venue/matcher/commands.h"
#include "venue/matcher/events.h"
#include "venue/matcher/instrument.h"

namespace venue::matcher {

class EngineState;  // private: books, order pool, id index

struct EngineCounters {
  std::uint64_t commands = 0;
  std::uint64_t rejects = 0;         // new orders rejected
  std::uint64_t cancel_rejects = 0;  // cancel / replace / status refused
  std::uint64_t trades = 0;
  std::int64_t traded_qty = 0;  // lots
  std::uint64_t busts = 0;
  std::uint64_t bust_rejects = 0;
};

// What the engine holds about an instrument besides its orders (for a gateway to read back after a
// restart: the status an operator set, the last trade price, the band in force).
struct InstrumentState {
  InstrumentId id;
  TradingStatus status;
  Price reference_price;  // as last set (the reference data's, or a kSetReferencePrice command's)
  Price last_trade;       // 0: no trade yet
  Price band_low;         // the price band in force; 0 / 0 without a band
  Price band_high;
};

class Engine {
 public:
  Engine(const EngineSettings& settings, std::span<const InstrumentSpec> instruments, EventListener& listener);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void apply(const Command& command);
  // The same as applying each in turn (the outcomes and the state are identical); while one command
  // runs, the order the command a few places later names is fetched into the cache.
  void apply(std::span<const Command> commands);

  // Orders resting in the books plus stop orders waiting for their trigger.
  std::size_t live_orders() const;
  std::size_t resting_orders() const;  // in the books only
  const EngineCounters& counters() const;
  const EngineSettings& settings() const;
  std::span<const InstrumentSpec> instruments() const;

  // The state of an order while it is live (resting or waiting for its trigger); false otherwise.
  bool find_order(OrderId id, OrderView& out) const;
  // Best bid and offer of an instrument (Price 0 / Qty 0 when that side is empty).
  struct TopOfBook {
    Price bid_price;
    Qty bid_qty;
    Price ask_price;
    Qty ask_qty;
    Price last_trade;
  };
  bool top_of_book(InstrumentId instrument, TopOfBook& out) const;
  // Every price level of one side, best first: (price, total quantity, order count).
  struct LevelView {
    Price price;
    Qty qty;
    std::uint32_t orders;
  };
  std::vector<LevelView> depth(InstrumentId instrument, Side side) const;
  // Visits every live order, book by book, best price first, in time priority.
  void for_each_order(const std::function<void(const OrderView&)>& visit) const;
  // Visits every instrument of the engine in the order of its reference data, with its state now.
  void for_each_instrument(const std::function<void(const InstrumentState&)>& visit) const;
  // Trades of the current day that a bust could still name (busted ones included).
  std::size_t trades_today() const;

  // Snapshots: the whole state in a canonical byte form (independent of memory layout), and back.
  // Counters are statistics of this process, not state: they are neither saved nor hashed.
  // load() replaces the state; it returns false (state unchanged) when the bytes are not a valid
  // snapshot for this engine's instruments.
  std::vector<std::uint8_t> save() const;
  // The same into `out` (cleared first), reusing its capacity: a caller that snapshots repeatedly hands
  // the previous buffer back and the engine thread takes no page faults for it.
  void save(std::vector<std::uint8_t>& out) const;
  bool load(std::span<const std::uint8_t> bytes, std::string& error);
  // A 64-bit hash of the canonical state; equal states give equal hashes.
  std::uint64_t state_hash() const;
  // The same hash of bytes save() returned (to hash and snapshot with one serialization).
  static std::uint64_t state_hash_of(std::span<const std::uint8_t> saved);

  // The earliest GTD expiry among resting orders (possibly of one that already left: a kTimer command
  // then does nothing); INT64_MAX when there is none. The runtime sends kTimer when it is due.
  std::int64_t next_expiry_ns() const;

  // Checks the books' invariants (never crossed, quantities add up, links and indexes consistent).
  // Returns an empty string when all hold, else what is broken. O(orders): for tests and tools.
  std::string check_invariants() const;

 private:
  std::unique_ptr<EngineState> s_;
};

}  // namespace venue::matcher
