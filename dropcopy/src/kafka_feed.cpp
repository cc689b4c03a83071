// The drop copy's Kafka thread (kafka_feed.h): the main consumer, its commits, the catch-up readers and
// the queue that hands their records to the FIX thread. Runs on its own thread; the public functions are
// the FIX thread's way in (commands under a mutex).
#include "kafka_feed.h"

#include <algorithm>
#include <cstdlib>

#include "clock.h"
#include "venue/common/log.h"
#include "venue/dropcopy/cursor.h"

namespace venue::dropcopy {

namespace {

constexpr std::int64_t kRetryCommitNs = 200'000'000;
constexpr std::int64_t kRetryStartNs = 1'000'000'000;
constexpr int kKafkaTimeoutMs = 5000;
constexpr int kMainReadBudget = 500;
constexpr int kCatchUpReadBudget = 5000;

}  // namespace

struct KafkaFeed::Run {
  CatchUpRequest request;
  std::unique_ptr<kafka::Consumer> reader;
  bool started = false;
  std::uint64_t commits_at_request = 0;
  std::int64_t next_try_ns = 0;
  std::map<std::int32_t, std::int64_t> reader_next;  // the reader's next offset per partition
  std::map<std::int32_t, std::int64_t> handover;     // partitions handed back to the main path, from here
  std::int64_t read = 0;
};

KafkaFeed::KafkaFeed(const Config& cfg, prometheus::Registry& registry, std::function<void()> wake)
    : cfg_(cfg), registry_(registry), wake_(std::move(wake)) {
  if (const char* h = std::getenv("VENUE_DROPCOPY_HOLD_CATCH_UP_UNTIL_COMMIT")) hold_catch_up_until_commit_ = *h == '1';
  if (const char* h = std::getenv("VENUE_DROPCOPY_HOLD_MAIN_UNTIL_CATCH_UP")) hold_main_until_catch_up_ = *h == '1';
  auto& reg = registry_;
  consumed_ = &prometheus::BuildCounter()
                   .Name("dropcopy_reports_consumed_total")
                   .Help("Reports read from Kafka")
                   .Register(reg)
                   .Add({});
  malformed_ = &prometheus::BuildCounter()
                    .Name("dropcopy_reports_malformed_total")
                    .Help(
                        "Kafka records that are not a report (a header missing or malformed, not a FIX message): "
                        "logged with the reason and not copied")
                    .Register(reg)
                    .Add({});
  mismatched_ = &prometheus::BuildCounter()
                     .Name("dropcopy_reports_mismatched_total")
                     .Help(
                         "Kafka records whose headers disagree with the report they carry (account, session, "
                         "message or exec type): logged with the reason (DC004) and not copied")
                     .Register(reg)
                     .Add({});
  reread_ = &prometheus::BuildCounter()
                 .Name("dropcopy_reports_reread_total")
                 .Help("Records read again after a rebalance, already handed over (skipped)")
                 .Register(reg)
                 .Add({});
  commit_retries_ = &prometheus::BuildCounter()
                         .Name("dropcopy_commit_retries_total")
                         .Help("Offset commits tried again (reading waits until the commit succeeds)")
                         .Register(reg)
                         .Add({});
  catch_up_failures_ = &prometheus::BuildCounter()
                            .Name("dropcopy_catch_up_failures_total")
                            .Help("Catch-up reads from Kafka that failed (Kafka unreachable; tried again)")
                            .Register(reg)
                            .Add({});
  lag_family_ = &prometheus::BuildGauge()
                     .Name("dropcopy_consumer_lag")
                     .Help("Reports on Kafka not yet read, per partition")
                     .Register(reg);
  consumer_.start();
}

std::unique_ptr<kafka::Consumer> KafkaFeed::make_main_consumer() {
  auto properties = cfg_.kafka.properties();
  properties.insert(properties.end(), {{"fetch.wait.max.ms", "5"},
                                       {"fetch.min.bytes", "1"},
                                       // Static membership: a restarted instance takes its place in the group
                                       // at once instead of waiting for the old member's session to time out
                                       // (45 s), so a crash does not hold the copies back.
                                       {"group.instance.id", cfg_.group_id + "/" + cfg_.client_id},
                                       {"session.timeout.ms", std::to_string(cfg_.session_timeout_ms)},
                                       // A third of the session at most (librdkafka's default: 3 s).
                                       {"heartbeat.interval.ms",
                                        std::to_string(std::min<std::int64_t>(3000, cfg_.session_timeout_ms / 3))}});
  auto consumer = std::make_unique<kafka::Consumer>(kafka::ConsumerSettings{.brokers = cfg_.kafka.brokers,
                                                                            .group_id = cfg_.group_id,
                                                                            .client_id = cfg_.client_id,
                                                                            .properties = std::move(properties)},
                                                    registry_);
  consumer->subscribe({cfg_.topic});
  return consumer;
}

KafkaFeed::~KafkaFeed() {
  if (thread_.joinable()) thread_.join();
}

void KafkaFeed::start() {
  thread_ = std::thread([this] { loop(); });
}

void KafkaFeed::request_stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  commands_cv_.notify_all();
}

