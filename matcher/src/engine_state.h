#pragma once
// The engine's private state and the declarations of its parts (not a public header: only the engine's
// own sources include it). Engine (engine.h) is a thin handle on one EngineState.
//
// The state's code is split by responsibility, each file one part of the class:
//   engine_orders.cpp    the hot path: command dispatch and batches, new orders, cancels (with the
//                        rest of the hot path, to be inlined), matching, the books' price levels and
//                        queues
//   engine_stops.cpp     stop orders: their queues, and firing them when the last trade reaches them
//   engine_requests.cpp  the other requests on existing orders (replace, status), rejects (of new
//                        orders and of requests), mass cancel, end of day, GTD expiry, trading status
//                        and reference prices, trade busts
//   engine_snapshot.cpp  snapshots (save, load), the state hash's canonical form, check_invariants()
//   engine.cpp           the public Engine API over it, and the memory reserved when a state is built
// Small helpers that several parts use (views, lookups, queue links, canonical visits) are defined here,
// inline.
//
// Thread rules: as Engine: one thread owns the state.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <queue>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "order_store.h"
#include "venue/matcher/engine.h"

namespace venue::matcher::detail {

constexpr std::int64_t kMaxPrice = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMinPrice = std::numeric_limits<std::int64_t>::min();
constexpr std::uint64_t kCounterMask = (1ULL << 48) - 1;

struct Level {
  std::int64_t price;
  std::int64_t total;  // sum of the leaves (hidden iceberg quantity included)
  std::uint32_t head;  // first in time priority; for a free level, the next free level
  std::uint32_t tail;
  std::uint32_t count;
  std::uint32_t owner;  // book slot * 2 + side (0 bids, 1 asks) while in a book; kNil while free
};

// A direct-mapped cache per book side from a price to its level: most new orders join a level that
// exists, found here without searching the side. An entry is checked against the level's price and
// owner before use, so a stale one only costs the search. (Fetching that level and its tail order a few
// commands ahead in a batch was tried: it halved the batch throughput on this machine.)
constexpr std::size_t kLevelCacheSize = 256;

struct LevelRef {
  std::int64_t price;
  std::uint32_t slot;
};

// One instrument's book. Each side is a vector of price levels sorted so that the best level is at the
// back: most activity is at or near the touch, where inserting and erasing move few elements.
struct Book {
  InstrumentSpec spec;
  std::vector<LevelRef> bids;  // ascending price
  std::vector<LevelRef> asks;  // descending price
  // Stop orders waiting for their trigger, in trigger order: buy stops fire when the last trade price
  // rises to their stop price (lowest first), sell stops when it falls to theirs (highest first).
  // A multimap keeps insertion order among equal keys: that is the time priority of equal stops.
  std::multimap<std::int64_t, std::uint32_t> buy_stops;   // stop price
  std::multimap<std::int64_t, std::uint32_t> sell_stops;  // -stop price
  std::int64_t last_trade = 0;                            // 0: no trade yet
  std::int64_t band_lo = kMinPrice;
  std::int64_t band_hi = kMaxPrice;
  std::size_t resting = 0;
  std::uint32_t level_cache[2][kLevelCacheSize];  // [0 bids, 1 asks][price % size]: level slot or kNil

  Book() { std::fill(&level_cache[0][0], &level_cache[0][0] + 2 * kLevelCacheSize, kNil); }
  std::uint32_t& cached_level(bool bid, std::int64_t price) {
    return level_cache[bid ? 0 : 1][static_cast<std::uint64_t>(price) & (kLevelCacheSize - 1)];
  }
  std::uint32_t cached_level(bool bid, std::int64_t price) const {
    return level_cache[bid ? 0 : 1][static_cast<std::uint64_t>(price) & (kLevelCacheSize - 1)];
  }

