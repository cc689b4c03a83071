// Order entry on the gateway thread: NewOrderSingle (D), OrderCancelRequest (F),
// OrderCancelReplaceRequest (G), OrderStatusRequest (H) and OrderMassCancelRequest (q) from a session.
// For each: the checks that need the session's live state first (ClOrdID length and duplicates, the
// throttle), then inbound translation (inbound.h: the message against the venue's rules, into an engine
// command) and pre-trade risk (pre_trade_risk.h), then the order or request is recorded
// (order_registry.h), its identity appended to the identity log and the command queued for its engine
// (the outbox leaves once the identity is written). A refusal is answered at once (outbound.cpp).
#include "gateway_impl.h"
#include "venue/fix_session/fix_text.h"

namespace venue::fix_gateway {

namespace m = venue::matcher;
using fix_session::get_field;

void Gateway::Impl::when_acked(Order& o, std::function<void(Order&)> fn) {
  if (o.id.valid()) {
    fn(o);
  } else {
    o.deferred.push_back(std::move(fn));
  }
}

bool Gateway::Impl::throttle_passes(Session& s, SessionThrottle::Verdict verdict, const std::function<void()>& refuse) {
  if (verdict == SessionThrottle::Verdict::kPass) return true;
  s.counters.throttled->Increment();
  refuse();
  if (verdict == SessionThrottle::Verdict::kRefuseAndLogout) throttle_logout(s);
  return false;
}

void Gateway::Impl::new_order(Session& s, const FIX::Message& msg) {
  Order o;
  o.session = s.cfg.id;
  o.clordid = msg.getField(FIX::FIELD::ClOrdID);
  auto refuse = [&](RejectCode code, const std::string& detail) {
    send_reject_er(s, RefusedOrder{.clordid = o.clordid, .request = &msg}, code, detail);
  };
  // The throttle first: every message costs its token, refused or not (a reject is stored, logged and
  // published like any report, so a flood of bad ClOrdIDs must not get past it).
  if (!throttle_passes(s, s.throttle.order(steady_ns()), [&] {
        refuse(RejectCode::kThrottleExceeded, std::to_string(s.cfg.throttle.orders_per_second) + " orders/s");
      })) {
    return;
  }
  if (o.clordid.size() > kMaxClOrdIDLength) return refuse(RejectCode::kClOrdIDTooLong, "");
  // The ClOrdID is claimed with one lookup (a duplicate is refused) and given back if the order is refused.
  const auto claimed = s.orders.live.try_emplace(o.clordid, 0);
  if (!claimed.second) return refuse(RejectCode::kDuplicateClOrdID, "");
  const auto live = claimed.first;
  const auto refuse_and_release = [&](RejectCode code, const std::string& detail) {
    s.orders.live.erase(live);
    refuse(code, detail);
  };
  m::NewOrderCmd n{};
  if (const Refusal r = inbound.new_order(msg, s.cfg, o, n)) return refuse_and_release(r.code, r.detail);
  const AccountConfig& acct = *cfg.account(o.account);
  const Instrument& in = instruments[o.instrument];
  std::string detail;
  const RejectCode code = risk.check(s.cfg.firm, acct, in, {o.type, o.price, o.stop, o.qty, 0}, detail, o.open_units);
  if (code != RejectCode::kNone) return refuse_and_release(code, detail);

  o.key = orders.next_ref();
  o.ref = o.key;
  n.client_ref = o.ref;
  n.owner.session = s.cfg.id;
  identities->append(Identity{
      o.ref, 'D', s.cfg.id.value(), acct.id.value(), o.capacity, o.stp, o.post_only, o.clordid, {}, o.expire_text});
  live->second = o.key;
  risk.add_open(o.account, o.open_units);
  const std::size_t shard = in.shard;
  orders.add(std::move(o));
  metrics.orders_submitted->Increment();
  submit(shard, m::Command::make(n));
}

void Gateway::Impl::cancel_request(Session& s, const FIX::Message& msg) {
  const std::string& clordid = msg.getField(FIX::FIELD::ClOrdID);
  const std::string& orig = msg.getField(FIX::FIELD::OrigClOrdID);
  if (!throttle_passes(s, s.throttle.cancel(steady_ns()), [&] {
        send_cancel_reject(s, clordid, orig, nullptr, false, RejectCode::kThrottleExceeded, "");
      })) {
    return;
  }
  if (clordid.size() > kMaxClOrdIDLength) {
    send_cancel_reject(s, clordid, orig, nullptr, false, RejectCode::kClOrdIDTooLong, "");
    return;
  }
  RejectCode code = RejectCode::kNone;
  Order* o = inbound.order_named(msg, orders, s.orders, false, code);
  if (o == nullptr) {
    refuse_missing_order(s, clordid, orig, false, code);
    return;
  }
  if (s.orders.live.contains(clordid)) {
    send_cancel_reject(s, clordid, orig, o, false, RejectCode::kDuplicateClOrdID, "");
    return;
  }
  const std::uint64_t ref = orders.next_ref();
  Request r;
  r.kind = 'F';
  r.session = s.cfg.id;
  r.clordid = clordid;
  r.orig_clordid = orig;
  r.order_key = o->key;
  orders.add_request(ref, std::move(r));
  identities->append(Identity{ref, 'F', s.cfg.id.value(), o->account.value(), 0, 0, false, clordid, orig, {}});
  const FirmId firm = s.cfg.firm;
  const std::size_t shard = instruments[o->instrument].shard;
  when_acked(*o, [this, ref, firm, shard](Order& ord) {
    submit(shard, m::Command::make(m::CancelCmd{ref, ord.id, firm, m::CancelReason::kUser}));
  });
}

void Gateway::Impl::replace_request(Session& s, const FIX::Message& msg) {
  const std::string& clordid = msg.getField(FIX::FIELD::ClOrdID);
  const std::string& orig = msg.getField(FIX::FIELD::OrigClOrdID);
  if (!throttle_passes(s, s.throttle.order(steady_ns()), [&] {
        send_cancel_reject(s, clordid, orig, nullptr, true, RejectCode::kThrottleExceeded, "");
      })) {
    return;
  }
  if (clordid.size() > kMaxClOrdIDLength) {
    send_cancel_reject(s, clordid, orig, nullptr, true, RejectCode::kClOrdIDTooLong, "");
    return;
  }
  RejectCode code = RejectCode::kNone;
  Order* o = inbound.order_named(msg, orders, s.orders, true, code);
  if (o == nullptr) {
    refuse_missing_order(s, clordid, orig, true, code);
    return;
  }
  auto refuse = [&](RejectCode c, const std::string& detail) {
    send_cancel_reject(s, clordid, orig, o, true, c, detail);
  };
  if (s.orders.live.contains(clordid)) return refuse(RejectCode::kDuplicateClOrdID, "");
  Request r;
  r.kind = 'G';
  r.session = s.cfg.id;
  r.clordid = clordid;
  r.orig_clordid = orig;
  r.order_key = o->key;
  if (const Refusal bad = inbound.replace(msg, *o, r)) return refuse(bad.code, bad.detail);
  const Instrument& in = instruments[o->instrument];
  std::string detail;
  code = risk.check(s.cfg.firm, *cfg.account(o->account), in, {o->type, r.price, r.stop, r.qty, o->open_units}, detail,
                    r.open_units);
  if (code != RejectCode::kNone) return refuse(code, detail);
  const std::uint64_t ref = orders.next_ref();
  identities->append(Identity{ref, 'G', s.cfg.id.value(), o->account.value(), o->capacity, o->stp, o->post_only,
                              clordid, orig, o->expire_text});
  s.orders.live[clordid] = o->key;  // reserved while pending, so it cannot be used twice
  const std::int64_t price = r.price, stop_px = r.stop, qty = r.qty, display = r.display;
  orders.add_request(ref, std::move(r));
  const FirmId firm = s.cfg.firm;
  const std::size_t shard = in.shard;
  when_acked(*o, [this, ref, firm, shard, price, stop_px, qty, display](Order& ord) {
    submit(shard,
           m::Command::make(m::ReplaceCmd{ref, ord.id, firm, Price(price), Price(stop_px), Qty(qty), Qty(display)}));
  });
}

void Gateway::Impl::status_request(Session& s, const FIX::Message& msg) {
  const std::string& clordid = msg.getField(FIX::FIELD::ClOrdID);
  const auto req_id = get_field(msg, FIX::FIELD::OrdStatusReqID).value_or("");
  const auto unknown = [&](RejectCode code) {
    send_unknown_status(s,
                        UnknownStatusFields{.order_id = get_field(msg, FIX::FIELD::OrderID).value_or("NONE"),
                                            .clordid = clordid,
                                            .status_req_id = req_id,
                                            .side = msg.getField(FIX::FIELD::Side),
                                            .symbol = get_field(msg, FIX::FIELD::Symbol)},
                        code, true);
  };
  if (!throttle_passes(s, s.throttle.cancel(steady_ns()), [&] { unknown(RejectCode::kThrottleExceeded); })) return;
  Order* found = orders.by_clordid(s.orders, clordid);
  if (found == nullptr) {
    unknown(RejectCode::kUnknownClOrdID);
    return;
  }
  Order& o = *found;
  const std::uint64_t ref = orders.next_ref();
  Request r;
  r.kind = 'H';
  r.session = s.cfg.id;
  r.clordid = clordid;
  r.order_key = o.key;
  r.status_req_id = req_id;
  orders.add_request(ref, std::move(r));
  const FirmId firm = s.cfg.firm;
  const std::size_t shard = instruments[o.instrument].shard;
  when_acked(o, [this, ref, firm, shard](Order& ord) {
    submit(shard, m::Command::make(m::StatusCmd{ref, ord.id, firm}));
  });
}

void Gateway::Impl::mass_cancel_request(Session& s, const FIX::Message& msg) {
  const std::string& clordid = msg.getField(FIX::FIELD::ClOrdID);
  const char type = msg.getField(FIX::FIELD::MassCancelRequestType)[0];
  const auto symbol = get_field(msg, FIX::FIELD::Symbol);
  const auto side = get_field(msg, FIX::FIELD::Side);
  auto refuse = [&](RejectCode code, int reason, const std::string& detail) {
    send_mass_cancel_report(s,
                            MassCancelReportFields{.clordid = clordid,
                                                   .request_type = type,
                                                   .response = '0',
                                                   .reject_reason = reason,
                                                   .symbol = symbol,
                                                   .side = side},
                            code, detail);
  };
  if (!throttle_passes(s, s.throttle.cancel(steady_ns()), [&] { refuse(RejectCode::kThrottleExceeded, 0, ""); })) {
    return;
  }
  m::MassCancelCmd mc{};
  std::vector<std::size_t> target_shards;
  int reason = 0;
  if (const Refusal bad = inbound.mass_cancel(msg, s.cfg, mc, target_shards, shards.size(), reason)) {
    return refuse(bad.code, reason, bad.detail);
  }
  const std::uint64_t ref = orders.next_ref();
  Request r;
  r.kind = 'q';
  r.session = s.cfg.id;
  r.clordid = clordid;
  r.mass_type = type;
  r.symbol = symbol.value_or("");
  r.side = side ? (*side)[0] : 0;
  r.pending_reports = target_shards.size();
  orders.add_request(ref, std::move(r));
  identities->append(Identity{ref, 'q', s.cfg.id.value(), mc.account.value(), 0, 0, false, clordid, {}, {}});
  mc.client_ref = ref;
  for (auto shard : target_shards) submit(shard, m::Command::make(mc));
}

}  // namespace venue::fix_gateway
