#pragma once
// The gateway's record of live orders and of the requests in flight about them, the broker's view the
// engine does not keep: each order's ClOrdID and other FIX-only fields, its session, the OrderID the
// engine gave it, and the requests (cancel, replace, status, mass cancel) waiting for the engine's
// answer. Per session, the ClOrdIDs of its live orders (a duplicate is refused) and of its orders that
// ended recently (a cancel that comes too late is answered with the final status, not "unknown").
//
// Keys: an order's key is the client_ref of its NewOrderSingle; every command carries a client_ref
// (next_ref()), which the engine echoes in its events.
//
// Thread rules: the gateway thread.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "venue/common/domain.h"

namespace venue::fix_gateway {

// An order from its NewOrderSingle to its end.
struct Order {
  std::uint64_t key = 0;
  std::uint64_t ref = 0;  // current client_ref (changes with each replace)
  OrderId id;             // invalid until the engine accepts it
  SessionId session;
  AccountId account;
  std::size_t instrument = 0;  // index in the InstrumentTable
  Side side{};
  OrdType type{};
  TimeInForce tif{};
  std::string clordid;
  std::string expire_text;
  char capacity = 0;
  char stp = 0;
  bool post_only = false;
  std::int64_t price = 0;  // ticks
  std::int64_t stop = 0;
  std::int64_t qty = 0;  // lots
  std::int64_t display = 0;
  std::int64_t min_qty = 0;
  // As the engine last reported it (for operations' book and order views).
  std::int64_t leaves = 0;
  std::int64_t cum = 0;
  bool triggered = true;                              // false: a stop order waiting off the book
  __int128 open_units = 0;                            // this order's part of its account's open notional
  std::vector<std::function<void(Order&)>> deferred;  // requests waiting for the engine's ack
};

// A cancel, replace, status or mass-cancel request in flight, by its client_ref.
struct Request {
  char kind = 0;  // 'F', 'G', 'H', 'q'
  SessionId session;
  std::string clordid;
  std::string orig_clordid;
  std::uint64_t order_key = 0;
  std::string status_req_id;
  char mass_type = 0;
  std::string symbol;
  char side = 0;
  // replace: the new values (applied when the engine confirms)
  std::int64_t price = 0, stop = 0, qty = 0, display = 0;
  __int128 open_units = 0;
  // mass cancel: one report per shard is awaited; the orders they cancelled add up
  std::size_t pending_reports = 0;
  std::uint64_t affected = 0;
};

// An order of a session that ended recently, by its last ClOrdID.
struct EndedOrder {
  std::uint64_t order_id = 0;
  char status = 0;
  AccountId account;
};

// A session's ClOrdIDs.
struct SessionOrders {
  std::unordered_map<std::string, std::uint64_t> live;  // ClOrdID of a live order (or pending replace) -> key
  std::unordered_map<std::string, EndedOrder> ended;
  std::deque<std::string> ended_fifo;
};

class OrderRegistry {
 public:
  static constexpr std::size_t kFinalStatusKept = 100'000;
  static constexpr std::size_t kEndedKeptPerSession = 100'000;

  // Sizes the maps of orders for `orders` live orders at once (no rehash on the order path below it).
  void reserve(std::size_t orders) {
    orders_.reserve(orders);
    key_of_.reserve(orders);
    requests_.reserve(std::min<std::size_t>(orders, 1U << 16));
  }

  std::uint64_t next_ref() { return next_ref_++; }
  void set_next_ref(std::uint64_t ref) { next_ref_ = ref; }
  std::uint64_t peek_next_ref() const { return next_ref_; }

  Order& add(Order o);
  Order* find(std::uint64_t key);
  Order* by_id(OrderId id);
  // The live order `clordid` names in `s` (nullptr when none).
  Order* by_clordid(const SessionOrders& s, const std::string& clordid);
  // The engine accepted the order under `id`.
  void bind(Order& o, OrderId id);
  // The order is over: forgotten, its final status kept for a while (when it had an OrderID and
  // `status` is not 0), its ClOrdID moved to the session's recently ended ones.
  void finish(Order& o, SessionOrders& s, char status);
  // The final status of an order that ended recently.
  std::optional<char> final_status(OrderId id) const;
  std::size_t size() const { return orders_.size(); }
  const std::unordered_map<std::uint64_t, Order>& orders() const { return orders_; }
  std::unordered_map<std::uint64_t, Order>& orders() { return orders_; }

  Request& add_request(std::uint64_t ref, Request r) {
    return requests_.insert_or_assign(ref, std::move(r)).first->second;
  }
  Request* request(std::uint64_t ref);
  void erase_request(std::uint64_t ref) { requests_.erase(ref); }
  std::unordered_map<std::uint64_t, Request>& requests() { return requests_; }

 private:
  std::uint64_t next_ref_ = 1;
  std::unordered_map<std::uint64_t, Order> orders_;          // by key
  std::unordered_map<std::uint64_t, std::uint64_t> key_of_;  // OrderId value -> key
  std::unordered_map<std::uint64_t, Request> requests_;      // by client_ref
  std::unordered_map<std::uint64_t, char> final_status_;     // OrderId value -> OrdStatus
  std::deque<std::uint64_t> final_order_;
};

}  // namespace venue::fix_gateway