  void update_band() {
    const std::int64_t ref =
        spec.band_reference == BandReference::kLastTrade && last_trade > 0 ? last_trade : spec.reference_price.count();
    if (spec.band_bps <= 0 || ref <= 0) {
      band_lo = kMinPrice;
      band_hi = kMaxPrice;
      return;
    }
    // The band never includes a price beyond bps of the reference: round its width down.
    const auto width = static_cast<std::int64_t>(static_cast<__int128>(ref) * spec.band_bps / 10'000);
    band_lo = ref - width;
    band_hi = ref + width;
  }
  bool has_band() const { return band_lo != kMinPrice || band_hi != kMaxPrice; }
};

// One of the day's trades, as a bust needs it.
enum class TradeState : std::uint8_t { kDone = 0, kBusted = 1, kDayEnded = 2 };
struct TradeRecord {
  std::uint64_t aggressor;  // order ids
  std::uint64_t resting;
  std::int64_t price;
  std::int64_t qty;
  std::uint32_t book;
  Side aggressor_side;
  TradeState state;
  std::uint16_t pad;
};
static_assert(sizeof(TradeRecord) == 40 && std::has_unique_object_representations_v<TradeRecord>,
              "saved byte for byte: no padding");

struct SavedOrder;  // engine_snapshot.cpp
class Reader;

}  // namespace venue::matcher::detail

namespace venue::matcher {

using detail::Book;
using detail::kCounterMask;
using detail::kNil;
using detail::Level;
using detail::LevelRef;
using detail::Order;
using detail::Reader;
using detail::SavedOrder;
using detail::TradeRecord;
using detail::TradeState;

class EngineState {
 public:
  EngineState(const EngineSettings& settings, std::span<const InstrumentSpec> instruments, EventListener& listener)
      : settings_(settings), listener_(listener) {
    id_base_ = static_cast<std::uint64_t>(settings.shard) << 48;
    if (instruments.size() > 0xFFFF) throw std::invalid_argument("an engine shard holds at most 65535 instruments");
    for (const auto& spec : instruments) {
      Book b;
      b.spec = spec;
      b.update_band();
      const auto id = spec.id.value();
      if (id >= book_of_.size() && id < kDirectInstrumentLimit) book_of_.resize(id + 1, kNil);
      if (id < kDirectInstrumentLimit) {
        book_of_[id] = static_cast<std::uint32_t>(books_.size());
      } else {
        far_books_[id] = static_cast<std::uint32_t>(books_.size());
      }
      books_.push_back(std::move(b));
      specs_.push_back(spec);
    }
    reserve(settings.reserve_orders, settings.reserve_trades);
  }

  // Takes and populates the memory of EngineSettings::reserve_orders / reserve_trades (see there).
  void reserve(std::size_t orders, std::size_t trades);

  // ----- dispatch -----

  // [[gnu::always_inline]] here and below: the steps of the common commands (dispatch, a new order's
  // validation, allocation and resting; a cancel's unlink and release) are inlined where engine_orders.cpp
  // calls them, down to the batch loop, where the compiler had kept them as calls; that took 9% of the
  // instructions per command off (calls, spills, reloads; see the issue 16 section of 2026-12-07 09:52
  // in matcher/PERF-HISTORY.md). Callers in the other sources get the out-of-line copy.
  // hint: the order the batch prefetcher found for a cancel (kNilOrder for none; see cancel()).
  [[gnu::always_inline]] void apply(const Command& c, const Order& hint = detail::kNilOrder);
  // Every kind but the two commonest (apply() tests for those first).
  [[gnu::noinline]] void apply_other(const Command& c);

  // A batch: a cancel or replace a few commands ahead has its id-index entry fetched, one a little
  // nearer its order (the index entry is in the cache by then), and one nearer still its neighbours in
  // the queue and its level (the order's links are in the cache by then), which unlinking it touches;
  // so none of these is a cache miss when its turn comes. The order stage keeps the order it found for
  // the neighbour stage. Prefetches change nothing but timing.
  void apply_batch(std::span<const Command> commands);

