#pragma once
// The repository root, which ctest passes to every test as VENUE_SOURCE_DIR.

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace venue::test {

inline std::string source_dir() {
  const char* dir = std::getenv("VENUE_SOURCE_DIR");
  if (dir == nullptr || *dir == '\0') throw std::runtime_error("VENUE_SOURCE_DIR is not set (ctest sets it)");
  return dir;
}

}  // namespace venue::test
