// The compliance service's Kafka traffic (service_impl.h): the consumer and the alerts' producer,
// records read and held by venue-seq or parked, offsets released and committed, alerts published.
#include <librdkafka/rdkafka.h>

#include <filesystem>

#include "service_impl.h"

namespace venue::compliance {

using detail::Held;
using detail::steady_ns;

std::unique_ptr<kafka::Consumer> Service::Impl::make_consumer() {
  auto c = std::make_unique<kafka::Consumer>(
      kafka::ConsumerSettings{
          .brokers = cfg.brokers,
          .group_id = cfg.group_id,
          .client_id = cfg.client_id,
          // Static membership: a restarted instance takes its partitions back at once.
          .properties = cfg.kafka.properties(
              {{"group.instance.id", cfg.group_id + "/" + cfg.client_id}, {"fetch.wait.max.ms", "10"}})},
      *registry);
  c->subscribe({cfg.topic});
  return c;
}

// A consumer failed for good (e.g. fenced after Kafka was away for about the group session while offsets
// waited) is replaced. The new one starts at the committed offsets: what it reads again is at or below
// the head or already held, skipped by venue-seq (while PostgreSQL is away, set_paused pauses what it
// is assigned).
void Service::Impl::replace_consumer_if_failed() {
  if (consumer.replace_if_failed(steady_ns())) consumer_replacements->Increment();
}

void Service::Impl::start_kafka() {
  if (!cfg.checkpoint_file.empty() && cfg.checkpoint_file.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(cfg.checkpoint_file.parent_path(), ec);
  }
  consumer.start();
  producer = std::make_unique<kafka::Producer>(
      kafka::ProducerSettings{
          .brokers = cfg.brokers, .client_id = cfg.client_id + "-alerts", .properties = cfg.kafka.properties()},
      *registry, [this](const kafka::Delivery& d) {
        auto* id = static_cast<std::string*>(d.opaque);
        if (d.ok) {
          published->Increment();
          delivered_alerts.push_back(*id);
        } else {
          publish_failures->Increment();
          VENUE_LOG_KV(error, "alert not published; published again at the next start",
                       {{"alert_id", *id}, {"error", d.error}});
        }
        delete id;  // NOLINT(cppcoreguidelines-owning-memory): handed over in publish()
      });
}

void Service::Impl::publish_unpublished() {
  pqxx::work tx(*db);
  const auto rows = tx.exec(
      "select alert_id, rule, firm, account, owner, symbol, summary, figures::text, evidence::text, "
      "trigger_venue_seq, coalesce(traceparent, ''), (extract(epoch from event_time) * 1000000000)::bigint "
      "from compliance.alerts where published_at is null order by trigger_venue_seq");
  tx.commit();
  for (const auto& r : rows) {
    nlohmann::json j{{"alert_id", r[0].as<std::string>()},
                     {"rule", r[1].as<std::string>()},
                     {"firm", r[2].as<std::string>()},
                     {"account", r[3].as<std::string>()},
                     {"owner", r[4].as<std::string>()},
                     {"symbol", r[5].as<std::string>()},
                     {"summary", r[6].as<std::string>()},
                     {"event_time_ns", r[11].as<std::int64_t>()},
                     {"trigger", {{"venue_seq", r[9].as<std::uint64_t>()}}},
                     {"figures", nlohmann::json::parse(r[7].as<std::string>())},
                     {"evidence", nlohmann::json::parse(r[8].as<std::string>())}};
    publish(r[0].as<std::string>(), j, r[10].as<std::string>());
  }
}

void Service::Impl::publish(const std::string& id, const nlohmann::json& j, const std::string& traceparent) {
  std::vector<kafka::Header> h;
  if (!traceparent.empty()) h.push_back({"traceparent", traceparent});
  auto* opaque = new std::string(id);  // NOLINT(cppcoreguidelines-owning-memory): freed by the delivery callback
  if (producer->produce(cfg.alerts_topic, id, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), h,
                        opaque) != kafka::Enqueue::kOk) {
    publish_failures->Increment();
    VENUE_LOG_KV(error, "alert not queued for Kafka; published again at the next start", {{"alert_id", id}});
    delete opaque;  // NOLINT(cppcoreguidelines-owning-memory)
  }
}

