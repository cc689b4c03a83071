#pragma once
// The risk service's PostgreSQL thread: loads the state at start, then writes each Delta the main
// thread hands it (in order, one transaction each, retried until PostgreSQL takes it: nothing is lost),
// and watches the limits for changes.
//
//   Writer w(cfg, registry);
//   w.start();
//   auto loaded = w.wait_loaded(stop_flag);          // nullopt when stopped first
//   w.push(std::move(delta));                        // from the main thread
//   if (auto limits = w.take_limits()) monitor.set_limits(...);
//   auto offsets = w.take_written_offsets();         // what PostgreSQL now holds: commit them to Kafka
//
// Only one instance writes a schema: the thread takes a PostgreSQL advisory lock first and waits
// (standby) while another instance holds it; if it ever finds the lock taken by another session (after
// a lost connection), it stops writing and reports lost_lock(): the process must exit.
//
// Thread rules: start/stop from the owner; push, take_*, wait_loaded, and the status getters from one
// other thread (the main loop); the getters marked "any thread" are atomics.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "venue/risk/config.h"
#include "venue/risk/store.h"

namespace venue::pg {
class Client;
}

namespace venue::risk {

struct LimitsUpdate {
  std::int64_t version = 0;
  std::vector<Limit> limits;
};

struct Loaded {
  LoadedState state;
  LimitsUpdate limits;
  std::vector<std::pair<std::string, Ack>> blocks;  // entity key ("f:ALPHA", "a:ALPHA-1") -> the block in force
};

class Writer {
 public:
  Writer(const Config& cfg, prometheus::Registry& registry);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void start();
  void stop();

  // Blocks until the state is loaded (PostgreSQL reachable, lock held, migrated) or `stop()` says so.
  std::optional<Loaded> wait_loaded(const std::function<bool()>& stop);

  void push(Delta d, std::size_t fills);
  // New limits when they changed since the last call.
  std::optional<LimitsUpdate> take_limits();
  // Offsets of the deltas written since the last call.
  std::vector<OffsetRow> take_written_offsets();
  // Fills handed over and not yet written.
  std::size_t unwritten_fills() const;

  bool healthy() const { return healthy_.load(); }      // any thread: the last PostgreSQL call succeeded
  bool lost_lock() const { return lost_lock_.load(); }  // any thread
  std::int64_t last_write_ns() const { return last_write_ns_.load(); }

 private:
  void run();
  bool load();
  void write_pending();
  void poll_limits();

  const Config& cfg_;
  std::unique_ptr<pg::Client> pg_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> healthy_{false};
  std::atomic<bool> lost_lock_{false};
  std::atomic<std::int64_t> last_write_ns_{0};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<Delta, std::size_t>> queue_;
  std::size_t queued_fills_ = 0;
  std::optional<Loaded> loaded_;
  bool loaded_taken_ = false;
  std::optional<LimitsUpdate> limits_;
  std::vector<OffsetRow> written_offsets_;
  std::int64_t limits_version_ = -1;

  prometheus::Counter* writes_ = nullptr;
  prometheus::Counter* write_errors_ = nullptr;
  prometheus::Histogram* write_seconds_ = nullptr;
  prometheus::Gauge* unwritten_ = nullptr;
  prometheus::Counter* limit_reloads_ = nullptr;
};

}  // namespace venue::risk
