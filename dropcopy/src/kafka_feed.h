#pragma once
// KafkaFeed: the drop copy's Kafka thread. It owns every Kafka client of the service and is the only
// thread that waits on Kafka, so the FIX thread keeps serving its sessions (heartbeats, TestRequests,
// Logons) whatever Kafka does: down, slow, or not answering at all.
//
// What it does, on its own thread:
//   - the main consumer (a static member of the service's group): first the group's committed offsets
//     (kMainStart: where the main path starts, per partition), then every record from there, read with
//     the shared report reader (venue/fix_session/report_record.h) and handed over in order. A record the
//     reader refuses is logged with its reason and counted (DC004; dropcopy_reports_mismatched_total when
//     its headers disagree with its report, dropcopy_reports_malformed_total otherwise) and handed over
//     without a report, so its offset is committed like any other. A record a rebalance hands back
//     below what was already handed over is skipped (dropcopy_reports_reread_total);
//     A main consumer librdkafka declares failed for good (a fatal error, e.g. FENCED_INSTANCE_ID after a
//     long Kafka outage) is replaced by a new one (DC007);
//   - commits, when the FIX thread says what it has stored (commit()). At most 2 * max_batch records
//     are handed over and not yet committed: while a commit fails (Kafka unreachable) it reads nothing
//     more and tries again every 200 ms, so the stores never hold more uncommitted copies than the
//     restart reads back;
//   - catch-up readers (start_catch_up()): a separate consumer per catch-up (not a group member, never
//     commits) reads each partition from the request's offsets or time up to where the main consumer
//     has read, hands those records over tagged with the catch-up, then a kHandover per partition: the
//     main path's records of that partition from that offset on come after it in the same queue. When
//     every partition is handed over: kRunDone. A catch-up Kafka cannot start (DC003) is tried again
//     every second.
//
// The hand-off is one FIFO queue (take()), so the FIX thread sees records, handovers and the end of a
// catch-up in exactly the order this thread decided them. It is bounded: main records by the
// uncommitted limit, catch-up records by kQueueLimit.
//
// Thread rules: construct, start(), request_stop(), wait_stopped() on the FIX thread; take(), commit(),
// start_catch_up() and cancel_catch_up() from the FIX thread while it runs. The wake callback is called on the Kafka
// thread.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "venue/common/kafka.h"
#include "venue/dropcopy/config.h"
#include "venue/fix_session/report_record.h"

namespace venue::dropcopy {

struct FeedItem {
  enum class Kind : std::uint8_t { kMainStart, kRecord, kHandover, kRunDone };
  Kind kind = Kind::kRecord;
  std::uint64_t run = 0;  // 0: the main path; otherwise the catch-up it belongs to
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::optional<fix_session::ReportRecord> record;  // kRecord: none when the reader refused it
  std::map<std::int32_t, std::int64_t> positions;   // kMainStart: where the main path starts
  std::int64_t records_read = 0;                    // kRunDone: records the catch-up read
};

struct CatchUpRequest {
  std::uint64_t run = 0;
  // Read each partition from the first record produced at or after this time (ms since the epoch) ...
  std::int64_t from_time_ms = 0;
  // ... or from this offset when it is lower.
  std::map<std::int32_t, std::int64_t> from_offset;
};

class KafkaFeed {
 public:
  static constexpr std::size_t kQueueLimit = 10'000;

  // Builds the main consumer (throws kafka::KafkaError when librdkafka refuses the configuration).
  KafkaFeed(const Config& cfg, prometheus::Registry& registry, std::function<void()> wake);
  ~KafkaFeed();
  KafkaFeed(const KafkaFeed&) = delete;
  KafkaFeed& operator=(const KafkaFeed&) = delete;

  void start();
  // Asks the thread to commit what it was told, close its consumers and end.
  void request_stop();
  // Waits up to `timeout` for that. False when it did not end in time (it is then stuck in a call to a
  // broker that does not answer, and must be abandoned).
  bool wait_stopped(std::chrono::milliseconds timeout);

  // Moves up to `max` items to `out`; true when more are waiting.
  bool take(std::deque<FeedItem>& out, std::size_t max);
  // Everything before these positions is stored: commit them. `records`: how many handed-over main
  // records they cover.
  void commit(std::vector<kafka::Consumer::Position> positions, std::int64_t records);
  void start_catch_up(CatchUpRequest request);
  void cancel_catch_up(std::uint64_t run);

 private:
  struct Run;
  std::unique_ptr<kafka::Consumer> make_main_consumer();
  void loop();
  void take_commands();
  void start_main();
  bool read_main(int wait_ms);
  void try_commit();
  bool step_runs();
  bool start_run(Run& run);
  bool step_run(Run& run, int& handed);
  std::int64_t main_position(std::int32_t partition) const;
  void push(FeedItem item);
  FeedItem record_item(RdKafka::Message& m, std::uint64_t run);
  void update_lag();

  const Config& cfg_;
  prometheus::Registry& registry_;
  std::function<void()> wake_;
  // The main consumer, replaced when librdkafka declares it failed for good (DC007).
  kafka::GroupConsumer consumer_{"DC007", [this] { return make_main_consumer(); }};
  std::thread thread_;

  // Shared with the FIX thread, under mutex_.
  std::mutex mutex_;
  std::condition_variable commands_cv_;
  std::deque<FeedItem> queue_;
  std::vector<kafka::Consumer::Position> commit_request_;
  std::int64_t commit_request_records_ = 0;
  std::vector<CatchUpRequest> run_requests_;
  std::vector<std::uint64_t> run_cancels_;
  bool stopping_ = false;
  std::atomic<bool> done_{false};
  std::mutex done_mutex_;
  std::condition_variable done_cv_;

  // The Kafka thread's own.
  bool main_started_ = false;
  std::int64_t next_main_try_ns_ = 0;
  std::map<std::int32_t, std::int64_t> main_next_;  // after the last main record handed over
  std::int64_t uncommitted_ = 0;                    // main records handed over, not yet committed
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> to_commit_;
  std::int64_t to_commit_records_ = 0;
  std::int64_t next_commit_try_ns_ = 0;
  std::uint64_t commits_ = 0;
  std::map<std::uint64_t, std::unique_ptr<Run>> runs_;
  std::int64_t next_lag_ns_ = 0;
  // VENUE_DROPCOPY_HOLD_CATCH_UP_UNTIL_COMMIT=1 (tests only): the first catch-up starts only once a
  // main-path commit has succeeded after it was asked for, which forces the interleaving where the main
  // path has moved past (and committed) records the catch-up must copy. Later ones are not held.
  bool hold_catch_up_until_commit_ = false;
  // VENUE_DROPCOPY_HOLD_MAIN_UNTIL_CATCH_UP=1 (tests only): the main consumer reads no record until a
  // catch-up has handed every partition over (30 s at most), which forces the other interleaving: the
  // catch-up hands over where the main path starts, before it has read anything again.
  bool hold_main_until_catch_up_ = false;
  std::int64_t hold_main_deadline_ns_ = 0;

  prometheus::Counter* consumed_;
  prometheus::Counter* malformed_;
  prometheus::Counter* mismatched_;
  prometheus::Counter* reread_;
  prometheus::Counter* commit_retries_;
  prometheus::Counter* catch_up_failures_;
  prometheus::Family<prometheus::Gauge>* lag_family_;
  std::map<std::int32_t, prometheus::Gauge*> lag_by_partition_;
};

}  // namespace venue::dropcopy