bool KafkaFeed::wait_stopped(std::chrono::milliseconds timeout) {
  if (!thread_.joinable()) return true;
  std::unique_lock lock(done_mutex_);
  if (!done_cv_.wait_for(lock, timeout, [this] { return done_.load(); })) return false;
  lock.unlock();
  thread_.join();
  return true;
}

bool KafkaFeed::take(std::deque<FeedItem>& out, std::size_t max) {
  std::lock_guard lock(mutex_);
  while (!queue_.empty() && max-- > 0) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return !queue_.empty();
}

void KafkaFeed::commit(std::vector<kafka::Consumer::Position> positions, std::int64_t records) {
  {
    std::lock_guard lock(mutex_);
    commit_request_.insert(commit_request_.end(), positions.begin(), positions.end());
    commit_request_records_ += records;
  }
  commands_cv_.notify_all();
}

void KafkaFeed::start_catch_up(CatchUpRequest request) {
  {
    std::lock_guard lock(mutex_);
    run_requests_.push_back(std::move(request));
  }
  commands_cv_.notify_all();
}

void KafkaFeed::cancel_catch_up(std::uint64_t run) {
  {
    std::lock_guard lock(mutex_);
    run_cancels_.push_back(run);
  }
  commands_cv_.notify_all();
}

void KafkaFeed::push(FeedItem item) {
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(item));
}

void KafkaFeed::take_commands() {
  std::vector<kafka::Consumer::Position> commits;
  std::vector<CatchUpRequest> requests;
  std::vector<std::uint64_t> cancels;
  {
    std::lock_guard lock(mutex_);
    commits.swap(commit_request_);
    to_commit_records_ += commit_request_records_;
    commit_request_records_ = 0;
    requests.swap(run_requests_);
    cancels.swap(run_cancels_);
  }
  for (const auto& p : commits) {
    auto& next = to_commit_[{p.topic, p.partition}];
    next = std::max(next, p.next_offset);
  }
  for (auto& r : requests) {
    auto run = std::make_unique<Run>();
    run->request = std::move(r);
    run->commits_at_request = commits_;
    runs_.emplace(run->request.run, std::move(run));
  }
  for (const auto id : cancels) {
    if (auto it = runs_.find(id); it != runs_.end()) {
      if (it->second->reader) it->second->reader->close();
      runs_.erase(it);
    }
  }
}

void KafkaFeed::loop() {
  for (;;) {
    bool stopping = false;
    {
      std::lock_guard lock(mutex_);
      stopping = stopping_;
    }
    take_commands();
    if (stopping) break;
    const std::int64_t now = steady_ns();
    // A main consumer failed for good (DC007) is replaced: what was handed over stays handed over
    // (main_next_: the new one starts at the committed offsets and what it reads again below that is
    // skipped) and what was stored is still committed (to_commit_), once it has joined.
    consumer_.replace_if_failed(now);
    if (!main_started_ && now >= next_main_try_ns_) start_main();
    if (!to_commit_.empty() && now >= next_commit_try_ns_ && consumer_.may_commit(now)) try_commit();
    bool busy = false;
    if (main_started_) busy = step_runs();
    const std::int64_t limit = 2 * cfg_.max_batch;
    if (hold_main_until_catch_up_ && main_started_ && now >= hold_main_deadline_ns_) hold_main_until_catch_up_ = false;
    if (main_started_ && uncommitted_ < limit && !hold_main_until_catch_up_) {
      read_main(busy ? 0 : 5);  // waits up to 5 ms for a record when nothing else is to be done
    } else if (!busy) {
      std::unique_lock lock(mutex_);
      commands_cv_.wait_for(lock, std::chrono::milliseconds(5), [this] {
        return stopping_ || !commit_request_.empty() || !run_requests_.empty() || !run_cancels_.empty();
      });
    }
    if (now >= next_lag_ns_) {
      next_lag_ns_ = now + 1'000'000'000;
      update_lag();
    }
  }
  // What the FIX thread stored is committed (best effort: what is not is read again and skipped).
  if (!to_commit_.empty()) try_commit();
  for (auto& [id, run] : runs_) {
    if (run->reader) run->reader->close();
  }
  runs_.clear();
  consumer_->close();
  {
    std::lock_guard lock(done_mutex_);
    done_ = true;
  }
  done_cv_.notify_all();
}

