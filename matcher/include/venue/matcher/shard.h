#pragma once
// Shard: the runtime around one Engine. It owns the engine thread (pinned to a core), the command ring
// that any thread feeds, the journal, and the event ring that one consumer (the gateway thread) drains.
//
// The engine thread's loop, per batch of up to `batch` commands:
//   sequence (seq, now_ns from one clock read) -> journal append -> one journal write (+ sync per
//   policy) -> apply each command to the engine -> its events into the event ring -> publish, wake
// so every outcome leaves the engine only after its command is in the journal.
//
// The engine never blocks on the consumer: when the event ring is full, events wait in a spill queue
// (counted); while the spill queue is over its limit the engine takes no new commands (counted as
// stalls), so producers see a full command ring and refuse orders with a code instead of the venue
// growing without bound. A journal failure stops the shard (failed() turns true): nothing is applied
// that is not journaled.
//
// Start-up (recover): the newest valid snapshot is loaded (its state hash checked), the journal after it
// replayed (checkpoints verified against the state hash), a torn tail cut off; damage stops start-up
// with a JournalError. Shutdown (stop): intake stops, queued commands are processed, a checkpoint and a
// snapshot are written.
//
// Snapshots (every snapshot_every commands): the engine thread serializes the state (Engine::save(),
// which must see it consistent) and hands the bytes to the shard's snapshot thread, which hashes,
// writes, fsyncs and renames the file and prunes the journal; the engine thread goes straight on with
// the next batch. While one snapshot is still being written the next waits (it is taken at the first
// batch after the writer is free). A snapshot that fails (disk full, a file that cannot be removed) is
// counted and its reason kept (last_snapshot_error()): it costs replay time at the next start, never
// data, and never stops the shard, at shutdown either.
//
//   Shard shard(settings);
//   shard.recover();
//   shard.start();
//   shard.submit(cmd);                               // any thread; false: ring full or shard down
//   shard.poll(listener, 256);                       // the consumer thread
//   shard.stop();
//
// Thread rules: recover/start/stop from the owning thread; submit from any thread; poll and
// output_waker().park from the one consumer thread.
//
// Its place in the venue's recovery protocol (what is written before what, synced when, replayed how):
// spec/recovery.md.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "venue/matcher/engine.h"
#include "venue/matcher/event_record.h"
#include "venue/matcher/journal.h"
#include "venue/matcher/ring.h"

