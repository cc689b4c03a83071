// Snapshots: the state in a canonical byte form (independent of memory layout: the same state gives the
// same bytes, which the state hash relies on) and back, and the invariant checks of tests and tools.
// See engine_state.h for how the engine's sources divide the work.
#include <cstring>
#include <type_traits>
#include "engine_state.h"

namespace venue::matcher::detail {

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

}  // namespace venue::matcher::detail

namespace venue::matcher {

using detail::kSnapshotMagic;
using detail::kSnapshotVersion;
using detail::Writer;

void EngineState::save(std::vector<std::uint8_t>& out) const {
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

SavedOrder EngineState::saved(const OrderView& v) {
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

OrderView EngineState::view_of(const SavedOrder& s, InstrumentId instrument) {
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

SavedOrder EngineState::saved(const Order& o) {
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

bool EngineState::load(std::span<const std::uint8_t> bytes, std::string& error) {
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
bool EngineState::load_trades(Reader& r, std::string& error) {
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

bool EngineState::restore(Book& b, const SavedOrder& s, std::string& error) {
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
    join_level(b, ls, slot);
  } else {
    add_stop(b, slot);
  }
  return true;
}

void EngineState::swap(EngineState& other) {
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

std::string EngineState::check_invariants() const {
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
          if (o.state != (o.cum_qty > 0 ? OrderState::kPartiallyFilled : OrderState::kNew)) return oname + "bad state";
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
    if (!b.bids.empty() && !b.asks.empty() && b.bids.back().price >= b.asks.back().price) return name + "book crossed";
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

}  // namespace venue::matcher
