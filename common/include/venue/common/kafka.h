#pragma once
// Thin RAII wrappers over librdkafka's C++ producer and consumer that every venue process uses. They
// add what librdkafka leaves to the caller: safe defaults (idempotent producer, acks=all, Nagle off),
// a clear exception when the configuration is refused, and a Prometheus counter for every error, retry
// and drop, labelled with the client id.
//
// Producer:
//   venue::kafka::Producer p({.brokers = url, .client_id = "venue"}, registry,
//                            [](const venue::kafka::Delivery& d) { ... });
//   if (p.produce("venue.execution-reports", key, payload, headers, opaque) != Enqueue::kOk) ...
//   p.poll(0);   // runs delivery callbacks on this thread
// Delivery callbacks run only inside poll()/flush(), on the calling thread. The destructor flushes
// for up to ProducerSettings::close_timeout_ms and counts what it could not deliver.
//
// Consumer:
//   venue::kafka::Consumer c({.brokers = url, .group_id = "dropcopy", .client_id = "dropcopy"}, registry);
//   c.subscribe({"venue.execution-reports"});
//   while (auto m = c.poll(100)) { ...; c.commit(*m); }
// poll() returns only messages with a payload; errors are counted and logged, never returned as data.
// Auto-commit is off: the caller commits what it has durably handled.
//
// Thread rules: a Producer may be shared (librdkafka is thread-safe) but its delivery callback runs on
// whichever thread calls poll(); a Consumer belongs to one thread.

#include <librdkafka/rdkafkacpp.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace venue::kafka {

using Properties = std::vector<std::pair<std::string, std::string>>;

struct Header {
  std::string key;
  std::string value;
};

struct ProducerSettings {
  std::string brokers;
  std::string client_id;
  Properties properties;  // any librdkafka property; overrides the defaults
  int close_timeout_ms = 5000;
};

struct ConsumerSettings {
  std::string brokers;
  std::string group_id;
  std::string client_id;
  Properties properties;
};

struct Delivery {
  bool ok = false;
  std::string error;  // empty when ok
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  void* opaque = nullptr;  // what produce() was given
};

enum class Enqueue : std::uint8_t { kOk, kQueueFull, kError };

// Thrown at construction when librdkafka refuses the configuration or cannot create the client.
class KafkaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Producer {
 public:
  using DeliveryHandler = std::function<void(const Delivery&)>;

  Producer(const ProducerSettings& settings, prometheus::Registry& registry, DeliveryHandler on_delivery);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Enqueues one message. kQueueFull when librdkafka's local queue is full (counted; poll and retry).
  Enqueue produce(std::string_view topic, std::string_view key, std::string_view payload,
                  const std::vector<Header>& headers, void* opaque = nullptr,
                  std::int32_t partition = RdKafka::Topic::PARTITION_UA);
  int poll(int timeout_ms);
  // Waits for every outstanding message; false when some were still outstanding at the timeout.
  bool flush(int timeout_ms);
  int outstanding() const;
  RdKafka::Producer& handle() { return *producer_; }

 private:
  struct Callbacks;
  std::unique_ptr<Callbacks> callbacks_;
  std::unique_ptr<RdKafka::Producer> producer_;
  int close_timeout_ms_;
  prometheus::Counter* produced_;
  prometheus::Counter* queue_full_;
  prometheus::Counter* produce_errors_;
  prometheus::Counter* delivered_;
  prometheus::Counter* delivery_errors_;
  prometheus::Counter* undelivered_at_close_;
};

class Consumer {
 public:
  Consumer(const ConsumerSettings& settings, prometheus::Registry& registry);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  void subscribe(const std::vector<std::string>& topics);
  // The next message, or nullptr when none arrived within the timeout.
  std::unique_ptr<RdKafka::Message> poll(int timeout_ms);
  // Commits the offset after `message` (synchronously). False on failure (counted and logged).
  bool commit(const RdKafka::Message& message);
  struct Position {
    std::string topic;
    std::int32_t partition;
    std::int64_t next_offset;  // the offset of the next message to read
  };
  // Commits several partitions' positions at once (synchronously).
  bool commit(const std::vector<Position>& positions);
  // For each assigned partition: the high watermark minus the position (messages not yet read).
  std::vector<std::pair<std::int32_t, std::int64_t>> lag(int timeout_ms);