namespace venue::matcher {

struct ShardSettings {
  EngineSettings engine;
  std::vector<InstrumentSpec> instruments;
  int cpu = -1;  // core to pin the engine thread to; -1: no pinning
  // No thread of its own: poll() applies what waits in the command ring on the caller's thread before it
  // hands over the events (for machines without a core to spare: no hand-off, no wake-up between threads).
  bool inline_engine = false;
  IdleMode idle = IdleMode::kBackoff;
  std::uint32_t backoff_spins = 2000;  // kBackoff: pause instructions (about 25 ns each here), then
  std::uint32_t backoff_yields = 0;    // sched_yield calls, then it parks
  std::size_t command_capacity = 1 << 16;
  std::size_t event_capacity = 1 << 16;
  std::size_t batch = 256;
  std::size_t spill_limit = 1 << 16;  // events waiting beyond the ring before intake pauses
  std::optional<JournalSettings> journal;
  std::uint64_t snapshot_every = 0;  // commands between snapshots (written off the engine thread); 0: at stop only
  std::size_t snapshots_kept = 2;
  std::function<std::int64_t()> clock;  // ns since the epoch; default system_clock
  // Receives the events of commands replayed at start-up (e.g. to republish what was not published);
  // null: they are not reported.
  EventListener* replay_listener = nullptr;
};

struct RecoveryInfo {
  std::uint64_t snapshot_seq = 0;  // 0: started without a snapshot
  std::uint64_t replayed = 0;
  std::uint64_t last_seq = 0;
  std::uint64_t checkpoints_verified = 0;
  bool tail_truncated = false;
  std::uint64_t truncated_bytes = 0;
  std::vector<std::string> notes;  // snapshots skipped and why
};

struct ShardStats {
  std::atomic<std::uint64_t> commands{0};        // applied, timers included
  std::atomic<std::uint64_t> ring_commands{0};   // taken from the command ring (and applied)
  std::atomic<std::uint64_t> submit_refused{0};  // ring full or shard down
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> events{0};
  std::atomic<std::uint64_t> spilled{0};        // events that waited for ring space
  std::atomic<std::uint64_t> intake_stalls{0};  // loop turns that took no command because of spill
  std::atomic<std::uint64_t> journal_bytes{0};
  std::atomic<std::uint64_t> snapshots{0};
  std::atomic<std::uint64_t> snapshot_failures{0};
  std::atomic<std::uint64_t> last_seq{0};
  std::atomic<std::uint64_t> live_orders{0};
};

class Shard {
 public:
  explicit Shard(ShardSettings settings);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Loads the newest valid snapshot at or before up_to and replays the journal up to up_to (events to
  // settings.replay_listener). With up_to left at its default, recovery is complete; otherwise
  // finish_recovery() replays the rest.
  RecoveryInfo recover(std::uint64_t up_to = UINT64_MAX);
  // Replays what recover(up_to) left, its events to `listener` (may be null), and opens the journal.
  RecoveryInfo finish_recovery(EventListener* listener);
  void start();
  bool submit(const Command& c);
  // Delivers up to max events to the listener; after stop(), also the events that were still waiting.
  std::size_t poll(EventListener& listener, std::size_t max);
  template <class Fn>
  std::size_t poll_records(Fn&& fn, std::size_t max) {
    return events_.drain(std::forward<Fn>(fn), max);
  }
  void stop();

  bool running() const { return running_.load(std::memory_order_acquire); }
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  std::string failure() const;
  // Why the last snapshot failed (empty when none has); any thread.
  std::string last_snapshot_error() const;
  const ShardStats& stats() const { return stats_; }
  Waker& output_waker() { return events_.waker(); }
  // Events wait to be polled (inline: or commands that the next poll() applies).
  bool has_output() const { return !events_.empty() || (settings_.inline_engine && !commands_.empty()); }
  std::uint16_t shard() const { return settings_.engine.shard; }
  // Read only while the engine thread is not running (before start or after stop).
  const Engine& engine() const { return *engine_; }

 private:
  struct Publisher;
  class SnapshotWriter;
  void run();
  // One turn of the engine's loop without idling: a due expiry and up to a batch from the ring.
  std::size_t take_batch(std::int64_t& next_expiry);
  // Inline: applies what the ring holds (a few batches at most) on the caller's thread.
  void step();
  void process_batch(std::size_t n);
  void flush_spill();
  void snapshot();
  void write_and_prune(std::uint64_t seq, const std::vector<std::uint8_t>& state, std::uint64_t hash);
  void snapshot_failed(const std::string& why);
  void fail(const std::string& why);
  void verify_checkpoint(std::uint64_t seq, std::uint64_t hash) const;
  void open_journal(std::uint64_t last_seq);
  std::int64_t now() const;

  ShardSettings settings_;
  MpscRing<Command> commands_;
  SpscRing<EventRecord> events_;
  std::unique_ptr<Publisher> publisher_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<JournalWriter> journal_;
  std::unique_ptr<SnapshotWriter> snapshot_writer_;
  std::deque<EventRecord> spill_;
  std::vector<Command> batch_;
  std::uint64_t next_seq_ = 1;
  std::uint64_t since_snapshot_ = 0;
  std::int64_t inline_next_expiry_ = 0;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> thread_running_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failed_{false};
  std::string failure_;
  mutable std::mutex snapshot_error_mutex_;
  std::string last_snapshot_error_;
  mutable std::atomic<bool> failure_set_{false};
  ShardStats stats_;
  bool recovered_ = false;
  std::uint64_t replayed_to_ = 0;
};

}  // namespace venue::matcher
