#include "venue/common/kafka.h"

#include <prometheus/counter.h>

#include <algorithm>

#include "venue/common/log.h"

namespace venue::kafka {
namespace {

prometheus::Counter& counter(prometheus::Registry& registry, const std::string& name, const std::string& help,
                             const std::string& client) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({{"client", client}});
}

std::unique_ptr<RdKafka::Conf> make_conf(const std::string& brokers, const std::string& client_id,
                                         const Properties& defaults, const Properties& overrides) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  auto set = [&](const std::string& k, const std::string& v) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      // A secret (sasl.password, ssl.key.password) never goes into a message.
      const bool secret = k.find("password") != std::string::npos;
      throw KafkaError("kafka: property " + k + "=" + (secret ? std::string("(hidden)") : v) + " refused: " + err);
    }
  };
  if (!brokers.empty()) set("bootstrap.servers", brokers);
  if (!client_id.empty()) set("client.id", client_id);
  for (const auto& [k, v] : defaults) set(k, v);
  for (const auto& [k, v] : overrides) {
    set(k, v);
    // librdkafka before 2.6.1 (Debian 12 ships 2.0.2) repeats the client nonce in SCRAM's final
    // message; Kafka 4.x brokers refuse it as invalid credentials (3.7.2 to 3.9 accept it). Said once
    // at start, so that an operator who sees the authentication errors knows why.
    if (k == "sasl.mechanisms" && v.starts_with("SCRAM") && RdKafka::version() < 0x020601ff) {
      VENUE_LOG_KV(warning, "kafka: SCRAM with this librdkafka fails against Kafka 4.x brokers",
                   {{"client", client_id},
                    {"librdkafka", RdKafka::version_str()},
                    {"needs", "librdkafka 2.6.1, a Kafka 3.x broker, PLAIN over TLS or mutual TLS"}});
    }
  }
  return conf;
}

// librdkafka's client-level errors (broker down, all brokers down, authentication) arrive here.
struct EventLogger : RdKafka::EventCb {
  std::string client;
  prometheus::Counter* errors = nullptr;
  void event_cb(RdKafka::Event& event) override {
    if (event.type() == RdKafka::Event::EVENT_ERROR) {
      errors->Increment();
      VENUE_LOG_KV(warning, "kafka client error",
                   {{"client", client}, {"error", RdKafka::err2str(event.err())}, {"detail", event.str()}});
    } else if (event.type() == RdKafka::Event::EVENT_LOG &&
               event.severity() <= RdKafka::Event::EVENT_SEVERITY_WARNING) {
      VENUE_LOG_KV(warning, "kafka", {{"client", client}, {"facility", event.fac()}, {"detail", event.str()}});
    }
  }
};

}  // namespace

struct Producer::Callbacks : RdKafka::DeliveryReportCb {
  DeliveryHandler handler;
  Producer* owner = nullptr;
  EventLogger events;
  void dr_cb(RdKafka::Message& m) override {
    Delivery d;
    d.ok = m.err() == RdKafka::ERR_NO_ERROR;
    if (!d.ok) d.error = m.errstr();
    d.topic = m.topic_name();
    d.partition = m.partition();
    d.offset = m.offset();
    d.opaque = m.msg_opaque();
    (d.ok ? owner->delivered_ : owner->delivery_errors_)->Increment();
    if (!d.ok) VENUE_LOG_KV(warning, "kafka delivery failed", {{"topic", d.topic}, {"error", d.error}});
    if (handler) handler(d);
  }
};

Producer::Producer(const ProducerSettings& settings, prometheus::Registry& registry, DeliveryHandler on_delivery)
    : callbacks_(std::make_unique<Callbacks>()), close_timeout_ms_(settings.close_timeout_ms) {
  const auto& id = settings.client_id;
  produced_ = &counter(registry, "venue_kafka_produced_total", "Messages handed to the Kafka producer", id);
  queue_full_ = &counter(registry, "venue_kafka_produce_queue_full_total",
                         "Produce attempts refused because the local queue was full (retried by the caller)", id);
  produce_errors_ = &counter(registry, "venue_kafka_produce_errors_total", "Produce calls refused with an error", id);
  delivered_ = &counter(registry, "venue_kafka_delivered_total", "Messages the broker acknowledged", id);
  delivery_errors_ = &counter(registry, "venue_kafka_delivery_errors_total", "Messages that failed delivery", id);
  undelivered_at_close_ = &counter(registry, "venue_kafka_undelivered_at_close_total",
                                   "Messages still outstanding when the producer closed", id);
  callbacks_->handler = std::move(on_delivery);
  callbacks_->owner = this;
  callbacks_->events.client = id;
  callbacks_->events.errors = &counter(registry, "venue_kafka_client_errors_total", "librdkafka client errors", id);

  auto conf = make_conf(settings.brokers, id,
                        {{"enable.idempotence", "true"},
                         {"acks", "all"},
                         {"socket.nagle.disable", "true"},
                         {"linger.ms", "1"},
                         {"message.timeout.ms", "0"}},  // never give up on a message: the venue must not lose one
                        settings.properties);
  std::string err;
  if (conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(callbacks_.get()), err) != RdKafka::Conf::CONF_OK ||
      conf->set("event_cb", static_cast<RdKafka::EventCb*>(&callbacks_->events), err) != RdKafka::Conf::CONF_OK) {
    throw KafkaError("kafka: cannot set callbacks: " + err);
  }
  producer_.reset(RdKafka::Producer::create(conf.get(), err));
  if (!producer_) throw KafkaError("kafka: cannot create producer: " + err);
}

