#pragma once
// The compliance service's state and metrics (service.h), shared by its start-up, recovery, housekeeping
// and loop (service.cpp), its Kafka traffic (service_kafka.cpp), the building of a batch's rows
// (service_chain.cpp) and the batch pipeline with its writer thread (service_writer.cpp). Private to the
// library. The main thread owns everything here but what is marked for the writer thread.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "venue/common/kafka.h"
#include "venue/common/log.h"
#include "venue/compliance/audit_row.h"
#include "venue/compliance/config.h"
#include "venue/compliance/service.h"
#include "venue/compliance/store.h"
#include "venue/compliance/surveillance.h"

namespace venue::compliance {

namespace fs = venue::fix_session;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace detail {

inline std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
inline std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A record as read from Kafka, kept until the chain reaches it.
struct Held {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::int64_t timestamp_ms = -1;
  Headers headers;
  std::string payload;
  bool durable = false;  // read back from the table pending: its offset was committed long ago
  std::int64_t arrived_ns = 0;
};

struct Parked {
  Held rec;
  std::optional<std::uint64_t> seq;
  std::string reason;
  bool held = false;  // its offset is in held_offsets until the park commits
};

}  // namespace detail

struct Service::Impl {
  Config cfg;
  std::shared_ptr<prometheus::Registry> registry;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> is_ready{false};

  std::unique_ptr<pqxx::connection> db;
  bool db_ready = false;
  bool migrated = false;
  std::int64_t next_attempt_ns = 0;
  std::int64_t backoff_ms = 100;

  // The writer thread and its connection (see "the batch pipeline" below).
  std::unique_ptr<pqxx::connection> wdb;
  std::mutex writer_mutex;
  std::condition_variable writer_cv;
  std::condition_variable writer_done_cv;
  struct Job;
  Job* writer_job = nullptr;  // guarded by writer_mutex
  bool writer_stop = false;   // guarded by writer_mutex
  std::unique_ptr<Job> inflight;

  // Replaced when librdkafka declares it failed for good (CMP030): what it read again is skipped by
  // venue-seq, and offsets are committed again once the new one has joined.
  kafka::GroupConsumer consumer{"CMP030", [this] { return make_consumer(); }};
  std::unique_ptr<kafka::Producer> producer;
  bool paused = false;

  // The chain as committed, and as prepared (the head after the batch in the writer and the one prepared).
  Head head;
  Head tip;
  std::vector<GapAck> acks;
  std::int64_t next_ack_reload_ns = 0;
  std::int64_t pending_rows = 0;  // rows in the table pending
  std::set<std::string> partitions_known;
  std::unique_ptr<Surveillance> rules;

  std::map<std::uint64_t, detail::Held> buffer;
  std::map<std::int32_t, std::multiset<std::int64_t>> held_offsets;         // not durable yet, per partition
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> read_up_to;  // next offset per partition
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> committed_up_to;
  std::vector<detail::Parked> to_park;

  std::vector<std::string> delivered_alerts;
  // The ExecIDs and fills of the batch prepared last (maybe still in the writer's transaction).
  std::unordered_map<std::string, std::uint64_t> last_exec_ids;
  std::unordered_map<std::string, std::uint64_t> last_fills;
  long kill_after_rows = 0;
  std::uint64_t rows_this_process = 0;
  std::uint64_t checkpoint_seq = 0;
  std::int64_t next_checkpoint_ns = 0;
  std::int64_t next_heartbeat_ns = 0;
  std::int64_t next_published_mark_ns = 0;
  // A line per alert, up to kAlertLinesPerSecond a second; a flood's others are counted in one line.
  static constexpr std::uint64_t kAlertLinesPerSecond = 20;
  log::Throttle alert_lines{kAlertLinesPerSecond};
  std::int64_t next_partitions_ns = 0;
  std::int64_t next_offset_commit_ns = 0;
  std::map<std::string, std::int64_t> verifications_seen;

