// The risk service's main loop: Kafka in (reports, acks) and out (commands, alerts), the book, the
// limits. The HTTP views are in service_http.cpp; the PostgreSQL thread in writer.cpp.
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <charconv>
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
constexpr std::size_t kMaxPollBatch = 5000;     // records read per loop turn
constexpr std::size_t kMaxReleaseBatch = 5000;  // records applied per hold of the mutex

prometheus::Counter& counter(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}
prometheus::Gauge& gauge(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

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

std::string block_key(const std::string& action, const std::string& firm, const std::string& account) {
  return action.find("firm") != std::string::npos ? "f:" + firm : "a:" + account;
}

}  // namespace

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
  alerts_published = &counter(reg, "risk_alerts_published_total", "Records produced to venue.risk-alerts");
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

void Service::Impl::start_kafka() {
  producer = std::make_unique<kafka::Producer>(
      kafka::ProducerSettings{
          .brokers = cfg.brokers, .client_id = cfg.client_id, .properties = cfg.kafka.properties({{"linger.ms", "0"}})},
      *registry, [this](const kafka::Delivery& d) {
        std::unique_ptr<std::string> id(static_cast<std::string*>(d.opaque));
        if (!id) return;
        if (d.ok) {
          published.push_back(*id);
          published_total->Increment();
          return;
        }
        VENUE_LOG_KV(error, "RSK010 a command could not be delivered to Kafka: sent again",
                     {{"command_id", *id}, {"error", d.error}});
        std::lock_guard lock(mu);
        if (auto it = unanswered.find(*id); it != unanswered.end()) unsent.push_back(it->second);
      });
  const kafka::Properties fast = cfg.kafka.properties({{"fetch.wait.max.ms", "5"}, {"fetch.min.bytes", "1"}});
  reports = std::make_unique<kafka::Consumer>(
      kafka::ConsumerSettings{
          .brokers = cfg.brokers, .group_id = cfg.group_id, .client_id = cfg.client_id, .properties = fast},
      *registry);
  acks_in = std::make_unique<kafka::Consumer>(kafka::ConsumerSettings{.brokers = cfg.brokers,
                                                                      .group_id = cfg.group_id + "-acks",
                                                                      .client_id = cfg.client_id + "-acks",
                                                                      .properties = fast},
                                              *registry);
  bool logged = false;
  while (!ShutdownSignal::requested()) {
    try {
      auto parts = reports->partitions(cfg.reports_topic, 5000);
      auto ack_parts = acks_in->partitions(cfg.acks_topic, 5000);
      if (parts.empty()) throw kafka::KafkaError("topic " + cfg.reports_topic + " does not exist");
      assign_reports(parts);
      std::vector<kafka::Consumer::Position> ack_from;
      for (auto p : ack_parts) {
        auto it = acks_next.find(p);
        ack_from.push_back({cfg.acks_topic, p, it == acks_next.end() ? RdKafka::Topic::OFFSET_BEGINNING : it->second});
      }
      acks_in->assign(ack_from);
      kafka_ok = true;
      return;
    } catch (const kafka::KafkaError& e) {
      if (!logged) VENUE_LOG_KV(warning, "RSK011 Kafka not reachable yet: trying again", {{"error", e.what()}});
      logged = true;
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}

// Assigns every partition of the reports topic, each from where the state written to PostgreSQL covers
// (or from where this process has read, for partitions it already reads).
void Service::Impl::assign_reports(const std::vector<std::int32_t>& partitions) {
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> stored;
  std::vector<kafka::Consumer::Position> from;
  for (auto p : partitions) {
    std::int64_t offset = cfg.start_from_end ? RdKafka::Topic::OFFSET_END : RdKafka::Topic::OFFSET_BEGINNING;
    if (auto it = reports_next.find(p); it != reports_next.end()) offset = it->second;
    from.push_back({cfg.reports_topic, p, offset});
    reports_next.emplace(p, offset);
  }
  reports->assign(from);
  report_partitions = partitions;
}

void Service::Impl::read_reports(std::int64_t steady) {
  {
    std::lock_guard lock(mu);
    paused = writer.unwritten_fills() > static_cast<std::size_t>(cfg.max_unwritten_fills);
  }
  paused_gauge->Set(paused ? 1 : 0);
  if (paused) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return;
  }
  const int wait_ms = seq.held() > 0 ? 2 : 20;
  for (std::size_t n = 0; n < kMaxPollBatch; ++n) {
    auto m = reports->poll(n == 0 ? wait_ms : 0);
    if (!m) break;
    read_total->Increment();
    dirty = true;
    reports_next[m->partition()] = m->offset() + 1;
    Item item;
    item.partition = m->partition();
    item.offset = m->offset();
    std::string why;
    auto rec = fix_session::read_report_record(*m, &why);
    if (rec) {
      item.venue_seq = rec->venue_seq;
      item.record = std::move(rec);
    } else {
      item.why = why;
      item.payload.assign(static_cast<const char*>(m->payload()), m->len());
      // Even a refused record keeps its place in the order when its venue-seq header can be read, so the
      // records after it are not held back as if it were a gap.
      if (auto h = kafka::Consumer::header(*m, "venue-seq")) {
        std::from_chars(h->data(), h->data() + h->size(), item.venue_seq);
      }
      if (item.venue_seq == 0) {
        std::lock_guard lock(mu);
        park(item, why, cfg.reports_topic);
        continue;
      }
    }
    switch (seq.offer(std::move(item), steady)) {
      case Sequencer::Offer::kDuplicate: duplicates->Increment(); break;
      case Sequencer::Offer::kLate: late->Increment(); break;
      case Sequencer::Offer::kHeld: break;
    }
  }
}

void Service::Impl::release_records(std::int64_t steady) {
  std::lock_guard lock(mu);
  book->set_now(now());
  const auto gaps_before = seq.gaps_skipped();
  for (std::size_t n = 0; n < kMaxReleaseBatch; ++n) {
    auto item = seq.next(steady, caught_up_now);
    if (!item) break;
    process(*item);
  }
  if (seq.gaps_skipped() != gaps_before) {
    gaps->Increment(static_cast<double>(seq.gaps_skipped() - gaps_before));
    VENUE_LOG_KV(warning,
                 "RSK012 venue-seq gap given up on: later reports applied without it (it is applied if it "
                 "arrives)",
                 {{"next_venue_seq", seq.next_expected()}, {"skipped_kept", seq.skipped().size()}});
  }
  held_gauge->Set(static_cast<double>(seq.held()));
  last_seq_gauge->Set(static_cast<double>(last_seq));
  // Figures moved by the marks (once per batch: a mark move touches every holder of the instrument), and
  // those that moved without a report (the day's traded notional at a new trading day).
  evaluate_touched(last_trigger, true);
}

void Service::Impl::process(const Item& item) {
  dirty = true;
  if (!item.record) {
    park(item, item.why, cfg.reports_topic);
    return;
  }
  const auto& r = *item.record;
  const Effect e = book->apply(r);
  applied[e.kind]->Increment();
  if (e.kind == Effect::Kind::kBad) park(item, e.reason, cfg.reports_topic);
  if (e.kind == Effect::Kind::kFill || e.kind == Effect::Kind::kBust) ++pending_fills;
  last_seq = std::max(last_seq, r.venue_seq);
  if (log_records) {
    VENUE_LOG_KV(debug, "report applied",
                 {{"venue_seq", r.venue_seq},
                  {"exec_type", std::string(1, r.exec_type ? r.exec_type : r.msg_type)},
                  {"exec_id", std::string(r.fix.text(fix_session::tags::kExecID))},
                  {"account", r.account},
                  {"effect", effect_name(e.kind)},
                  {"traceparent", r.traceparent}});
  }
  Trigger t;
  t.venue_seq = r.venue_seq;
  t.exec_id = std::string(r.fix.text(fix_session::tags::kExecID));
  t.traceparent = r.traceparent;
  if (r.exec_type == 'F') t.transact_ns = r.fix.timestamp_ns(fix_session::tags::kTransactTime).value_or(0);
  t.record_ms = r.timestamp_ms;
  evaluate_touched(t, false);
  last_trigger = std::move(t);
}

void Service::Impl::park(const Item& item, const std::string& reason, const std::string& topic) {
  bad_records->Increment();
  dirty = true;
  std::string payload = item.payload;
  if (payload.empty() && item.record) payload = item.record->fix.raw();
  VENUE_LOG_KV(warning, "RSK013 record parked: not used for positions",
               {{"topic", topic},
                {"partition", item.partition},
                {"offset", item.offset},
                {"venue_seq", item.venue_seq},
                {"reason", reason},
                {"traceparent", item.record ? item.record->traceparent : std::string()}});
  pending_parked.push_back(ParkedRow{topic, item.partition, item.offset, item.venue_seq, reason, std::move(payload)});
}

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
  std::vector<kafka::Header> headers;
  if (!e.trigger.traceparent.empty()) headers.push_back({"traceparent", e.trigger.traceparent});
  if (producer->produce(cfg.alerts_topic, e.firm, body, headers) == kafka::Enqueue::kOk) {
    alerts_published->Increment();
  } else {
    VENUE_LOG_KV(warning, "RSK014 alert not produced to Kafka (kept in PostgreSQL)", {{"alert_id", alert_id(e)}});
  }
  pending_alerts.push_back(AlertRow{alert_id(e), t, e, command_id, std::move(body)});
  dirty = true;
}

