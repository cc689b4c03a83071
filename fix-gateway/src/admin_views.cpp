// What operations look at, on the gateway thread (each view is one short job the operator API queued):
// the kill switches in force, the instruments and their trading status, the top levels of a book, an
// order as the gateway knows it, and the health of the engines, the journal and Kafka publishing.
//
// Books come from the gateway's own record of live orders, not from the engine: the engine thread owns
// its books and answers nothing but commands, and a query command would have to pass the journal. The
// gateway keeps every live order with the leaves quantity the engine last reported (engine_events.cpp,
// track()), so the book it shows is the one brokers were told about, at most the events still in the ring
// behind the engine's. Cost: one pass over the live orders (about a millisecond for 100,000).
#include <algorithm>
#include <map>

#include "gateway_impl.h"
#include "venue/common/log.h"

namespace venue::fix_gateway {

namespace {

AdminResult view(nlohmann::json data) {
  AdminResult r;
  r.ok = true;
  r.data = std::move(data);
  return r;
}

AdminResult missing(std::string message) {
  AdminResult r;
  r.code = "not_found";
  r.message = std::move(message);
  return r;
}

}  // namespace

// The blocks in force, from the saved state every source shares (blocks.h): who set each, why and when.
AdminResult Gateway::Impl::kill_switches_view() {
  nlohmann::json firms = nlohmann::json::array();
  nlohmann::json accounts = nlohmann::json::array();
  nlohmann::json details = nlohmann::json::array();
  const auto add = [&](const char* scope, const Block& b, nlohmann::json& names) {
    names.push_back(b.name);
    details.push_back({{"scope", scope},
                       {"name", b.name},
                       {"by", b.by},
                       {"reason", b.reason},
                       {"command_id", b.command_id},
                       {"at", iso_ms(b.at_ms)}});
  };
  for (const auto& [id, b] : blocks->firms()) add("firm", b, firms);
  for (const auto& [id, b] : blocks->accounts()) add("account", b, accounts);
  nlohmann::json all_firms = nlohmann::json::array();
  for (const auto& f : cfg.firms) {
    nlohmann::json accts = nlohmann::json::array();
    for (const auto& a : cfg.accounts) {
      if (a.firm == f.id) accts.push_back(a.name);
    }
    all_firms.push_back({{"firm", f.name}, {"accounts", accts}, {"blocked", risk.blocked(f.id)}});
  }
  return view({{"blocked_firms", firms}, {"blocked_accounts", accounts}, {"blocks", details}, {"firms", all_firms}});
}

AdminResult Gateway::Impl::instruments_view() {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& in : instruments.all()) {
    out.push_back({{"symbol", in.spec.symbol},
                   {"id", in.spec.id.value()},
                   {"status", std::string(to_string(in.status))},
                   {"shard", cfg.engine.shards[in.shard].id},
                   {"last_trade", in.last_trade != 0 ? nlohmann::json(ticks_text(in, in.last_trade)) : nullptr}});
  }
  return view(out);
}

AdminResult Gateway::Impl::book_view(const std::string& symbol, std::size_t depth) {
  const auto i = instruments.find(symbol);
  if (!i) return missing("unknown symbol " + symbol);
  const Instrument& in = instruments[*i];
  struct Level {
    std::int64_t qty = 0;      // lots, all leaves
    std::int64_t visible = 0;  // lots shown (icebergs: at most their peak)
    std::size_t orders = 0;
  };
  std::map<std::int64_t, Level, std::greater<>> bids;
  std::map<std::int64_t, Level> asks;
  std::size_t stops = 0;
  for (const auto& [key, o] : orders.orders()) {
    if (o.instrument != *i || !o.id.valid() || o.leaves <= 0) continue;
    if (!o.triggered) {
      ++stops;
      continue;
    }
    if (o.type != OrdType::kLimit && o.type != OrdType::kStopLimit) continue;  // market orders never rest
    Level& l = o.side == Side::kBuy ? bids[o.price] : asks[o.price];
    l.qty += o.leaves;
    l.visible += o.display > 0 ? std::min(o.display, o.leaves) : o.leaves;
    ++l.orders;
  }
  auto side = [&](const auto& levels) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [price, l] : levels) {
      if (out.size() >= depth) break;
      out.push_back({{"price", ticks_text(in, price)},
                     {"qty", lots_text(in, l.qty)},
                     {"visible_qty", lots_text(in, l.visible)},
                     {"orders", l.orders}});
    }
    return out;
  };
  return view({{"symbol", symbol},
               {"status", std::string(to_string(in.status))},
               {"last_trade", in.last_trade != 0 ? nlohmann::json(ticks_text(in, in.last_trade)) : nullptr},
               {"bids", side(bids)},
               {"asks", side(asks)},
               {"stop_orders_waiting", stops}});
}

