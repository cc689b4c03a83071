// The risk service's Kafka traffic (service_impl.h): reports read and released in venue sequence order,
// records it cannot use parked, commands to the venue sent and their acks read. The loop that calls
// them is in service.cpp, the limit checks in service_limits.cpp.
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <charconv>
#include <thread>

#include "service_impl.h"
#include "venue/common/log.h"
#include "venue/common/shutdown.h"

namespace venue::risk {

namespace {

constexpr std::size_t kMaxPollBatch = 5000;     // records read per loop turn
constexpr std::size_t kMaxReleaseBatch = 5000;  // records applied per hold of the mutex

std::string block_key(const std::string& action, const std::string& firm, const std::string& account) {
  return action.find("firm") != std::string::npos ? "f:" + firm : "a:" + account;
}

}  // namespace

void Service::Impl::start_kafka() {
  producer = std::make_unique<kafka::Producer>(
      kafka::ProducerSettings{
          .brokers = cfg.brokers, .client_id = cfg.client_id, .properties = cfg.kafka.properties({{"linger.ms", "0"}})},
      *registry, [this](const kafka::Delivery& d) { on_delivery(d); });
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
  auto out = std::make_unique<Outgoing>(Outgoing{.command_id = c.id, .alert = nullptr});
  if (producer->produce(cfg.control_topic, c.firm, command_json(c), headers, out.get()) == kafka::Enqueue::kOk) {
    (void)out.release();  // on_delivery owns it now
  } else {
    unsent.push_back(c);
  }
}

void Service::Impl::produce_alert(OutgoingAlert a) {
  std::vector<kafka::Header> headers;
  if (!a.traceparent.empty()) headers.push_back({"traceparent", a.traceparent});
  auto out = std::make_unique<Outgoing>(Outgoing{.command_id = {}, .alert = std::make_unique<OutgoingAlert>(a)});
  const bool refused = refuse_alerts > 0;
  if (refused) --refuse_alerts;
  if (!refused && producer->produce(cfg.alerts_topic, a.firm, a.body, headers, out.get()) == kafka::Enqueue::kOk) {
    (void)out.release();  // on_delivery owns it now
    return;
  }
  if (!a.refusal_logged) {
    VENUE_LOG_KV(warning, "RSK014 alert refused by the Kafka client: kept in PostgreSQL, produced again",
                 {{"alert_id", a.id}});
    a.refusal_logged = true;
  }
  unsent_alerts.push_back(std::move(a));
}

// Delivery reports, on the main thread (producer->poll in run()).
void Service::Impl::on_delivery(const kafka::Delivery& d) {
  std::unique_ptr<Outgoing> out(static_cast<Outgoing*>(d.opaque));
  if (!out) return;
  if (out->alert) {
    if (d.ok) {
      alerts_published->Increment();
      return;
    }
    VENUE_LOG_KV(error, "RSK015 an alert could not be delivered to Kafka: produced again",
                 {{"alert_id", out->alert->id}, {"error", d.error}});
    unsent_alerts.push_back(std::move(*out->alert));
    return;
  }
  if (d.ok) {
    published.push_back(out->command_id);
    published_total->Increment();
    return;
  }
  VENUE_LOG_KV(error, "RSK010 a command could not be delivered to Kafka: sent again",
               {{"command_id", out->command_id}, {"error", d.error}});
  std::lock_guard lock(mu);
  if (auto it = unanswered.find(out->command_id); it != unanswered.end()) unsent.push_back(it->second);
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

}  // namespace venue::risk