void KafkaFeed::start_main() {
  try {
    const auto parts = consumer_->partitions(cfg_.topic, kKafkaTimeoutMs);
    FeedItem start{.kind = FeedItem::Kind::kMainStart};
    for (const auto& p : consumer_->committed(cfg_.topic, parts, kKafkaTimeoutMs)) {
      start.positions[p.partition] = std::max<std::int64_t>(p.next_offset, 0);
    }
    main_next_ = start.positions;
    main_started_ = true;
    hold_main_deadline_ns_ = steady_ns() + 30'000'000'000;
    // Where the group's committed offsets put this run: beside the seen file's handled-through (logged
    // when it is read), it shows how far a restart reads again.
    VENUE_LOG_KV(info, "reading Kafka",
                 {{"topic", cfg_.topic},
                  {"partitions", parts.size()},
                  {"committed", offsets_text(cfg_.topic, start.positions)}});
    push(std::move(start));
    wake_();
  } catch (const kafka::KafkaError& e) {
    next_main_try_ns_ = steady_ns() + kRetryStartNs;
    VENUE_LOG_KV(warning, "Kafka not reachable: the copies wait; FIX sessions are served meanwhile",
                 {{"error", e.what()}});
  }
}

FeedItem KafkaFeed::record_item(RdKafka::Message& m, std::uint64_t run) {
  FeedItem item{.kind = FeedItem::Kind::kRecord, .run = run, .partition = m.partition(), .offset = m.offset()};
  std::string why;
  auto problem = fix_session::RecordProblem::kNone;
  item.record = fix_session::read_report_record(m, &why, &problem);
  if (!item.record && run == 0) {
    // Counted once, when the main path reads it (a catch-up may read it again).
    (problem == fix_session::RecordProblem::kMismatch ? mismatched_ : malformed_)->Increment();
    VENUE_LOG_KV(error, "DC004 record not copied: parked",
                 {{"reason", why},
                  {"partition", m.partition()},
                  {"offset", m.offset()},
                  {"venue_seq", kafka::Consumer::header(m, "venue-seq").value_or("")}});
  }
  return item;
}

bool KafkaFeed::read_main(int wait_ms) {
  const std::int64_t limit = 2 * cfg_.max_batch;
  int handed = 0;
  for (int i = 0; i < kMainReadBudget && uncommitted_ < limit; ++i) {
    auto m = consumer_->poll(i == 0 ? wait_ms : 0);
    if (!m) break;
    consumed_->Increment();
    // A group rebalance (e.g. after Kafka was unreachable) rewinds a partition to its committed offset:
    // what was already handed over is not handed over again.
    auto [next, fresh] = main_next_.emplace(m->partition(), 0);
    if (m->offset() < next->second) {
      reread_->Increment();
      continue;
    }
    next->second = m->offset() + 1;
    push(record_item(*m, 0));
    ++uncommitted_;
    ++handed;
  }
  if (handed > 0) wake_();
  return handed > 0;
}

void KafkaFeed::try_commit() {
  std::vector<kafka::Consumer::Position> positions;
  positions.reserve(to_commit_.size());
  for (const auto& [tp, next] : to_commit_) positions.push_back({tp.first, tp.second, next});
  if (consumer_->commit(positions)) {
    to_commit_.clear();
    uncommitted_ -= to_commit_records_;
    to_commit_records_ = 0;
    ++commits_;
  } else {
    commit_retries_->Increment();
    next_commit_try_ns_ = steady_ns() + kRetryCommitNs;
  }
}

std::int64_t KafkaFeed::main_position(std::int32_t partition) const {
  const auto it = main_next_.find(partition);
  return it == main_next_.end() ? 0 : it->second;
}

bool KafkaFeed::step_runs() {
  bool busy = false;
  const std::int64_t now = steady_ns();
  for (auto it = runs_.begin(); it != runs_.end();) {
    Run& run = *it->second;
    if (!run.started) {
      const bool held = hold_catch_up_until_commit_ && commits_ == run.commits_at_request;
      if (!held && now >= run.next_try_ns) {
        if (start_run(run)) {
          hold_catch_up_until_commit_ = false;  // the hook holds the first catch-up only
        } else {
          run.next_try_ns = now + kRetryStartNs;
        }
      }
      ++it;
      continue;
    }
    int handed = 0;
    const bool done = step_run(run, handed);
    busy = busy || handed > 0;
    if (done) {
      hold_main_until_catch_up_ = false;
      if (run.reader) run.reader->close();
      push(FeedItem{.kind = FeedItem::Kind::kRunDone, .run = it->first, .records_read = run.read});
      wake_();
      it = runs_.erase(it);
    } else {
      ++it;
    }
  }
  return busy;
}