  // The stages, each without a branch on the kind of command (see apply_batch):
  // the index entry a cancel's or replace's order id names (a dummy holding kNil for other commands)...
  [[gnu::always_inline]] const std::uint32_t* prefetch_index(const Command& c) const;
  // ...the order in that entry (the order it fetched, or kNilOrder)...
  [[gnu::always_inline]] const Order* prefetch_order(const std::uint32_t* entry) const;
  // ...and that order's neighbours and level.
  [[gnu::always_inline]] void prefetch_neighbours(const Order& o) const;
  // Both lines of an order that is about to be matched against.
  void prefetch_slot(std::uint32_t slot) const;

  // ----- new orders -----

  [[gnu::always_inline]] RejectCode validate(const NewOrderCmd& c, Book& b) const;

  [[gnu::always_inline]] void new_order(const NewOrderCmd& c);

  void reject(const NewOrderCmd& c, std::uint64_t id, RejectCode code);

  // An order (new, triggered or re-priced) takes liquidity if it can, then rests or is cancelled.
  // min_qty: an IOC's MinQty (0: none); only new orders carry one.
  void enter(Book& b, std::uint32_t slot, std::int64_t min_qty);

  // Quantity the order could take at once within `limit`, stopping early once `need` is reached.
  // Follows what match() will do with self-trade prevention: orders it would cancel are skipped
  // (cancel-oldest), anything else from the same identity ends the count.
  std::int64_t available(const Book& b, const Order& o, std::int64_t limit, std::int64_t need) const;

  // The self-trade-prevention identity of an order: its account or its firm, per the settings.
  std::uint32_t stp_key(const Order& o) const {
    return settings_.stp_scope == StpScope::kFirm ? o.owner.firm.value() : o.owner.account.value();
  }

  static bool crosses(Side aggressor, std::int64_t level_price, std::int64_t limit) {
    return aggressor == Side::kBuy ? level_price <= limit : level_price >= limit;
  }

  bool would_cross(const Book& b, Side side, std::int64_t price) const {
    const auto& opp = side == Side::kBuy ? b.asks : b.bids;
    return !opp.empty() && crosses(side, opp.back().price, price);
  }

  // Matches the aggressor against the opposite side up to `limit`. Returns false when the aggressor
  // was cancelled (self-trade prevention) and its slot released.
  bool match(Book& b, std::uint32_t agg_slot, std::int64_t limit);

  // One fill: both orders, the book's last price, the day's trade record, the trade event (sweep_).
  void trade(Book& b, Order& a, Order& ro, std::int64_t price, std::int64_t qty);

  // Starts the trade event a sweep's fills share: the header, the instrument, the aggressor's view
  // (each fill then updates only its quantities and state, and writes the resting order's view).
  void begin_sweep(const Book& b, const Order& a);

  void after_trades(Book& b);

  // Reduces a live order's quantity by d lots (decrement-and-cancel), keeping its priority.
  void decrement(std::uint32_t slot, std::int64_t d);

  // ----- book structure -----

  std::uint32_t level_owner(const Book& b, bool bid) const {
    return static_cast<std::uint32_t>(&b - books_.data()) * 2 + (bid ? 0 : 1);
  }

  [[gnu::always_inline]] std::uint32_t level_slot(Book& b, bool bid, std::int64_t price);

  std::uint32_t find_or_add_level(std::vector<LevelRef>& side_levels, bool bid, std::int64_t price,
                                  std::uint32_t owner);

  std::uint32_t allocate_level(std::int64_t price, std::uint32_t owner);

  void erase_level(std::vector<LevelRef>& side_levels, std::size_t pos);

  void append_to_level(Level& lvl, std::uint32_t slot) {
    Order& o = pool_[slot];
    o.prev = lvl.tail;
    o.next = kNil;
    if (lvl.tail != kNil) {
      pool_[lvl.tail].next = slot;
    } else {
      lvl.head = slot;
    }
    lvl.tail = slot;
  }