Producer::~Producer() {
  if (!producer_) return;
  producer_->flush(close_timeout_ms_);
  const int left = producer_->outq_len();
  if (left > 0) {
    undelivered_at_close_->Increment(left);
    VENUE_LOG_KV(warning, "kafka producer closed with messages outstanding", {{"outstanding", left}});
  }
}

Enqueue Producer::produce(std::string_view topic, std::string_view key, std::string_view payload,
                          const std::vector<Header>& headers, void* opaque, std::int32_t partition) {
  RdKafka::Headers* hdrs = nullptr;
  if (!headers.empty()) {
    hdrs = RdKafka::Headers::create();
    for (const auto& h : headers) hdrs->add(h.key, h.value.data(), h.value.size());
  }
  // librdkafka copies payload and key (RK_MSG_COPY) and owns hdrs on success.
  const auto err =
      producer_->produce(std::string(topic), partition, RdKafka::Producer::RK_MSG_COPY,
                         const_cast<char*>(payload.data()), payload.size(), key.data(), key.size(), 0, hdrs, opaque);
  if (err == RdKafka::ERR_NO_ERROR) {
    produced_->Increment();
    return Enqueue::kOk;
  }
  delete hdrs;
  if (err == RdKafka::ERR__QUEUE_FULL) {
    queue_full_->Increment();
    return Enqueue::kQueueFull;
  }
  produce_errors_->Increment();
  VENUE_LOG_KV(warning, "kafka produce refused", {{"topic", std::string(topic)}, {"error", RdKafka::err2str(err)}});
  return Enqueue::kError;
}

int Producer::poll(int timeout_ms) { return producer_->poll(timeout_ms); }

bool Producer::flush(int timeout_ms) { return producer_->flush(timeout_ms) == RdKafka::ERR_NO_ERROR; }

int Producer::outstanding() const { return producer_->outq_len(); }

struct Consumer::Callbacks {
  EventLogger events;
};

Consumer::Consumer(const ConsumerSettings& settings, prometheus::Registry& registry)
    : callbacks_(std::make_unique<Callbacks>()) {
  const auto& id = settings.client_id;
  consumed_ = &counter(registry, "venue_kafka_consumed_total", "Messages received from Kafka", id);
  consume_errors_ = &counter(registry, "venue_kafka_consume_errors_total", "Errors while consuming", id);
  commit_errors_ = &counter(registry, "venue_kafka_commit_errors_total", "Offset commits that failed", id);
  callbacks_->events.client = id;
  callbacks_->events.errors = &counter(registry, "venue_kafka_client_errors_total", "librdkafka client errors", id);
  auto conf = make_conf(settings.brokers, id,
                        {{"group.id", settings.group_id},
                         {"enable.auto.commit", "false"},
                         {"auto.offset.reset", "earliest"},
                         {"socket.nagle.disable", "true"},
                         {"enable.partition.eof", "false"}},
                        settings.properties);
  std::string err;
  if (conf->set("event_cb", static_cast<RdKafka::EventCb*>(&callbacks_->events), err) != RdKafka::Conf::CONF_OK) {
    throw KafkaError("kafka: cannot set callbacks: " + err);
  }
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer_) throw KafkaError("kafka: cannot create consumer: " + err);
}

Consumer::~Consumer() { close(); }

void Consumer::subscribe(const std::vector<std::string>& topics) {
  const auto err = consumer_->subscribe(topics);
  if (err != RdKafka::ERR_NO_ERROR) throw KafkaError("kafka: subscribe failed: " + RdKafka::err2str(err));
}

std::unique_ptr<RdKafka::Message> Consumer::poll(int timeout_ms) {
  std::unique_ptr<RdKafka::Message> m(consumer_->consume(timeout_ms));
  if (!m) return nullptr;
  switch (m->err()) {
    case RdKafka::ERR_NO_ERROR: consumed_->Increment(); return m;
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__PARTITION_EOF: return nullptr;
    default:
      consume_errors_->Increment();
      VENUE_LOG_KV(warning, "kafka consume error", {{"error", m->errstr()}});
      return nullptr;
  }
}

