// The engine's hot path: dispatch of commands (one at a time and in batches, with the prefetches ahead
// of a batch), new orders and their validation, cancels, matching, the books' price levels and FIFO
// queues (stop orders are in engine_stops.cpp). See engine_state.h for how the engine's sources divide
// the work.
#include <cstddef>
#include <cstring>

#include "engine_state.h"

namespace venue::matcher {

void EngineState::apply(const Command& c, const Order& hint) {
  ++counters_.commands;
  // One 16-byte copy, not two 8-byte stores: every event reads the header back as one 16-byte load,
  // which cannot be forwarded from two smaller stores and waited for them to commit (6.7% of the batch
  // loop's samples sat on that load in the accepted event alone).
  static_assert(offsetof(Command, now_ns) == offsetof(Command, seq) + 8 && sizeof(EventHeader) == 16 &&
                offsetof(EventHeader, now_ns) == 8);
  std::memcpy(&hdr_, &c.seq, sizeof hdr_);
  // The two commonest kinds first, each a compare, and the rest out of line: with the switch here the
  // compiler made one jump table of all three (an indirect branch for every command).
  if (c.type == CommandType::kNewOrder) {
    new_order(c.new_order);
    return;
  }
  if (c.type == CommandType::kCancel) {
    cancel(c.cancel, hint);
    return;
  }
  apply_other(c);
}

void EngineState::apply_other(const Command& c) {
  switch (c.type) {
    case CommandType::kNewOrder: new_order(c.new_order); break;
    case CommandType::kCancel: cancel(c.cancel); break;
    case CommandType::kReplace: replace(c.replace); break;
    case CommandType::kMassCancel: mass_cancel(c.mass_cancel); break;
    case CommandType::kStatus: status(c.status); break;
    case CommandType::kSetTradingStatus: set_trading_status(c.trading_status); break;
    case CommandType::kSetReferencePrice: set_reference_price(c.reference_price); break;
    case CommandType::kTimer: expire_gtd(c.now_ns); break;
    case CommandType::kEndOfDay: end_of_day(c.end_of_day); break;
    case CommandType::kBustTrade: bust(c.bust_trade); break;
  }
}

// A batch: a cancel or replace a few commands ahead has its id-index entry fetched, one a little
// nearer its order (the index entry is in the cache by then), and one nearer still its neighbours in
// the queue and its level (the order's links are in the cache by then), which unlinking it touches;
// so none of these is a cache miss when its turn comes. Each stage hands what it found to the next
// (the entry's address, then the order), so no stage reads a command or the index twice. The stages do
// not branch on the kind of command: adds, cancels and replaces come in no predictable order, and
// with a branch per stage about every other command mispredicted (where no command named an order,
// a stage fetches a dummy: an entry holding kNil, kNilOrder). A slot that left since is only a useless
// fetch: slots and index pages never move, and links are kNil or slots. Prefetches change nothing but
// timing.
void EngineState::apply_batch(std::span<const Command> commands) {
  // Distances in commands (about 30 ns each): each stage's fetch must arrive before the next stage reads
  // it. With 8 / 4 / 2 the neighbour stage's read of the order's links was the loop's hottest load (a
  // miss still under way); 16 / 10 / 4 took 10-15% off a batch (matcher/README.md, 2026-12-07 19:20).
  constexpr std::size_t kIndexAhead = 16;
  constexpr std::size_t kOrderAhead = 10;
  constexpr std::size_t kNeighboursAhead = 4;
  // The commands themselves, further ahead still: a batch read from memory (a large ring, another
  // core's writes) would otherwise miss at each prefetch stage's first look at a command.
  constexpr std::size_t kCommandAhead = 32;
  constexpr std::size_t kEntries = 16;  // entries found by the index stage, by command index mod kEntries
  constexpr std::size_t kRing = 16;     // orders found by the order stage, by command index mod kRing
  static_assert(kIndexAhead - kOrderAhead < kEntries && kOrderAhead < kRing);
  const std::uint32_t* entries[kEntries];
  const Order* found[kRing];
  for (auto& f : found) f = &detail::kNilOrder;
  const std::size_t n = commands.size();
  for (std::size_t i = 0; i < std::min(n, kIndexAhead); ++i) entries[i % kEntries] = prefetch_index(commands[i]);
  for (std::size_t i = 0; i < std::min(n, kOrderAhead); ++i) found[i % kRing] = prefetch_order(entries[i % kEntries]);
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kCommandAhead < n) __builtin_prefetch(&commands[i + kCommandAhead], 0, 3);
    if (i + kIndexAhead < n) entries[(i + kIndexAhead) % kEntries] = prefetch_index(commands[i + kIndexAhead]);
    if (i + kOrderAhead < n) found[(i + kOrderAhead) % kRing] = prefetch_order(entries[(i + kOrderAhead) % kEntries]);
    if (i + kNeighboursAhead < n) prefetch_neighbours(*found[(i + kNeighboursAhead) % kRing]);
    // The order found for this command goes with it: a cancel need not walk the index again.
    apply(commands[i], *found[i % kRing]);
  }
}