  void unlink_from_level(Level& lvl, std::uint32_t slot) {
    Order& o = pool_[slot];
    if (o.prev != kNil) {
      pool_[o.prev].next = o.next;
    } else {
      lvl.head = o.next;
    }
    if (o.next != kNil) {
      pool_[o.next].prev = o.prev;
    } else {
      lvl.tail = o.prev;
    }
    o.prev = o.next = kNil;
  }

  [[gnu::always_inline]] void rest(Book& b, std::uint32_t slot);

  // Puts an order at the back of level `ls` of book b (new orders and snapshot restores both end here):
  // the queue, the level's and book's counters, the GTD queue.
  [[gnu::always_inline]] void join_level(Book& b, std::uint32_t ls, std::uint32_t slot) {
    Order& o = pool_[slot];
    Level& lvl = levels_[ls];
    append_to_level(lvl, slot);
    lvl.total += o.leaves;
    ++lvl.count;
    o.level = ls;
    ++b.resting;
    if (o.tif == TimeInForce::kGtd) gtd_.push({o.expire_ns, o.id});
  }

  // Takes a resting order out of its level (erasing the level when it empties).
  [[gnu::always_inline]] void unlink(Book& b, Level& lvl, std::uint32_t slot);

  // Takes a live order out of wherever it waits (book level or stop book).
  [[gnu::always_inline]] void detach(std::uint32_t slot);

  // Releases a filled (or otherwise finished) order's slot and id; an order that traded today leaves its
  // final view behind for a bust.
  [[gnu::always_inline]] void finish(std::uint32_t slot);
  // The same for an order that left on a fill (it traded today), with its final view at hand: the
  // view its last fill reported.
  void finish(std::uint32_t slot, const OrderView& final_view);
  [[gnu::always_inline]] void release(std::uint32_t slot);  // the id index entry and the pool slot

  [[gnu::always_inline]] void cancel_order(std::uint32_t slot, CancelReason reason, std::uint64_t request_ref);

  void expire_order(std::uint32_t slot);

  // ----- stops -----

  static bool stop_fires(Side side, std::int64_t stop, std::int64_t last) {
    return side == Side::kBuy ? last >= stop : last <= stop;
  }

  void add_stop(Book& b, std::uint32_t slot);

  // Fires every stop the last trade price reaches, one at a time: each enters the book with new time
  // priority and may trade, move the last price and fire further stops.
  void fire_stops(Book& b);
  void fire_stops_if_any(Book& b) {
    if (!b.buy_stops.empty() || !b.sell_stops.empty()) fire_stops(b);
  }

  // ----- cancel, replace, status -----

  // The live order a request names, or kNil with the reject code.
  // Whether a request from `requester` may act on order o (an invalid requester: operations, any firm's).
  static bool owned_by(const Order& o, FirmId requester) { return !requester.valid() || o.owner.firm == requester; }

  std::uint32_t lookup(OrderId id, FirmId requester, RejectCode& code) const {
    const std::uint64_t v = id.value();
    if ((v & ~kCounterMask) != id_base_ || (v & kCounterMask) == 0) {
      code = RejectCode::kUnknownOrder;
      return kNil;
    }
    const std::uint32_t slot = index_.find(v & kCounterMask);
    if (slot == kNil) {
      code = (v & kCounterMask) < next_order_ ? RejectCode::kOrderNotActive : RejectCode::kUnknownOrder;
      return kNil;
    }
    if (!owned_by(pool_[slot], requester)) {
      code = RejectCode::kUnknownOrder;  // another firm's order: do not reveal it exists
      return kNil;
    }
    return slot;
  }

  void cancel_reject(CommandType request, std::uint64_t client_ref, OrderId id, RejectCode code, std::uint32_t slot);

  // hint: the order the batch prefetcher found for this command, used when it is still the live order
  // named (no walk of the index on the cancel's critical path), else the index is asked as before.
  void cancel(const CancelCmd& c, const Order& hint = detail::kNilOrder);

  void replace(const ReplaceCmd& c);

  RejectCode validate_replace(const ReplaceCmd& c, const Order& o, const Book& b) const;