void Service::Impl::take(RdKafka::Message& m) {
  consumed->Increment();
  Held h;
  h.topic = m.topic_name();
  h.partition = m.partition();
  h.offset = m.offset();
  const auto ts = m.timestamp();
  h.timestamp_ms = ts.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE ? -1 : ts.timestamp;
  // The headers straight from librdkafka's C API: the C++ wrapper (headers(), get_all()) allocates a
  // wrapper object, a vector and a copy of every key and value, per record.
  rd_kafka_headers_t* hs = nullptr;
  if (rd_kafka_message_headers(m.c_ptr(), &hs) == RD_KAFKA_RESP_ERR_NO_ERROR && hs != nullptr) {
    h.headers.reserve(rd_kafka_header_cnt(hs));
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0; rd_kafka_header_get_all(hs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      h.headers.emplace_back(name,
                             value == nullptr ? std::string() : std::string(static_cast<const char*>(value), size));
    }
  }
  h.payload.assign(static_cast<const char*>(m.payload()), m.len());
  h.arrived_ns = steady_ns();
  read_up_to[{h.topic, h.partition}] = h.offset + 1;
  const auto seq = venue_seq_header(h.headers);
  if (!seq) {
    std::string why;
    if (fs::read_report_record(h.payload, h.headers, &why)) why = "venue-seq header out of range";
    park(std::move(h), std::nullopt, why);
    return;
  }
  if (*seq <= head.venue_seq) {
    if (std::any_of(acks.begin(), acks.end(), [&](const GapAck& a) { return *seq >= a.from && *seq <= a.to; })) {
      late_arrival(std::move(h), *seq);
      return;
    }
    duplicates->Increment();
    return;
  }
  if (buffer.contains(*seq)) {
    duplicates->Increment();
    return;
  }
  held_offsets[h.partition].insert(h.offset);
  buffer.emplace(*seq, std::move(h));
}

// A record of a venue-seq the chain passed over (acknowledged lost): parked unless it is a duplicate.
void Service::Impl::late_arrival(Held h, std::uint64_t seq) {
  if (!db) {
    park(std::move(h), seq, "arrived after venue-seq " + std::to_string(seq) + " was acknowledged as lost");
    return;
  }
  try {
    pqxx::work tx(*db);
    const bool stored =
        !tx.exec_params("select 1 from compliance.audit where venue_seq = $1", static_cast<std::int64_t>(seq)).empty();
    tx.commit();
    if (stored) {
      duplicates->Increment();
      return;
    }
  } catch (const std::exception& e) {
    VENUE_LOG_KV(warning, "cannot check a late record; parked", {{"venue_seq", seq}, {"error", e.what()}});
  }
  park(std::move(h), seq, "arrived after venue-seq " + std::to_string(seq) + " was acknowledged as lost");
}

void Service::Impl::park(Held h, std::optional<std::uint64_t> seq, std::string reason) {
  VENUE_LOG_KV(error, "bad record parked",
               {{"partition", h.partition},
                {"offset", h.offset},
                {"venue_seq", seq ? std::to_string(*seq) : ""},
                {"reason", reason},
                {"traceparent", [&] {
                   for (const auto& [k, v] : h.headers) {
                     if (k == "traceparent") return printable_utf8(v);
                   }
                   return std::string();
                 }()}});
  held_offsets[h.partition].insert(h.offset);
  to_park.push_back({std::move(h), seq, std::move(reason), true});
}

bool Service::Impl::acknowledged(std::uint64_t from, std::uint64_t to) const {
  for (std::uint64_t s = from; s <= to;) {
    const auto it = std::find_if(acks.begin(), acks.end(), [&](const GapAck& a) { return s >= a.from && s <= a.to; });
    if (it == acks.end()) return false;
    s = it->to + 1;
  }
  return true;
}

void Service::Impl::release(std::int32_t partition, std::int64_t offset) {
  auto& offsets = held_offsets[partition];
  if (const auto it = offsets.find(offset); it != offsets.end()) offsets.erase(it);
}

// Kafka offsets, at most every 100 ms (a commit is a broker round trip; what is committed later is only
// read again after a crash and skipped by venue-seq), or at once when `now` is asked.
void Service::Impl::commit_offsets(bool now) {
  if (!now && steady_ns() < next_offset_commit_ns) return;
  next_offset_commit_ns = steady_ns() + 100'000'000;
  std::vector<kafka::Consumer::Position> out;
  for (const auto& [tp, next] : read_up_to) {
    std::int64_t pos = next;
    if (const auto it = held_offsets.find(tp.second); it != held_offsets.end() && !it->second.empty()) {
      pos = std::min(pos, *it->second.begin());
    }
    auto& done = committed_up_to[tp];
    if (pos > done) out.push_back({tp.first, tp.second, pos});
  }
  if (out.empty() || !consumer.may_commit(steady_ns())) return;
  if (consumer->commit(out)) {
    for (const auto& p : out) committed_up_to[{p.topic, p.partition}] = p.next_offset;
  } else {
    offset_commit_failures->Increment();
  }
}

}  // namespace venue::compliance
