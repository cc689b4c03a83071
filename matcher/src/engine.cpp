// The public Engine API (engine.h) over the engine's private state (engine_state.h, where the sources'
// division of the work is described).
#include "venue/matcher/engine.h"

#include <limits>

#include "engine_state.h"
#include "hash64.h"

namespace venue::matcher {
Engine::Engine(const EngineSettings& settings, std::span<const InstrumentSpec> instruments, EventListener& listener)
    : s_(std::make_unique<EngineState>(settings, instruments, listener)) {}

Engine::~Engine() = default;

// Where an engine's memory comes from before its first command (EngineSettings::reserve_orders).
void EngineState::reserve(std::size_t orders, std::size_t trades) {
  if (orders > 0) {
    pool_.reserve(orders);
    // A level holds at least one order; books of this venue's shape average several per level.
    const std::size_t levels = std::max<std::size_t>(orders / 4, 1024);
    levels_.reserve(levels);
    levels_.resize(levels);  // written once: faulted in
    levels_.clear();         // the capacity (and its pages) stays
    index_.reserve(std::max<std::size_t>(orders / detail::OrderIndex::kPageSize, 8));
  }
  if (trades > 0) {
    trades_.reserve(trades);
    // At most two orders leave per trade; most trades finish one (the resting order or the aggressor).
    done_today_.reserve(trades);
  }
}

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
