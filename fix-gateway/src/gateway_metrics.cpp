// The venue process's metrics (gateway_metrics.h). Gateway thread.
#include "gateway_metrics.h"

namespace venue::fix_gateway {

GatewayMetrics::GatewayMetrics(prometheus::Registry& reg) : registry_(reg) {
  orders_submitted = &prometheus::BuildCounter()
                          .Name("venue_orders_submitted_total")
                          .Help("New orders handed to the engine")
                          .Register(reg)
                          .Add({});
  engine_refused = &prometheus::BuildCounter()
                        .Name("venue_engine_submit_refused_total")
                        .Help("Commands the engine could not take (queue full or engine down)")
                        .Register(reg)
                        .Add({});
  engine_retried = &prometheus::BuildCounter()
                        .Name("venue_engine_submit_retried_total")
                        .Help(
                            "Operations commands (mass cancel, trading status, end of day) queued again because "
                            "the engine ring was full")
                        .Register(reg)
                        .Add({});
  events_without_order = &prometheus::BuildCounter()
                              .Name("venue_events_without_order_total")
                              .Help("Engine events about an order the gateway does not know (logged; a defect)")
                              .Register(reg)
                              .Add({});
  avg_px_failures = &prometheus::BuildCounter()
                         .Name("venue_avg_px_failures_total")
                         .Help("ExecutionReports whose AvgPx could not be computed (sent without it; a defect)")
                         .Register(reg)
                         .Add({});
  rejects_ =
      &prometheus::BuildCounter().Name("venue_rejects_total").Help("Refusals sent, by reject code").Register(reg);
  reports_ = &prometheus::BuildCounter()
                  .Name("venue_execution_reports_total")
                  .Help("ExecutionReports sent, by ExecType")
                  .Register(reg);
  live_orders = &prometheus::BuildGauge().Name("venue_live_orders").Help("Live orders").Register(reg).Add({});
  logged_on =
      &prometheus::BuildGauge().Name("venue_sessions_logged_on").Help("FIX sessions logged on").Register(reg).Add({});
  admin_jobs_expired = &prometheus::BuildCounter()
                            .Name("venue_admin_jobs_expired_total")
                            .Help("Operator requests dropped unrun because their caller's deadline passed first")
                            .Register(reg)
                            .Add({});
  trade_busts = &prometheus::BuildCounter()
                     .Name("venue_trade_busts_total")
                     .Help("Trades busted by operations (each side sent an ExecutionReport with ExecType H)")
                     .Register(reg)
                     .Add({});
  busts_refused_ = &prometheus::BuildCounter()
                        .Name("venue_trade_bust_refusals_total")
                        .Help("Trade busts refused, by reject code (1060 unknown, 1061 already busted, 2050 engine)")
                        .Register(reg);
  msgs_in_ = &prometheus::BuildCounter()
                  .Name("venue_fix_messages_in_total")
                  .Help("Application messages received")
                  .Register(reg);
  session_rejects_ =
      &prometheus::BuildCounter().Name("venue_session_rejects_total").Help("Refusals sent to a session").Register(reg);
  throttled_ = &prometheus::BuildCounter()
                    .Name("venue_throttle_refused_total")
                    .Help("Messages refused by the session throttle")
                    .Register(reg);
  logons_ = &prometheus::BuildCounter().Name("venue_logons_total").Help("Logons, by result").Register(reg);
}

GatewayMetrics::SessionCounters GatewayMetrics::session(const std::string& comp_id) {
  const std::map<std::string, std::string> labels{{"session", comp_id}};
  SessionCounters c;
  c.msgs_in = &msgs_in_->Add(labels);
  c.rejects = &session_rejects_->Add(labels);
  c.throttled = &throttled_->Add(labels);
  c.logons_ok = &logons_->Add({{"session", comp_id}, {"result", "ok"}});
  c.logons_refused = &logons_->Add({{"session", comp_id}, {"result", "refused"}});
  return c;
}

GatewayMetrics::ShardGauges GatewayMetrics::shard(std::uint16_t id) {
  auto gauge = [&](const char* name, const char* help) {
    return &prometheus::BuildGauge().Name(name).Help(help).Register(registry_).Add({{"shard", std::to_string(id)}});
  };
  return ShardGauges{gauge("venue_engine_commands", "Commands the engine applied"),
                     gauge("venue_engine_journal_bytes", "Bytes written to the journal"),
                     gauge("venue_engine_events_spilled", "Events that waited for ring space"),
                     gauge("venue_engine_submit_refused", "Commands the engine ring refused"),
                     gauge("venue_engine_live_orders", "Live orders in the engine")};
}

prometheus::Counter& GatewayMetrics::reject(RejectCode code) {
  auto it = reject_by_code_.find(static_cast<int>(code));
  if (it != reject_by_code_.end()) return *it->second;
  auto& c = rejects_->Add({{"code", std::to_string(static_cast<int>(code))}, {"name", std::string(to_string(code))}});
  reject_by_code_[static_cast<int>(code)] = &c;
  return c;
}

void GatewayMetrics::bust_refused(RejectCode code) {
  busts_refused_->Add({{"code", std::to_string(static_cast<int>(code))}, {"name", std::string(to_string(code))}})
      .Increment();
}

void GatewayMetrics::report(char exec_type) {
  auto it = report_by_type_.find(exec_type);
  if (it == report_by_type_.end()) {
    it = report_by_type_.emplace(exec_type, &reports_->Add({{"exec_type", std::string(1, exec_type)}})).first;
  }
  it->second->Increment();
}

}  // namespace venue::fix_gateway