  void status(const StatusCmd& c);

  // ----- bulk actions, in canonical order so that replays assign the same ids -----

  // Every live order's slot: book by book, bids best first, asks best first, each level in time
  // priority, then buy stops and sell stops in trigger order.
  template <class Visit>
  void visit_canonical(Visit&& visit) const {
    for (const Book& b : books_) visit_book(b, visit);
  }

  template <class Visit>
  void visit_book(const Book& b, Visit&& visit) const {
    for (const auto* side : {&b.bids, &b.asks}) {
      for (auto it = side->rbegin(); it != side->rend(); ++it) {
        for (std::uint32_t r = levels_[it->slot].head; r != kNil; r = pool_[r].next) visit(r);
      }
    }
    for (const auto& [key, slot] : b.buy_stops) visit(slot);
    for (const auto& [key, slot] : b.sell_stops) visit(slot);
  }

  void mass_cancel(const MassCancelCmd& c);

  void end_of_day(const EndOfDayCmd& c);

  // ----- trade busts -----

  // The day's trades of one book (all books when b is null) can no longer be busted.
  void end_trading_day(const Book* b);

  void bust(const BustTradeCmd& c);

  // Takes one trade off an order: CumQty and cum_value lower; a live order gets the quantity back as
  // LeavesQty (it keeps its place: the quantity was in the queue when it traded); a done order stays
  // done, Filled becoming Cancelled (no longer filled in full, nothing left to trade).
  BustSide bust_side(std::uint64_t order_id, std::int64_t price, std::int64_t qty);

  void expire_gtd(std::int64_t now_ns);

  void set_trading_status(const TradingStatusCmd& c);

  void set_reference_price(const ReferencePriceCmd& c);

  // ----- views and lookups -----

  OrderView view(const Order& o) const { return view(o, books_[o.book].spec.id); }
  // The same, when the caller has the order's book at hand (a fill: no load of the book's spec).
  static OrderView view(const Order& o, InstrumentId instrument) {
    OrderView v;
    v.id = OrderId(o.id);
    v.client_ref = o.client_ref;
    v.instrument = instrument;
    v.owner = o.owner;
    v.side = o.side;
    v.type = o.type;
    v.tif = o.tif;
    v.stp = o.stp;
    v.post_only = o.post_only;
    v.triggered = o.triggered;
    v.state = o.state;
    v.price = Price(o.price);
    v.stop_price = Price(o.stop_price);
    v.qty = Qty(o.qty);
    v.cum_qty = Qty(o.cum_qty);
    v.leaves_qty = Qty(o.leaves);
    v.display_qty = Qty(o.display_qty);
    v.expire_time_ns = o.expire_ns;
    v.cum_value = o.cum_value();
    return v;
  }

  // A new order's view as accepted (what view() of the order new_order() built returns).
  static OrderView accepted_view(const NewOrderCmd& c, std::uint64_t id, bool triggered) {
    OrderView v;
    v.id = OrderId(id);
    // client_ref .. post_only, then price and stop_price: laid out alike in both, copied as one block of
    // 48 bytes instead of field by field (2-5% of a batch, matcher/README.md, 2026-12-07 19:20); the
    // block's padding lands on triggered and state, written after it.
    static_assert(
        offsetof(OrderView, instrument) - offsetof(OrderView, client_ref) == offsetof(NewOrderCmd, instrument) &&
        offsetof(OrderView, owner) - offsetof(OrderView, client_ref) == offsetof(NewOrderCmd, owner) &&
        offsetof(OrderView, side) - offsetof(OrderView, client_ref) == offsetof(NewOrderCmd, side) &&
        offsetof(OrderView, type) - offsetof(OrderView, client_ref) == offsetof(NewOrderCmd, type) &&
        offsetof(OrderView, tif) - offsetof(OrderView, client_ref) == offsetof(NewOrderCmd, tif) &&
        offsetof(OrderView, stp) - offsetof(OrderView, client_ref) == offsetof(NewOrderCmd, stp) &&
        offsetof(OrderView, post_only) - offsetof(OrderView, client_ref) == offsetof(NewOrderCmd, post_only) &&
        offsetof(OrderView, price) - offsetof(OrderView, client_ref) == offsetof(NewOrderCmd, price) &&
        offsetof(OrderView, stop_price) == offsetof(OrderView, price) + 8 &&
        offsetof(NewOrderCmd, stop_price) == offsetof(NewOrderCmd, price) + 8);
    std::memcpy(reinterpret_cast<char*>(&v) + offsetof(OrderView, client_ref), &c, offsetof(NewOrderCmd, price) + 16);
    v.triggered = triggered;
    v.state = OrderState::kNew;
    v.qty = c.qty;
    v.cum_qty = Qty(0);
    v.leaves_qty = c.qty;
    v.display_qty = c.display_qty;
    v.expire_time_ns = c.expire_time_ns;
    v.cum_value = 0;
    return v;
  }