AdminResult Gateway::Impl::order_view(const OrderQuery& q) {
  const Order* live = nullptr;
  std::uint64_t order_id = q.order_id;
  std::string comp;
  char final_status = 0;
  Session* only = nullptr;
  if (!q.session.empty()) {
    only = find_session(q.session);
    if (only == nullptr) return missing("no session " + q.session);
  }
  if (order_id != 0) {
    live = orders.by_id(OrderId(order_id));
    if (live == nullptr) {
      if (const auto st = orders.final_status(OrderId(order_id))) final_status = *st;
    }
  } else {
    for (auto& [id, s] : sessions) {
      if (only != nullptr && &s != only) continue;
      if (auto it = s.orders.live.find(q.clordid); it != s.orders.live.end()) {
        live = orders.find(it->second);
        comp = s.cfg.sender_comp_id;
        break;
      }
      if (auto it = s.orders.ended.find(q.clordid); it != s.orders.ended.end()) {
        order_id = it->second.order_id;
        final_status = it->second.status;
        comp = s.cfg.sender_comp_id;
        break;
      }
    }
  }
  nlohmann::json out{{"order_id", order_id}, {"session", comp}, {"live", nullptr}};
  if (live != nullptr) {
    const Instrument& in = instruments[live->instrument];
    if (live->id.valid()) out["order_id"] = live->id.value();
    if (const Session* s = session(live->session)) out["session"] = s->cfg.sender_comp_id;
    out["live"] = {{"clordid", live->clordid},
                   {"symbol", in.spec.symbol},
                   {"side", std::string(to_string(live->side))},
                   {"type", std::string(to_string(live->type))},
                   {"time_in_force", std::string(to_string(live->tif))},
                   {"account", account_name(live->account)},
                   {"price", live->price != 0 ? nlohmann::json(ticks_text(in, live->price)) : nullptr},
                   {"stop_price", live->stop != 0 ? nlohmann::json(ticks_text(in, live->stop)) : nullptr},
                   {"qty", lots_text(in, live->qty)},
                   {"cum_qty", lots_text(in, live->cum)},
                   {"leaves_qty", lots_text(in, live->leaves)},
                   {"acknowledged", live->id.valid()},
                   {"waiting_for_stop", !live->triggered}};
  }
  if (final_status != 0) out["final_status"] = std::string(1, final_status);
  if (live == nullptr && final_status == 0 && order_id == 0 && q.clordid.empty()) return missing("no order");
  out["report_dir"] = cfg.report_dir.string();
  return view(out);
}

AdminResult Gateway::Impl::health_view() {
  nlohmann::json engines = nlohmann::json::array();
  bool engines_ok = true;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const auto& st = shards[i]->stats();
    const bool failed = shards[i]->failed();
    engines_ok = engines_ok && !failed && shards[i]->running();
    engines.push_back({{"shard", shards[i]->shard()},
                       {"running", shards[i]->running()},
                       {"failed", failed},
                       {"failure", failed ? shards[i]->failure() : ""},
                       {"last_seq", st.last_seq.load()},
                       {"commands", st.commands.load()},
                       {"live_orders", st.live_orders.load()},
                       {"journal_bytes", st.journal_bytes.load()},
                       {"snapshots", st.snapshots.load()},
                       {"snapshot_failures", st.snapshot_failures.load()},
                       {"events_spilled", st.spilled.load()},
                       {"submit_refused", st.submit_refused.load()}});
  }
  nlohmann::json kafka = nullptr;
  const std::uint64_t reported = reports ? reports->last_venue_seq() : 0;
  if (publisher) {
    const std::uint64_t acked = publisher->acknowledged();
    kafka = {{"brokers", cfg.kafka->brokers},   {"topic", cfg.kafka->topic},
             {"healthy", publisher->healthy()}, {"last_report_seq", reported},
             {"published_seq", acked},          {"backlog", reported > acked ? reported - acked : 0}};
  }
  std::size_t on = 0;
  for (const auto& [id, s] : sessions) on += s.fix != nullptr && s.fix->isLoggedOn() ? 1 : 0;
  return view({{"ready", is_ready.load()},
               {"engines_ok", engines_ok},
               {"engines", engines},
               {"journal_dir", cfg.engine.journal_dir.string()},
               {"journal_sync", cfg.engine.sync == matcher::SyncPolicy::kFdatasync ? "fdatasync" : "write"},
               {"reports", {{"last_seq", reported}, {"dir", cfg.report_dir.string()}}},
               {"kafka", kafka},
               {"sessions", sessions.size()},
               {"sessions_logged_on", on},
               {"live_orders", orders.size()}});
}

}  // namespace venue::fix_gateway