bool Consumer::commit(const RdKafka::Message& message) {
  std::vector<RdKafka::TopicPartition*> offsets{
      RdKafka::TopicPartition::create(message.topic_name(), message.partition(), message.offset() + 1)};
  const auto err = consumer_->commitSync(offsets);
  RdKafka::TopicPartition::destroy(offsets);
  if (err == RdKafka::ERR_NO_ERROR) return true;
  commit_errors_->Increment();
  VENUE_LOG_KV(warning, "kafka commit failed", {{"error", RdKafka::err2str(err)}});
  return false;
}

bool Consumer::commit(const std::vector<Position>& positions) {
  if (positions.empty()) return true;
  std::vector<RdKafka::TopicPartition*> offsets;
  offsets.reserve(positions.size());
  for (const auto& p : positions)
    offsets.push_back(RdKafka::TopicPartition::create(p.topic, p.partition, p.next_offset));
  const auto err = consumer_->commitSync(offsets);
  RdKafka::TopicPartition::destroy(offsets);
  if (err == RdKafka::ERR_NO_ERROR) return true;
  commit_errors_->Increment();
  VENUE_LOG_KV(warning, "kafka commit failed", {{"error", RdKafka::err2str(err)}});
  return false;
}

std::vector<std::pair<std::int32_t, std::int64_t>> Consumer::lag(int timeout_ms) {
  std::vector<std::pair<std::int32_t, std::int64_t>> out;
  std::vector<RdKafka::TopicPartition*> assigned;
  if (consumer_->assignment(assigned) != RdKafka::ERR_NO_ERROR) return out;
  consumer_->position(assigned);
  // Before the first record of a partition is read its position is unknown: count from where it was
  // assigned, else from the group's committed offset, else from the start of the log. (Counting from
  // the start made a consumer whose saved offset was already at the end never look caught up.)
  std::vector<RdKafka::TopicPartition*> unknown;
  for (auto* tp : assigned) {
    if (tp->offset() < 0 && !assigned_from_.contains({tp->topic(), tp->partition()})) {
      unknown.push_back(RdKafka::TopicPartition::create(tp->topic(), tp->partition()));
    }
  }
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> committed;
  if (!unknown.empty() && consumer_->committed(unknown, timeout_ms) == RdKafka::ERR_NO_ERROR) {
    for (auto* tp : unknown) committed[{tp->topic(), tp->partition()}] = tp->offset();
  }
  RdKafka::TopicPartition::destroy(unknown);
  for (auto* tp : assigned) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (consumer_->get_watermark_offsets(tp->topic(), tp->partition(), &low, &high) != RdKafka::ERR_NO_ERROR) {
      consumer_->query_watermark_offsets(tp->topic(), tp->partition(), &low, &high, timeout_ms);
    }
    std::int64_t pos = tp->offset();
    if (pos < 0) {
      const std::pair<std::string, std::int32_t> key{tp->topic(), tp->partition()};
      if (const auto a = assigned_from_.find(key); a != assigned_from_.end()) {
        pos = a->second;
      } else if (const auto c = committed.find(key); c != committed.end()) {
        pos = c->second;
      }
      if (pos == RdKafka::Topic::OFFSET_END) pos = high;
      if (pos < 0) pos = low;
    }
    out.emplace_back(tp->partition(), std::max<std::int64_t>(0, high - pos));
  }
  RdKafka::TopicPartition::destroy(assigned);
  return out;
}

std::vector<std::int32_t> Consumer::partitions(const std::string& topic, int timeout_ms) {
  std::string err;
  std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(consumer_.get(), topic, nullptr, err));
  if (!t) throw KafkaError("kafka: topic " + topic + ": " + err);
  RdKafka::Metadata* raw = nullptr;
  const auto code = consumer_->metadata(false, t.get(), &raw, timeout_ms);
  std::unique_ptr<RdKafka::Metadata> md(raw);
  if (code != RdKafka::ERR_NO_ERROR) {
    throw KafkaError("kafka: metadata of " + topic + ": " + RdKafka::err2str(code));
  }
  std::vector<std::int32_t> out;
  for (const auto* tm : *md->topics()) {
    if (tm->topic() != topic) continue;
    if (tm->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) return {};  // not created yet: no partitions
    if (tm->err() != RdKafka::ERR_NO_ERROR) {
      throw KafkaError("kafka: metadata of " + topic + ": " + RdKafka::err2str(tm->err()));
    }
    for (const auto* pm : *tm->partitions()) out.push_back(pm->id());
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

std::vector<RdKafka::TopicPartition*> topic_partitions(const std::string& topic, const std::vector<std::int32_t>& ps,
                                                       std::int64_t offset) {
  std::vector<RdKafka::TopicPartition*> out;
  out.reserve(ps.size());
  for (auto p : ps) out.push_back(RdKafka::TopicPartition::create(topic, p, offset));
  return out;
}

std::vector<Consumer::Position> positions_of(std::vector<RdKafka::TopicPartition*>& tps) {
  std::vector<Consumer::Position> out;
  out.reserve(tps.size());
  for (auto* tp : tps) {
    if (tp->err() != RdKafka::ERR_NO_ERROR) {
      const auto why = RdKafka::err2str(tp->err());
      RdKafka::TopicPartition::destroy(tps);
      throw KafkaError("kafka: partition offset: " + why);
    }
    out.push_back({tp->topic(), tp->partition(), tp->offset()});
  }
  RdKafka::TopicPartition::destroy(tps);
  return out;
}

}  // namespace

