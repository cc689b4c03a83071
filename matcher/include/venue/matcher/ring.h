#pragma once
// Bounded lock-free rings between threads, and the idle strategy their consumers use.
//
// MpscRing: several producers (FIX session threads, the admin API, timers), one consumer (the engine
//   thread). Vyukov's bounded queue: each slot carries a sequence number; a producer claims a slot with
//   one CAS; try_push fails (never blocks) when the ring is full, and the caller counts and refuses.
// SpscRing: one producer (the engine thread), one consumer (the gateway thread): the engine's outcomes.
//
// Idle: a consumer with nothing to do spins briefly, then yields, then parks on a futex until a producer
// wakes it (or a timeout passes). Producers wake a parked consumer only when it announced that it parks,
// so the cost under load is one load of a shared flag. IdleMode::kBusySpin never parks (lowest latency,
// burns a core); kYield spins with sched_yield; kBackoff (default) parks, so an idle venue leaves the
// other core of a 2-core machine alone.
//
// Thread rules: as named; capacity must be a power of two.

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>

namespace venue::matcher {

inline constexpr std::size_t kCacheLine = 64;

inline void cpu_relax() { __builtin_ia32_pause(); }

enum class IdleMode : std::uint8_t { kBusySpin, kYield, kBackoff };

// A futex-backed "consumer is parked" flag shared by a ring's producers and its consumer.
class Waker {
 public:
  // Producer side: wake the consumer if it is parked (cheap when it is not).
  void wake() {
    // The producer's publish (a release store) must be visible before it reads `parked_`, or producer and
    // consumer can each miss the other's store (Dekker): the consumer parks on work it did not see and
    // the producer does not wake it. A release store followed by a load may be reordered (on x86 too:
    // the store buffer), so a full fence separates them; announce() has its twin.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (parked_.load(std::memory_order_relaxed) != 0 && parked_.exchange(0, std::memory_order_seq_cst) != 0) {
      if (notify_ != nullptr) {
        notify_(notify_context_);
      } else {
        ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&parked_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
      }
      wakeups_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  // A consumer that waits elsewhere (e.g. in epoll) is woken by `notify` instead of the futex: it
  // announces its wait with announce(), checks for work once more, waits, then calls retire(). Set once,
  // before the producer runs.
  void set_notify(void (*notify)(void*), void* context) {
    notify_ = notify;
    notify_context_ = context;
  }
  void announce() {
    parked_.store(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // before the consumer looks at the ring again
  }
  void retire() { parked_.store(0, std::memory_order_relaxed); }
  // Consumer side: park unless `has_work` turns true after announcing; returns after a wake or timeout.
  template <class HasWork>
  void park(HasWork&& has_work, long timeout_ns) {
    announce();
    if (!has_work()) {
      timespec ts{0, timeout_ns};
      ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&parked_), FUTEX_WAIT_PRIVATE, 1, &ts, nullptr, 0);
    }
    retire();
  }
  std::uint64_t wakeups() const { return wakeups_.load(std::memory_order_relaxed); }

 private:
  alignas(kCacheLine) std::atomic<std::uint32_t> parked_{0};
  std::atomic<std::uint64_t> wakeups_{0};
  void (*notify_)(void*) = nullptr;
  void* notify_context_ = nullptr;
};

// Spin, then yield, then park. reset() after finding work.
class IdleStrategy {
 public:
  explicit IdleStrategy(IdleMode mode, std::uint32_t spins = 20'000, std::uint32_t yields = 50,
                        long park_ns = 1'000'000)
      : mode_(mode), spins_(spins), yields_(yields), park_ns_(park_ns) {}

  template <class HasWork>
  void idle(Waker& waker, HasWork&& has_work) {
    switch (mode_) {
      case IdleMode::kBusySpin: cpu_relax(); return;
      case IdleMode::kYield: ::sched_yield(); return;
      case IdleMode::kBackoff:
        if (count_ < spins_) {
          ++count_;
          cpu_relax();
        } else if (count_ < spins_ + yields_) {
          ++count_;
          ::sched_yield();
        } else {
          waker.park(has_work, park_ns_);
          ++parks_;
        }
        return;
    }
  }
  void reset() { count_ = 0; }
  std::uint64_t parks() const { return parks_; }

