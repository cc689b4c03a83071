#include "venue/matcher/shard.h"

#include <pthread.h>
#include <sched.h>
#include <chrono>
#include <condition_variable>

namespace venue::matcher {

// Turns engine events into records in the event ring (or the spill queue when the ring is full).
// During recovery it forwards to the replay listener instead.
struct Shard::Publisher final : EventListener {
  Shard& shard;
  bool replaying = false;
  EventRecord scratch;
  explicit Publisher(Shard& s) : shard(s) {}

  struct Sink {
    Publisher* p;
    EventRecord* target = nullptr;
    EventRecord& slot() {
      Shard& s = p->shard;
      target = p->replaying || !s.spill_.empty() ? nullptr : s.events_.claim();
      if (target == nullptr) target = &p->scratch;
      return *target;
    }
    void commit() {
      Shard& s = p->shard;
      if (p->replaying) {
        if (s.settings_.replay_listener != nullptr) dispatch(*target, *s.settings_.replay_listener);
        return;
      }
      s.stats_.events.fetch_add(1, std::memory_order_relaxed);
      if (target == &p->scratch) {
        s.spill_.push_back(p->scratch);
        s.stats_.spilled.fetch_add(1, std::memory_order_relaxed);
      }
    }
  };

  // Each callback records through the template in event_record.h.
  RecordingListener<Sink> recorder{0, Sink{this}};
  void on_accepted(const AcceptedEvent& e) override { recorder.on_accepted(e); }
  void on_rejected(const RejectedEvent& e) override { recorder.on_rejected(e); }
  void on_trade(const TradeEvent& e) override { recorder.on_trade(e); }
  void on_cancelled(const CancelledEvent& e) override { recorder.on_cancelled(e); }
  void on_expired(const ExpiredEvent& e) override { recorder.on_expired(e); }
  void on_replaced(const ReplacedEvent& e) override { recorder.on_replaced(e); }
  void on_cancel_rejected(const CancelRejectedEvent& e) override { recorder.on_cancel_rejected(e); }
  void on_restated(const RestatedEvent& e) override { recorder.on_restated(e); }
  void on_triggered(const TriggeredEvent& e) override { recorder.on_triggered(e); }
  void on_status(const StatusEvent& e) override { recorder.on_status(e); }
  void on_mass_cancel_done(const MassCancelDoneEvent& e) override { recorder.on_mass_cancel_done(e); }
  void on_trading_status(const TradingStatusEvent& e) override { recorder.on_trading_status(e); }
  void on_trade_busted(const TradeBustedEvent& e) override { recorder.on_trade_busted(e); }
  void on_bust_rejected(const BustRejectedEvent& e) override { recorder.on_bust_rejected(e); }
};

// The snapshot thread: takes one serialized state at a time from the engine thread and writes it
// (hash, write, fsync, rename, fsync of the folder), then prunes the journal behind it, so that none of
// that disk work runs on the pinned engine thread.
class Shard::SnapshotWriter {
 public:
  explicit SnapshotWriter(Shard& shard) : shard_(shard), thread_([this] { run(); }) {}
  ~SnapshotWriter() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();  // a snapshot being written is finished first
  }
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  // Engine thread: whether the previous snapshot is done (a new one may be handed over).
  bool idle() const { return idle_.load(std::memory_order_acquire); }
  // Engine thread, only when idle(): the previous snapshot's buffer, to serialize the next one into
  // without faulting its pages in again.
  std::vector<std::uint8_t> take_buffer() { return std::move(spare_); }
  // Engine thread, only when idle(): hands over a state to write.
  void submit(std::uint64_t seq, std::vector<std::uint8_t> state) {
    idle_.store(false, std::memory_order_relaxed);
    {
      const std::lock_guard lock(mutex_);
      seq_ = seq;
      state_ = std::move(state);
      pending_ = true;
    }
    wake_.notify_one();
  }

 private:
  void run() {
    pthread_setname_np(pthread_self(), ("snapshot-" + std::to_string(shard_.settings_.engine.shard)).c_str());
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return pending_ || stopping_; });
      if (!pending_) return;
      const std::uint64_t seq = seq_;
      std::vector<std::uint8_t> state = std::move(state_);
      pending_ = false;
      lock.unlock();
      shard_.write_and_prune(seq, state, Engine::state_hash_of(state));
      spare_ = std::move(state);
      idle_.store(true, std::memory_order_release);
      lock.lock();
    }
  }

  Shard& shard_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false;
  bool stopping_ = false;
  std::uint64_t seq_ = 0;
  std::vector<std::uint8_t> state_;
  std::vector<std::uint8_t> spare_;  // the snapshot thread's while busy, the engine thread's while idle
  std::atomic<bool> idle_{true};
  std::thread thread_;  // last: started once the rest is ready
};

