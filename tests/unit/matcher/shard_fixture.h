#pragma once
// What the journal and shard tests (journal_test.cpp, shard_state_test.cpp) share: a temporary folder,
// two instruments, shard settings with a small journal and a test clock, and a loop that runs commands
// through a shard and waits until all are applied. The test's thread only.
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "venue/matcher/shard.h"

namespace venue::matcher::testing {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("venue-journal-test-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

inline std::vector<matcher::InstrumentSpec> instruments() {
  std::vector<matcher::InstrumentSpec> v;
  for (std::uint32_t i = 1; i <= 2; ++i) {
    matcher::InstrumentSpec s;
    s.id = venue::InstrumentId(i);
    s.symbol = "I" + std::to_string(i);
    v.push_back(s);
  }
  return v;
}

inline matcher::ShardSettings settings(const std::filesystem::path& dir, matcher::EventListener* replay = nullptr) {
  matcher::ShardSettings s;
  s.instruments = instruments();
  s.journal =
      matcher::JournalSettings{dir, 0, matcher::SyncPolicy::kWrite, 64 * 1024};  // small segments: rotation is tested
  s.command_capacity = 1024;
  s.event_capacity = 1024;
  s.replay_listener = replay;
  std::int64_t t = 1'000'000'000;
  s.clock = [t]() mutable { return t += 1000; };
  return s;
}

// Runs commands through a shard (submitting from this thread, draining its events).
inline void run_through(matcher::Shard& shard, const std::vector<matcher::Command>& cmds,
                        matcher::EventListener& sink) {
  std::size_t i = 0;
  while (i < cmds.size()) {
    if (shard.submit(cmds[i])) {
      ++i;
    } else {
      BOOST_REQUIRE(!shard.failed());
      shard.poll(sink, 1024);
    }
  }
  // Wait until every command has been applied.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (shard.stats().commands.load() < cmds.size() && std::chrono::steady_clock::now() < deadline) {
    shard.poll(sink, 1024);
  }
  BOOST_REQUIRE_EQUAL(shard.stats().commands.load(), cmds.size());
}

}  // namespace venue::matcher::testing
