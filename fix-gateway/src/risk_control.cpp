// The consumer of venue.risk-control on its own thread (risk_control.h).
#include "venue/fix_gateway/risk_control.h"

#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "venue/common/log.h"

namespace venue::fix_gateway {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string risk_control_ack(const std::string& command_id, const BlockCommand* c, const BlockOutcome& o) {
  nlohmann::json j{{"command_id", command_id},
                   {"result", o.result},
                   {"reason", o.reason},
                   {"action", c != nullptr ? to_string(c->action) : ""},
                   {"firm", c != nullptr ? c->firm : ""},
                   {"account", c != nullptr ? c->account : ""},
                   {"orders_cancelled", o.orders_cancelled},
                   {"cancels_confirmed", o.cancels_confirmed},
                   {"applied_at", iso_ms(o.applied_at_ms != 0 ? o.applied_at_ms : now_ms())}};
  return j.dump();
}

struct RiskControlConsumer::Impl {
  RiskControlSettings s;
  prometheus::Registry& registry;
  Apply apply;
  // Replaced when librdkafka declares it failed for good (e.g. fenced after the broker was away for the
  // 10 s session): the old code retried the commit forever and never read a kill switch again.
  kafka::GroupConsumer consumer{"VEN030", [this] { return make_consumer(); }};
  std::unique_ptr<kafka::Producer> producer;
  std::atomic<bool> stopping{false};
  std::thread thread;
  std::atomic<int> delivered{0};  // 1 delivered, -1 failed, 0 waiting
  // VENUE_TEST_RISK_CONTROL_FATAL_AFTER=N (tests): after the N-th command, librdkafka is told its
  // consumer failed for good (FENCED_INSTANCE_ID, as after a broker away for the group session).
  long fatal_after = 0;
  long handled = 0;
  prometheus::Family<prometheus::Counter>* commands;
  prometheus::Counter* malformed;
  prometheus::Histogram* apply_seconds;

  Impl(RiskControlSettings settings, prometheus::Registry& r, Apply a)
      : s(std::move(settings)), registry(r), apply(std::move(a)) {
    commands = &prometheus::BuildCounter()
                    .Name("venue_risk_control_commands_total")
                    .Help("Commands read from venue.risk-control, by action and result")
                    .Register(r);
    malformed = &prometheus::BuildCounter()
                     .Name("venue_risk_control_malformed_total")
                     .Help("Records on venue.risk-control that are not commands")
                     .Register(r)
                     .Add({});
    apply_seconds =
        &prometheus::BuildHistogram()
             .Name("venue_risk_control_apply_seconds")
             .Help("From a command's issued_at to the venue's answer (block in force, cancels done)")
             .Register(r)
             .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  }

  // Produces the answer and waits until Kafka has it (retrying while Kafka is away).
  void answer(const std::string& id, const std::string& ack) {
    while (!stopping.load()) {
      delivered = 0;
      if (producer->produce(s.acks_topic, id, ack, {}) != kafka::Enqueue::kOk) {
        producer->poll(100);
        continue;
      }
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (delivered.load() == 0 && !stopping.load() && std::chrono::steady_clock::now() < deadline) {
        producer->poll(50);
      }
      if (delivered.load() == 1) return;
      VENUE_LOG_KV(warning, "risk control: answer not delivered yet, producing it again", {{"command_id", id}});
    }
  }

  void handle(RdKafka::Message& m) {
    const std::string text(static_cast<const char*>(m.payload()), m.len());
    std::string why;
    std::string id;
    const auto command = parse_block_command(text, &why, &id);
    if (!command) {
      malformed->Increment();
      VENUE_LOG_KV(error, "risk control: not a command",
                   {{"partition", m.partition()}, {"offset", m.offset()}, {"reason", why}, {"id", id}});
      if (!id.empty()) answer(id, risk_control_ack(id, nullptr, BlockOutcome{"refused", why, 0, false, now_ms()}));
      return;
    }
    const BlockOutcome outcome = apply(*command);
    commands->Add({{"action", to_string(command->action)}, {"result", outcome.result}}).Increment();
    apply_seconds->Observe(static_cast<double>(std::max<std::int64_t>(0, now_ms() - command->issued_at_ms)) / 1000.0);
    VENUE_LOG_KV(warning, "risk control command answered",
                 {{"command_id", command->id},
                  {"action", to_string(command->action)},
                  {"firm", command->firm},
                  {"account", command->account},
                  {"issuer", command->issuer},
                  {"result", outcome.result},
                  {"reason", outcome.reason},
                  {"orders_cancelled", outcome.orders_cancelled}});
    answer(command->id, risk_control_ack(command->id, &*command, outcome));
  }