  ExecId next_exec() { return ExecId(id_base_ | next_exec_++); }

  Book* find_book(InstrumentId id) { return const_cast<Book*>(static_cast<const EngineState*>(this)->find_book(id)); }
  const Book* find_book(InstrumentId id) const {
    const auto v = id.value();
    if (v < book_of_.size()) return book_of_[v] == kNil ? nullptr : &books_[book_of_[v]];
    auto it = far_books_.find(v);
    return it == far_books_.end() ? nullptr : &books_[it->second];
  }

  // ----- snapshots -----

  void save(std::vector<std::uint8_t>& out) const;

  static SavedOrder saved(const OrderView& v);

  static OrderView view_of(const SavedOrder& s, InstrumentId instrument);

  static SavedOrder saved(const Order& o);

  bool load(std::span<const std::uint8_t> bytes, std::string& error);

  // The day's trades and done orders of a version 2 snapshot, into a fresh state.
  bool load_trades(Reader& r, std::string& error);

  bool restore(Book& b, const SavedOrder& s, std::string& error);

  static bool fail(std::string& error, std::string message) {
    error = std::move(message);
    return false;
  }

  void swap(EngineState& other);

  // ----- invariants -----

  std::string check_invariants() const;

  std::size_t resting_orders() const {
    std::size_t n = 0;
    for (const Book& b : books_) n += b.resting;
    return n;
  }

  // Settings and wiring
  EngineSettings settings_;
  EventListener& listener_;
  std::vector<InstrumentSpec> specs_;
  std::uint64_t id_base_ = 0;
  static constexpr std::uint32_t kDirectInstrumentLimit = 1U << 16;

  // State (everything save() writes, plus indexes rebuilt on load)
  std::vector<Book> books_;
  std::vector<std::uint32_t> book_of_;
  std::unordered_map<std::uint32_t, std::uint32_t> far_books_;
  detail::OrderPool pool_;
  detail::OrderIndex index_;
  std::vector<Level> levels_;
  std::uint32_t free_level_ = kNil;
  std::priority_queue<std::pair<std::int64_t, std::uint64_t>, std::vector<std::pair<std::int64_t, std::uint64_t>>,
                      std::greater<>>
      gtd_;
  std::uint64_t next_order_ = 1;
  std::uint64_t next_trade_ = 1;
  std::uint64_t next_exec_ = 1;
  // The day's trades, by trade counter - trade_base_, and the final views of the orders that traded
  // today and left; both are emptied at the end of day.
  // Day logs: they grow without copying what they hold and without page faults (order_store.h).
  detail::DayLog<TradeRecord> trades_;
  std::uint64_t trade_base_ = 1;
  detail::DayLog<OrderView> done_today_;
  EngineCounters counters_;
  EventHeader hdr_{};
  // The trade event of the sweep under way (match()): built once per sweep, updated per fill and handed
  // to the listener from here, so a fill neither rebuilds the aggressor's view nor copies an event.
  TradeEvent sweep_{};
};

}  // namespace venue::matcher
