// The risk service's limit checks (service_impl.h): which figures a batch moved, each checked against
// its limits, and what a warning or a breach does (an alert, a kill-switch command). The loop that
// calls them is in service.cpp.
#include <set>

#include "service_impl.h"
#include "venue/common/log.h"

namespace venue::risk {

namespace {

Amount usage_of(const Figures& f, LimitType t) {
  switch (t) {
    case LimitType::kGrossExposure: return f.gross_exposure;
    case LimitType::kOpenOrderExposure: return f.open_order_exposure;
    case LimitType::kDailyTradedNotional: return f.traded_today;
    case LimitType::kMaxLoss: return f.loss();
    case LimitType::kMaxNetPosition: break;
  }
  return Amount();
}

double ratio(Amount usage, Amount limit) {
  // For the gauge only (a double is fine for a dashboard): percent with 2 decimals, as text, then divided.
  return std::stod(percent_text(usage, limit)) / 100.0;
}
}  // namespace

void Service::Impl::evaluate_touched(const Trigger& trigger, bool with_marked) {
  Touched t = book->take_touched();
  for (auto& a : t.marked) marked_pending.emplace(std::move(a.account), std::move(a.firm));
  if (with_marked) {
    for (const auto& [account, firm] : marked_pending) t.accounts.push_back({account, firm});
    marked_pending.clear();
  }
  if (t.accounts.empty() && t.positions.empty()) return;
  std::vector<LimitEvent> events;
  std::set<std::string> firms;
  std::set<std::string> done;
  for (const auto& a : t.accounts) {
    if (!done.insert(a.account).second) continue;
    firms.insert(a.firm);
    evaluate_entity(Scope::kAccount, a.account, a.firm, trigger, events);
  }
  for (const auto& f : firms) evaluate_entity(Scope::kFirm, f, f, trigger, events);
  std::set<std::pair<std::string, std::string>> firm_symbols;
  for (const auto& p : t.positions) {
    evaluate_net(Scope::kAccount, p.account, p.firm, p.symbol, trigger, events);
    if (firm_symbols.insert({p.firm, p.symbol}).second) {
      evaluate_net(Scope::kFirm, p.firm, p.firm, p.symbol, trigger, events);
    }
  }
  for (const auto& e : events) handle_event(e);
}

void Service::Impl::evaluate_entity(Scope scope, const std::string& entity, const std::string& firm,
                                    const Trigger& trigger, std::vector<LimitEvent>& events) {
  const Figures* fig = scope == Scope::kAccount ? book->account_figures(entity) : book->firm_figures(entity);
  if (fig == nullptr) return;
  for (auto type : {LimitType::kGrossExposure, LimitType::kOpenOrderExposure, LimitType::kDailyTradedNotional,
                    LimitType::kMaxLoss}) {
    monitor.evaluate(LimitKey{scope, entity, type, ""}, firm, usage_of(*fig, type), trigger, now(), events);
  }
}

void Service::Impl::evaluate_net(Scope scope, const std::string& entity, const std::string& firm,
                                 const std::string& symbol, const Trigger& trigger, std::vector<LimitEvent>& events) {
  const LimitKey key{scope, entity, LimitType::kMaxNetPosition, symbol};
  const Decimal net = scope == Scope::kAccount ? book->account_net(entity, symbol) : book->firm_net(entity, symbol);
  monitor.evaluate(key, firm, abs(Amount::of(net)), trigger, now(), events);
}

void Service::Impl::reevaluate_all(const Trigger& trigger) {
  std::vector<LimitEvent> events;
  std::set<std::pair<Scope, std::string>> entities;
  for (const auto& l : monitor.limits()) entities.insert({l.scope, l.entity});
  for (const auto& [scope, entity] : entities) {
    const std::string firm = scope == Scope::kFirm ? entity : book->firm_of(entity);
    if (firm.empty()) continue;  // an account with no report yet: nothing to measure
    evaluate_entity(scope, entity, firm, trigger, events);
    for (const auto& symbol : scope == Scope::kFirm ? book->firm_symbols(entity) : book->symbols_of(entity)) {
      evaluate_net(scope, entity, firm, symbol, trigger, events);
    }
  }
  for (const auto& e : events) handle_event(e);
}

void Service::Impl::update_usage_gauges() {
  for (const auto& [key, st] : monitor.states()) {
    auto& g = usage_gauges[key];
    if (g == nullptr) {
      g = &usage_family->Add({{"scope", std::string(to_string(key.scope))},
                              {"entity", key.entity},
                              {"limit", std::string(to_string(key.type))},
                              {"symbol", key.symbol}});
    }
    g->Set(ratio(st.usage, st.limit));
  }
}

void Service::Impl::handle_event(const LimitEvent& e) {
  const std::int64_t t = now();
  std::string command_id;
  const std::string scope(to_string(e.key.scope));
  const std::string limit(to_string(e.key.type));
  const log::Fields fields{{"scope", scope},
                           {"entity", e.key.entity},
                           {"firm", e.firm},
                           {"limit", limit},
                           {"symbol", e.key.symbol},
                           {"warning_level", e.level},
                           {"usage", e.usage.to_string()},
                           {"limit_value", e.limit.to_string()},
                           {"venue_seq", e.trigger.venue_seq},
                           {"exec_id", e.trigger.exec_id},
                           {"traceparent", e.trigger.traceparent}};
  if (e.kind == LimitEvent::Kind::kBreach) {
    breaches_family->Add({{"scope", scope}, {"limit", limit}}).Increment();
    if (cfg.enforce) {
      const Command c = breach_command(e, t);
      send_command(c);
      command_id = c.id;
      if (e.trigger.transact_ns > 0) breach_detection->Observe(static_cast<double>(t - e.trigger.transact_ns) / 1e9);
    }
    auto f = fields;
    f["command_id"] = command_id;
    log::write(log::Level::warning, "RSK100 limit breached", f);
  } else {
    warnings_family->Add({{"scope", scope}, {"limit", limit}, {"level", std::to_string(e.level)}}).Increment();
    log::write(log::Level::info, "RSK101 limit warning", fields);
  }
  std::string body = alert_json(e, t, command_id);
  produce_alert(OutgoingAlert{.id = alert_id(e), .firm = e.firm, .body = body, .traceparent = e.trigger.traceparent});
  pending_alerts.push_back(AlertRow{alert_id(e), t, e, command_id, std::move(body)});
  dirty = true;
}

}  // namespace venue::risk