const std::uint32_t* EngineState::prefetch_index(const Command& c) const {
  // A cancel's and a replace's order id at one place: read there whatever the kind, used only for those.
  static_assert(static_cast<int>(CommandType::kCancel) == 2 && static_cast<int>(CommandType::kReplace) == 3);
  static_assert(offsetof(CancelCmd, order) == offsetof(ReplaceCmd, order));
  const bool named = (static_cast<std::uint8_t>(c.type) & 0xFEU) == 2;
  std::uint64_t v;
  std::memcpy(&v, reinterpret_cast<const char*>(&c) + offsetof(Command, cancel) + offsetof(CancelCmd, order), sizeof v);
  const bool ours = named & ((v & ~kCounterMask) == id_base_);
  const std::uint32_t* e = index_.entry_or_nil(v & kCounterMask, ours);
  __builtin_prefetch(e, 0, 3);
  return e;
}

const Order* EngineState::prefetch_order(const std::uint32_t* entry) const {
  const Order* o = pool_.address_or(*entry, &detail::kNilOrder);
  __builtin_prefetch(o, 1, 3);
  __builtin_prefetch(reinterpret_cast<const char*>(o) + 64, 1, 3);
  return o;
}

void EngineState::prefetch_neighbours(const Order& o) const {
  __builtin_prefetch(pool_.address_or(o.prev, &detail::kNilOrder), 1, 3);
  __builtin_prefetch(pool_.address_or(o.next, &detail::kNilOrder), 1, 3);
  __builtin_prefetch(levels_.data() + (o.level == kNil ? 0 : o.level), 1, 3);
}

// Both lines of an order that is about to be matched against.
void EngineState::prefetch_slot(std::uint32_t slot) const {
  const Order* o = &pool_[slot];
  __builtin_prefetch(o, 1, 3);
  __builtin_prefetch(reinterpret_cast<const char*>(o) + 64, 1, 3);
}

