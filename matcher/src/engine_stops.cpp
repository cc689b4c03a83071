// Stop orders: waiting in their book's stop queues until the last trade price reaches their trigger,
// then entering the book with new time priority. Apart from the hot path (engine_orders.cpp): the
// venue's common orders carry no stop. See engine_state.h for how the engine's sources divide the work.
#include "engine_state.h"

namespace venue::matcher {

void EngineState::add_stop(Book& b, std::uint32_t slot) {
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
void EngineState::fire_stops(Book& b) {
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

}  // namespace venue::matcher
