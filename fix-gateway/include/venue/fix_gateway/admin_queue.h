#pragma once
// AdminQueue: how other threads (the operator API's workers) get short jobs done on the gateway thread,
// which owns every session and order and is never blocked by them. A caller queues a job and waits for
// its answer until a deadline; if the deadline passes first, the caller gets `timeout_value` and the job
// is dropped: it is never run later, when whoever asked has been told that nothing happened.
//
//   AdminQueue q([&] { acceptor.wake(); });                      // wakes the gateway loop
//   // any thread:
//   auto r = q.call<AdminResult>([&] { return do_it(); }, AdminResult{false, "timed out"}, deadline);
//   // the gateway thread, once per loop turn:
//   q.run_pending();
//
// Each job carries a state: 0 waiting, 1 running, 2 abandoned. The gateway thread runs a job only if it
// takes it from 0 to 1; a caller whose deadline passed takes it from 0 to 2 and leaves; if the job is
// already running, the caller waits for it (jobs are short) and returns its real answer.
//
// Thread rules: call() from any thread except the one that runs run_pending(); run_pending() from one.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>

namespace venue::fix_gateway {

class AdminQueue {
 public:
  explicit AdminQueue(std::function<void()> wake = {}) : wake_(std::move(wake)) {}
  void set_wake(std::function<void()> wake) { wake_ = std::move(wake); }

  template <class R>
  R call(std::function<R()> fn, R timeout_value, std::chrono::steady_clock::time_point deadline) {
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(fn));
    auto state = std::make_shared<std::atomic<int>>(kWaiting);
    auto answer = task->get_future();
    {
      std::lock_guard lock(mutex_);
      jobs_.emplace_back([this, task, state] {
        int waiting = kWaiting;
        if (!state->compare_exchange_strong(waiting, kRunning)) {
          expired_.fetch_add(1, std::memory_order_relaxed);
          return;
        }
        (*task)();
      });
    }
    if (wake_) wake_();
    if (answer.wait_until(deadline) == std::future_status::ready) return answer.get();
    int waiting = kWaiting;
    if (state->compare_exchange_strong(waiting, kAbandoned)) return timeout_value;
    return answer.get();  // it started before the deadline passed: its answer is the truth
  }

  // Runs the jobs queued so far (those whose caller gave up are dropped and counted).
  void run_pending() {
    std::deque<std::function<void()>> jobs;
    {
      std::lock_guard lock(mutex_);
      jobs.swap(jobs_);
    }
    for (auto& j : jobs) j();
  }

  // Jobs dropped because their caller's deadline passed before they could start.
  std::uint64_t expired() const { return expired_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kWaiting = 0;
  static constexpr int kRunning = 1;
  static constexpr int kAbandoned = 2;
  std::function<void()> wake_;
  std::mutex mutex_;
  std::deque<std::function<void()>> jobs_;
  std::atomic<std::uint64_t> expired_{0};
};

}  // namespace venue::fix_gateway