RejectCode EngineState::validate(const NewOrderCmd& c, Book& b) const {
  if (c.side != Side::kBuy && c.side != Side::kSell) return RejectCode::kUnsupportedOrder;
  if (c.type < OrdType::kMarket || c.type > OrdType::kStopLimit) return RejectCode::kUnsupportedOrder;
  switch (c.tif) {
    case TimeInForce::kDay:
    case TimeInForce::kIoc:
    case TimeInForce::kFok:
    case TimeInForce::kGtc:
    case TimeInForce::kGtd: break;
    default: return RejectCode::kUnsupportedOrder;
  }
  if (c.stp > StpMode::kDecrementAndCancel) return RejectCode::kUnsupportedOrder;
  if (b.spec.status == TradingStatus::kHalted) return RejectCode::kInstrumentHalted;
  if (b.spec.status == TradingStatus::kClosed) return RejectCode::kInstrumentClosed;
  if (c.qty.count() <= 0) return RejectCode::kQtyNotPositive;
  if (c.qty < b.spec.min_qty) return RejectCode::kQtyBelowMinimum;
  if (c.qty > b.spec.max_qty) return RejectCode::kQtyAboveMaximum;
  const bool limit_priced = c.type == OrdType::kLimit || c.type == OrdType::kStopLimit;
  const bool stop = c.type == OrdType::kStop || c.type == OrdType::kStopLimit;
  if (limit_priced) {
    if (c.price.count() == 0) return RejectCode::kPriceRequired;
    if (c.price.count() < 0) return RejectCode::kPriceNotPositive;
    if (c.price.count() < b.band_lo || c.price.count() > b.band_hi) return RejectCode::kPriceOutsideBand;
  } else if (c.price.count() != 0) {
    return RejectCode::kUnsupportedOrder;
  }
  // The common order carries none of the optional fields (stop price, iceberg peak, MinQty, post-only,
  // expire time): one test instead of the checks below, of which only three can then fail (the same
  // codes, in the same order).
  if ((c.stop_price.count() | c.display_qty.count() | c.min_qty.count() | c.expire_time_ns) == 0 && !c.post_only)
      [[likely]] {
    if (stop) return RejectCode::kStopPriceInvalid;
    if (c.tif == TimeInForce::kGtd) return RejectCode::kExpireTimeInvalid;
    if (c.type == OrdType::kMarket && b.spec.band_bps > 0 && !b.has_band()) return RejectCode::kMarketOrderNoReference;
    return RejectCode::kNone;
  }
  if (stop != (c.stop_price.count() != 0) || c.stop_price.count() < 0) return RejectCode::kStopPriceInvalid;
  const bool immediate = c.tif == TimeInForce::kIoc || c.tif == TimeInForce::kFok;
  if (c.display_qty.count() != 0 &&
      (c.display_qty.count() < 0 || c.display_qty > c.qty || immediate || c.type == OrdType::kMarket)) {
    return RejectCode::kDisplayQtyInvalid;
  }
  if (c.min_qty.count() != 0 && (c.min_qty.count() < 0 || c.tif != TimeInForce::kIoc || c.min_qty > c.qty || stop)) {
    return RejectCode::kMinQtyInvalid;
  }
  if (c.post_only && (c.type != OrdType::kLimit || immediate)) return RejectCode::kPostOnlyInvalid;
  if ((c.tif == TimeInForce::kGtd) != (c.expire_time_ns != 0)) return RejectCode::kExpireTimeInvalid;
  if (c.tif == TimeInForce::kGtd && c.expire_time_ns <= hdr_.now_ns) return RejectCode::kExpireTimeInvalid;
  if ((c.type == OrdType::kMarket || c.type == OrdType::kStop) && b.spec.band_bps > 0 && !b.has_band()) {
    return RejectCode::kMarketOrderNoReference;
  }
  if (stop && b.last_trade > 0 && stop_fires(c.side, c.stop_price.count(), b.last_trade)) {
    return RejectCode::kStopAlreadyTriggered;
  }
  return RejectCode::kNone;
}

