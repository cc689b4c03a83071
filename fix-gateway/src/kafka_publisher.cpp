#include "venue/fix_gateway/kafka_publisher.h"

#include <fcntl.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <unordered_map>

#include "venue/common/crc32c.h"
#include "venue/common/log.h"
#include "venue/fix_gateway/report_log.h"

namespace venue::fix_gateway {

namespace {

using Clock = std::chrono::steady_clock;

std::filesystem::path cursor_path(const std::filesystem::path& dir) { return dir / "publish.cursor"; }

// splitmix64's finalizer: spreads consecutive ids over the whole range.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

void put_hex(std::string& out, std::uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out += kDigits[(v >> shift) & 0xF];
}

}  // namespace

std::string report_traceparent(std::uint64_t order_id, std::uint64_t venue_seq) {
  // Left half mixed (trace tools sample on the trace-id's randomness), right half the identity itself,
  // so a trace-id names its order. The two kinds of identity never give the same left half: the
  // report-only ones are mixed with a different constant. Never all zeros (W3C forbids it).
  const std::uint64_t identity = order_id != 0 ? order_id : venue_seq;
  const std::uint64_t high = order_id != 0 ? mix(order_id) : mix(venue_seq ^ 0x5245504F52540000ULL);
  std::string t = "00-";
  t.reserve(55);
  put_hex(t, high == 0 ? 1 : high);
  put_hex(t, identity);
  t += '-';
  put_hex(t, venue_seq == 0 ? 1 : venue_seq);
  t += "-01";
  return t;
}

std::uint64_t KafkaPublisher::read_cursor(const std::filesystem::path& report_dir) {
  std::ifstream in(cursor_path(report_dir), std::ios::binary);
  char buf[12];
  if (!in.read(buf, sizeof buf)) return 0;
  std::uint64_t seq = 0;
  std::uint32_t crc = 0;
  std::memcpy(&seq, buf, 8);
  std::memcpy(&crc, buf + 8, 4);
  return crc == crc32c(buf, 8) ? seq : 0;
}

struct KafkaPublisher::Impl {
  PublisherSettings s;
  prometheus::Registry& registry;
  std::unique_ptr<kafka::Producer> producer;
  std::unique_ptr<ReportReader> reader;
  std::uint64_t start_cursor = 0;
  std::uint64_t cursor = 0;                           // everything up to here is acknowledged
  std::deque<bool> window;                            // acknowledged flags of cursor+1, cursor+2, ...
  std::unordered_map<std::uint64_t, Report> pending;  // produced, not yet acknowledged
  std::deque<std::uint64_t> retry;                    // failed deliveries to produce again
  Clock::time_point retry_at{};
  std::optional<Report> held;     // read from the log, not yet accepted by the producer
  std::uint64_t last_read = 0;    // venue seq of the last report read from the log
  Clock::time_point reopen_at{};  // after a read error: when to open the log again
  int cursor_fd = -1;
  std::uint64_t persisted = 0;
  Clock::time_point next_persist{};

  prometheus::Counter* published;
  prometheus::Counter* republished;
  prometheus::Counter* failures;
  prometheus::Gauge* in_flight;
  prometheus::Gauge* acked_gauge;
  prometheus::Gauge* read_gauge;
  prometheus::Counter* read_errors;

