// The risk service's main loop: start-up, the loop turn, limit changes, the flush of the state to the
// writer and the periodic checks. Kafka in and out is in service_reports.cpp, the limit checks in
// service_limits.cpp, the HTTP views in service_http.cpp; the PostgreSQL thread in writer.cpp.
#include <librdkafka/rdkafkacpp.h>
#include <cstdlib>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <set>
#include <thread>

#include "service_impl.h"
#include "venue/common/log.h"
#include "venue/common/shutdown.h"
#include "venue/risk/instruments.h"

namespace venue::risk {

namespace {

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr std::int64_t kMs = 1'000'000;

prometheus::Counter& counter(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}
prometheus::Gauge& gauge(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

const char* effect_name(Effect::Kind k) {
  switch (k) {
    case Effect::Kind::kNone: return "none";
    case Effect::Kind::kOrder: return "order";
    case Effect::Kind::kFill: return "fill";
    case Effect::Kind::kRepeatedFill: return "repeated_fill";
    case Effect::Kind::kBust: return "bust";
    case Effect::Kind::kRepeatedBust: return "repeated_bust";
    case Effect::Kind::kBad: return "bad";
  }
  return "?";
}

Service::Impl::Impl(Config c, std::shared_ptr<prometheus::Registry> r)
    : cfg(std::move(c)),
      registry(std::move(r)),
      writer(cfg, *registry),
      monitor(MonitorSettings{cfg.warning_levels, cfg.warning_rearm_points}),
      seq(SequencerSettings{cfg.gap_timeout_ms, cfg.max_gap_wait_ms, 100'000}) {
  auto& reg = *registry;
  log_records = cfg.log_level == "debug" || cfg.log_level == "trace";
  applied_family = &prometheus::BuildCounter()
                        .Name("risk_records_applied_total")
                        .Help("Records of venue.execution-reports applied in venue-seq order, by what they did")
                        .Register(reg);
  for (auto k : {Effect::Kind::kNone, Effect::Kind::kOrder, Effect::Kind::kFill, Effect::Kind::kRepeatedFill,
                 Effect::Kind::kBust, Effect::Kind::kRepeatedBust, Effect::Kind::kBad}) {
    applied[k] = &applied_family->Add({{"effect", effect_name(k)}});
  }
  read_total = &counter(reg, "risk_records_read_total", "Records read from venue.execution-reports");
  bad_records = &counter(reg, "risk_records_bad_total", "Records that could not be used: logged, parked, skipped");
  duplicates = &counter(reg, "risk_records_duplicate_total",
                        "Records read again with a venue-seq already applied (Kafka re-delivery, venue re-publish)");
  late = &counter(reg, "risk_records_late_total", "Records that arrived after their venue-seq was skipped as a gap");
  gaps = &counter(reg, "risk_sequence_gaps_total", "Missing venue-seq ranges given up on after the gap timeout");
  held_gauge = &gauge(reg, "risk_records_held", "Records read and waiting for a lower venue-seq");
  last_seq_gauge = &gauge(reg, "risk_last_venue_seq", "venue-seq of the last record applied");
  lag_family = &prometheus::BuildGauge()
                    .Name("risk_consumer_lag_records")
                    .Help("Records on venue.execution-reports not read yet, per partition")
                    .Register(reg);
  positions_gauge = &gauge(reg, "risk_positions", "Positions tracked (account and instrument)");
  orders_gauge = &gauge(reg, "risk_live_orders", "Live orders tracked (for open order exposure)");
  fills_gauge = &gauge(reg, "risk_fills_kept", "Fills kept one by one (busts and repeats recognised)");
  usage_family = &prometheus::BuildGauge()
                      .Name("risk_limit_usage_ratio")
                      .Help("Usage of a limit: usage / limit (1 = at the limit)")
                      .Register(reg);
  warnings_family = &prometheus::BuildCounter()
                         .Name("risk_limit_warnings_total")
                         .Help("Warnings raised (once per crossing of a level)")
                         .Register(reg);
  breaches_family = &prometheus::BuildCounter().Name("risk_limit_breaches_total").Help("Limit breaches").Register(reg);
  sent_family = &prometheus::BuildCounter()
                     .Name("risk_commands_sent_total")
                     .Help("Commands produced to venue.risk-control, by action")
                     .Register(reg);
  acked_family = &prometheus::BuildCounter()
                      .Name("risk_commands_acknowledged_total")
                      .Help("Answers read from venue.risk-control-acks, by result")
                      .Register(reg);
  published_total = &counter(reg, "risk_commands_published_total", "Commands Kafka acknowledged");
  enforced_total = &counter(reg, "risk_commands_enforced_total", "This service's commands the venue applied");
  bad_acks = &counter(reg, "risk_acks_bad_total", "Records of venue.risk-control-acks that are not an ack (skipped)");
  unanswered_gauge = &gauge(reg, "risk_commands_unanswered", "Commands sent and not answered by the venue yet");
  const prometheus::Histogram::BucketBoundaries latency{0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075,
                                                        0.1,   0.15,  0.2,   0.3,  0.5,  1,    2,    5};
  breach_to_block = &prometheus::BuildHistogram()
                         .Name("risk_breach_to_block_seconds")
                         .Help("From the breaching fill's TransactTime to the venue applying the block (applied_at)")
                         .Register(reg)
                         .Add({}, latency);
  breach_detection = &prometheus::BuildHistogram()
                          .Name("risk_breach_detection_seconds")
                          .Help("From the breaching fill's TransactTime to the command handed to Kafka")
                          .Register(reg)
                          .Add({}, latency);
  alerts_published = &counter(reg, "risk_alerts_published_total", "Alert records Kafka has taken (venue.risk-alerts)");
  // Tests: the Kafka client refusing the first N alerts (as with its queue full), to show none is lost.
  if (const char* v = std::getenv("VENUE_RISK_REFUSE_ALERTS"))
    refuse_alerts = static_cast<int>(std::strtol(v, nullptr, 10));
  limits_gauge = &gauge(reg, "risk_limits", "Limits in force");
  paused_gauge = &gauge(reg, "risk_reading_paused",
                        "1 while reading is paused because too many fills wait to be written to PostgreSQL");
  folded_total = &counter(reg, "risk_fills_folded_total", "Fills of past trading days folded into their positions");
}

std::int64_t Service::Impl::now() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Service::Impl::run() {
  const auto refs = load_reference_prices(cfg.instruments);
  writer.start();
  auto state = writer.wait_loaded([] { return ShutdownSignal::requested(); });
  if (!state) {
    writer.stop();
    return;
  }
  {
    std::lock_guard lock(mu);
    book = std::make_unique<Book>(BookSettings{refs, cfg.day_start_offset_ns});
    book->set_now(now());
    for (const auto& b : state->state.baselines) book->restore_baseline(b);
    for (auto& f : state->state.fills) book->restore_fill(std::move(f));
    for (const auto& o : state->state.orders) book->restore_order(o);
    for (const auto& m : state->state.marks) book->restore_mark(m);
    book->finish_restore();
    monitor.set_limits(state->limits.limits);
    limits_version = state->limits.version;
    for (const auto& [key, st] : state->state.limit_states) {
      if (monitor.limit_for(key) != nullptr) monitor.restore_state(key, st);
    }
    monitor.take_changed();
    seq.restore(state->state.next_venue_seq, state->state.skipped);
    last_seq = state->state.next_venue_seq > 0 ? state->state.next_venue_seq - 1 : 0;
    for (auto& c : state->state.unanswered) unanswered[c.id] = c;
    for (auto& [key, ack] : state->blocks) blocks[key] = ack;
    limits_gauge->Set(static_cast<double>(monitor.limits().size()));
    update_usage_gauges();
  }
  for (const auto& [topic_partition, offset] : state->state.offsets) {
    if (topic_partition.first == cfg.acks_topic) acks_next[topic_partition.second] = offset;
    if (topic_partition.first == cfg.reports_topic) reports_next[topic_partition.second] = offset;
  }
  acked_ids = std::move(state->state.acked);
  state = std::nullopt;
  start_kafka();
  if (ShutdownSignal::requested()) {
    writer.stop();
    return;
  }
  loaded = true;
  VENUE_LOG_KV(info, "risk service running",
               {{"reports_topic", cfg.reports_topic},
                {"partitions", report_partitions.size()},
                {"next_venue_seq", seq.next_expected()},
                {"limits", monitor.limits().size()},
                {"enforce", cfg.enforce}});
  while (!ShutdownSignal::requested()) {
    if (writer.lost_lock()) throw std::runtime_error("another risk instance took the PostgreSQL lock");
    const std::int64_t steady = steady_ns();
    read_reports(steady);
    release_records(steady_ns());
    read_acks();
    producer->poll(0);
    if (auto update = writer.take_limits()) apply_limits(std::move(*update));
    flush(false);
    periodic(steady);
  }
  VENUE_LOG(info) << "risk service stopping: writing the state";
  flush(true);
  writer.stop();
  producer->flush(5000);
  reports->close();
  acks_in->close();
}

void Service::Impl::apply_limits(LimitsUpdate update) {
  std::lock_guard lock(mu);
  monitor.set_limits(std::move(update.limits));
  limits_version = update.version;
  for (auto it = usage_gauges.begin(); it != usage_gauges.end();) {
    if (monitor.state(it->first) == nullptr) {
      usage_family->Remove(it->second);
      it = usage_gauges.erase(it);
    } else {
      ++it;
    }
  }
  limits_gauge->Set(static_cast<double>(monitor.limits().size()));
  VENUE_LOG_KV(info, "RSK104 limits changed: every figure checked again",
               {{"version", update.version}, {"limits", monitor.limits().size()}});
  reevaluate_all(Trigger{.venue_seq = last_seq, .limits_version = update.version});
  dirty = true;
}

void Service::Impl::flush(bool force) {
  const std::int64_t steady = steady_ns();
  if (!force && (!dirty || steady - last_flush_steady < cfg.flush_interval_ms * kMs)) return;
  Delta d;
  {
    std::lock_guard lock(mu);
    d.book = book->take_changes();
    d.limit_states = monitor.take_changed();
    d.next_venue_seq = seq.next_expected();
    d.skipped.assign(seq.skipped().begin(), seq.skipped().end());
    d.has_sequence = true;
    const auto held = seq.lowest_held_offsets();
    for (const auto& [p, next] : reports_next) {
      if (next < 0) continue;  // not read yet: what PostgreSQL holds stays
      auto h = held.find(p);
      d.offsets.push_back({cfg.reports_topic, p, h == held.end() ? next : std::min(next, h->second)});
    }
  }
  for (const auto& [p, next] : acks_next) d.offsets.push_back({cfg.acks_topic, p, next});
  d.alerts = std::exchange(pending_alerts, {});
  d.commands = std::exchange(pending_commands, {});
  d.published_commands = std::exchange(published, {});
  d.acks = std::exchange(pending_acks, {});
  d.parked = std::exchange(pending_parked, {});
  writer.push(std::move(d), std::exchange(pending_fills, 0));
  dirty = false;
  last_flush_steady = steady;
}

void Service::Impl::periodic(std::int64_t steady) {
  if (steady < next_periodic_steady) return;
  next_periodic_steady = steady + 100 * kMs;
  // Lag (cached watermarks: no broker round trip) and whether every partition has been read to its end.
  const auto lags = reports->lag(0);
  std::int64_t total = 0;
  for (const auto& [p, n] : lags) {
    total += n;
    auto& g = lag_gauges[p];
    if (g == nullptr) g = &lag_family->Add({{"partition", std::to_string(p)}});
    g->Set(static_cast<double>(n));
  }
  caught_up_now = !lags.empty() && total == 0;
  {
    std::lock_guard lock(mu);
    lag.clear();
    for (const auto& [p, n] : lags) lag[p] = n;
    if (caught_up_now && seq.held() == 0 && !caught_up_once) {
      caught_up_once = true;
      VENUE_LOG_KV(info, "risk caught up with the reports", {{"last_venue_seq", last_seq}});
    }
    positions_gauge->Set(static_cast<double>(book->position_count()));
    if (steady >= next_gauges_steady) {
      next_gauges_steady = steady + 1000 * kMs;
      update_usage_gauges();
    }
    orders_gauge->Set(static_cast<double>(book->order_count()));
    fills_gauge->Set(static_cast<double>(book->fill_count()));
    // Fills of trading days before the kept ones are folded into their positions.
    const std::int32_t fold_before = book->today() - cfg.keep_fill_days + 1;
    if (fold_before > folded_through_day + 1) {
      const auto n = book->fold(fold_before);
      folded_through_day = fold_before - 1;
      if (n > 0) {
        folded_total->Increment(static_cast<double>(n));
        dirty = true;
        VENUE_LOG_KV(info, "fills of past trading days folded into positions", {{"fills", n}});
      }
    }
    while (!unsent.empty() && kafka_ok) {
      Command c = unsent.front();
      unsent.pop_front();
      produce_command(c);
      if (!unsent.empty() && unsent.back().id == c.id) break;  // refused again: next turn
    }
    for (std::size_t n = unsent_alerts.size(); n > 0 && kafka_ok; --n) {
      OutgoingAlert a = std::move(unsent_alerts.front());
      unsent_alerts.pop_front();
      const std::size_t before = unsent_alerts.size();
      produce_alert(std::move(a));
      if (unsent_alerts.size() > before) break;  // refused again: next turn
    }
  }
  if (steady >= next_kafka_check_steady) {
    next_kafka_check_steady = steady + 2000 * kMs;
    try {
      const auto parts = reports->partitions(cfg.reports_topic, 500);
      kafka_ok = !parts.empty();
      if (parts.size() > report_partitions.size()) {
        VENUE_LOG_KV(info, "new partitions of the reports topic: reading them too", {{"partitions", parts.size()}});
        assign_reports(parts);
      }
    } catch (const kafka::KafkaError& e) {
      if (kafka_ok) VENUE_LOG_KV(warning, "RSK016 Kafka unreachable", {{"error", e.what()}});
      kafka_ok = false;
    }
  }
  // What PostgreSQL holds is committed to the group too, so Kafka's own tools show the service's lag.
  for (auto& o : writer.take_written_offsets()) to_commit[{o.topic, o.partition}] = o.next_offset;
  if (steady >= next_commit_steady && kafka_ok && !to_commit.empty()) {
    next_commit_steady = steady + 1000 * kMs;
    std::vector<kafka::Consumer::Position> mine;
    for (const auto& [tp, off] : to_commit) {
      if (tp.first == cfg.reports_topic) mine.push_back({tp.first, tp.second, off});
    }
    reports->commit(mine);
    to_commit.clear();
  }
}

Service::Service(Config cfg, std::shared_ptr<prometheus::Registry> registry)
    : impl_(std::make_unique<Impl>(std::move(cfg), std::move(registry))) {}

Service::~Service() = default;

bool Service::ready() const {
  return impl_->loaded && impl_->kafka_ok && impl_->caught_up_once && impl_->writer.healthy() &&
         !impl_->writer.lost_lock();
}

void Service::run() { impl_->run(); }

}  // namespace venue::risk