void EngineState::new_order(const NewOrderCmd& c) {
  const std::uint64_t counter = next_order_++;
  const std::uint64_t id = id_base_ | counter;
  Book* b = find_book(c.instrument);
  RejectCode code = RejectCode::kNone;
  if (counter > kCounterMask) {
    code = RejectCode::kVenueIdExhausted;
  } else if (b == nullptr) {
    code = RejectCode::kUnknownInstrument;
  } else {
    code = validate(c, *b);
  }
  if (code == RejectCode::kNone && c.post_only && would_cross(*b, c.side, c.price.count()) &&
      settings_.post_only_policy == PostOnlyPolicy::kReject) {
    code = RejectCode::kPostOnlyWouldTake;
  }
  if (code != RejectCode::kNone) {
    reject(c, id, code);
    return;
  }

  // Most new orders join a level the book's cache knows: fetch its last order now, which joining stores
  // into (the loop's hottest store; +1.5-2%, matcher/README.md, 2026-12-07 19:20; as a prefetch stage a
  // few commands ahead it cost 17-25%). A stale cache entry is only a useless fetch: levels never move.
  if (const std::uint32_t cl = b->cached_level(c.side == Side::kBuy, c.price.count()); cl != kNil) {
    if (const std::uint32_t t = levels_[cl].tail; t != kNil) __builtin_prefetch(&pool_[t], 1, 3);
  }
  const std::uint32_t slot = pool_.allocate();
  Order& o = pool_[slot];
  o.price = c.price.count();
  o.leaves = c.qty.count();
  o.visible = c.display_qty.count() > 0 ? c.display_qty.count() : o.leaves;
  o.prev = o.next = o.level = kNil;
  o.book = static_cast<std::uint16_t>(b - books_.data());
  o.id = id;
  o.client_ref = c.client_ref;
  o.qty = c.qty.count();
  o.cum_qty = 0;
  o.display_qty = c.display_qty.count();
  o.stop_price = c.stop_price.count();
  o.expire_ns = c.expire_time_ns;
  o.set_cum_value(0);
  o.owner = c.owner;
  o.side = c.side;
  o.type = c.type;
  o.tif = c.tif;
  o.stp = c.stp;
  o.post_only = c.post_only;
  o.triggered = !(c.type == OrdType::kStop || c.type == OrdType::kStopLimit);
  o.state = OrderState::kNew;
  o.live = true;
  o.traded_today = false;
  index_.insert(counter, slot);

  // The view is built from the command, not read back from the order just written: a 16-byte load of
  // fields that two 8-byte stores have just written cannot be forwarded from the stores and waits for
  // them to commit (the slowest instruction of new_order, by the profile).
  listener_.on_accepted(AcceptedEvent{hdr_, next_exec(), accepted_view(c, id, o.triggered)});

  if (!o.triggered) {
    add_stop(*b, slot);
    return;
  }
  if (c.post_only && would_cross(*b, c.side, c.price.count())) {
    // PostOnlyPolicy::kCancel: accepted, then cancelled without trading.
    cancel_order(slot, CancelReason::kPostOnly, 0);
    return;
  }
  // The commonest order, a Day or GTC limit order that crosses nothing (it carries no MinQty and has
  // lots left), rests here: what enter() would do for it, without the call (22 instructions a command).
  if (c.type == OrdType::kLimit && (c.tif == TimeInForce::kDay || c.tif == TimeInForce::kGtc) &&
      !would_cross(*b, c.side, c.price.count())) {
    rest(*b, slot);
  } else {
    enter(*b, slot, c.min_qty.count());
  }
  fire_stops_if_any(*b);
}

// An order (new, triggered or re-priced) takes liquidity if it can, then rests or is cancelled.
// min_qty: an IOC's MinQty (0: none); only new orders carry one.
void EngineState::enter(Book& b, std::uint32_t slot, std::int64_t min_qty) {
  Order& o = pool_[slot];
  const bool market = o.type == OrdType::kMarket || o.type == OrdType::kStop;
  const std::int64_t limit = market ? (o.side == Side::kBuy ? b.band_hi : b.band_lo) : o.price;

  if (o.tif == TimeInForce::kFok || min_qty > 0) {
    const std::int64_t need = o.tif == TimeInForce::kFok ? o.leaves : min_qty;
    if (available(b, o, limit, need) < need) {
      cancel_order(slot, o.tif == TimeInForce::kFok ? CancelReason::kFokUnfilled : CancelReason::kMinQtyUnmet, 0);
      return;
    }
  }
  // Most orders cross nothing: no call into match() for them.
  const auto& opp = o.side == Side::kBuy ? b.asks : b.bids;
  const bool crossing = !opp.empty() && crosses(o.side, opp.back().price, limit);
  if (crossing && !match(b, slot, limit)) return;  // the aggressor was cancelled by self-trade prevention
  if (o.leaves == 0) {
    // Filled by the sweep (its last fill's event holds its final view), or entered with nothing left.
    if (crossing) {
      finish(slot, sweep_.aggressor.order);
    } else {
      finish(slot);
    }
    return;
  }
  if (market || o.tif == TimeInForce::kIoc || o.tif == TimeInForce::kFok) {
    cancel_order(slot, CancelReason::kIocRemainder, 0);
    return;
  }
  rest(b, slot);
}

// Quantity the order could take at once within `limit`, stopping early once `need` is reached.
// Follows what match() will do with self-trade prevention: orders it would cancel are skipped
// (cancel-oldest), anything else from the same identity ends the count.
std::int64_t EngineState::available(const Book& b, const Order& o, std::int64_t limit, std::int64_t need) const {
  const auto& opp = o.side == Side::kBuy ? b.asks : b.bids;
  std::int64_t sum = 0;
  for (auto it = opp.rbegin(); it != opp.rend() && sum < need; ++it) {
    if (!crosses(o.side, it->price, limit)) break;
    const Level& lvl = levels_[it->slot];
    if (o.stp == StpMode::kNone) {
      sum += lvl.total;
      continue;
    }
    const std::uint32_t key = stp_key(o);
    for (std::uint32_t r = lvl.head; r != kNil; r = pool_[r].next) {
      const Order& ro = pool_[r];
      if (stp_key(ro) == key) {
        if (o.stp == StpMode::kCancelOldest) continue;
        return sum;
      }
      sum += ro.leaves;
    }
  }
  return sum;
}

