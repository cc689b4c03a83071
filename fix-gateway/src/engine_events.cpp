// Engine events to reports, on the gateway thread: each event the engines' rings deliver (and, while
// recovering, each event replayed from a journal) becomes the FIX message its broker is owed, built by
// report_builder.h and sent by outbound.cpp, with the gateway's bookkeeping kept in step: orders bound
// to their OrderIDs, requests answered and forgotten, ClOrdIDs moved on replaces, open notional moved
// with leaves, orders forgotten when they end.
#include "gateway_impl.h"
#include "venue/common/log.h"

namespace venue::fix_gateway {

namespace m = venue::matcher;

// Events come in engine order per shard: one of seq S means every command before S has had all its events
// handled, so those count as reported (S itself only once a later command's event arrives, or the shard
// has stopped: spec/recovery.md).
void Gateway::Impl::begin_event(std::uint64_t seq) {
  event_seq_ = seq;
  if (event_shard_ != kNoShard && seq > 0) {
    reports->mark_reported(static_cast<std::uint16_t>(cfg.engine.shards[event_shard_].id), seq - 1);
  }
}

// The gateway's record of the order an event is about; while replaying after a crash, rebuilt.
Order* Gateway::Impl::order_for(const m::OrderView& v) {
  if (Order* o = orders.by_id(v.id)) return o;
  if (Order* o = orders.find(v.client_ref)) return o;
  if (replaying_) {
    if (Order* o = adopt(v)) return o;
  }
  // An event about an order the gateway has no record of (its identity was lost): nothing can be sent to
  // a broker for it. Never silent: counted and logged, so operations can cancel it (it only answers to
  // its OrderID).
  metrics.events_without_order->Increment();
  VENUE_LOG_KV(error, "engine event for an order the gateway does not know: not reported",
               {{"order_id", v.id.value()}, {"client_ref", v.client_ref}, {"seq", event_seq_}});
  return nullptr;
}

void Gateway::Impl::quantities(fix_session::OutMessage& er, const Order& o, const m::OrderView& v) {
  if (!set_quantities(er, instruments[o.instrument], v)) {
    metrics.avg_px_failures->Increment();
    VENUE_LOG_KV(error, "AvgPx could not be computed: reported as 0",
                 {{"order_id", v.id.value()}, {"cum_qty", v.cum_qty.count()}});
  }
}

fix_session::OutMessage Gateway::Impl::report_of(const Order& o, char exec_type, char status,
                                                 const std::string& exec_id, std::int64_t now_ns) {
  return execution_report(o, instruments[o.instrument], account_name(o.account), exec_type, status, exec_id, now_ns);
}

void Gateway::Impl::set_open(Order& o, const m::OrderView& v) {
  track(o, v);
  const __int128 now_units = v.leaves_qty.count() > 0
                                 ? PreTradeRisk::notional_units(instruments[o.instrument], v.leaves_qty.count(),
                                                                o.price != 0 ? o.price : o.stop)
                                 : 0;
  risk.add_open(o.account, now_units - o.open_units);
  o.open_units = now_units;
}

void Gateway::Impl::release(Order& o) {
  risk.add_open(o.account, -o.open_units);
  o.open_units = 0;
}

// The order is over: forget it (keeping its final status for a while).
void Gateway::Impl::finish(Order& o, char status) {
  release(o);
  // An order that traded today can still be busted until the end of day: its identity is kept for the
  // ExecutionReport a bust owes its broker.
  if (o.cum > 0 && o.id.valid()) {
    Order& kept = traded_and_ended.insert_or_assign(o.id.value(), o).first->second;
    kept.deferred.clear();
  }
  Session* s = session(o.session);
  if (s == nullptr) return;
  orders.finish(o, s->orders, status);
}

void Gateway::Impl::on_accepted(const m::AcceptedEvent& e) {
  begin_event(e.header.seq);
  Order* op = order_for(e.order);
  if (op == nullptr) return;
  Order& o = *op;
  orders.bind(o, e.order.id);
  track(o, e.order);
  Session& s = *session(o.session);
  fix_session::OutMessage er =
      report_of(o, '0', ord_status(e.order.state), std::to_string(e.exec_id.value()), e.header.now_ns);
  quantities(er, o, e.order);
  metrics.report('0');
  send(s, er);
  auto deferred = std::move(o.deferred);
  o.deferred.clear();
  for (auto& fn : deferred) fn(o);
}

void Gateway::Impl::on_rejected(const m::RejectedEvent& e) {
  begin_event(e.header.seq);
  Order* op = order_for(e.order);
  if (op == nullptr) return;
  Order& o = *op;
  o.id = e.order.id;
  Session& s = *session(o.session);
  count_reject(s, e.code);
  fix_session::OutMessage er = report_of(o, '8', '8', std::to_string(e.exec_id.value()), e.header.now_ns);
  quantities(er, o, e.order);
  er.set(FIX::FIELD::LeavesQty, "0");
  er.set(FIX::FIELD::OrdRejReason, std::to_string(ord_rej_reason(e.code)));
  er.set(FIX::FIELD::Text, code_text(e.code));
  metrics.report('8');
  send(s, er);
  o.id = OrderId();
  refuse_waiting_requests(o);
  finish(o);
}

void Gateway::Impl::on_trade(const m::TradeEvent& e) {
  begin_event(e.header.seq);
  if (const auto i = instruments.find(e.instrument)) instruments[*i].last_trade = e.price.count();
  trade_fills[e.trade_id.value()] = TradeFills{e.aggressor.exec_id.value(), e.resting.exec_id.value()};
  for (const m::Fill* f : {&e.aggressor, &e.resting}) {
    Order* o = order_for(f->order);
    if (o == nullptr) continue;
    Session& s = *session(o->session);
    fix_session::OutMessage er =
        report_of(*o, 'F', ord_status(f->order.state), std::to_string(f->exec_id.value()), e.header.now_ns);
    const Instrument& in = instruments[o->instrument];
    quantities(er, *o, f->order);
    set_fill(er, in, e, f == &e.aggressor);
    metrics.report('F');
    send(s, er);
    set_open(*o, f->order);
    if (f->order.leaves_qty.count() == 0) finish(*o, '2');
  }
}

void Gateway::Impl::on_cancelled(const m::CancelledEvent& e) {
  begin_event(e.header.seq);
  Order* o = order_for(e.order);
  if (o == nullptr) return;
  Session& s = *session(o->session);
  fix_session::OutMessage er = report_of(*o, '4', '4', std::to_string(e.exec_id.value()), e.header.now_ns);
  quantities(er, *o, e.order);
  er.set(FIX::FIELD::Text, cancel_text(e.reason));
  if (e.reason == m::CancelReason::kKillSwitch) {
    if (auto it = kill_waits.find(e.request_ref); it != kill_waits.end() && !it->second->reason.empty()) {
      er.set(FIX::FIELD::Text, cancel_text(e.reason) + " (" + it->second->reason + ")");
    }
  }
  if (e.reason == m::CancelReason::kUser) {
    if (Request* rq = request_for(e.request_ref, e.order.id)) {
      er.set(FIX::FIELD::ClOrdID, rq->clordid);
      er.set(FIX::FIELD::OrigClOrdID, o->clordid);
      orders.erase_request(e.request_ref);
    }
  }
  metrics.report('4');
  send(s, er);
  finish(*o, '4');
}

void Gateway::Impl::on_expired(const m::ExpiredEvent& e) {
  begin_event(e.header.seq);
  Order* o = order_for(e.order);
  if (o == nullptr) return;
  Session& s = *session(o->session);
  fix_session::OutMessage er = report_of(*o, 'C', 'C', std::to_string(e.exec_id.value()), e.header.now_ns);
  quantities(er, *o, e.order);
  er.set(FIX::FIELD::Text, o->tif == TimeInForce::kGtd ? "expired: ExpireTime reached" : "expired: end of day");
  metrics.report('C');
  send(s, er);
  finish(*o, 'C');
}

void Gateway::Impl::on_replaced(const m::ReplacedEvent& e) {
  begin_event(e.header.seq);
  Order* o = order_for(e.order);
  if (o == nullptr) return;
  Session& s = *session(o->session);
  const std::string previous = o->clordid;
  if (Request* rq = request_for(e.order.client_ref, e.order.id)) {
    // The replace takes effect: the order answers to the new ClOrdID from now on.
    s.orders.live.erase(o->clordid);
    o->clordid = rq->clordid;
    s.orders.live[o->clordid] = o->key;
    orders.erase_request(e.order.client_ref);
  }
  o->price = e.order.price.count();
  o->stop = e.order.stop_price.count();
  o->display = e.order.display_qty.count();
  o->ref = e.order.client_ref;
  o->qty = e.order.qty.count();
  fix_session::OutMessage er =
      report_of(*o, '5', ord_status(e.order.state), std::to_string(e.exec_id.value()), e.header.now_ns);
  er.set(FIX::FIELD::OrigClOrdID, previous);
  quantities(er, *o, e.order);
  metrics.report('5');
  send(s, er);
  set_open(*o, e.order);
  if (e.order.leaves_qty.count() == 0) finish(*o, '2');
}

void Gateway::Impl::on_cancel_rejected(const m::CancelRejectedEvent& e) {
  begin_event(e.header.seq);
  Request* rq = request_for(e.client_ref, e.order_id);
  if (rq == nullptr) return;
  Request r = std::move(*rq);
  orders.erase_request(e.client_ref);
  Session* sp = session(r.session);
  if (sp == nullptr) return;
  Session& s = *sp;
  if (r.kind == 'H') {
    send_unknown_status(
        s,
        UnknownStatusFields{.order_id = e.order_id.valid() ? std::to_string(e.order_id.value()) : "NONE",
                            .clordid = r.clordid,
                            .status_req_id = r.status_req_id},
        e.code, false);
    return;
  }
  if (r.kind == 'G') {
    auto it = s.orders.live.find(r.clordid);
    if (it != s.orders.live.end() && it->second == r.order_key) s.orders.live.erase(it);
  }
  const Order* o = orders.find(r.order_key);
  char status = e.order_known ? ord_status(e.order.state) : '8';
  if (!e.order_known) {
    if (const auto fs = orders.final_status(e.order_id)) status = *fs;
  }
  send_cancel_reject(s, r.clordid, r.orig_clordid, o, r.kind == 'G', e.code, "", status);
}

void Gateway::Impl::on_restated(const m::RestatedEvent& e) {
  begin_event(e.header.seq);
  Order* o = order_for(e.order);
  if (o == nullptr) return;
  Session& s = *session(o->session);
  o->qty = e.order.qty.count();
  fix_session::OutMessage er =
      report_of(*o, 'D', ord_status(e.order.state), std::to_string(e.exec_id.value()), e.header.now_ns);
  quantities(er, *o, e.order);
  er.set(FIX::FIELD::ExecRestatementReason, "5");
  er.set(FIX::FIELD::Text, "restated: quantity reduced by self-trade prevention (decrement)");
  metrics.report('D');
  send(s, er);
  set_open(*o, e.order);
}

void Gateway::Impl::on_triggered(const m::TriggeredEvent& e) {
  begin_event(e.header.seq);
  Order* o = order_for(e.order);
  if (o == nullptr) return;
  Session& s = *session(o->session);
  fix_session::OutMessage er =
      report_of(*o, 'D', ord_status(e.order.state), std::to_string(e.exec_id.value()), e.header.now_ns);
  quantities(er, *o, e.order);
  er.set(FIX::FIELD::ExecRestatementReason, "99");
  er.set(FIX::FIELD::Text, "stop triggered at " + ticks_text(instruments[o->instrument], e.trigger_price.count()));
  metrics.report('D');
  send(s, er);
  track(*o, e.order);
}

void Gateway::Impl::on_status(const m::StatusEvent& e) {
  begin_event(e.header.seq);
  Request* rq = request_for(e.request_ref, e.order.id);
  Order* o = order_for(e.order);
  if (rq == nullptr || o == nullptr) return;
  Request r = std::move(*rq);
  orders.erase_request(e.request_ref);
  Session* s = session(r.session);
  if (s == nullptr) return;
  fix_session::OutMessage er = report_of(*o, 'I', ord_status(e.order.state), next_local_exec_id(), e.header.now_ns);
  quantities(er, *o, e.order);
  if (!r.status_req_id.empty()) er.set(FIX::FIELD::OrdStatusReqID, r.status_req_id);
  metrics.report('I');
  send(*s, er);
}

void Gateway::Impl::on_mass_cancel_done(const m::MassCancelDoneEvent& e) {
  begin_event(e.header.seq);
  if (auto it = kill_waits.find(e.request.client_ref); it != kill_waits.end()) {
    KillWait& w = *it->second;
    w.cancelled += e.cancelled_count;
    if (--w.pending == 0) {
      w.done.set_value(w.cancelled);
      kill_waits.erase(it);
    }
    return;
  }
  Request* rq = request_for(e.request.client_ref, OrderId());
  if (rq == nullptr) return;
  Request& r = *rq;
  r.affected += e.cancelled_count;
  if (--r.pending_reports > 0) return;  // more shards to report
  if (Session* s = session(r.session)) {
    send_mass_cancel_report(
        *s,
        MassCancelReportFields{.clordid = r.clordid,
                               .request_type = r.mass_type,
                               .response = r.mass_type,
                               .reject_reason = 0,
                               .affected = r.affected,
                               .symbol = r.symbol.empty() ? std::nullopt : std::optional<std::string>(r.symbol),
                               .side = r.side != 0 ? std::optional<std::string>(std::string(1, r.side)) : std::nullopt},
        RejectCode::kNone, "");
  }
  orders.erase_request(e.request.client_ref);
}

void Gateway::Impl::on_trading_status(const m::TradingStatusEvent& e) {
  begin_event(e.header.seq);
  if (const auto i = instruments.find(e.instrument)) instruments[*i].status = e.status;
  VENUE_LOG_KV(info, "trading status",
               {{"instrument", e.instrument.value()}, {"status", std::string(to_string(e.status))}});
}

// The order never reached the book (refused by the engine, or the engine could not take it): the cancels,
// replaces and status requests that waited for its ack are answered 1051, the order being rejected (39=8).
void Gateway::Impl::refuse_waiting_requests(Order& o) {
  o.deferred.clear();
  for (auto& [ref, r] : orders.requests()) {
    if (r.order_key == o.key && r.kind != 'q') {
      Session* rs = session(r.session);
      if (rs == nullptr) continue;
      if (r.kind == 'H') {
        send_unknown_status(*rs, UnknownStatusFields{.clordid = r.clordid, .status_req_id = r.status_req_id},
                            RejectCode::kOrderNotActive, true);
        continue;
      }
      send_cancel_reject(*rs, r.clordid, r.orig_clordid, nullptr, r.kind == 'G', RejectCode::kOrderNotActive, "", '8');
      if (r.kind == 'G') rs->orders.live.erase(r.clordid);
    }
  }
  std::erase_if(orders.requests(),
                [&](const auto& kv) { return kv.second.order_key == o.key && kv.second.kind != 'q'; });
}

// A command the engine could not take: refuse what it carried.
void Gateway::Impl::engine_unavailable(std::size_t shard, const m::Command& c) {
  switch (c.type) {
    case m::CommandType::kNewOrder: {
      Order* found = orders.find(c.new_order.client_ref);
      if (found == nullptr) return;
      Session* s = session(found->session);
      if (s != nullptr) {
        send_reject_er(*s, RefusedOrder{.clordid = found->clordid, .id = found->id, .side = found->side},
                       RejectCode::kVenueBusy, "");
      }
      refuse_waiting_requests(*found);
      finish(*found);
      return;
    }
    case m::CommandType::kCancel:
    case m::CommandType::kReplace:
    case m::CommandType::kStatus: {
      const std::uint64_t ref = c.type == m::CommandType::kCancel    ? c.cancel.client_ref
                                : c.type == m::CommandType::kReplace ? c.replace.client_ref
                                                                     : c.status.client_ref;
      Request* rq = orders.request(ref);
      if (rq == nullptr) return;
      Request r = std::move(*rq);
      orders.erase_request(ref);
      Session* s = session(r.session);
      if (s == nullptr) return;
      if (r.kind == 'G') s->orders.live.erase(r.clordid);
      send_cancel_reject(*s, r.clordid, r.orig_clordid, orders.find(r.order_key), r.kind == 'G', RejectCode::kVenueBusy,
                         "");
      return;
    }
    case m::CommandType::kBustTrade:
      // An operator's bust is answered, never retried behind the operator's back: they may ask again.
      bust_refused(c.bust_trade.request_ref, RejectCode::kVenueBusy,
                   "the engine of shard " + std::to_string(cfg.engine.shards[shard].id) +
                       " could not take the bust (stopped or full): nothing was done");
      return;
    case m::CommandType::kMassCancel:
    case m::CommandType::kSetTradingStatus:
    case m::CommandType::kEndOfDay:
      // Cancels on disconnect, the kill switch's cancels, trading status and end of day must not be lost:
      // they go again at the next turn (each is harmless to apply twice).
      metrics.engine_retried->Increment();
      retry.push_back(Pending{shard, c});
      return;
    default: VENUE_LOG_KV(error, "engine refused a command", {{"type", static_cast<int>(c.type)}}); return;
  }
}

}  // namespace venue::fix_gateway