std::vector<Consumer::Position> Consumer::committed(const std::string& topic, const std::vector<std::int32_t>& ps,
                                                    int timeout_ms) {
  auto tps = topic_partitions(topic, ps, kNoOffset);
  const auto code = consumer_->committed(tps, timeout_ms);
  if (code != RdKafka::ERR_NO_ERROR) {
    RdKafka::TopicPartition::destroy(tps);
    throw KafkaError("kafka: committed offsets of " + topic + ": " + RdKafka::err2str(code));
  }
  return positions_of(tps);
}

std::vector<Consumer::Position> Consumer::offsets_for_time(const std::string& topic,
                                                           const std::vector<std::int32_t>& ps,
                                                           std::int64_t timestamp_ms, int timeout_ms) {
  auto tps = topic_partitions(topic, ps, timestamp_ms);
  const auto code = consumer_->offsetsForTimes(tps, timeout_ms);
  if (code != RdKafka::ERR_NO_ERROR) {
    RdKafka::TopicPartition::destroy(tps);
    throw KafkaError("kafka: offsets by time of " + topic + ": " + RdKafka::err2str(code));
  }
  auto out = positions_of(tps);
  for (auto& p : out) {
    if (p.next_offset < 0) p.next_offset = kNoOffset;  // librdkafka answers -1 (OFFSET_END) for "none"
  }
  return out;
}

void Consumer::assign(const std::vector<Position>& from) {
  std::vector<RdKafka::TopicPartition*> tps;
  tps.reserve(from.size());
  for (const auto& p : from) tps.push_back(RdKafka::TopicPartition::create(p.topic, p.partition, p.next_offset));
  assigned_from_.clear();
  for (const auto& p : from) assigned_from_[{p.topic, p.partition}] = p.next_offset;
  const auto code = consumer_->assign(tps);
  RdKafka::TopicPartition::destroy(tps);
  if (code != RdKafka::ERR_NO_ERROR) throw KafkaError("kafka: assign failed: " + RdKafka::err2str(code));
}

void Consumer::close() {
  if (closed_ || !consumer_) return;
  closed_ = true;
  consumer_->close();
}

std::optional<std::string> Consumer::header(RdKafka::Message& message, const std::string& key) {
  RdKafka::Headers* hdrs = message.headers();
  if (hdrs == nullptr) return std::nullopt;
  RdKafka::Headers::Header h = hdrs->get_last(key);
  if (h.err() != RdKafka::ERR_NO_ERROR || h.value() == nullptr) return std::nullopt;
  return std::string(static_cast<const char*>(h.value()), h.value_size());
}

GroupConsumer::GroupConsumer(std::string log_code, Factory make, std::int64_t join_timeout_ns)
    : log_code_(std::move(log_code)), make_(std::move(make)), join_timeout_ns_(join_timeout_ns) {}

void GroupConsumer::start() { consumer_ = make_(); }

bool GroupConsumer::replace_if_failed(std::int64_t now_ns) {
  if (!consumer_) return false;
  std::string why;
  if (consumer_->handle().fatal_error(why) == RdKafka::ERR_NO_ERROR) return false;
  VENUE_LOG_KV(warning, log_code_ + " Kafka consumer failed for good: a new one takes its place in the group",
               {{"error", why}, {"replacements", std::to_string(replacements_ + 1)}});
  consumer_.reset();  // closes it: a fenced static member neither commits nor leaves the group
  consumer_ = make_();
  ++replacements_;
  join_deadline_ns_ = now_ns + join_timeout_ns_;
  return true;
}

bool GroupConsumer::may_commit(std::int64_t now_ns) {
  if (join_deadline_ns_ == 0) return true;
  std::vector<RdKafka::TopicPartition*> assigned;
  const bool joined = consumer_->handle().assignment(assigned) == RdKafka::ERR_NO_ERROR && !assigned.empty();
  RdKafka::TopicPartition::destroy(assigned);
  if (joined || now_ns >= join_deadline_ns_) join_deadline_ns_ = 0;
  return join_deadline_ns_ == 0;
}

}  // namespace venue::kafka