// Matches the aggressor against the opposite side up to `limit`. Returns false when the aggressor
// was cancelled (self-trade prevention) and its slot released.
bool EngineState::match(Book& b, std::uint32_t agg_slot, std::int64_t limit) {
  Order& a = pool_[agg_slot];
  auto& opp = a.side == Side::kBuy ? b.asks : b.bids;
  bool traded = false;
  begin_sweep(b, a);
  while (a.leaves > 0 && !opp.empty()) {
    const LevelRef best = opp.back();
    if (!crosses(a.side, best.price, limit)) break;
    Level* lvl = &levels_[best.slot];
    std::uint32_t r = lvl->head;
    while (r != kNil && a.leaves > 0) {
      Order& ro = pool_[r];
      std::uint32_t next = ro.next;
      // The next order in the queue is a random slot: fetch it while this fill is reported.
      if (next != kNil) prefetch_slot(next);
      if (a.stp != StpMode::kNone && stp_key(ro) == stp_key(a)) {
        switch (a.stp) {
          case StpMode::kCancelNewest:
            if (traded) after_trades(b);
            cancel_order(agg_slot, CancelReason::kSelfTrade, 0);
            return false;
          case StpMode::kCancelOldest: cancel_order(r, CancelReason::kSelfTrade, 0); break;
          case StpMode::kCancelBoth:
            cancel_order(r, CancelReason::kSelfTrade, 0);
            if (traded) after_trades(b);
            cancel_order(agg_slot, CancelReason::kSelfTrade, 0);
            return false;
          case StpMode::kDecrementAndCancel: {
            const std::int64_t d = std::min(a.leaves, ro.leaves);
            const bool resting_smaller = ro.leaves <= a.leaves;
            const bool aggressor_smaller = a.leaves <= ro.leaves;
            if (resting_smaller) {
              cancel_order(r, CancelReason::kSelfTrade, 0);
            } else {
              decrement(r, d);
            }
            if (aggressor_smaller) {
              if (traded) after_trades(b);
              cancel_order(agg_slot, CancelReason::kSelfTrade, 0);
              return false;
            }
            decrement(agg_slot, d);
            break;
          }
          case StpMode::kNone: break;
        }
        // decrement-and-cancel lowered the aggressor's quantity: its view in the sweep's event too.
        sweep_.aggressor.order = view(a, b.spec.id);
        // The level may have emptied and been erased (cancel_order removes empty levels).
        if (opp.empty() || opp.back().slot != best.slot || levels_[best.slot].price != best.price) break;
        lvl = &levels_[best.slot];
        r = next;
        continue;
      }

      const std::int64_t qty = std::min(a.leaves, ro.visible);
      trade(b, a, ro, best.price, qty);
      traded = true;
      if (ro.leaves == 0) {
        unlink(b, *lvl, r);
        finish(r, sweep_.resting.order);  // its final view: the one its last fill just reported
      } else if (ro.visible == 0) {
        // Iceberg replenishment: a new peak at the back of the queue.
        ro.visible = std::min(ro.display_qty, ro.leaves);
        if (lvl->tail != r) {
          unlink_from_level(*lvl, r);
          append_to_level(*lvl, r);
        }
        if (next == kNil) next = r;
      }
      r = next;
    }
  }
  if (traded) after_trades(b);
  return true;
}

