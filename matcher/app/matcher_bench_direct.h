#pragma once
// matcher-bench's direct passes (matcher_bench_direct.cpp): the engine and the baseline book driven on
// the calling thread, with the figures each pass produces and their one-line output. The ring mode and
// the command line are in matcher_bench.cpp. Single-threaded: whoever calls owns the books.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "latency.h"
#include "venue/matcher/engine.h"
#include "workload.h"

namespace venue::matcher::bench {

// Command kinds for the latency breakdown; whether a command traded is seen from the trade count.
enum Kind { kAddRested, kAddTraded, kCancel, kReplaceMoved, kReplaceTraded, kKinds };
constexpr const char* kKindName[kKinds] = {"add (no trade)", "add (trades)", "cancel", "replace (no trade)",
                                           "replace (trades)"};

struct KindFigures {
  std::uint64_t count = 0;
  std::uint64_t ticks = 0;
  Histogram latency;
};

struct Figures {
  std::uint64_t commands = 0;
  double seconds = 0;         // the throughput pass (ring modes: the one pass)
  double save_ms = -1;        // the engine's: Engine::save() of the state after the throughput pass
  double save_again_ms = -1;  // the same into the buffer of the first
  Histogram latency;
  bool has_latency = false;
  std::vector<KindFigures> kinds = std::vector<KindFigures>(kKinds);
  std::uint64_t trades = 0;
  std::int64_t traded_qty = 0;
  std::size_t resting = 0;
  std::uint64_t rejects = 0;
  double per_sec() const { return seconds > 0 ? static_cast<double>(commands) / seconds : 0.0; }
};

// A workload operation as an engine command (session 1, firm 1).
Command to_command(const WorkOp& op);

// The workload as each book takes it, prepared once before any pass is timed: the baseline applies the
// parsed operations (w.ops) directly, the engine the same operations already converted to Commands (as
// the shard hands them to it); so neither book's timed pass includes reading or converting its input.
struct Input {
  const Workload& w;
  std::vector<Command> commands;  // commands[i] is w.ops[i], seq i + 1
  EngineSettings engine;          // every engine of the run is built with these (its reservation)
  Input(const Workload& workload, const EngineSettings& settings);
};

// The engine's reservation in matcher-bench (all modes; --no-reserve: none): room for this shape's
// ~55,000 live orders and a day of ~200,000 trades, taken and populated before any pass is timed.
EngineSettings bench_engine_settings(bool reserve);

// n instruments "1".."n" with tick and lot 1 and no price band.
std::vector<InstrumentSpec> instruments(std::uint32_t n);
// One line of figures (see matcher_bench.cpp's header for the format).
void print(const char* what, const Figures& f, double ns_per_tick);
// Where the time goes, by command kind (from the latency pass).
void print_kinds(const char* what, const Figures& f, double ns_per_tick);
// The throughput pass, then (with `latency`) the latency pass, each on a fresh book.
Figures direct_engine(const Input& w, double ns_per_tick, bool latency, bool one_at_a_time);
Figures direct_baseline(const Input& w, double ns_per_tick, bool latency);
// Rounds of the engine (batches, then one by one) and the baseline in turns, then medians and ratios.
void compare(const Input& w, int rounds, bool latency, bool by_kind, double ns_per_tick);

}  // namespace venue::matcher::bench
