#include "venue/matcher/engine.h"

#include <algorithm>
#include <limits>
#include <map>
#include <queue>
#include <unordered_map>

#include "hash64.h"
#include "order_store.h"

namespace venue::matcher {

using detail::kNil;
using detail::Order;

namespace {

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

// A little binary writer/reader for snapshots (native byte order; the snapshot file records it).
// It writes into a buffer reserved once for the whole state (growing it field by field, with the page
// faults of every reallocation, took 50-70 ms for a day's state of 50,000 orders and 200,000 trades on
// the engine thread); a buffer handed back by the previous snapshot keeps its pages.
class Writer {
 public:
  Writer(std::vector<std::uint8_t>& out, std::size_t expected) : out_(out) {
    out_.clear();
    out_.reserve(expected);
  }
  template <class T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const std::size_t n = out_.size();
    out_.resize(n + sizeof(T));
    std::memcpy(out_.data() + n, &v, sizeof(T));
  }

 private:
  std::vector<std::uint8_t>& out_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
  template <class T>
  bool get(T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (pos_ + sizeof(T) > in_.size()) return false;
    std::memcpy(&v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

constexpr std::uint32_t kSnapshotMagic = 0x5353'4D56;  // "VMSS"
// 2: the day's trades and the final views of the orders that traded and left follow the books (a
// version 1 snapshot still loads, with no trades to bust).
constexpr std::uint32_t kSnapshotVersion = 2;

// The fields of an order a snapshot keeps (everything but links and slots).
struct SavedOrder {
  std::int64_t price, leaves, visible;
  std::uint64_t id, client_ref;
  std::int64_t qty, cum_qty, display_qty, stop_price, expire_ns;
  std::uint64_t cum_value_lo;
  std::int64_t cum_value_hi;
  std::uint32_t session, firm, account;
  std::uint8_t side, type, tif, stp, post_only, triggered, state, pad;
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

}  // namespace

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
  }

  // ----- dispatch -----

  void apply(const Command& c) {
    ++counters_.commands;
    hdr_ = EventHeader{c.seq, c.now_ns};
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
  // so none of these is a cache miss when its turn comes. Prefetches change nothing but timing.
  void apply_batch(std::span<const Command> commands) {
    constexpr std::size_t kIndexAhead = 8;
    constexpr std::size_t kOrderAhead = 4;
    constexpr std::size_t kNeighboursAhead = 2;
    const std::size_t n = commands.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (i + kIndexAhead < n) prefetch_index(commands[i + kIndexAhead]);
      if (i + kOrderAhead < n) prefetch_order(commands[i + kOrderAhead]);
      if (i + kNeighboursAhead < n) prefetch_neighbours(commands[i + kNeighboursAhead]);
      apply(commands[i]);
    }
  }

  static std::uint64_t named_order(const Command& c) {
    switch (c.type) {
      case CommandType::kCancel: return c.cancel.order.value();
      case CommandType::kReplace: return c.replace.order.value();
      default: return 0;
    }
  }
  void prefetch_index(const Command& c) const {
    const std::uint64_t v = named_order(c);
    if (v == 0 || (v & ~kCounterMask) != id_base_) return;
    if (const std::uint32_t* e = index_.entry(v & kCounterMask)) __builtin_prefetch(e, 0, 3);
  }
  void prefetch_order(const Command& c) const {
    const std::uint64_t v = named_order(c);
    if (v == 0 || (v & ~kCounterMask) != id_base_) return;
    const std::uint32_t slot = index_.find(v & kCounterMask);
    if (slot == kNil) return;
    const Order* o = &pool_[slot];
    __builtin_prefetch(o, 1, 3);
    __builtin_prefetch(reinterpret_cast<const char*>(o) + 64, 1, 3);
  }
  void prefetch_neighbours(const Command& c) const {
    const std::uint64_t v = named_order(c);
    if (v == 0 || (v & ~kCounterMask) != id_base_) return;
    const std::uint32_t slot = index_.find(v & kCounterMask);
    if (slot == kNil) return;
    const Order& o = pool_[slot];
    if (o.prev != kNil) __builtin_prefetch(&pool_[o.prev], 1, 3);
    if (o.next != kNil) __builtin_prefetch(&pool_[o.next], 1, 3);
    if (o.level != kNil) __builtin_prefetch(&levels_[o.level], 1, 3);
  }
  // Both lines of an order that is about to be matched against.
  void prefetch_slot(std::uint32_t slot) const {
    const Order* o = &pool_[slot];
    __builtin_prefetch(o, 1, 3);
    __builtin_prefetch(reinterpret_cast<const char*>(o) + 64, 1, 3);
  }

  // ----- new orders -----

  RejectCode validate(const NewOrderCmd& c, Book& b) const {
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

  void new_order(const NewOrderCmd& c) {
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

    listener_.on_accepted(AcceptedEvent{hdr_, next_exec(), view(o)});

    if (!o.triggered) {
      add_stop(*b, slot);
      return;
    }
    if (c.post_only && would_cross(*b, c.side, c.price.count())) {
      // PostOnlyPolicy::kCancel: accepted, then cancelled without trading.
      cancel_order(slot, CancelReason::kPostOnly, 0);
      return;
    }
    enter(*b, slot, c.min_qty.count());
    fire_stops(*b);
  }

  void reject(const NewOrderCmd& c, std::uint64_t id, RejectCode code) {
    ++counters_.rejects;
    OrderView v{};
    v.id = OrderId(id);
    v.client_ref = c.client_ref;
    v.instrument = c.instrument;
    v.owner = c.owner;
    v.side = c.side;
    v.type = c.type;
    v.tif = c.tif;
    v.stp = c.stp;
    v.post_only = c.post_only;
    v.triggered = false;
    v.state = OrderState::kRejected;
    v.price = c.price;
    v.stop_price = c.stop_price;
    v.qty = c.qty;
    v.display_qty = c.display_qty;
    v.expire_time_ns = c.expire_time_ns;
    listener_.on_rejected(RejectedEvent{hdr_, next_exec(), code, v});
  }

  // An order (new, triggered or re-priced) takes liquidity if it can, then rests or is cancelled.
  // min_qty: an IOC's MinQty (0: none); only new orders carry one.
  void enter(Book& b, std::uint32_t slot, std::int64_t min_qty) {
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
    if (!match(b, slot, limit)) return;  // the aggressor was cancelled by self-trade prevention
    if (o.leaves == 0) {
      finish(slot);
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
  std::int64_t available(const Book& b, const Order& o, std::int64_t limit, std::int64_t need) const {
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
  bool match(Book& b, std::uint32_t agg_slot, std::int64_t limit) {
    Order& a = pool_[agg_slot];
    auto& opp = a.side == Side::kBuy ? b.asks : b.bids;
    bool traded = false;
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
          finish(r);
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

  void trade(Book& b, Order& a, Order& ro, std::int64_t price, std::int64_t qty) {
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
    TradeEvent e;
    e.header = hdr_;
    e.trade_id = TradeId(id_base_ | next_trade_++);
    e.instrument = b.spec.id;
    e.price = Price(price);
    e.qty = Qty(qty);
    e.aggressor_side = a.side;
    e.aggressor = Fill{next_exec(), view(a)};
    e.resting = Fill{next_exec(), view(ro)};
    listener_.on_trade(e);
  }

  void after_trades(Book& b) {
    if (b.spec.band_reference == BandReference::kLastTrade) b.update_band();
  }

  // Reduces a live order's quantity by d lots (decrement-and-cancel), keeping its priority.
  void decrement(std::uint32_t slot, std::int64_t d) {
    Order& o = pool_[slot];
    o.qty -= d;
    o.leaves -= d;
    if (o.level != kNil) {
      levels_[o.level].total -= d;
      o.visible = std::min(o.visible, o.leaves);
    }
    listener_.on_restated(RestatedEvent{hdr_, next_exec(), Qty(d), view(o)});
  }

  // ----- book structure -----

  std::uint32_t level_owner(const Book& b, bool bid) const {
    return static_cast<std::uint32_t>(&b - books_.data()) * 2 + (bid ? 0 : 1);
  }

  std::uint32_t level_slot(Book& b, bool bid, std::int64_t price) {
    const std::uint32_t owner = level_owner(b, bid);
    std::uint32_t& cached = b.cached_level(bid, price);
    if (cached != kNil && levels_[cached].owner == owner && levels_[cached].price == price) return cached;
    cached = find_or_add_level(bid ? b.bids : b.asks, bid, price, owner);
    return cached;
  }

  std::uint32_t find_or_add_level(std::vector<LevelRef>& side_levels, bool bid, std::int64_t price,
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

  std::uint32_t allocate_level(std::int64_t price, std::uint32_t owner) {
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

  void erase_level(std::vector<LevelRef>& side_levels, std::size_t pos) {
    const std::uint32_t slot = side_levels[pos].slot;
    side_levels.erase(side_levels.begin() + static_cast<std::ptrdiff_t>(pos));
    levels_[slot].owner = kNil;
    levels_[slot].head = free_level_;
    free_level_ = slot;
  }

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

  void rest(Book& b, std::uint32_t slot) {
    Order& o = pool_[slot];
    // What shows: the peak of an iceberg (a fresh one for an aggressor that traded), else everything.
    o.visible = o.display_qty > 0 ? std::min(o.display_qty, o.leaves) : o.leaves;
    const bool bid = o.side == Side::kBuy;
    const std::uint32_t ls = level_slot(b, bid, o.price);
    Level& lvl = levels_[ls];
    append_to_level(lvl, slot);
    lvl.total += o.leaves;
    ++lvl.count;
    o.level = ls;
    ++b.resting;
    if (o.tif == TimeInForce::kGtd) gtd_.push({o.expire_ns, o.id});
  }

  // Takes a resting order out of its level (erasing the level when it empties).
  void unlink(Book& b, Level& lvl, std::uint32_t slot) {
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
        const auto it = std::partition_point(side_levels.begin(), side_levels.end(), [&](const LevelRef& l) {
          return bid ? l.price < price : l.price > price;
        });
        i = static_cast<std::size_t>(it - side_levels.begin());
      }
      erase_level(side_levels, i);
    }
  }

  // Takes a live order out of wherever it waits (book level or stop book).
  void detach(std::uint32_t slot) {
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
  void finish(std::uint32_t slot) {
    Order& o = pool_[slot];
    if (o.traded_today) done_today_.push_back(view(o));
    index_.erase(o.id & kCounterMask, next_order_);
    pool_.release(slot);
  }

  void cancel_order(std::uint32_t slot, CancelReason reason, std::uint64_t request_ref) {
    Order& o = pool_[slot];
    detach(slot);
    const std::int64_t leaves = o.leaves;
    o.leaves = 0;
    o.visible = 0;
    o.state = OrderState::kCancelled;
    listener_.on_cancelled(CancelledEvent{hdr_, next_exec(), reason, Qty(leaves), request_ref, view(o)});
    finish(slot);
  }

  void expire_order(std::uint32_t slot) {
    Order& o = pool_[slot];
    detach(slot);
    const std::int64_t leaves = o.leaves;
    o.leaves = 0;
    o.visible = 0;
    o.state = OrderState::kExpired;
    listener_.on_expired(ExpiredEvent{hdr_, next_exec(), Qty(leaves), view(o)});
    finish(slot);
  }

  // ----- stops -----

  static bool stop_fires(Side side, std::int64_t stop, std::int64_t last) {
    return side == Side::kBuy ? last >= stop : last <= stop;
  }

  void add_stop(Book& b, std::uint32_t slot) {
    const Order& o = pool_[slot];
    // Inserted after the equal ones already waiting: time priority among equal stop prices.
    if (o.side == Side::kBuy) {
      b.buy_stops.emplace(o.stop_price, slot);
    } else {
      b.sell_stops.emplace(-o.stop_price, slot);
    }
    if (o.tif == TimeInForce::kGtd) gtd_.push({o.expire_ns, o.id});
  }

  // Fires every stop the last trade price reaches, one at a time: each enters the book with new time
  // priority and may trade, move the last price and fire further stops.
  void fire_stops(Book& b) {
    for (;;) {
      if (b.last_trade <= 0) return;
      std::uint32_t slot = kNil;
      if (!b.buy_stops.empty() && b.buy_stops.begin()->first <= b.last_trade) {
        slot = b.buy_stops.begin()->second;
        b.buy_stops.erase(b.buy_stops.begin());
      } else if (!b.sell_stops.empty() && -b.sell_stops.begin()->first >= b.last_trade) {
        slot = b.sell_stops.begin()->second;
        b.sell_stops.erase(b.sell_stops.begin());
      } else {
        return;
      }
      Order& o = pool_[slot];
      o.triggered = true;
      listener_.on_triggered(TriggeredEvent{hdr_, next_exec(), Price(b.last_trade), view(o)});
      if (o.type == OrdType::kStop && b.spec.band_bps > 0 && !b.has_band()) {
        cancel_order(slot, CancelReason::kIocRemainder, 0);
        continue;
      }
      enter(b, slot, 0);
    }
  }

  // ----- cancel, replace, status -----

  // The live order a request names, or kNil with the reject code.
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
    if (requester.valid() && pool_[slot].owner.firm != requester) {
      code = RejectCode::kUnknownOrder;  // another firm's order: do not reveal it exists
      return kNil;
    }
    return slot;
  }

  void cancel_reject(CommandType request, std::uint64_t client_ref, OrderId id, RejectCode code, std::uint32_t slot) {
    ++counters_.cancel_rejects;
    CancelRejectedEvent e{};
    e.header = hdr_;
    e.request = request;
    e.client_ref = client_ref;
    e.order_id = id;
    e.code = code;
    e.order_known = slot != kNil;
    if (slot != kNil) e.order = view(pool_[slot]);
    listener_.on_cancel_rejected(e);
  }

  void cancel(const CancelCmd& c) {
    RejectCode code = RejectCode::kNone;
    const std::uint32_t slot = lookup(c.order, c.requester_firm, code);
    if (slot == kNil) {
      cancel_reject(CommandType::kCancel, c.client_ref, c.order, code, kNil);
      return;
    }
    cancel_order(slot, c.reason, c.client_ref);
  }

  void replace(const ReplaceCmd& c) {
    RejectCode code = RejectCode::kNone;
    const std::uint32_t slot = lookup(c.order, c.requester_firm, code);
    if (slot == kNil) {
      cancel_reject(CommandType::kReplace, c.client_ref, c.order, code, kNil);
      return;
    }
    Order& o = pool_[slot];
    Book& b = books_[o.book];
    code = validate_replace(c, o, b);
    if (code != RejectCode::kNone) {
      cancel_reject(CommandType::kReplace, c.client_ref, c.order, code, slot);
      return;
    }
    const std::uint64_t previous_ref = o.client_ref;
    o.client_ref = c.client_ref;

    if (c.qty.count() <= o.cum_qty) {
      // The new quantity is already filled: the order is done.
      detach(slot);
      o.qty = o.cum_qty;
      o.leaves = 0;
      o.visible = 0;
      o.state = OrderState::kFilled;
      listener_.on_replaced(ReplacedEvent{hdr_, next_exec(), previous_ref, false, view(o)});
      finish(slot);
      return;
    }

    const bool same_price = c.price.count() == o.price && c.stop_price.count() == o.stop_price;
    const bool same_peak = c.display_qty.count() == o.display_qty;
    const bool keep = same_price && same_peak && c.qty.count() <= o.qty;
    if (keep) {
      const std::int64_t reduction = o.qty - c.qty.count();
      o.qty = c.qty.count();
      o.leaves -= reduction;
      if (o.level != kNil) {
        levels_[o.level].total -= reduction;
        o.visible = std::min(o.visible, o.leaves);
      } else {
        o.visible = o.display_qty > 0 ? std::min(o.display_qty, o.leaves) : o.leaves;
      }
      listener_.on_replaced(ReplacedEvent{hdr_, next_exec(), previous_ref, true, view(o)});
      return;
    }

    detach(slot);
    o.price = c.price.count();
    o.stop_price = c.stop_price.count();
    o.qty = c.qty.count();
    o.leaves = o.qty - o.cum_qty;
    o.display_qty = c.display_qty.count();
    o.visible = o.display_qty > 0 ? std::min(o.display_qty, o.leaves) : o.leaves;
    listener_.on_replaced(ReplacedEvent{hdr_, next_exec(), previous_ref, false, view(o)});
    if (!o.triggered) {
      add_stop(b, slot);
      return;
    }
    enter(b, slot, 0);
    fire_stops(b);
  }

  RejectCode validate_replace(const ReplaceCmd& c, const Order& o, const Book& b) const {
    if (b.spec.status == TradingStatus::kHalted) return RejectCode::kInstrumentHalted;
    if (b.spec.status == TradingStatus::kClosed) return RejectCode::kInstrumentClosed;
    if (c.qty.count() <= 0) return RejectCode::kQtyNotPositive;
    if (c.qty > b.spec.max_qty) return RejectCode::kQtyAboveMaximum;
    const bool limit_priced = o.type == OrdType::kLimit || o.type == OrdType::kStopLimit;
    const bool pending_stop = !o.triggered;
    if (limit_priced) {
      if (c.price.count() == 0) return RejectCode::kPriceRequired;
      if (c.price.count() < 0) return RejectCode::kPriceNotPositive;
      if (c.price.count() != o.price && (c.price.count() < b.band_lo || c.price.count() > b.band_hi)) {
        return RejectCode::kPriceOutsideBand;
      }
    } else if (c.price.count() != 0) {
      return RejectCode::kReplaceInvalid;
    }
    if (pending_stop) {
      if (c.stop_price.count() <= 0) return RejectCode::kStopPriceInvalid;
      if (b.last_trade > 0 && stop_fires(o.side, c.stop_price.count(), b.last_trade)) {
        return RejectCode::kStopAlreadyTriggered;
      }
    } else if (c.stop_price.count() != o.stop_price) {
      return RejectCode::kReplaceInvalid;  // a fired stop's trigger is history
    }
    if (c.display_qty.count() < 0 || c.display_qty > c.qty) return RejectCode::kDisplayQtyInvalid;
    if (o.post_only && !pending_stop && c.qty.count() > o.cum_qty && would_cross(b, o.side, c.price.count())) {
      return RejectCode::kPostOnlyWouldTake;
    }
    return RejectCode::kNone;
  }

  void status(const StatusCmd& c) {
    RejectCode code = RejectCode::kNone;
    const std::uint32_t slot = lookup(c.order, c.requester_firm, code);
    if (slot == kNil) {
      cancel_reject(CommandType::kStatus, c.client_ref, c.order, code, kNil);
      return;
    }
    listener_.on_status(StatusEvent{hdr_, c.client_ref, view(pool_[slot])});
  }

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

  void mass_cancel(const MassCancelCmd& c) {
    std::vector<std::uint32_t> hits;
    auto consider = [&](std::uint32_t slot) {
      const Order& o = pool_[slot];
      if (c.session.valid() && o.owner.session != c.session) return;
      if (c.firm.valid() && o.owner.firm != c.firm) return;
      if (c.account.valid() && o.owner.account != c.account) return;
      if (c.side != 0 && static_cast<std::uint8_t>(o.side) != c.side) return;
      if (c.tif_mask != 0 && (c.tif_mask & tif_bit(o.tif)) == 0) return;
      hits.push_back(slot);
    };
    if (c.instrument.valid()) {
      if (const Book* b = find_book(c.instrument)) visit_book(*b, consider);
    } else {
      visit_canonical(consider);
    }
    for (auto slot : hits) cancel_order(slot, c.reason, c.client_ref);
    listener_.on_mass_cancel_done(MassCancelDoneEvent{hdr_, c, hits.size()});
  }

  void end_of_day(const EndOfDayCmd& c) {
    std::vector<std::uint32_t> hits;
    auto consider = [&](std::uint32_t slot) {
      if (pool_[slot].tif == TimeInForce::kDay) hits.push_back(slot);
    };
    if (c.instrument.valid()) {
      if (const Book* b = find_book(c.instrument)) visit_book(*b, consider);
    } else {
      visit_canonical(consider);
    }
    for (auto slot : hits) expire_order(slot);
    if (!c.instrument.valid()) {
      end_trading_day(nullptr);
    } else if (const Book* b = find_book(c.instrument)) {
      end_trading_day(b);
    }
  }

  // ----- trade busts -----

  // The day's trades of one book (all books when b is null) can no longer be busted.
  void end_trading_day(const Book* b) {
    if (b == nullptr) {
      trades_.clear();
      done_today_.clear();
      trade_base_ = next_trade_;
      visit_canonical([&](std::uint32_t slot) { pool_[slot].traded_today = false; });
      return;
    }
    const auto book = static_cast<std::uint32_t>(b - books_.data());
    bool any = false;
    trades_.for_each([&](TradeRecord& t) {
      if (t.book == book) t.state = TradeState::kDayEnded;
      any = any || t.state != TradeState::kDayEnded;
    });
    if (!any) {
      trades_.clear();
      trade_base_ = next_trade_;
    }
    done_today_.keep_if([&](const OrderView& v) { return v.instrument != b->spec.id; });
    visit_book(*b, [&](std::uint32_t slot) { pool_[slot].traded_today = false; });
  }

  void bust(const BustTradeCmd& c) {
    const std::uint64_t v = c.trade.value();
    const std::uint64_t counter = v & kCounterMask;
    TradeRecord* t = nullptr;
    if ((v & ~kCounterMask) == id_base_ && counter >= trade_base_ && counter - trade_base_ < trades_.size()) {
      t = &trades_[counter - trade_base_];
    }
    RejectCode code = RejectCode::kNone;
    if (t == nullptr || t->state == TradeState::kDayEnded) {
      code = RejectCode::kUnknownTrade;
    } else if (t->state == TradeState::kBusted) {
      code = RejectCode::kTradeAlreadyBusted;
    }
    if (code != RejectCode::kNone) {
      ++counters_.bust_rejects;
      listener_.on_bust_rejected(BustRejectedEvent{hdr_, c.request_ref, c.trade, code});
      return;
    }
    t->state = TradeState::kBusted;
    ++counters_.busts;
    TradeBustedEvent e{};
    e.header = hdr_;
    e.request_ref = c.request_ref;
    e.trade_id = c.trade;
    e.instrument = books_[t->book].spec.id;
    e.price = Price(t->price);
    e.qty = Qty(t->qty);
    e.aggressor_side = t->aggressor_side;
    e.aggressor = bust_side(t->aggressor, t->price, t->qty);
    e.resting = bust_side(t->resting, t->price, t->qty);
    listener_.on_trade_busted(e);
  }

  // Takes one trade off an order: CumQty and cum_value lower; a live order gets the quantity back as
  // LeavesQty (it keeps its place: the quantity was in the queue when it traded); a done order stays
  // done, Filled becoming Cancelled (no longer filled in full, nothing left to trade).
  BustSide bust_side(std::uint64_t order_id, std::int64_t price, std::int64_t qty) {
    BustSide side{};
    side.exec_id = next_exec();
    const __int128 value = static_cast<__int128>(price) * qty;
    if (const std::uint32_t slot = index_.find(order_id & kCounterMask); slot != kNil) {
      Order& o = pool_[slot];
      o.cum_qty -= qty;
      o.set_cum_value(o.cum_value() - value);
      o.leaves += qty;
      if (o.level != kNil) {
        levels_[o.level].total += qty;
        if (o.display_qty == 0) o.visible = o.leaves;
      }
      o.state = o.cum_qty > 0 ? OrderState::kPartiallyFilled : OrderState::kNew;
      side.live = true;
      side.order = view(o);
      return side;
    }
    // A bust is a rare operator action: a scan of the day's done orders is cheaper than an index that
    // every finished order would pay for.
    for (std::size_t i = 0; i < done_today_.size(); ++i) {
      OrderView& d = done_today_[i];
      if (d.id.value() != order_id) continue;
      d.cum_qty = Qty(d.cum_qty.count() - qty);
      d.cum_value -= value;
      if (d.state == OrderState::kFilled) d.state = OrderState::kCancelled;
      side.order = d;
      return side;
    }
    side.order.id = OrderId(order_id);  // not reached: every order of a trade is live or kept
    return side;
  }

  void expire_gtd(std::int64_t now_ns) {
    while (!gtd_.empty() && gtd_.top().first <= now_ns) {
      const auto [expire, id] = gtd_.top();
      gtd_.pop();
      const std::uint32_t slot = index_.find(id & kCounterMask);
      // Entries of orders that already left the book are skipped (lazy deletion).
      if (slot == kNil || pool_[slot].tif != TimeInForce::kGtd || pool_[slot].expire_ns != expire) continue;
      expire_order(slot);
    }
  }

  void set_trading_status(const TradingStatusCmd& c) {
    for (Book& b : books_) {
      if (c.instrument.valid() && b.spec.id != c.instrument) continue;
      b.spec.status = c.status;
      listener_.on_trading_status(TradingStatusEvent{hdr_, b.spec.id, c.status});
    }
  }

  void set_reference_price(const ReferencePriceCmd& c) {
    if (Book* b = find_book(c.instrument); b != nullptr && c.price.count() > 0) {
      b->spec.reference_price = c.price;
      b->update_band();
    }
  }

  // ----- views and lookups -----

  OrderView view(const Order& o) const {
    OrderView v;
    v.id = OrderId(o.id);
    v.client_ref = o.client_ref;
    v.instrument = books_[o.book].spec.id;
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

  ExecId next_exec() { return ExecId(id_base_ | next_exec_++); }

  Book* find_book(InstrumentId id) { return const_cast<Book*>(static_cast<const EngineState*>(this)->find_book(id)); }
  const Book* find_book(InstrumentId id) const {
    const auto v = id.value();
    if (v < book_of_.size()) return book_of_[v] == kNil ? nullptr : &books_[book_of_[v]];
    auto it = far_books_.find(v);
    return it == far_books_.end() ? nullptr : &books_[it->second];
  }

  // ----- snapshots -----

  void save(std::vector<std::uint8_t>& out) const {
    const std::size_t expected = 64 + books_.size() * 64 + pool_.live() * sizeof(SavedOrder) +
                                 trades_.size() * sizeof(TradeRecord) +
                                 done_today_.size() * (sizeof(std::uint32_t) + sizeof(SavedOrder));
    Writer w(out, expected);
    w.put(kSnapshotMagic);
    w.put(kSnapshotVersion);
    w.put(settings_.shard);
    w.put(next_order_);
    w.put(next_trade_);
    w.put(next_exec_);
    w.put(static_cast<std::uint32_t>(books_.size()));
    for (const Book& b : books_) {
      w.put(b.spec.id.value());
      w.put(b.spec.status);
      w.put(b.spec.reference_price.count());
      w.put(b.last_trade);
      std::uint64_t n = 0;
      visit_book(b, [&](std::uint32_t) { ++n; });
      w.put(n);
      visit_book(b, [&](std::uint32_t slot) { w.put(saved(pool_[slot])); });
    }
    w.put(trade_base_);
    w.put(static_cast<std::uint64_t>(trades_.size()));
    trades_.for_each([&](const TradeRecord& t) { w.put(t); });
    w.put(static_cast<std::uint64_t>(done_today_.size()));
    done_today_.for_each([&](const OrderView& d) {
      w.put(d.instrument.value());
      w.put(saved(d));
    });
  }

  static SavedOrder saved(const OrderView& v) {
    SavedOrder s{};
    s.price = v.price.count();
    s.leaves = v.leaves_qty.count();
    s.id = v.id.value();
    s.client_ref = v.client_ref;
    s.qty = v.qty.count();
    s.cum_qty = v.cum_qty.count();
    s.display_qty = v.display_qty.count();
    s.stop_price = v.stop_price.count();
    s.expire_ns = v.expire_time_ns;
    s.cum_value_lo = static_cast<std::uint64_t>(v.cum_value);
    s.cum_value_hi = static_cast<std::int64_t>(v.cum_value >> 64);
    s.session = v.owner.session.value();
    s.firm = v.owner.firm.value();
    s.account = v.owner.account.value();
    s.side = static_cast<std::uint8_t>(v.side);
    s.type = static_cast<std::uint8_t>(v.type);
    s.tif = static_cast<std::uint8_t>(v.tif);
    s.stp = static_cast<std::uint8_t>(v.stp);
    s.post_only = v.post_only;
    s.triggered = v.triggered;
    s.state = static_cast<std::uint8_t>(v.state);
    return s;
  }

  static OrderView view_of(const SavedOrder& s, InstrumentId instrument) {
    OrderView v{};
    v.id = OrderId(s.id);
    v.client_ref = s.client_ref;
    v.instrument = instrument;
    v.owner = Owner{SessionId(s.session), FirmId(s.firm), AccountId(s.account)};
    v.side = static_cast<Side>(s.side);
    v.type = static_cast<OrdType>(s.type);
    v.tif = static_cast<TimeInForce>(s.tif);
    v.stp = static_cast<StpMode>(s.stp);
    v.post_only = s.post_only != 0;
    v.triggered = s.triggered != 0;
    v.state = static_cast<OrderState>(s.state);
    v.price = Price(s.price);
    v.stop_price = Price(s.stop_price);
    v.qty = Qty(s.qty);
    v.cum_qty = Qty(s.cum_qty);
    v.leaves_qty = Qty(s.leaves);
    v.display_qty = Qty(s.display_qty);
    v.expire_time_ns = s.expire_ns;
    v.cum_value = static_cast<__int128>(static_cast<unsigned __int128>(s.cum_value_hi) << 64 | s.cum_value_lo);
    return v;
  }

  static SavedOrder saved(const Order& o) {
    SavedOrder s{};
    s.price = o.price;
    s.leaves = o.leaves;
    s.visible = o.visible;
    s.id = o.id;
    s.client_ref = o.client_ref;
    s.qty = o.qty;
    s.cum_qty = o.cum_qty;
    s.display_qty = o.display_qty;
    s.stop_price = o.stop_price;
    s.expire_ns = o.expire_ns;
    s.cum_value_lo = o.cum_value_lo;
    s.cum_value_hi = o.cum_value_hi;
    s.session = o.owner.session.value();
    s.firm = o.owner.firm.value();
    s.account = o.owner.account.value();
    s.side = static_cast<std::uint8_t>(o.side);
    s.type = static_cast<std::uint8_t>(o.type);
    s.tif = static_cast<std::uint8_t>(o.tif);
    s.stp = static_cast<std::uint8_t>(o.stp);
    s.post_only = o.post_only;
    s.triggered = o.triggered;
    s.state = static_cast<std::uint8_t>(o.state);
    return s;
  }

  bool load(std::span<const std::uint8_t> bytes, std::string& error) {
    Reader r(bytes);
    std::uint32_t magic = 0, version = 0, nbooks = 0;
    std::uint16_t shard = 0;
    if (!r.get(magic) || magic != kSnapshotMagic) return fail(error, "not an engine snapshot");
    if (!r.get(version) || version < 1 || version > kSnapshotVersion) {
      return fail(error, "unsupported snapshot version " + std::to_string(version));
    }
    if (!r.get(shard) || shard != settings_.shard) return fail(error, "snapshot belongs to another shard");
    std::uint64_t next_order = 0, next_trade = 0, next_exec = 0;
    if (!r.get(next_order) || !r.get(next_trade) || !r.get(next_exec) || !r.get(nbooks)) {
      return fail(error, "snapshot truncated");
    }
    // Build into a fresh state first so a bad snapshot leaves this one untouched.
    EngineState fresh(settings_, specs_, listener_);
    fresh.next_order_ = next_order;
    fresh.next_trade_ = next_trade;
    fresh.next_exec_ = next_exec;
    for (std::uint32_t i = 0; i < nbooks; ++i) {
      std::uint32_t id = 0;
      TradingStatus status{};
      std::int64_t reference = 0, last = 0;
      std::uint64_t n = 0;
      if (!r.get(id) || !r.get(status) || !r.get(reference) || !r.get(last) || !r.get(n)) {
        return fail(error, "snapshot truncated");
      }
      Book* b = fresh.find_book(InstrumentId(id));
      if (b == nullptr)
        return fail(error, "snapshot has orders for instrument " + std::to_string(id) + ", not configured");
      b->spec.status = status;
      b->spec.reference_price = Price(reference);
      b->last_trade = last;
      b->update_band();
      for (std::uint64_t k = 0; k < n; ++k) {
        SavedOrder s;
        if (!r.get(s)) return fail(error, "snapshot truncated");
        if (!fresh.restore(*b, s, error)) return false;
      }
    }
    if (version >= 2 && !fresh.load_trades(r, error)) return false;
    if (version < 2) fresh.trade_base_ = next_trade;
    if (!r.done()) return fail(error, "snapshot has trailing bytes");
    swap(fresh);
    return true;
  }

  // The day's trades and done orders of a version 2 snapshot, into a fresh state.
  bool load_trades(Reader& r, std::string& error) {
    std::uint64_t n = 0;
    if (!r.get(trade_base_) || !r.get(n)) return fail(error, "snapshot truncated");
    if (trade_base_ == 0 || trade_base_ > next_trade_ || n != next_trade_ - trade_base_) {
      return fail(error, "snapshot's trades do not match its trade counter");
    }
    for (std::uint64_t k = 0; k < n; ++k) {
      TradeRecord t{};
      if (!r.get(t)) return fail(error, "snapshot truncated");
      if (t.book >= books_.size() || t.state > TradeState::kDayEnded || t.qty <= 0) {
        return fail(error, "snapshot has an invalid trade");
      }
      trades_.push_back(t);
      if (t.state == TradeState::kDayEnded) continue;
      // Orders still live that traded today keep their final view when they leave, as they would have.
      for (const std::uint64_t id : {t.aggressor, t.resting}) {
        if (const std::uint32_t slot = index_.find(id & kCounterMask); slot != kNil) pool_[slot].traded_today = true;
      }
    }
    if (!r.get(n)) return fail(error, "snapshot truncated");
    for (std::uint64_t k = 0; k < n; ++k) {
      std::uint32_t instrument = 0;
      SavedOrder s{};
      if (!r.get(instrument) || !r.get(s)) return fail(error, "snapshot truncated");
      if (find_book(InstrumentId(instrument)) == nullptr) return fail(error, "snapshot has an invalid done order");
      done_today_.push_back(view_of(s, InstrumentId(instrument)));
    }
    return true;
  }

  bool restore(Book& b, const SavedOrder& s, std::string& error) {
    if ((s.id & ~kCounterMask) != id_base_ || (s.id & kCounterMask) >= next_order_ || s.leaves <= 0 ||
        index_.find(s.id & kCounterMask) != kNil) {
      return fail(error, "snapshot has an invalid order " + std::to_string(s.id));
    }
    const std::uint32_t slot = pool_.allocate();
    Order& o = pool_[slot];
    o.price = s.price;
    o.leaves = s.leaves;
    o.visible = s.visible;
    o.prev = o.next = o.level = kNil;
    o.book = static_cast<std::uint16_t>(&b - books_.data());
    o.id = s.id;
    o.client_ref = s.client_ref;
    o.qty = s.qty;
    o.cum_qty = s.cum_qty;
    o.display_qty = s.display_qty;
    o.stop_price = s.stop_price;
    o.expire_ns = s.expire_ns;
    o.cum_value_lo = s.cum_value_lo;
    o.cum_value_hi = s.cum_value_hi;
    o.owner = Owner{SessionId(s.session), FirmId(s.firm), AccountId(s.account)};
    o.side = static_cast<Side>(s.side);
    o.type = static_cast<OrdType>(s.type);
    o.tif = static_cast<TimeInForce>(s.tif);
    o.stp = static_cast<StpMode>(s.stp);
    o.post_only = s.post_only != 0;
    o.triggered = s.triggered != 0;
    o.state = static_cast<OrderState>(s.state);
    o.live = true;
    o.traded_today = false;
    index_.insert(s.id & kCounterMask, slot);
    if (o.triggered) {
      // Canonical order is best level first, time priority within: appending reproduces each queue.
      const bool bid = o.side == Side::kBuy;
      auto& side_levels = bid ? b.bids : b.asks;
      // Levels arrive best first; keep the vector sorted with the best at the back.
      std::uint32_t ls;
      if (!side_levels.empty() && side_levels.front().price == o.price) {
        ls = side_levels.front().slot;
      } else {
        ls = allocate_level(o.price, level_owner(b, bid));
        side_levels.insert(side_levels.begin(), LevelRef{o.price, ls});
      }
      Level& lvl = levels_[ls];
      append_to_level(lvl, slot);
      lvl.total += o.leaves;
      ++lvl.count;
      o.level = ls;
      ++b.resting;
      if (o.tif == TimeInForce::kGtd) gtd_.push({o.expire_ns, o.id});
    } else {
      add_stop(b, slot);
    }
    return true;
  }

  static bool fail(std::string& error, std::string message) {
    error = std::move(message);
    return false;
  }

  void swap(EngineState& other) {
    std::swap(books_, other.books_);
    std::swap(book_of_, other.book_of_);
    std::swap(far_books_, other.far_books_);
    std::swap(pool_, other.pool_);
    std::swap(index_, other.index_);
    std::swap(levels_, other.levels_);
    std::swap(free_level_, other.free_level_);
    std::swap(gtd_, other.gtd_);
    std::swap(next_order_, other.next_order_);
    std::swap(next_trade_, other.next_trade_);
    std::swap(next_exec_, other.next_exec_);
    std::swap(trades_, other.trades_);
    std::swap(trade_base_, other.trade_base_);
    std::swap(done_today_, other.done_today_);
  }

  // ----- invariants -----

  std::string check_invariants() const {
    std::size_t seen = 0;
    for (std::size_t bi = 0; bi < books_.size(); ++bi) {
      const Book& b = books_[bi];
      const std::string name = "instrument " + std::to_string(b.spec.id.value()) + ": ";
      std::size_t resting = 0;
      for (int side = 0; side < 2; ++side) {
        const auto& lv = side == 0 ? b.bids : b.asks;
        const Side s = side == 0 ? Side::kBuy : Side::kSell;
        for (std::size_t i = 0; i < lv.size(); ++i) {
          if (i > 0 && (side == 0 ? lv[i - 1].price >= lv[i].price : lv[i - 1].price <= lv[i].price)) {
            return name + "levels out of order";
          }
          const Level& l = levels_[lv[i].slot];
          if (l.price != lv[i].price) return name + "level price mismatch";
          if (l.owner != bi * 2 + static_cast<std::size_t>(side)) return name + "level owner wrong";
          std::int64_t total = 0;
          std::uint32_t count = 0;
          std::uint32_t prev = kNil;
          for (std::uint32_t r = l.head; r != kNil; r = pool_[r].next) {
            const Order& o = pool_[r];
            const std::string oname = name + "order " + std::to_string(o.id) + ": ";
            if (!o.live) return oname + "dead order in a level";
            if (o.prev != prev) return oname + "broken links";
            if (o.level != lv[i].slot || o.price != l.price || o.side != s || o.book != bi) {
              return oname + "in the wrong level";
            }
            if (o.leaves <= 0 || o.visible <= 0 || o.visible > o.leaves) return oname + "bad leaves/visible";
            if (o.display_qty == 0 && o.visible != o.leaves) return oname + "hidden quantity on a plain order";
            if (o.cum_qty + o.leaves != o.qty) return oname + "cum + leaves != qty";
            if (o.state != (o.cum_qty > 0 ? OrderState::kPartiallyFilled : OrderState::kNew))
              return oname + "bad state";
            if (!o.triggered) return oname + "untriggered stop in a level";
            if (index_.find(o.id & kCounterMask) != r) return oname + "index mismatch";
            total += o.leaves;
            ++count;
            prev = r;
            ++resting;
          }
          if (l.tail != prev) return name + "bad level tail";
          if (count == 0) return name + "empty level kept";
          if (l.total != total || l.count != count) return name + "level totals wrong";
        }
      }
      if (!b.bids.empty() && !b.asks.empty() && b.bids.back().price >= b.asks.back().price)
        return name + "book crossed";
      if (resting != b.resting) return name + "resting count wrong";
      seen += resting;
      for (const auto* stops : {&b.buy_stops, &b.sell_stops}) {
        for (const auto& [key, slot] : *stops) {
          const Order& o = pool_[slot];
          if (!o.live || o.triggered || o.level != kNil || o.book != bi) return name + "bad stop order";
          if (index_.find(o.id & kCounterMask) != slot) return name + "stop index mismatch";
          ++seen;
        }
      }
    }
    if (seen != pool_.live())
      return "live orders in the pool (" + std::to_string(pool_.live()) + ") != orders in the books (" +
             std::to_string(seen) + ")";
    return {};
  }

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
};

Engine::Engine(const EngineSettings& settings, std::span<const InstrumentSpec> instruments, EventListener& listener)
    : s_(std::make_unique<EngineState>(settings, instruments, listener)) {}

Engine::~Engine() = default;

void Engine::apply(const Command& command) { s_->apply(command); }

void Engine::apply(std::span<const Command> commands) { s_->apply_batch(commands); }

std::size_t Engine::live_orders() const { return s_->pool_.live(); }
std::size_t Engine::resting_orders() const { return s_->resting_orders(); }
const EngineCounters& Engine::counters() const { return s_->counters_; }
const EngineSettings& Engine::settings() const { return s_->settings_; }
std::span<const InstrumentSpec> Engine::instruments() const { return s_->specs_; }

bool Engine::find_order(OrderId id, OrderView& out) const {
  RejectCode code = RejectCode::kNone;
  const std::uint32_t slot = s_->lookup(id, FirmId(), code);
  if (slot == kNil) return false;
  out = s_->view(s_->pool_[slot]);
  return true;
}

bool Engine::top_of_book(InstrumentId instrument, TopOfBook& out) const {
  const Book* b = s_->find_book(instrument);
  if (b == nullptr) return false;
  out = TopOfBook{};
  if (!b->bids.empty()) {
    out.bid_price = Price(b->bids.back().price);
    out.bid_qty = Qty(s_->levels_[b->bids.back().slot].total);
  }
  if (!b->asks.empty()) {
    out.ask_price = Price(b->asks.back().price);
    out.ask_qty = Qty(s_->levels_[b->asks.back().slot].total);
  }
  out.last_trade = Price(b->last_trade);
  return true;
}

std::vector<Engine::LevelView> Engine::depth(InstrumentId instrument, Side side) const {
  std::vector<LevelView> out;
  const Book* b = s_->find_book(instrument);
  if (b == nullptr) return out;
  const auto& lv = side == Side::kBuy ? b->bids : b->asks;
  for (auto it = lv.rbegin(); it != lv.rend(); ++it) {
    const Level& l = s_->levels_[it->slot];
    out.push_back(LevelView{Price(l.price), Qty(l.total), l.count});
  }
  return out;
}

void Engine::for_each_order(const std::function<void(const OrderView&)>& visit) const {
  s_->visit_canonical([&](std::uint32_t slot) { visit(s_->view(s_->pool_[slot])); });
}

void Engine::for_each_instrument(const std::function<void(const InstrumentState&)>& visit) const {
  for (const Book& b : s_->books_) {
    InstrumentState st;
    st.id = b.spec.id;
    st.status = b.spec.status;
    st.reference_price = b.spec.reference_price;
    st.last_trade = Price(b.last_trade);
    st.band_low = Price(b.has_band() ? b.band_lo : 0);
    st.band_high = Price(b.has_band() ? b.band_hi : 0);
    visit(st);
  }
}

std::size_t Engine::trades_today() const {
  std::size_t n = 0;
  s_->trades_.for_each([&](const TradeRecord& t) { n += t.state != TradeState::kDayEnded ? 1 : 0; });
  return n;
}

std::vector<std::uint8_t> Engine::save() const {
  std::vector<std::uint8_t> out;
  s_->save(out);
  return out;
}

void Engine::save(std::vector<std::uint8_t>& out) const { s_->save(out); }

bool Engine::load(std::span<const std::uint8_t> bytes, std::string& error) { return s_->load(bytes, error); }

std::uint64_t Engine::state_hash() const {
  const auto bytes = save();
  return detail::hash64(bytes.data(), bytes.size());
}

std::uint64_t Engine::state_hash_of(std::span<const std::uint8_t> saved) {
  return detail::hash64(saved.data(), saved.size());
}

std::int64_t Engine::next_expiry_ns() const {
  return s_->gtd_.empty() ? std::numeric_limits<std::int64_t>::max() : s_->gtd_.top().first;
}

std::string Engine::check_invariants() const { return s_->check_invariants(); }

}  // namespace venue::matcher