  // Reading a topic by hand, outside the group's assignment (catch-up reads of a range of offsets).
  // Each throws KafkaError when the broker does not answer within the timeout.
  // The partitions of `topic`, from the cluster's metadata (none when the topic does not exist).
  std::vector<std::int32_t> partitions(const std::string& topic, int timeout_ms);
  // The group's committed position per partition (kNoOffset where the group never committed).
  std::vector<Position> committed(const std::string& topic, const std::vector<std::int32_t>& partitions,
                                  int timeout_ms);
  // Per partition, the offset of the first record whose timestamp is at or after `timestamp_ms`
  // (kNoOffset when there is none: every record is older).
  std::vector<Position> offsets_for_time(const std::string& topic, const std::vector<std::int32_t>& partitions,
                                         std::int64_t timestamp_ms, int timeout_ms);
  // Reads exactly these partitions from these offsets (no group rebalance; nothing is committed).
  void assign(const std::vector<Position>& from);
  static constexpr std::int64_t kNoOffset = -1001;  // RdKafka::Topic::OFFSET_INVALID
  void close();
  RdKafka::KafkaConsumer& handle() { return *consumer_; }

  static std::optional<std::string> header(RdKafka::Message& message, const std::string& key);

 private:
  struct Callbacks;
  std::unique_ptr<Callbacks> callbacks_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  bool closed_ = false;
  // Where assign() started each partition: lag() counts from there until the first record is read.
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> assigned_from_;
  prometheus::Counter* consumed_;
  prometheus::Counter* consume_errors_;
  prometheus::Counter* commit_errors_;
};

// A group consumer that outlives librdkafka's fatal errors. A consumer librdkafka has declared failed for
// good (fatal_error(): every later poll and commit fails) is closed and a new one made by `make` takes its
// place, joining the group as the same static member (group.instance.id) and reading on from the group's
// committed offsets. Seen after Kafka was away for about the group session (45 s) while commits were
// pending: librdkafka timed the session out and joined again under a new member id, and the broker answered
// a commit still carrying the old one with FENCED_INSTANCE_ID, which librdkafka makes fatal.
//
//   venue::kafka::GroupConsumer c("DC007", [&] { auto k = std::make_unique<Consumer>(...); k->subscribe(...);
//                                               return k; });
//   c.start();
//   loop: c.replace_if_failed(now_ns); ... c->poll(100) ...; if (c.may_commit(now_ns)) c->commit(positions);
//
// After a replacement the caller reads again what the old consumer read after its last commit (skip it by
// its own bookkeeping) and must not commit until may_commit(): a commit sent before the new consumer has
// joined carries no member id and is fenced again at once (seen in dropcopy: hundreds of replacements a
// second). may_commit() waits for an assignment, at most `join_timeout_ns`. Each replacement is logged as a
// warning that opens with `log_code` (the caller's coded error) and counted (replacements()).
// Thread rules: like Consumer, it belongs to one thread; `make` runs on that thread.
class GroupConsumer {
 public:
  using Factory = std::function<std::unique_ptr<Consumer>()>;
  static constexpr std::int64_t kJoinTimeoutNs = 10'000'000'000;

  GroupConsumer(std::string log_code, Factory make, std::int64_t join_timeout_ns = kJoinTimeoutNs);
  // Makes the first consumer (throws what `make` throws).
  void start();
  explicit operator bool() const { return consumer_ != nullptr; }
  Consumer& operator*() { return *consumer_; }
  Consumer* operator->() { return consumer_.get(); }

  // Call once per turn of the owning thread: true when the consumer had failed for good and was replaced.
  bool replace_if_failed(std::int64_t now_ns);
  // False from a replacement until the new consumer has an assignment (or join_timeout_ns passed).
  bool may_commit(std::int64_t now_ns);
  std::uint64_t replacements() const { return replacements_; }

 private:
  std::string log_code_;
  Factory make_;
  std::int64_t join_timeout_ns_;
  std::unique_ptr<Consumer> consumer_;
  std::int64_t join_deadline_ns_ = 0;  // after a replacement: no commit until joined, or until then
  std::uint64_t replacements_ = 0;
};

}  // namespace venue::kafka