  Impl(PublisherSettings settings, prometheus::Registry& r) : s(std::move(settings)), registry(r) {
    published = &prometheus::BuildCounter()
                     .Name("venue_reports_published_total")
                     .Help("Reports acknowledged by Kafka")
                     .Register(r)
                     .Add({});
    republished = &prometheus::BuildCounter()
                       .Name("venue_reports_republished_total")
                       .Help("Reports published again after a restart (consumers de-duplicate by venue-seq)")
                       .Register(r)
                       .Add({});
    failures = &prometheus::BuildCounter()
                    .Name("venue_reports_publish_failures_total")
                    .Help("Reports Kafka refused for good (produced again after a pause)")
                    .Register(r)
                    .Add({});
    in_flight = &prometheus::BuildGauge()
                     .Name("venue_reports_in_flight")
                     .Help("Reports produced, not yet acknowledged")
                     .Register(r)
                     .Add({});
    acked_gauge = &prometheus::BuildGauge()
                       .Name("venue_reports_published_seq")
                       .Help("Last venue seq acknowledged without gaps")
                       .Register(r)
                       .Add({});
    read_gauge = &prometheus::BuildGauge()
                      .Name("venue_reports_read_seq")
                      .Help("Last venue seq read from the report log")
                      .Register(r)
                      .Add({});
    read_errors = &prometheus::BuildCounter()
                       .Name("venue_reports_read_errors_total")
                       .Help("Failed reads of the report log by the publisher (it reopens the log 1 s later)")
                       .Register(r)
                       .Add({});
  }

  void open() {
    start_cursor = read_cursor(s.report_dir);
    cursor = start_cursor;
    persisted = cursor;
    last_read = cursor;  // read_next() opens the log after it
    cursor_fd = ::open(cursor_path(s.report_dir).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (cursor_fd < 0)
      throw std::runtime_error("publisher: cannot open publish.cursor: " + std::string(std::strerror(errno)));
    producer = std::make_unique<kafka::Producer>(
        kafka::ProducerSettings{
            .brokers = s.brokers, .client_id = s.client_id, .properties = s.properties, .close_timeout_ms = 1000},
        registry, [this](const kafka::Delivery& d) { delivered(d); });
    VENUE_LOG_KV(info, "publisher starts", {{"topic", s.topic}, {"cursor", cursor}});
  }

  void delivered(const kafka::Delivery& d) {
    const auto seq = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(d.opaque));
    if (!d.ok) {
      failures->Increment();
      VENUE_LOG_KV(error, "Kafka refused a report; it is produced again shortly",
                   {{"venue_seq", seq}, {"error", d.error}});
      retry.push_back(seq);
      retry_at = Clock::now() + std::chrono::milliseconds(500);
      return;
    }
    pending.erase(seq);
    published->Increment();
    if (seq <= start_cursor) return;
    if (seq <= cursor) return;
    const std::size_t at = seq - cursor - 1;
    if (at >= window.size()) window.resize(at + 1, false);
    window[at] = true;
    while (!window.empty() && window.front()) {
      window.pop_front();
      ++cursor;
    }
  }

  // Produces one report; false when the producer's queue is full (try again later).
  bool produce(const Report& r) {
    const std::string key = r.order_id != 0 ? std::to_string(r.order_id) : "session:" + r.session;
    std::vector<kafka::Header> headers{{"venue-seq", std::to_string(r.venue_seq)},
                                       {"shard", std::to_string(r.shard)},
                                       {"engine-seq", std::to_string(r.engine_seq)},
                                       {"msg-type", std::string(1, r.msg_type)},
                                       {"session", r.session},
                                       {"firm", r.firm},
                                       {"account", r.account}};
    if (r.exec_type != 0) headers.push_back({"exec-type", std::string(1, r.exec_type)});
    headers.push_back({"traceparent", report_traceparent(r.order_id, r.venue_seq)});
    // librdkafka's per-message opaque carries the venue seq back to the delivery report; never dereferenced.
    void* opaque =
        reinterpret_cast<void*>(static_cast<std::uintptr_t>(r.venue_seq));  // NOLINT(performance-no-int-to-ptr)
    const auto result = producer->produce(s.topic, key, r.payload, headers, opaque);
    if (result != kafka::Enqueue::kOk) return false;
    if (r.venue_seq <= start_cursor) republished->Increment();
    return true;
  }

