#pragma once
// Latency recording for the benchmarks: a log-linear histogram (about 1% precision, no allocation
// while recording) and a TSC clock calibrated against steady_clock.
//
// Thread rules: a Histogram belongs to one thread.

#include <x86intrin.h>
#include <array>
#include <chrono>
#include <cstdint>
#include <thread>

namespace venue::matcher::bench {

class Histogram {
 public:
  static constexpr int kSubBits = 7;  // 128 buckets per power of two
  static constexpr std::size_t kBuckets = (64 - kSubBits + 1) << kSubBits;

  void record(std::uint64_t v) {
    ++counts_[index(v)];
    ++total_;
  }
  std::uint64_t count() const { return total_; }
  // How many recorded values exceed v (to bucket precision).
  std::uint64_t above(std::uint64_t v) const {
    std::uint64_t n = 0;
    for (std::size_t i = index(v) + 1; i < kBuckets; ++i) n += counts_[i];
    return n;
  }
  // The value at quantile q (0..1): the upper edge of the bucket holding it.
  std::uint64_t quantile(double q) const {
    if (total_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return upper(i);
    }
    return upper(kBuckets - 1);
  }

 private:
  static std::size_t index(std::uint64_t v) {
    if (v < (1U << kSubBits)) return static_cast<std::size_t>(v);
    const int msb = 63 - __builtin_clzll(v);
    const int shift = msb - kSubBits;
    const auto octave = static_cast<std::size_t>(shift + 1) << kSubBits;
    return octave + static_cast<std::size_t>((v >> shift) - (1U << kSubBits));
  }
  static std::uint64_t upper(std::size_t i) {
    if (i < (1U << kSubBits)) return i;
    const std::size_t shift = (i >> kSubBits) - 1;
    const std::uint64_t mant = (i & ((1U << kSubBits) - 1)) + (1U << kSubBits);
    return ((mant + 1) << shift) - 1;
  }
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
};

inline std::uint64_t tsc() { return __rdtsc(); }

// Nanoseconds per TSC tick, measured over `ms` milliseconds.
inline double calibrate_tsc(int ms = 100) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto c0 = tsc();
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  const auto t1 = std::chrono::steady_clock::now();
  const auto c1 = tsc();
  const double ns = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
  return ns / static_cast<double>(c1 - c0);
}

}  // namespace venue::matcher::bench
