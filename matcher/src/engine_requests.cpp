// Requests on existing orders other than cancels (replace, status), rejects of new orders and of
// requests, mass cancel, end of day, GTD expiry, trading status and reference prices, and trade busts.
// See engine_state.h for how the engine's sources divide the work.
#include "engine_state.h"

namespace venue::matcher {

void EngineState::reject(const NewOrderCmd& c, std::uint64_t id, RejectCode code) {
  ++counters_.rejects;
  OrderView v = accepted_view(c, id, false);  // the order as it would have been, then rejected: nothing left
  v.state = OrderState::kRejected;
  v.leaves_qty = Qty(0);
  listener_.on_rejected(RejectedEvent{hdr_, next_exec(), code, v});
}

void EngineState::cancel_reject(CommandType request, std::uint64_t client_ref, OrderId id, RejectCode code,
                                std::uint32_t slot) {
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

void EngineState::expire_order(std::uint32_t slot) {
  Order& o = pool_[slot];
  detach(slot);
  const std::int64_t leaves = o.leaves;
  o.leaves = 0;
  o.visible = 0;
  o.state = OrderState::kExpired;
  listener_.on_expired(ExpiredEvent{hdr_, next_exec(), Qty(leaves), view(o)});
  finish(slot);
}

void EngineState::replace(const ReplaceCmd& c) {
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
  fire_stops_if_any(b);
}

RejectCode EngineState::validate_replace(const ReplaceCmd& c, const Order& o, const Book& b) const {
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

void EngineState::status(const StatusCmd& c) {
  RejectCode code = RejectCode::kNone;
  const std::uint32_t slot = lookup(c.order, c.requester_firm, code);
  if (slot == kNil) {
    cancel_reject(CommandType::kStatus, c.client_ref, c.order, code, kNil);
    return;
  }
  listener_.on_status(StatusEvent{hdr_, c.client_ref, view(pool_[slot])});
}

void EngineState::mass_cancel(const MassCancelCmd& c) {
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

void EngineState::end_of_day(const EndOfDayCmd& c) {
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

// The day's trades of one book (all books when b is null) can no longer be busted.
void EngineState::end_trading_day(const Book* b) {
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

void EngineState::bust(const BustTradeCmd& c) {
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
BustSide EngineState::bust_side(std::uint64_t order_id, std::int64_t price, std::int64_t qty) {
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

void EngineState::expire_gtd(std::int64_t now_ns) {
  while (!gtd_.empty() && gtd_.top().first <= now_ns) {
    const auto [expire, id] = gtd_.top();
    gtd_.pop();
    const std::uint32_t slot = index_.find(id & kCounterMask);
    // Entries of orders that already left the book are skipped (lazy deletion).
    if (slot == kNil || pool_[slot].tif != TimeInForce::kGtd || pool_[slot].expire_ns != expire) continue;
    expire_order(slot);
  }
}

void EngineState::set_trading_status(const TradingStatusCmd& c) {
  for (Book& b : books_) {
    if (c.instrument.valid() && b.spec.id != c.instrument) continue;
    b.spec.status = c.status;
    listener_.on_trading_status(TradingStatusEvent{hdr_, b.spec.id, c.status});
  }
}

void EngineState::set_reference_price(const ReferencePriceCmd& c) {
  if (Book* b = find_book(c.instrument); b != nullptr && c.price.count() > 0) {
    b->spec.reference_price = c.price;
    b->update_band();
  }
}

}  // namespace venue::matcher