  void persist(bool force) {
    const auto now = Clock::now();
    if (cursor == persisted || (!force && now < next_persist)) return;
    next_persist = now + std::chrono::milliseconds(100);
    char buf[12];
    std::memcpy(buf, &cursor, 8);
    const std::uint32_t crc = crc32c(buf, 8);
    std::memcpy(buf + 8, &crc, 4);
    if (::pwrite(cursor_fd, buf, sizeof buf, 0) == static_cast<ssize_t>(sizeof buf)) persisted = cursor;
  }

  // The next report from the log, if any. A read error does not stop publishing for good: it is
  // logged and counted, and the log is opened again after the last report read a second later (the
  // reports wait on disk meanwhile; the venue keeps trading).
  std::optional<Report> read_next() {
    try {
      if (!reader) {
        if (Clock::now() < reopen_at) return std::nullopt;
        reader = std::make_unique<ReportReader>(s.report_dir, last_read);
      }
      return reader->next();
    } catch (const std::exception& e) {
      read_errors->Increment();
      VENUE_LOG_KV(error, "report log unreadable: publishing waits and tries again in 1 s",
                   {{"after_venue_seq", last_read}, {"error", e.what()}});
      reader.reset();
      reopen_at = Clock::now() + std::chrono::seconds(1);
      return std::nullopt;
    }
  }

  // One turn of the loop; true when it did something.
  bool step() {
    bool busy = producer->poll(0) > 0;
    if (!retry.empty() && Clock::now() >= retry_at) {
      while (!retry.empty()) {
        auto it = pending.find(retry.front());
        if (it == pending.end() || !produce(it->second)) break;
        retry.pop_front();
        busy = true;
      }
    }
    while (pending.size() < s.max_in_flight) {
      if (!held) {
        held = read_next();
        if (!held) break;
        last_read = held->venue_seq;
        read_gauge->Set(static_cast<double>(held->venue_seq));
      }
      if (s.readable_through != nullptr && held->venue_seq > s.readable_through->load(std::memory_order_acquire)) {
        break;  // written, not yet synced: held until it is
      }
      if (!produce(*held)) break;
      const auto seq = held->venue_seq;
      pending.emplace(seq, std::move(*held));
      held.reset();
      busy = true;
    }
    in_flight->Set(static_cast<double>(pending.size()));
    acked_gauge->Set(static_cast<double>(cursor));
    persist(false);
    return busy;
  }
};

KafkaPublisher::KafkaPublisher(PublisherSettings settings, prometheus::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(settings), registry)) {}

KafkaPublisher::~KafkaPublisher() { stop(1000); }

void KafkaPublisher::start() {
  impl_->open();
  acked_ = impl_->cursor;
  thread_ = std::thread([this] { run(); });
}

void KafkaPublisher::run() {
  pthread_setname_np(pthread_self(), "kafka-publish");
  try {
    while (!stop_.load(std::memory_order_acquire)) {
      if (!impl_->step()) impl_->producer->poll(1);  // waits up to 1 ms for acknowledgements
      acked_.store(impl_->cursor, std::memory_order_release);
    }
    // Drain: what was produced gets its chance to be acknowledged.
    const auto deadline = Clock::now() + std::chrono::milliseconds(drain_ms_.load());
    while (!impl_->pending.empty() && Clock::now() < deadline) {
      impl_->producer->poll(10);
      impl_->step();
    }
    impl_->persist(true);
    acked_.store(impl_->cursor, std::memory_order_release);
  } catch (const std::exception& e) {
    failed_ = true;
    VENUE_LOG_KV(error, "publisher stopped: reports wait in the report log", {{"error", e.what()}});
    impl_->persist(true);
  }
}

void KafkaPublisher::stop(int drain_ms) {
  if (!thread_.joinable()) return;
  drain_ms_ = drain_ms;
  stop_ = true;
  thread_.join();
  if (impl_->cursor_fd >= 0) ::close(impl_->cursor_fd);
  impl_->cursor_fd = -1;
  VENUE_LOG_KV(info, "publisher stopped", {{"cursor", impl_->cursor}, {"unacknowledged", impl_->pending.size()}});
}

}  // namespace venue::fix_gateway