void Service::Impl::send_command(const Command& c) {
  sent_family->Add({{"action", c.action}}).Increment();
  pending_commands.push_back(c);
  unanswered[c.id] = c;
  unanswered_gauge->Set(static_cast<double>(unanswered.size()));
  produce_command(c);
}

void Service::Impl::produce_command(const Command& c) {
  std::vector<kafka::Header> headers;
  if (!c.traceparent.empty()) headers.push_back({"traceparent", c.traceparent});
  auto* opaque = new std::string(c.id);
  if (producer->produce(cfg.control_topic, c.firm, command_json(c), headers, opaque) != kafka::Enqueue::kOk) {
    delete opaque;
    unsent.push_back(c);
  }
}

void Service::Impl::read_acks() {
  for (int n = 0; n < 500; ++n) {
    auto m = acks_in->poll(0);
    if (!m) return;
    acks_next[m->partition()] = m->offset() + 1;
    dirty = true;
    std::string why;
    const std::string_view text(static_cast<const char*>(m->payload()), m->len());
    auto ack = parse_ack(text, &why);
    if (!ack) {
      bad_acks->Increment();
      VENUE_LOG_KV(warning, "RSK015 record on the acks topic is not an ack: skipped",
                   {{"partition", m->partition()}, {"offset", m->offset()}, {"reason", why}});
      continue;
    }
    std::lock_guard lock(mu);
    handle_ack(*ack);
  }
}

