// Trade busts (spec/rules-of-engagement.md 11a), on the gateway thread. An operator's request becomes
// the engine's journaled BustTradeCmd on the shard that made the trade (a TradeId is (shard << 48) |
// counter); the engine decides (TradeBustedEvent, or BustRejectedEvent with 1060 UnknownTrade or 1061
// TradeAlreadyBusted) and the outcome answers the waiting request. A busted trade gives each side an
// ExecutionReport 150=H: ExecRefID(19) the busted fill's ExecID, TrdMatchID(880), LastQty/LastPx of
// the busted fill, CumQty, LeavesQty, AvgPx and OrdStatus as the engine corrected them. A still-live
// order keeps trading with the corrected quantities (its open notional grows back); an order that had
// ended stays ended (Filled becomes Canceled). The reports go through send(), so they are stored for
// resend, written to the report log, published to Kafka and copied by the drop copy like any other.
//
// What a report needs that the engine does not keep (the fills' ExecIDs, the ClOrdID of an order that
// ended) is kept in memory for the day (trade_fills, traded_and_ended). After a restart, or when a bust
// event is replayed from the journal after a crash, it is read back from the report log instead: a scan
// of the log on this thread, for a rare operator action only.
#include "gateway_impl.h"
#include "venue/common/log.h"
#include "venue/fix_session/fix_text.h"
#include "venue/fix_session/report_record.h"

