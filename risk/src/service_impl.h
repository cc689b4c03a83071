#pragma once
// The risk service's state and metrics, shared by its main loop (service.cpp), its Kafka traffic
// (service_reports.cpp), its limit checks (service_limits.cpp) and its HTTP views (service_http.cpp).
// Private to the library.
//
// Thread rules: fields under "main thread" are touched only by run()'s thread; those under `mu` by the
// main thread while it holds mu, and by HTTP handlers (which always hold it); atomics by anyone.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "venue/common/kafka.h"
#include "venue/risk/book.h"
#include "venue/risk/config.h"
#include "venue/risk/messages.h"
#include "venue/risk/monitor.h"
#include "venue/risk/sequencer.h"
#include "venue/risk/service.h"
#include "venue/risk/store.h"
#include "venue/risk/writer.h"

namespace venue::risk {

// An alert record for venue.risk-alerts, kept until Kafka has it: refused by the client (queue full) or
// failed at delivery (a permanent error: the producer retries the others itself), it is produced again.
struct OutgoingAlert {
  std::string id;
  std::string firm;  // the record's key
  std::string body;
  std::string traceparent;
  bool refusal_logged = false;  // RSK014 once per alert, not at every try
};

// What a produce() carries to its delivery report: a command's id, or an alert.
struct Outgoing {
  std::string command_id;                // a command (venue.risk-control)
  std::unique_ptr<OutgoingAlert> alert;  // or an alert (venue.risk-alerts)
};

struct Service::Impl {
  Impl(Config c, std::shared_ptr<prometheus::Registry> r);

  // service.cpp: the main loop.
  void run();
  // service_reports.cpp: Kafka in and out.
  void start_kafka();
  void assign_reports(const std::vector<std::int32_t>& partitions);
  void read_reports(std::int64_t steady);
  void release_records(std::int64_t steady);
  void process(const Item& item);
  void park(const Item& item, const std::string& reason, const std::string& topic);
  void send_command(const Command& c);
  void produce_command(const Command& c);
  void produce_alert(OutgoingAlert a);
  void on_delivery(const kafka::Delivery& d);
  void read_acks();
  void handle_ack(const Ack& a);
  // service_limits.cpp: the limit checks. Checks the figures the book says moved; those moved by marks
  // only when `with_marked` (batch end).
  void evaluate_touched(const Trigger& trigger, bool with_marked);
  void evaluate_entity(Scope scope, const std::string& entity, const std::string& firm, const Trigger& trigger,
                       std::vector<LimitEvent>& events);
  void evaluate_net(Scope scope, const std::string& entity, const std::string& firm, const std::string& symbol,
                    const Trigger& trigger, std::vector<LimitEvent>& events);
  void reevaluate_all(const Trigger& trigger);
  void handle_event(const LimitEvent& e);
  void update_usage_gauges();
  // service.cpp again.
  void apply_limits(LimitsUpdate update);
  void flush(bool force);
  void periodic(std::int64_t steady);
  std::int64_t now() const;

  // service_http.cpp: the views.
  std::string status_json() const;  // holds mu
  std::string limits_json() const;  // holds mu

  Config cfg;
  std::shared_ptr<prometheus::Registry> registry;
  Writer writer;

  // Under mu.
  mutable std::mutex mu;
  std::unique_ptr<Book> book;
  Monitor monitor;
  Sequencer seq;
  std::map<std::string, Ack> blocks;  // "f:<firm>" / "a:<account>" -> the block in force
  std::map<std::string, Command> unanswered;
  std::set<std::string> acked_ids;  // commands answered (their first ack is what counts)
  std::map<std::int32_t, std::int64_t> lag;
  std::int64_t limits_version = 0;
  std::uint64_t last_seq = 0;
  bool paused = false;

  // Readiness (any thread).
  std::atomic<bool> loaded{false};
  std::atomic<bool> kafka_ok{false};
  std::atomic<bool> caught_up_once{false};

  // Main thread.
  std::unique_ptr<kafka::Consumer> reports;
  std::unique_ptr<kafka::Consumer> acks_in;
  std::unique_ptr<kafka::Producer> producer;
  std::vector<std::int32_t> report_partitions;
  std::map<std::int32_t, std::int64_t> reports_next;  // per partition: the offset after the last record read
  std::map<std::int32_t, std::int64_t> acks_next;
  bool caught_up_now = false;
  std::map<std::string, std::string> marked_pending;  // account -> firm: figures a mark moved, checked at batch end
  Trigger last_trigger;                               // of the last record applied
  bool log_records = false;
  std::vector<AlertRow> pending_alerts;
  std::vector<Command> pending_commands;
  std::vector<std::string> published;
  std::vector<Ack> pending_acks;
  std::vector<ParkedRow> pending_parked;
  std::size_t pending_fills = 0;
  bool dirty = false;
  std::deque<Command> unsent;
  std::deque<OutgoingAlert> unsent_alerts;  // main thread: produced again each periodic turn
  int refuse_alerts = 0;  // VENUE_RISK_REFUSE_ALERTS (tests): the client refusing that many alerts first
  std::int64_t last_flush_steady = 0;
  std::int64_t next_periodic_steady = 0;
  std::int64_t next_kafka_check_steady = 0;
  std::int64_t next_commit_steady = 0;
  std::int64_t next_gauges_steady = 0;
  std::int32_t folded_through_day = -1'000'000;  // fold at the first turn
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> to_commit;

  // Metrics.
  prometheus::Family<prometheus::Counter>* applied_family = nullptr;
  std::map<Effect::Kind, prometheus::Counter*> applied;
  prometheus::Counter* read_total = nullptr;
  prometheus::Counter* bad_records = nullptr;
  prometheus::Counter* duplicates = nullptr;
  prometheus::Counter* late = nullptr;
  prometheus::Counter* gaps = nullptr;
  prometheus::Gauge* held_gauge = nullptr;
  prometheus::Gauge* last_seq_gauge = nullptr;
  prometheus::Family<prometheus::Gauge>* lag_family = nullptr;
  std::map<std::int32_t, prometheus::Gauge*> lag_gauges;
  prometheus::Gauge* positions_gauge = nullptr;
  prometheus::Gauge* orders_gauge = nullptr;
  prometheus::Gauge* fills_gauge = nullptr;
  prometheus::Family<prometheus::Gauge>* usage_family = nullptr;
  std::map<LimitKey, prometheus::Gauge*> usage_gauges;
  prometheus::Family<prometheus::Counter>* warnings_family = nullptr;
  prometheus::Family<prometheus::Counter>* breaches_family = nullptr;
  prometheus::Family<prometheus::Counter>* sent_family = nullptr;
  prometheus::Family<prometheus::Counter>* acked_family = nullptr;
  prometheus::Counter* published_total = nullptr;
  prometheus::Counter* enforced_total = nullptr;
  prometheus::Counter* bad_acks = nullptr;
  prometheus::Gauge* unanswered_gauge = nullptr;
  prometheus::Histogram* breach_to_block = nullptr;
  prometheus::Histogram* breach_detection = nullptr;
  prometheus::Counter* alerts_published = nullptr;
  prometheus::Gauge* limits_gauge = nullptr;
  prometheus::Gauge* paused_gauge = nullptr;
  prometheus::Counter* folded_total = nullptr;
};

// The label of an effect in venue_risk_reports_applied_total and the logs (service.cpp).
const char* effect_name(Effect::Kind k);

}  // namespace venue::risk