void Service::Impl::handle_ack(const Ack& a) {
  // The first answer to a command counts; a later one (the venue answering a command sent again
  // `duplicate`, or an ack read again after a restart) changes nothing.
  if (!acked_ids.insert(a.command_id).second) {
    VENUE_LOG_KV(debug, "another answer to a command already answered",
                 {{"command_id", a.command_id}, {"result", a.result}});
    return;
  }
  auto it = unanswered.find(a.command_id);
  const bool ours = it != unanswered.end();
  acked_family->Add({{"result", a.result}}).Increment();
  if (ours) {
    const Command& c = it->second;
    if (a.result == "applied") {
      enforced_total->Increment();
      if (c.trigger_transact_ns > 0 && a.applied_ns > 0) {
        breach_to_block->Observe(static_cast<double>(a.applied_ns - c.trigger_transact_ns) / 1e9);
      }
    }
    VENUE_LOG_KV(info, "RSK102 the venue answered a command",
                 {{"command_id", a.command_id},
                  {"result", a.result},
                  {"reason", a.reason},
                  {"orders_cancelled", a.orders_cancelled},
                  {"applied_at", iso_time_ms(a.applied_ns)},
                  {"traceparent", c.traceparent}});
    unanswered.erase(it);
    unanswered_gauge->Set(static_cast<double>(unanswered.size()));
  }
  pending_acks.push_back(a);
  if (a.result != "applied") return;
  const std::string key = block_key(a.action, a.firm, a.account);
  if (a.action == "kill_firm" || a.action == "block_account") {
    blocks[key] = a;
  } else if (a.action == "release_firm" || a.action == "release_account") {
    const bool was_blocked = blocks.erase(key) > 0;
    const Scope scope = a.action == "release_firm" ? Scope::kFirm : Scope::kAccount;
    // The venue let the firm trade from applied_at; fills of that moment or later may already be in the
    // book (they come on another topic): what they added counts against the limits now.
    const auto breaches = monitor.released(scope, scope == Scope::kFirm ? a.firm : a.account, a.applied_ns, now());
    if (was_blocked) {
      VENUE_LOG_KV(info, "RSK103 released: breaches of it count again only above its usage at the release",
                   {{"firm", a.firm},
                    {"account", a.account},
                    {"command_id", a.command_id},
                    {"applied_at", iso_time_ms(a.applied_ns)},
                    {"breached_again", breaches.size()}});
    }
    for (const auto& e : breaches) handle_event(e);
  }
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