void EngineState::trade(Book& b, Order& a, Order& ro, std::int64_t price, std::int64_t qty) {
  a.leaves -= qty;
  a.cum_qty += qty;
  a.set_cum_value(a.cum_value() + static_cast<__int128>(price) * qty);
  a.state = a.leaves == 0 ? OrderState::kFilled : OrderState::kPartiallyFilled;
  ro.leaves -= qty;
  ro.visible -= qty;
  ro.cum_qty += qty;
  ro.set_cum_value(ro.cum_value() + static_cast<__int128>(price) * qty);
  ro.state = ro.leaves == 0 ? OrderState::kFilled : OrderState::kPartiallyFilled;
  levels_[ro.level].total -= qty;
  b.last_trade = price;
  ++counters_.trades;
  counters_.traded_qty += qty;
  a.traded_today = true;
  ro.traded_today = true;
  trades_.push_back(TradeRecord{a.id, ro.id, price, qty, ro.book, a.side, TradeState::kDone, 0});
  // The sweep's event: what the aggressor's view shares with its previous fill stays as it is.
  TradeEvent& e = sweep_;
  e.trade_id = TradeId(id_base_ | next_trade_++);
  e.price = Price(price);
  e.qty = Qty(qty);
  e.aggressor.exec_id = next_exec();
  OrderView& av = e.aggressor.order;
  av.state = a.state;
  av.cum_qty = Qty(a.cum_qty);
  av.leaves_qty = Qty(a.leaves);
  av.cum_value = a.cum_value();
  e.resting.exec_id = next_exec();
  e.resting.order = view(ro, b.spec.id);
  listener_.on_trade(e);
}

void EngineState::begin_sweep(const Book& b, const Order& a) {
  sweep_.header = hdr_;
  sweep_.instrument = b.spec.id;
  sweep_.aggressor_side = a.side;
  sweep_.aggressor.order = view(a, b.spec.id);
}

void EngineState::after_trades(Book& b) {
  if (b.spec.band_reference == BandReference::kLastTrade) b.update_band();
}

// Reduces a live order's quantity by d lots (decrement-and-cancel), keeping its priority.
void EngineState::decrement(std::uint32_t slot, std::int64_t d) {
  Order& o = pool_[slot];
  o.qty -= d;
  o.leaves -= d;
  if (o.level != kNil) {
    levels_[o.level].total -= d;
    o.visible = std::min(o.visible, o.leaves);
  }
  listener_.on_restated(RestatedEvent{hdr_, next_exec(), Qty(d), view(o)});
}

std::uint32_t EngineState::level_slot(Book& b, bool bid, std::int64_t price) {
  const std::uint32_t owner = level_owner(b, bid);
  std::uint32_t& cached = b.cached_level(bid, price);
  if (cached != kNil && levels_[cached].owner == owner && levels_[cached].price == price) return cached;
  cached = find_or_add_level(bid ? b.bids : b.asks, bid, price, owner);
  return cached;
}

std::uint32_t EngineState::find_or_add_level(std::vector<LevelRef>& side_levels, bool bid, std::int64_t price,
                                             std::uint32_t owner) {
  // Search from the best end: new orders mostly land at or near the touch.
  std::size_t i = side_levels.size();
  std::size_t scanned = 0;
  auto better = [bid](std::int64_t a, std::int64_t b) { return bid ? a > b : a < b; };
  while (i > 0 && better(side_levels[i - 1].price, price)) {
    --i;
    if (++scanned == 16 && i > 0) {
      // Far from the touch: binary search the rest.
      auto it = std::partition_point(side_levels.begin(), side_levels.begin() + static_cast<std::ptrdiff_t>(i),
                                     [&](const LevelRef& l) { return !better(l.price, price); });
      i = static_cast<std::size_t>(it - side_levels.begin());
      break;
    }
  }
  if (i > 0 && side_levels[i - 1].price == price) return side_levels[i - 1].slot;
  const std::uint32_t slot = allocate_level(price, owner);
  side_levels.insert(side_levels.begin() + static_cast<std::ptrdiff_t>(i), LevelRef{price, slot});
  return slot;
}

std::uint32_t EngineState::allocate_level(std::int64_t price, std::uint32_t owner) {
  std::uint32_t slot;
  if (free_level_ != kNil) {
    slot = free_level_;
    free_level_ = levels_[slot].head;
  } else {
    slot = static_cast<std::uint32_t>(levels_.size());
    levels_.emplace_back();
  }
  levels_[slot] = Level{price, 0, kNil, kNil, 0, owner};
  return slot;
}

