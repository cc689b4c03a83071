#pragma once
// The venue process's own metrics (the acceptor's are fix_session::AcceptorMetrics, the publisher's are
// in kafka_publisher.cpp): orders, refusals by code, reports by ExecType, sessions, per-shard engine
// figures. Names follow Prometheus's conventions (venue_<what>_<unit>, counters end in _total).
//
// Thread rules: the gateway thread registers and updates; prometheus-cpp makes reading thread-safe.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <string>

#include "venue/common/reject_code.h"

namespace venue::fix_gateway {

class GatewayMetrics {
 public:
  explicit GatewayMetrics(prometheus::Registry& registry);

  struct SessionCounters {
    prometheus::Counter* msgs_in = nullptr;
    prometheus::Counter* rejects = nullptr;
    prometheus::Counter* throttled = nullptr;
    prometheus::Counter* logons_ok = nullptr;
    prometheus::Counter* logons_refused = nullptr;
  };
  SessionCounters session(const std::string& comp_id);

  struct ShardGauges {
    prometheus::Gauge* commands = nullptr;
    prometheus::Gauge* journal_bytes = nullptr;
    prometheus::Gauge* spilled = nullptr;
    prometheus::Gauge* refused = nullptr;
    prometheus::Gauge* live = nullptr;
  };
  ShardGauges shard(std::uint16_t id);

  prometheus::Counter& reject(RejectCode code);
  void report(char exec_type);
  // A trade bust the engine refused (1060, 1061) or could not take (2050).
  void bust_refused(RejectCode code);

  prometheus::Counter* orders_submitted = nullptr;
  prometheus::Counter* engine_refused = nullptr;
  prometheus::Counter* engine_retried = nullptr;
  prometheus::Counter* events_without_order = nullptr;
  prometheus::Counter* avg_px_failures = nullptr;
  prometheus::Gauge* live_orders = nullptr;
  prometheus::Gauge* logged_on = nullptr;
  prometheus::Counter* admin_jobs_expired = nullptr;
  prometheus::Counter* trade_busts = nullptr;  // trades busted (each gave two ExecType H reports)  // operator requests
                                               // whose caller gave up before they ran

 private:
  prometheus::Registry& registry_;
  prometheus::Family<prometheus::Counter>* busts_refused_ = nullptr;
  prometheus::Family<prometheus::Counter>* rejects_;
  prometheus::Family<prometheus::Counter>* reports_;
  prometheus::Family<prometheus::Counter>* msgs_in_;
  prometheus::Family<prometheus::Counter>* session_rejects_;
  prometheus::Family<prometheus::Counter>* throttled_;
  prometheus::Family<prometheus::Counter>* logons_;
  std::map<int, prometheus::Counter*> reject_by_code_;
  std::map<char, prometheus::Counter*> report_by_type_;
};

}  // namespace venue::fix_gateway
