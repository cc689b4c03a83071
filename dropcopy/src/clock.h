// The drop copy's clocks, in nanoseconds since their epochs (internal header).
#pragma once

#include <chrono>
#include <cstdint>

namespace venue::dropcopy {

// For intervals and deadlines.
inline std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// For times shown to people and written to records (UTC).
inline std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace venue::dropcopy