 private:
  IdleMode mode_;
  std::uint32_t spins_;
  std::uint32_t yields_;
  long park_ns_;
  std::uint32_t count_ = 0;
  std::uint64_t parks_ = 0;
};

template <class T>
class MpscRing {
 public:
  explicit MpscRing(std::size_t capacity) : mask_(capacity - 1), cells_(new Cell[capacity]) {
    if (capacity < 2 || (capacity & mask_) != 0) throw std::invalid_argument("ring capacity must be a power of two");
    for (std::size_t i = 0; i < capacity; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  }

  // Any thread. False when full.
  bool try_push(const T& value) {
    std::size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& c = cells_[pos & mask_];
      const std::size_t seq = c.seq.load(std::memory_order_acquire);
      const auto diff = static_cast<std::intptr_t>(seq) - static_cast<std::intptr_t>(pos);
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          c.value = value;
          c.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  // Consumer only. False when empty.
  bool try_pop(T& out) {
    Cell& c = cells_[head_ & mask_];
    if (c.seq.load(std::memory_order_acquire) != head_ + 1) return false;
    out = c.value;
    c.seq.store(head_ + mask_ + 1, std::memory_order_release);
    ++head_;
    return true;
  }

  bool empty() const { return cells_[head_ & mask_].seq.load(std::memory_order_acquire) != head_ + 1; }
  std::size_t capacity() const { return mask_ + 1; }
  Waker& waker() { return waker_; }

 private:
  struct alignas(kCacheLine) Cell {
    std::atomic<std::size_t> seq;
    T value;
  };
  const std::size_t mask_;
  std::unique_ptr<Cell[]> cells_;
  alignas(kCacheLine) std::atomic<std::size_t> tail_{0};
  alignas(kCacheLine) std::size_t head_ = 0;
  Waker waker_;
};

template <class T>
class SpscRing {
 public:
  explicit SpscRing(std::size_t capacity) : mask_(capacity - 1), slots_(new T[capacity]) {
    if (capacity < 2 || (capacity & mask_) != 0) throw std::invalid_argument("ring capacity must be a power of two");
  }

  // Producer only: a slot to fill, or nullptr when full; publish() makes filled slots visible.
  T* claim() {
    if (tail_ - head_cache_ > mask_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail_ - head_cache_ > mask_) return nullptr;
    }
    return &slots_[tail_++ & mask_];
  }
  void publish() { published_.store(tail_, std::memory_order_release); }
  std::size_t free_slots() {
    head_cache_ = head_.load(std::memory_order_acquire);
    return mask_ + 1 - (tail_ - head_cache_);
  }

  // Consumer only: up to max items, handed to fn in order. Returns how many.
  template <class Fn>
  std::size_t drain(Fn&& fn, std::size_t max) {
    const std::size_t avail = published_.load(std::memory_order_acquire) - head_local_;
    const std::size_t n = avail < max ? avail : max;
    for (std::size_t i = 0; i < n; ++i) fn(slots_[(head_local_ + i) & mask_]);
    head_local_ += n;
    if (n > 0) head_.store(head_local_, std::memory_order_release);
    return n;
  }
  bool empty() const { return published_.load(std::memory_order_acquire) == head_local_; }
  std::size_t capacity() const { return mask_ + 1; }
  Waker& waker() { return waker_; }

 private:
  const std::size_t mask_;
  std::unique_ptr<T[]> slots_;
  // Producer-owned
  alignas(kCacheLine) std::size_t tail_ = 0;
  std::size_t head_cache_ = 0;
  alignas(kCacheLine) std::atomic<std::size_t> published_{0};
  // Consumer-owned
  alignas(kCacheLine) std::atomic<std::size_t> head_{0};
  std::size_t head_local_ = 0;
  Waker waker_;
};

}  // namespace venue::matcher
