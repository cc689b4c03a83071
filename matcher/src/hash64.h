#pragma once
// A fast non-cryptographic 64-bit hash over bytes (for state hashes; not for security).

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace venue::matcher::detail {

inline std::uint64_t hash64(const std::uint8_t* data, std::size_t size, std::uint64_t seed = 0x9E3779B97F4A7C15ULL) {
  constexpr std::uint64_t kMul = 0xFF51AFD7ED558CCDULL;
  std::uint64_t h = seed ^ (size * kMul);
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data + i, 8);
    w *= 0xC4CEB9FE1A85EC53ULL;
    w ^= w >> 31;
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, data + i, size - i);
  h = (h ^ tail) * kMul;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace venue::matcher::detail