  std::unique_ptr<kafka::Consumer> make_consumer() {
    // Static membership: the venue is the group's only member, and a venue restarted after a crash takes
    // its place at once instead of waiting out the dead member's session (a kill switch must not wait 45 s).
    kafka::Properties props{{"group.instance.id", s.group_id + "-" + s.client_id}, {"session.timeout.ms", "10000"}};
    props.insert(props.end(), s.properties.begin(), s.properties.end());
    auto c = std::make_unique<kafka::Consumer>(
        kafka::ConsumerSettings{
            .brokers = s.brokers, .group_id = s.group_id, .client_id = s.client_id, .properties = props},
        registry);
    c->subscribe({s.topic});
    return c;
  }

  void run() {
    const auto now = [] { return std::chrono::steady_clock::now().time_since_epoch().count(); };
    // A replacement whose new consumer cannot be made (librdkafka refusing what it took at start: not
    // seen) leaves none: made again here a second later, never a crash of the venue.
    const auto replace_if_failed = [&] {
      try {
        if (!consumer) consumer.start();
        return consumer.replace_if_failed(now());
      } catch (const std::exception& e) {
        VENUE_LOG_KV(error, "VEN031 risk control: no Kafka consumer: trying again in 1 s", {{"error", e.what()}});
        std::this_thread::sleep_for(std::chrono::seconds(1));
        return true;
      }
    };
    while (!stopping.load()) {
      replace_if_failed();
      if (!consumer) continue;
      auto m = consumer->poll(200);
      if (!m) continue;
      handle(*m);
      if (fatal_after > 0 && ++handled == fatal_after) {
        rd_kafka_test_fatal_error(consumer->handle().c_ptr(), RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID,
                                  "VENUE_TEST_RISK_CONTROL_FATAL_AFTER");
      }
      // Not committed when stopping: read again after the restart (answered as a duplicate). Nor when the
      // consumer failed for good: its successor (made at the top of the loop, once this message is gone:
      // librdkafka's close waits for the messages it handed out) reads it again from the committed offset.
      std::string why;
      while (!stopping.load() && consumer->handle().fatal_error(why) == RdKafka::ERR_NO_ERROR) {
        if (consumer.may_commit(now()) && consumer->commit(*m)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
    }
  }
};

RiskControlConsumer::RiskControlConsumer(RiskControlSettings settings, prometheus::Registry& registry, Apply apply)
    : impl_(std::make_unique<Impl>(std::move(settings), registry, std::move(apply))) {}

RiskControlConsumer::~RiskControlConsumer() { stop(); }

void RiskControlConsumer::start() {
  Impl& m = *impl_;
  if (const char* v = std::getenv("VENUE_TEST_RISK_CONTROL_FATAL_AFTER")) m.fatal_after = std::strtol(v, nullptr, 10);
  m.consumer.start();  // here: a configuration librdkafka refuses fails the venue's start
  m.producer =
      std::make_unique<kafka::Producer>(kafka::ProducerSettings{.brokers = m.s.brokers,
                                                                .client_id = m.s.client_id + "-acks",
                                                                .properties = m.s.properties,
                                                                .close_timeout_ms = 2000},
                                        m.registry, [&m](const kafka::Delivery& d) { m.delivered = d.ok ? 1 : -1; });
  m.thread = std::thread([&m] {
    pthread_setname_np(pthread_self(), "risk-control");
    m.run();
  });
}

void RiskControlConsumer::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->stopping = true;
  impl_->thread.join();
  if (impl_->consumer) impl_->consumer->close();
}

}  // namespace venue::fix_gateway