Shard::Shard(ShardSettings settings)
    : settings_(std::move(settings)),
      commands_(settings_.command_capacity),
      events_(settings_.event_capacity),
      publisher_(std::make_unique<Publisher>(*this)) {
  publisher_->recorder = RecordingListener<Publisher::Sink>(settings_.engine.shard, Publisher::Sink{publisher_.get()});
  engine_ = std::make_unique<Engine>(settings_.engine, settings_.instruments, *publisher_);
  batch_.resize(settings_.batch);
  if (settings_.journal) settings_.journal->shard = settings_.engine.shard;
}

Shard::~Shard() { stop(); }

std::int64_t Shard::now() const {
  if (settings_.clock) return settings_.clock();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

RecoveryInfo Shard::recover(std::uint64_t up_to) {
  RecoveryInfo info;
  recovered_ = true;
  if (!settings_.journal) return info;
  const JournalSettings& js = *settings_.journal;
  publisher_->replaying = true;
  for (const auto& snap : list_snapshots(js)) {
    if (snap.seq > up_to) {
      info.notes.push_back(snap.file.string() + " skipped: beyond the requested point " + std::to_string(up_to));
      continue;
    }
    std::vector<std::uint8_t> state;
    std::uint64_t hash = 0;
    std::string error;
    if (!read_snapshot(snap, js, state, hash, error)) {
      info.notes.push_back(snap.file.string() + " skipped: " + error);
      continue;
    }
    if (Engine::state_hash_of(state) != hash) {
      info.notes.push_back(snap.file.string() + " skipped: state hash mismatch");
      continue;
    }
    if (!engine_->load(state, error)) {
      info.notes.push_back(snap.file.string() + " skipped: " + error);
      continue;
    }
    if (engine_->state_hash() != hash) {
      // Loading must reproduce the state exactly; if not, the snapshot cannot be trusted.
      info.notes.push_back(snap.file.string() + " skipped: state after loading differs from the snapshot");
      engine_ = std::make_unique<Engine>(settings_.engine, settings_.instruments, *publisher_);
      continue;
    }
    info.snapshot_seq = snap.seq;
    break;
  }
  const auto result = replay_journal(
      js, info.snapshot_seq, [&](const Command& c) { engine_->apply(c); },
      [&](std::uint64_t seq, std::uint64_t hash) { verify_checkpoint(seq, hash); }, up_to == UINT64_MAX, up_to);
  publisher_->replaying = false;
  info.replayed = result.replayed;
  info.last_seq = std::max(result.last_seq, info.snapshot_seq);
  info.checkpoints_verified = result.checkpoints;
  info.tail_truncated = result.tail_truncated;
  info.truncated_bytes = result.truncated_bytes;
  replayed_to_ = info.last_seq;
  if (up_to == UINT64_MAX) open_journal(info.last_seq);
  return info;
}

RecoveryInfo Shard::finish_recovery(EventListener* listener) {
  RecoveryInfo info;
  if (!settings_.journal || journal_) return info;
  EventListener* saved = settings_.replay_listener;
  settings_.replay_listener = listener;
  publisher_->replaying = true;
  ReplayResult result;
  try {
    result = replay_journal(
        *settings_.journal, replayed_to_, [&](const Command& c) { engine_->apply(c); },
        [&](std::uint64_t seq, std::uint64_t hash) { verify_checkpoint(seq, hash); }, true);
  } catch (...) {
    publisher_->replaying = false;
    settings_.replay_listener = saved;
    throw;
  }
  publisher_->replaying = false;
  settings_.replay_listener = saved;
  info.replayed = result.replayed;
  info.last_seq = std::max(result.last_seq, replayed_to_);
  info.checkpoints_verified = result.checkpoints;
  info.tail_truncated = result.tail_truncated;
  info.truncated_bytes = result.truncated_bytes;
  open_journal(info.last_seq);
  return info;
}

void Shard::verify_checkpoint(std::uint64_t seq, std::uint64_t hash) const {
  const auto actual = engine_->state_hash();
  if (actual != hash) {
    throw JournalError("journal replay diverged at seq " + std::to_string(seq) + ": the state hash is " +
                       std::to_string(actual) + ", the journal's checkpoint says " + std::to_string(hash));
  }
}

void Shard::open_journal(std::uint64_t last_seq) {
  next_seq_ = last_seq + 1;
  stats_.last_seq.store(last_seq);
  journal_ = std::make_unique<JournalWriter>(*settings_.journal, next_seq_);
}

void Shard::start() {
  if (!recovered_) recover();
  if (settings_.journal && !journal_) finish_recovery(settings_.replay_listener);
  if (settings_.journal && settings_.snapshot_every > 0 && !snapshot_writer_) {
    snapshot_writer_ = std::make_unique<SnapshotWriter>(*this);
  }
  running_.store(true, std::memory_order_release);
  thread_running_.store(true, std::memory_order_release);
  if (settings_.inline_engine) {
    inline_next_expiry_ = engine_->next_expiry_ns();
    return;
  }
  thread_ = std::thread([this] { run(); });
}

bool Shard::submit(const Command& c) {
  if (!running_.load(std::memory_order_acquire) || stopping_.load(std::memory_order_acquire) ||
      !commands_.try_push(c)) {
    stats_.submit_refused.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  commands_.waker().wake();
  return true;
}

std::size_t Shard::poll(EventListener& listener, std::size_t max) {
  if (settings_.inline_engine && thread_running_.load(std::memory_order_relaxed)) step();
  std::size_t n = events_.drain([&](const EventRecord& r) { dispatch(r, listener); }, max);
  if (n == 0 && !thread_running_.load(std::memory_order_acquire)) {
    // The engine thread has ended: what it spilled is this thread's to deliver now.
    while (n < max && !spill_.empty()) {
      dispatch(spill_.front(), listener);
      spill_.pop_front();
      ++n;
    }
  }
  return n;
}

void Shard::fail(const std::string& why) {
  if (!failure_set_.exchange(true)) failure_ = why;
  failed_.store(true, std::memory_order_release);
}

std::string Shard::failure() const { return failure_set_.load() ? failure_ : std::string(); }

std::string Shard::last_snapshot_error() const {
  const std::lock_guard lock(snapshot_error_mutex_);
  return last_snapshot_error_;
}

void Shard::snapshot_failed(const std::string& why) {
  stats_.snapshot_failures.fetch_add(1, std::memory_order_relaxed);
  const std::lock_guard lock(snapshot_error_mutex_);
  last_snapshot_error_ = why;
}

void Shard::run() {
  if (settings_.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(settings_.cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  pthread_setname_np(pthread_self(), ("engine-" + std::to_string(settings_.engine.shard)).c_str());
  // Backoff: spin for backoff_spins pauses, yield backoff_yields times (a command arriving meanwhile is
  // taken at once, without a wake-up), then park until a producer wakes it.
  IdleStrategy idle(settings_.idle, settings_.backoff_spins, settings_.backoff_yields, 1'000'000);
  std::int64_t next_expiry = engine_->next_expiry_ns();
  while (!failed()) {
    const bool stopping = stopping_.load(std::memory_order_acquire);
    if (take_batch(next_expiry) > 0) {
      idle.reset();
      continue;
    }
    // Events still spilled at the end are handed over by poll() once this thread is gone.
    if (stopping && commands_.empty()) break;
    idle.idle(commands_.waker(), [&] { return !commands_.empty() || !spill_.empty(); });
  }
  running_.store(false, std::memory_order_release);
  thread_running_.store(false, std::memory_order_release);
}

std::size_t Shard::take_batch(std::int64_t& next_expiry) {
  if (!spill_.empty()) flush_spill();
  std::size_t n = 0;
  // A GTD expiry that is due goes first in the batch, whatever waits in the ring: an expired order must
  // be gone before the next command can match it (a busy ring would otherwise keep it alive).
  const bool expiry_due = next_expiry != std::numeric_limits<std::int64_t>::max() && now() >= next_expiry;
  if (expiry_due) batch_[n++] = Command::timer();
  std::size_t from_ring = 0;
  if (spill_.size() < settings_.spill_limit) {
    while (n < batch_.size() && commands_.try_pop(batch_[n])) {
      ++n;
      ++from_ring;
    }
  } else {
    stats_.intake_stalls.fetch_add(1, std::memory_order_relaxed);
  }
  if (n == 0) return 0;
  process_batch(n);
  stats_.ring_commands.fetch_add(from_ring, std::memory_order_release);
  next_expiry = engine_->next_expiry_ns();
  return n;
}

void Shard::step() {
  // A few batches at most per poll: the caller drains the events in between (the ring's capacity bounds
  // what one batch can produce beyond them: the rest spills, as with a thread of its own).
  for (int i = 0; i < 4 && !failed(); ++i) {
    if (take_batch(inline_next_expiry_) == 0) break;
  }
}

void Shard::process_batch(std::size_t n) {
  const std::int64_t t = now();
  try {
    for (std::size_t i = 0; i < n; ++i) {
      Command& c = batch_[i];
      c.now_ns = t;
      if (is_journaled(c.type)) {
        c.seq = next_seq_++;
        if (journal_) journal_->append(c);
      } else {
        c.seq = next_seq_ - 1;
      }
    }
    if (journal_) {
      journal_->flush();
      stats_.journal_bytes.store(journal_->bytes_written(), std::memory_order_relaxed);
    }
  } catch (const JournalError& e) {
    // Nothing of this batch is applied and none of its outcomes leave. Some or all of it may already be
    // in the journal file, though (a write that failed part-way, or an fdatasync or segment rotation that
    // failed after the write): a restart replays whatever is there and reports it then, as new
    // (spec/recovery.md, "At start", step 6). The shard stops; producers see it failed.
    fail(e.what());
    return;
  }
  engine_->apply(std::span<const Command>(batch_.data(), n));
  events_.publish();
  if (!settings_.inline_engine) events_.waker().wake();  // inline: the caller polls them next
  stats_.commands.fetch_add(n, std::memory_order_relaxed);
  stats_.batches.fetch_add(1, std::memory_order_relaxed);
  stats_.last_seq.store(next_seq_ - 1, std::memory_order_relaxed);
  stats_.live_orders.store(engine_->live_orders(), std::memory_order_relaxed);
  since_snapshot_ += n;
  if (settings_.snapshot_every > 0 && since_snapshot_ >= settings_.snapshot_every) snapshot();
}

void Shard::flush_spill() {
  bool moved = false;
  while (!spill_.empty()) {
    EventRecord* slot = events_.claim();
    if (slot == nullptr) break;
    *slot = spill_.front();
    spill_.pop_front();
    moved = true;
  }
  if (moved) {
    events_.publish();
    events_.waker().wake();
  }
}

// Engine thread: serializes the state and hands it to the snapshot thread. While the previous snapshot
// is still being written this waits for a later batch (since_snapshot_ stays over the mark).
void Shard::snapshot() {
  if (!settings_.journal || !snapshot_writer_ || !snapshot_writer_->idle()) return;
  since_snapshot_ = 0;
  try {
    std::vector<std::uint8_t> state = snapshot_writer_->take_buffer();
    engine_->save(state);
    snapshot_writer_->submit(next_seq_ - 1, std::move(state));
  } catch (const std::exception& e) {
    snapshot_failed(e.what());
  }
}

// Snapshot thread (and stop()): the disk work of one snapshot. A failure costs replay time, not data:
// the journal still holds everything.
void Shard::write_and_prune(std::uint64_t seq, const std::vector<std::uint8_t>& state, std::uint64_t hash) {
  try {
    write_snapshot(*settings_.journal, seq, state, hash);
    stats_.snapshots.fetch_add(1, std::memory_order_relaxed);
    prune_journal(*settings_.journal, settings_.snapshots_kept);
  } catch (const std::exception& e) {
    snapshot_failed(e.what());
  }
}

void Shard::stop() {
  if (settings_.inline_engine) {
    if (!thread_running_.load(std::memory_order_acquire)) return;
    stopping_.store(true, std::memory_order_release);
    // As the engine thread would: the commands still queued are applied; what does not fit in the
    // event ring is spilled, and poll() hands it over.
    while (!failed() && !commands_.empty()) {
      if (take_batch(inline_next_expiry_) == 0) break;  // the spill is full: what is left was never applied
    }
    running_.store(false, std::memory_order_release);
    thread_running_.store(false, std::memory_order_release);
  } else {
    if (!thread_.joinable()) return;
    stopping_.store(true, std::memory_order_release);
    commands_.waker().wake();
    // The engine thread applies the commands still queued and exits without waiting for the consumer:
    // events still in the spill queue stay there, and poll() hands them over after the thread is gone.
    thread_.join();
  }
  snapshot_writer_.reset();  // finishes a snapshot still being written
  if (!failed() && journal_ && settings_.journal) {
    // The checkpoint is the journal's: failing to write it stops the shard. The snapshot after it only
    // saves replay time: a failure is counted, never thrown (stop() also runs from the destructor).
    std::vector<std::uint8_t> state;
    std::uint64_t hash = 0;
    bool saved = false;
    try {
      state = engine_->save();
      hash = Engine::state_hash_of(state);
      saved = true;
    } catch (const std::exception& e) {
      snapshot_failed(e.what());
    }
    if (saved) {
      try {
        journal_->append_checkpoint(hash);
        journal_->flush();
      } catch (const JournalError& e) {
        fail(e.what());
      }
      if (!failed()) write_and_prune(next_seq_ - 1, state, hash);
    }
  }
  journal_.reset();
}

}  // namespace venue::matcher