bool KafkaFeed::start_run(Run& run) {
  try {
    const auto parts = consumer_->partitions(cfg_.topic, kKafkaTimeoutMs);
    std::vector<kafka::Consumer::Position> assign;
    std::vector<FeedItem> handovers;  // queued only once the run has started
    for (const auto& p : consumer_->offsets_for_time(cfg_.topic, parts, run.request.from_time_ms, kKafkaTimeoutMs)) {
      const std::int64_t pos = main_position(p.partition);
      std::int64_t from = p.next_offset == kafka::Consumer::kNoOffset ? pos : p.next_offset;
      if (const auto f = run.request.from_offset.find(p.partition); f != run.request.from_offset.end()) {
        from = std::min(from, f->second);
      }
      from = std::max<std::int64_t>(from, 0);
      if (from >= pos) {
        run.handover[p.partition] = pos;  // nothing before the main position to read here
        handovers.push_back(FeedItem{
            .kind = FeedItem::Kind::kHandover, .run = run.request.run, .partition = p.partition, .offset = pos});
      } else {
        assign.push_back({cfg_.topic, p.partition, from});
        run.reader_next[p.partition] = from;
      }
    }
    if (!assign.empty()) {
      auto properties = cfg_.kafka.properties();
      properties.emplace_back("fetch.wait.max.ms", "10");
      run.reader = std::make_unique<kafka::Consumer>(kafka::ConsumerSettings{.brokers = cfg_.kafka.brokers,
                                                                             .group_id = cfg_.group_id + ".catch-up",
                                                                             .client_id = cfg_.client_id + "-catch-up",
                                                                             .properties = std::move(properties)},
                                                     registry_);
      run.reader->assign(assign);
    }
    for (auto& h : handovers) push(std::move(h));
  } catch (const kafka::KafkaError& e) {
    catch_up_failures_->Increment();
    VENUE_LOG_KV(warning, "DC003 catch-up from Kafka could not start: tried again in 1 s; the sessions wait",
                 {{"error", e.what()}});
    run.handover.clear();
    run.reader_next.clear();
    run.reader.reset();
    return false;
  }
  run.started = true;
  wake_();
  return true;
}

// Reads up to a budget of a catch-up's records (`handed`: items queued); true once every partition is
// handed over.
bool KafkaFeed::step_run(Run& run, int& handed) {
  for (int i = 0; i < kCatchUpReadBudget && run.reader; ++i) {
    {
      std::lock_guard lock(mutex_);
      if (queue_.size() >= kQueueLimit) break;
    }
    auto m = run.reader->poll(0);
    if (!m) break;
    const std::int32_t p = m->partition();
    if (run.handover.contains(p) || !run.reader_next.contains(p)) continue;
    run.reader_next[p] = m->offset() + 1;
    const std::int64_t pos = main_position(p);
    if (m->offset() >= pos) {
      run.handover[p] = pos;  // the main path has not read this far: it copies from here
      push(FeedItem{.kind = FeedItem::Kind::kHandover, .run = run.request.run, .partition = p, .offset = pos});
      continue;
    }
    ++run.read;
    push(record_item(*m, run.request.run));
    ++handed;
  }
  bool done = true;
  for (const auto& [p, next] : run.reader_next) {
    if (run.handover.contains(p)) continue;
    const std::int64_t pos = main_position(p);
    if (next >= pos) {
      run.handover[p] = pos;  // the reader has read all the main path had
      push(FeedItem{.kind = FeedItem::Kind::kHandover, .run = run.request.run, .partition = p, .offset = pos});
      ++handed;
    } else {
      done = false;
    }
  }
  if (handed > 0) wake_();
  return done;
}

void KafkaFeed::update_lag() {
  for (const auto& [partition, lag] : consumer_->lag(100)) {
    auto it = lag_by_partition_.find(partition);
    if (it == lag_by_partition_.end()) {
      it = lag_by_partition_.emplace(partition, &lag_family_->Add({{"partition", std::to_string(partition)}})).first;
    }
    it->second->Set(static_cast<double>(lag));
  }
}

}  // namespace venue::dropcopy