  prometheus::Counter* consumed;
  prometheus::Counter* rows_written;
  prometheus::Counter* batches;
  prometheus::Counter* duplicates;
  prometheus::Counter* repeats;
  prometheus::Counter* busts;
  prometheus::Counter* busts_unmatched;
  prometheus::Counter* parked;
  prometheus::Counter* staged;
  prometheus::Counter* db_failures;
  prometheus::Counter* published;
  prometheus::Counter* publish_failures;
  prometheus::Counter* offset_commit_failures;
  prometheus::Counter* consumer_replacements;
  prometheus::Gauge* head_gauge;
  prometheus::Gauge* gap_gauge;
  prometheus::Gauge* waiting_gauge;
  prometheus::Gauge* db_up;
  prometheus::Gauge* last_verify_intact;
  prometheus::Histogram* latency;
  prometheus::Family<prometheus::Gauge>* lag_family;
  std::map<std::int32_t, prometheus::Gauge*> lag_gauges;
  prometheus::Family<prometheus::Counter>* alerts_family;
  std::map<std::string, prometheus::Counter*, std::less<>> alerts_by_rule;  // the family's counters, looked up once
  prometheus::Family<prometheus::Counter>* verifications_family;

  struct Batch {
    std::vector<AuditRow> rows;
    // The rows as COPY text, written as each row is chained (on the main thread, while the writer has
    // the batch before in PostgreSQL): the writer's transaction only sends it.
    std::string copy;
    std::vector<std::pair<std::uint64_t, detail::Held>> drained;
    std::vector<std::pair<std::uint64_t, detail::Held>> staged;
    std::vector<detail::Parked> parked;
    std::vector<Alert> alerts;
    std::vector<std::int64_t> latencies_ms;
    std::set<std::string> days;  // trading days of the rows whose partition may be missing
    std::size_t rows_count = 0;  // rows.size(), kept after the writer frees the rows
  };

  struct Job {
    Batch b;
    Head before;  // the head the batch's first row chains to: the committed head when it runs
    Head after;
    std::int64_t pending_before = 0;
    // Set by the writer:
    std::int64_t pending_after = 0;
    std::string error;
  };

  // service.cpp: start-up, recovery, housekeeping and the main loop.
  Impl(Config c, std::shared_ptr<prometheus::Registry> r);
  bool reload();
  void failed(const char* what, const char* error);
  void replay_rules();
  void say_alerts_left_out(std::int64_t now);
  void housekeeping(bool final = false);
  void write_checkpoint();
  nlohmann::json gaps(std::uint64_t& missing) const;
  void heartbeat();
  void set_paused(bool pause);
  void run();

  // service_kafka.cpp: Kafka in and out.
  std::unique_ptr<kafka::Consumer> make_consumer();
  void replace_consumer_if_failed();
  void start_kafka();
  void publish_unpublished();
  void publish(const std::string& id, const nlohmann::json& j, const std::string& traceparent);
  void take(RdKafka::Message& m);
  void late_arrival(detail::Held h, std::uint64_t seq);
  void park(detail::Held h, std::optional<std::uint64_t> seq, std::string reason);
  bool acknowledged(std::uint64_t from, std::uint64_t to) const;
  void release(std::int32_t partition, std::int64_t offset);
  void commit_offsets(bool now = false);

  // service_chain.cpp: a batch's rows chained from what is held.
  void load_pending(pqxx::transaction_base& tx);
  static std::string fill_key(std::string_view order_id, std::string_view trd_match_id);
  void link_bust(pqxx::transaction_base& tx, const fs::ReportRecord& r, AuditRow& row,
                 const std::unordered_map<std::string, std::uint64_t>& batch_fills);
  void drain(pqxx::transaction_base& tx, Batch& b, Head& h);
  void roll_back(Batch& b);

  // service_writer.cpp: the batch pipeline (the writer thread's transaction, and its outcome).
  std::unique_ptr<Job> prepare();
  void execute(Job& job);
  void writer_loop();
  void submit(std::unique_ptr<Job> job);
  bool settle(std::unique_ptr<Job>* also = nullptr);
  void abandon(const char* what, const char* error);
  void write_batch();
  void committed(Batch& b, const Head& h);
};

}  // namespace venue::compliance