void EngineState::erase_level(std::vector<LevelRef>& side_levels, std::size_t pos) {
  const std::uint32_t slot = side_levels[pos].slot;
  side_levels.erase(side_levels.begin() + static_cast<std::ptrdiff_t>(pos));
  levels_[slot].owner = kNil;
  levels_[slot].head = free_level_;
  free_level_ = slot;
}

void EngineState::rest(Book& b, std::uint32_t slot) {
  Order& o = pool_[slot];
  // What shows: the peak of an iceberg (a fresh one for an aggressor that traded), else everything.
  o.visible = o.display_qty > 0 ? std::min(o.display_qty, o.leaves) : o.leaves;
  const bool bid = o.side == Side::kBuy;
  join_level(b, level_slot(b, bid, o.price), slot);
}

// Takes a resting order out of its level (erasing the level when it empties).
void EngineState::unlink(Book& b, Level& lvl, std::uint32_t slot) {
  Order& o = pool_[slot];
  unlink_from_level(lvl, slot);
  lvl.total -= o.leaves;
  --lvl.count;
  --b.resting;
  const std::uint32_t ls = o.level;
  o.level = kNil;
  if (lvl.count == 0) {
    const bool bid = o.side == Side::kBuy;
    auto& side_levels = bid ? b.bids : b.asks;
    // The best level (a match emptied it) is at the back; any other is found by its price (the side
    // is sorted: a binary search, where a scan from the back cost O(levels) for a cancel deep in the
    // book).
    std::size_t i = side_levels.size() - 1;
    if (side_levels[i].slot != ls) {
      const std::int64_t price = lvl.price;
      const auto it = std::partition_point(side_levels.begin(), side_levels.end(),
                                           [&](const LevelRef& l) { return bid ? l.price < price : l.price > price; });
      i = static_cast<std::size_t>(it - side_levels.begin());
    }
    erase_level(side_levels, i);
  }
}

// Takes a live order out of wherever it waits (book level or stop book).
void EngineState::detach(std::uint32_t slot) {
  Order& o = pool_[slot];
  Book& b = books_[o.book];
  if (o.level != kNil) {
    unlink(b, levels_[o.level], slot);
  } else if (!o.triggered) {
    auto& stops = o.side == Side::kBuy ? b.buy_stops : b.sell_stops;
    auto [from, to] = stops.equal_range(o.side == Side::kBuy ? o.stop_price : -o.stop_price);
    for (auto it = from; it != to; ++it) {
      if (it->second == slot) {
        stops.erase(it);
        break;
      }
    }
  }
}

// Releases a filled (or otherwise finished) order's slot and id; an order that traded today leaves its
// final view behind for a bust.
void EngineState::finish(std::uint32_t slot) {
  Order& o = pool_[slot];
  if (o.traded_today) done_today_.push_back(view(o));
  release(slot);
}

void EngineState::finish(std::uint32_t slot, const OrderView& final_view) {
  done_today_.push_back(final_view);
  release(slot);
}

void EngineState::release(std::uint32_t slot) {
  index_.erase(pool_[slot].id & kCounterMask, next_order_);
  pool_.release(slot);
}

// Here, not with the other requests (engine_requests.cpp), so that cancel_order() is inlined into it.
void EngineState::cancel(const CancelCmd& c, const Order& hint) {
  // A live order with the id named is the one the index would give (kNilOrder is never live).
  if (hint.live && hint.id == c.order.value() && owned_by(hint, c.requester_firm)) [[likely]] {
    cancel_order(pool_.slot_of(hint), c.reason, c.client_ref);
    return;
  }
  RejectCode code = RejectCode::kNone;
  const std::uint32_t slot = lookup(c.order, c.requester_firm, code);
  if (slot == kNil) {
    cancel_reject(CommandType::kCancel, c.client_ref, c.order, code, kNil);
    return;
  }
  cancel_order(slot, c.reason, c.client_ref);
}

void EngineState::cancel_order(std::uint32_t slot, CancelReason reason, std::uint64_t request_ref) {
  Order& o = pool_[slot];
  detach(slot);
  const std::int64_t leaves = o.leaves;
  o.leaves = 0;
  o.visible = 0;
  o.state = OrderState::kCancelled;
  listener_.on_cancelled(CancelledEvent{hdr_, next_exec(), reason, Qty(leaves), request_ref, view(o)});
  finish(slot);
}

}  // namespace venue::matcher