namespace venue::fix_gateway {

namespace m = venue::matcher;
namespace tags = fix_session::tags;
using nlohmann::json;

namespace {

constexpr std::uint64_t kCounterBits = 48;  // TradeId = (shard << 48) | counter (matcher/engine.h)

// What the report log says about the orders of one trade: the ExecID of each order's fill of the trade
// and the order's latest ClOrdID.
struct LoggedOrder {
  std::string fill_exec_id;
  std::string clordid;
};

std::map<std::uint64_t, LoggedOrder> orders_in_report_log(const std::filesystem::path& dir, std::uint64_t trade,
                                                          std::uint64_t order_a, std::uint64_t order_b) {
  std::map<std::uint64_t, LoggedOrder> found;
  const std::uint64_t first = oldest_report_seq(dir);
  if (first == 0) return found;
  const std::string match = std::to_string(trade);
  ReportReader reader(dir, first - 1);
  while (auto r = reader.next()) {
    if (r->msg_type != '8' || (r->order_id != order_a && r->order_id != order_b)) continue;
    std::string why;
    auto fields = fix_session::FixFields::parse(r->payload, &why);
    if (!fields) continue;
    LoggedOrder& o = found[r->order_id];
    if (fields->has(tags::kClOrdID)) o.clordid = std::string(fields->text(tags::kClOrdID));
    if (r->exec_type == 'F' && fields->text(tags::kTrdMatchID) == match) {
      o.fill_exec_id = std::string(fields->text(tags::kExecID));
    }
  }
  return found;
}

}  // namespace

std::shared_ptr<Gateway::Impl::BustWait> Gateway::Impl::bust_trade(std::uint64_t trade, const std::string& user,
                                                                   const std::string& reason, AdminResult& refusal) {
  std::size_t shard = kNoShard;
  for (std::size_t i = 0; i < cfg.engine.shards.size(); ++i) {
    if (cfg.engine.shards[i].id == (trade >> kCounterBits)) shard = i;
  }
  if (trade == 0 || shard == kNoShard) {
    refusal.code = "not_found";
    refusal.message = "trade " + std::to_string(trade) + ": " + code_text(RejectCode::kUnknownTrade);
    refusal.data = {{"reject_code", static_cast<int>(RejectCode::kUnknownTrade)},
                    {"reject_reason", std::string(to_string(RejectCode::kUnknownTrade))}};
    return nullptr;
  }
  auto wait = std::make_shared<BustWait>();
  wait->user = user;
  wait->reason = reason;
  const std::uint64_t ref = orders.next_ref();
  bust_waits[ref] = wait;
  VENUE_LOG_KV(warning, "trade bust requested", {{"trade", trade}, {"user", user}, {"reason", reason}});
  submit(shard, m::Command::make(m::BustTradeCmd{ref, TradeId(trade)}));
  flush_outbox();
  return wait;
}

// The engine refused the bust, or could not take it: the operator's request gets the code.
void Gateway::Impl::bust_refused(std::uint64_t request_ref, RejectCode code, const std::string& message) {
  metrics.bust_refused(code);
  auto it = bust_waits.find(request_ref);
  if (it == bust_waits.end()) return;  // replayed after a restart: nobody waits
  AdminResult r;
  r.code = code == RejectCode::kUnknownTrade         ? "not_found"
           : code == RejectCode::kTradeAlreadyBusted ? "conflict"
                                                     : "unavailable";
  r.message = message;
  r.data = {{"reject_code", static_cast<int>(code)}, {"reject_reason", std::string(to_string(code))}};
  it->second->done.set_value(std::move(r));
  bust_waits.erase(it);
}

void Gateway::Impl::on_bust_rejected(const m::BustRejectedEvent& e) {
  begin_event(e.header.seq);
  VENUE_LOG_KV(warning, "trade bust refused by the engine",
               {{"trade", e.trade_id.value()}, {"code", static_cast<int>(e.code)}});
  bust_refused(e.request_ref, e.code, "trade " + std::to_string(e.trade_id.value()) + ": " + code_text(e.code));
}

void Gateway::Impl::on_trade_busted(const m::TradeBustedEvent& e) {
  begin_event(e.header.seq);
  std::shared_ptr<BustWait> wait;
  if (auto it = bust_waits.find(e.request_ref); it != bust_waits.end()) {
    wait = it->second;
    bust_waits.erase(it);
  }
  metrics.trade_busts->Increment();
  json sides = json::array();
  bust_report(e, e.aggressor, true, wait.get(), sides);
  bust_report(e, e.resting, false, wait.get(), sides);
  trade_fills.erase(e.trade_id.value());
  const auto inst = instruments.find(e.instrument);
  const std::string symbol = inst ? instruments[*inst].spec.symbol : std::to_string(e.instrument.value());
  const std::string price = inst ? ticks_text(instruments[*inst], e.price.count()) : std::to_string(e.price.count());
  const std::string qty = inst ? lots_text(instruments[*inst], e.qty.count()) : std::to_string(e.qty.count());
  VENUE_LOG_KV(warning, "trade busted",
               {{"trade", e.trade_id.value()},
                {"symbol", symbol},
                {"price", price},
                {"qty", qty},
                {"user", wait ? wait->user : std::string()},
                {"replayed", replaying_}});
  if (!wait) return;
  AdminResult r(true, "trade " + std::to_string(e.trade_id.value()) + " busted (" + qty + " " + symbol + " at " +
                          price + "): both sides were sent ExecType H");
  r.data = {{"trade", std::to_string(e.trade_id.value())},
            {"symbol", symbol},
            {"price", price},
            {"qty", qty},
            {"sides", sides}};
  wait->done.set_value(std::move(r));
}

// One side's ExecutionReport 150=H.
void Gateway::Impl::bust_report(const m::TradeBustedEvent& e, const m::BustSide& side, bool aggressor,
                                const BustWait* wait, json& sides) {
  const m::OrderView& v = side.order;
  Order* live = orders.by_id(v.id);
  Order* ended = nullptr;
  if (live == nullptr) {
    if (auto it = traded_and_ended.find(v.id.value()); it != traded_and_ended.end()) ended = &it->second;
  }
  std::string exec_ref;
  if (auto it = trade_fills.find(e.trade_id.value()); it != trade_fills.end()) {
    exec_ref = std::to_string(aggressor ? it->second.aggressor_exec : it->second.resting_exec);
  }
  // After a restart: the report log knows the fill and the order's ClOrdID.
  Order rebuilt;
  std::string logged_clordid;
  if (exec_ref.empty() || (live == nullptr && ended == nullptr)) {
    const std::uint64_t other = (aggressor ? e.resting : e.aggressor).order.id.value();
    try {
      const auto logged = orders_in_report_log(reports->dir(), e.trade_id.value(), v.id.value(), other);
      if (auto it = logged.find(v.id.value()); it != logged.end()) {
        if (exec_ref.empty()) exec_ref = it->second.fill_exec_id;
        logged_clordid = it->second.clordid;
      }
    } catch (const std::exception& ex) {
      VENUE_LOG_KV(error, "the report log could not be read for a bust",
                   {{"trade", e.trade_id.value()}, {"error", ex.what()}});
    }
    if (exec_ref.empty()) {
      VENUE_LOG_KV(error, "bust: the busted fill's ExecID is unknown (not in the report log): sent without ExecRefID",
                   {{"trade", e.trade_id.value()}, {"order_id", v.id.value()}});
    }
  }
  const Order* o = live != nullptr ? live : ended;
  if (o == nullptr) {
    const auto inst = instruments.find(v.instrument);
    if (!inst) return;
    rebuilt = order_from_engine(v, *inst);
    rebuilt.session = v.owner.session;
    rebuilt.account = v.owner.account;
    rebuilt.post_only = v.post_only;
    rebuilt.clordid = logged_clordid;
    o = &rebuilt;
  }
  Session* s = session(o->session);
  if (s == nullptr) {
    metrics.events_without_order->Increment();
    VENUE_LOG_KV(error, "bust of an order whose session no longer exists: not reported to a broker",
                 {{"trade", e.trade_id.value()}, {"order_id", v.id.value()}});
    return;
  }
  const Instrument& in = instruments[o->instrument];
  fix_session::OutMessage er =
      report_of(*o, 'H', ord_status(v.state), std::to_string(side.exec_id.value()), e.header.now_ns);
  quantities(er, *o, v);
  if (!exec_ref.empty()) er.set(tags::kExecRefID, exec_ref);
  er.set(FIX::FIELD::LastQty, lots_text(in, e.qty.count()));
  er.set(FIX::FIELD::LastPx, ticks_text(in, e.price.count()));
  er.set(FIX::FIELD::TrdMatchID, std::to_string(e.trade_id.value()));
  std::string text = "trade busted by venue operations";
  if (wait != nullptr && !wait->reason.empty()) text += ": " + wait->reason;
  er.set(FIX::FIELD::Text, text);
  metrics.report('H');
  send(*s, er);
  if (live != nullptr) {
    set_open(*live, v);  // the quantity is back in the book: open notional too
  } else if (ended != nullptr) {
    track(*ended, v);
  }
  sides.push_back({{"side", aggressor ? "aggressor" : "resting"},
                   {"order_id", std::to_string(v.id.value())},
                   {"session", s->cfg.sender_comp_id},
                   {"clordid", o->clordid},
                   {"account", account_name(o->account)},
                   {"exec_id", std::to_string(side.exec_id.value())},
                   {"exec_ref_id", exec_ref},
                   {"ord_status", std::string(1, ord_status(v.state))},
                   {"live", side.live},
                   {"cum_qty", lots_text(in, v.cum_qty.count())},
                   {"leaves_qty", lots_text(in, v.leaves_qty.count())},
                   {"avg_px", std::string(er.get(FIX::FIELD::AvgPx).value_or("0"))}});
}

}  // namespace venue::fix_gateway
