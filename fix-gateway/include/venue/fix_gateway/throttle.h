#pragma once
// A session's message throttle (the CME model): new orders and replaces draw from one token bucket,
// cancels and status requests from a second, larger one, so a session that hits its order limit can
// still cancel. A message over the limit is refused with code 2020; a session that keeps being refused
// for `logout_after_seconds` (each refusal less than a second after the one before) is logged out. A
// short burst over the limit is only refused, however it falls across clock seconds.
//
// Time is a parameter (nanoseconds, monotonic), so the throttle is deterministic in tests.
//
// Thread rules: one thread (the FIX thread).

#include <algorithm>
#include <cstdint>

namespace venue::fix_gateway {

class TokenBucket {
 public:
  TokenBucket() = default;
  // rate 0: unlimited.
  TokenBucket(std::int64_t per_second, std::int64_t burst)
      : rate_(per_second),
        capacity_nano_(std::max<std::int64_t>(burst, per_second) * kNano),
        tokens_nano_(capacity_nano_) {}

  bool take(std::int64_t now_ns) {
    if (rate_ == 0) return true;
    refill(now_ns);
    if (tokens_nano_ < kNano) return false;
    tokens_nano_ -= kNano;
    return true;
  }
  bool unlimited() const { return rate_ == 0; }

 private:
  static constexpr std::int64_t kNano = 1'000'000'000;
  void refill(std::int64_t now_ns) {
    if (last_ns_ == 0) last_ns_ = now_ns;
    const std::int64_t elapsed = std::max<std::int64_t>(0, now_ns - last_ns_);
    last_ns_ = now_ns;
    // tokens in units of 1e-9 token: rate tokens/s * elapsed ns
    const __int128 add = static_cast<__int128>(rate_) * elapsed;
    tokens_nano_ = static_cast<std::int64_t>(std::min<__int128>(capacity_nano_, tokens_nano_ + add));
  }
  std::int64_t rate_ = 0;
  std::int64_t capacity_nano_ = 0;
  std::int64_t tokens_nano_ = 0;
  std::int64_t last_ns_ = 0;
};

class SessionThrottle {
 public:
  SessionThrottle() = default;
  SessionThrottle(std::int64_t orders_per_second, std::int64_t burst, std::int64_t cancels_per_second,
                  std::int64_t logout_after_seconds)
      : orders_(orders_per_second, burst),
        cancels_(cancels_per_second != 0 ? cancels_per_second : 2 * orders_per_second,
                 cancels_per_second != 0 ? cancels_per_second : 2 * std::max(burst, orders_per_second)),
        logout_after_(logout_after_seconds) {}

  enum class Verdict : std::uint8_t { kPass, kRefuse, kRefuseAndLogout };

  Verdict order(std::int64_t now_ns) { return judge(orders_.take(now_ns), now_ns); }
  Verdict cancel(std::int64_t now_ns) { return judge(cancels_.take(now_ns), now_ns); }
  std::uint64_t refused() const { return refused_; }
  void reset_streak() { streak_start_ = last_refusal_ = -1; }

 private:
  static constexpr std::int64_t kSecond = 1'000'000'000;
  Verdict judge(bool ok, std::int64_t now_ns) {
    if (ok) return Verdict::kPass;
    ++refused_;
    if (last_refusal_ < 0 || now_ns - last_refusal_ >= kSecond) streak_start_ = now_ns;
    last_refusal_ = now_ns;
    return now_ns - streak_start_ >= logout_after_ * kSecond ? Verdict::kRefuseAndLogout : Verdict::kRefuse;
  }
  TokenBucket orders_;
  TokenBucket cancels_;
  std::int64_t logout_after_ = 5;
  std::int64_t streak_start_ = -1;  // first refusal of the current run of refusals
  std::int64_t last_refusal_ = -1;
  std::uint64_t refused_ = 0;
};

}  // namespace venue::fix_gateway
