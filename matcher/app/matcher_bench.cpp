// matcher-bench: replays a workload file through the matching engine and prints one line of figures.
//
//   matcher-bench --workload FILE [--direct | --baseline | --compare ROUNDS] [--no-latency] [--by-kind]
//                 [--repeat N] [--one-by-one] [--journal DIR] [--engine-cpu N] [--driver-cpu N]
//                 [--idle spin|yield|backoff] [--sync write|fdatasync] [--inflight K] [--no-reserve]
//
// --direct     calls the engine on this thread (no ring, no engine thread)
// --baseline   the straightforward std::map-of-lists book instead (always direct)
// --compare R  R rounds of the engine (batches, then one-by-one) and the baseline in turns (the order
//              rotates), on fresh books each time, then the medians and the ratios to the baseline
// (default)    through the command ring to the pinned engine thread, events back through the event ring
// --journal    journals every command to a fresh folder under DIR (removed afterwards)
// --repeat N   with --direct or --baseline: N runs, one line each (e.g. to profile the book alone)
// --one-by-one with --direct: the throughput pass applies one command at a time instead of batches
//              of 256 (Engine::apply(span), as the shard's engine thread does)
// --by-kind    also prints the latency pass by command kind (adds and replaces that traded or not,
//              cancels): each kind's share of the commands and of the time, mean and percentiles
// --no-reserve every engine built without its reservation (EngineSettings::reserve_orders and
//              reserve_trades; by default room for 65,536 live orders and 262,144 trades, taken and
//              populated when each engine is built, before its pass is timed)
//
// Direct modes run two passes on fresh books: the throughput pass reads the clock twice (start, end)
// and never per command; the latency pass times each apply() with the TSC (--no-latency skips it).
// Through the ring there is one pass: latency from a command's submission to the consumer seeing its
// first event, with at most K commands in flight (default 512).
//
// Output: <what> commands=<n> seconds=<s> commands_per_sec=<x> [p50_ns p99_ns p999_ns max_ns] trades=<t>
//         traded_qty=<q> resting=<r> rejects=<j> [save_ms save_again_ms: the engine's
//         Engine::save() after the throughput pass, into a fresh buffer and into the same one again]
// Exit codes: 0 ok, 2 bad arguments or workload, 3 runtime failure (or, with --compare, the two books
// disagreeing on the workload's trades).
#include <pthread.h>
#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <limits>
#include <span>
#include <string>
#include <type_traits>

#include "latency.h"
#include "matcher_bench_direct.h"
#include "venue/matcher/engine.h"
#include "venue/matcher/shard.h"
#include "workload.h"

namespace m = venue::matcher;
namespace b = venue::matcher::bench;
using b::Figures;
using b::Input;
using b::instruments;
using b::print;
using b::print_kinds;
using b::to_command;

namespace {

struct Options {
  bool direct = false;
  bool baseline = false;
  bool latency = true;
  bool by_kind = false;
  bool reserve = true;
  int rounds = 0;  // --compare
  int repeat = 1;
  bool one_by_one = false;
  std::string journal;
  std::string workload;
  std::size_t inflight = 512;
  int engine_cpu = 1;
  int driver_cpu = 0;
  m::IdleMode idle = m::IdleMode::kBackoff;
  m::SyncPolicy sync = m::SyncPolicy::kWrite;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "matcher-bench: " << why << "\n"
            << "usage: matcher-bench --workload FILE [--direct | --baseline | --compare ROUNDS] [--no-latency]\n"
            << "                     [--by-kind] [--repeat N] [--one-by-one]\n"
            << "                     [--journal DIR] [--engine-cpu N] [--driver-cpu N] [--idle spin|yield|backoff]\n"
            << "                     [--sync write|fdatasync] [--inflight K]\n";
  std::exit(2);
}

int parse_cpu(const std::string& v) {
  char* end = nullptr;
  const long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < -1 || n > 1023) usage("bad cpu \"" + v + "\"");
  return static_cast<int>(n);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--direct") {
      o.direct = true;
    } else if (a == "--baseline") {
      o.baseline = true;
    } else if (a == "--no-latency") {
      o.latency = false;
    } else if (a == "--one-by-one") {
      o.one_by_one = true;
    } else if (a == "--by-kind") {
      o.by_kind = true;
    } else if (a == "--no-reserve") {
      o.reserve = false;
    } else if (a == "--repeat") {
      const auto v = value();
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1 || n > 99) usage("--repeat needs a number of passes from 1 to 99");
      o.repeat = static_cast<int>(n);
    } else if (a == "--compare") {
      const auto v = value();
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1 || n > 99) usage("--compare needs a number of rounds from 1 to 99");
      o.rounds = static_cast<int>(n);
    } else if (a == "--journal") {
      o.journal = value();
    } else if (a == "--workload") {
      o.workload = value();
    } else if (a == "--inflight") {
      const auto v = value();
      char* end = nullptr;
      const unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1 || n > 32768) usage("--inflight must be between 1 and 32768");
      o.inflight = n;
    } else if (a == "--engine-cpu") {
      o.engine_cpu = parse_cpu(value());
    } else if (a == "--driver-cpu") {
      o.driver_cpu = parse_cpu(value());
    } else if (a == "--idle") {
      const auto v = value();
      if (v == "spin") {
        o.idle = m::IdleMode::kBusySpin;
      } else if (v == "yield") {
        o.idle = m::IdleMode::kYield;
      } else if (v == "backoff") {
        o.idle = m::IdleMode::kBackoff;
      } else {
        usage("bad --idle \"" + v + "\"");
      }
    } else if (a == "--sync") {
      const auto v = value();
      if (v == "write") {
        o.sync = m::SyncPolicy::kWrite;
      } else if (v == "fdatasync") {
        o.sync = m::SyncPolicy::kFdatasync;
      } else {
        usage("bad --sync \"" + v + "\"");
      }
    } else if (a == "-h" || a == "--help") {
      usage("help");
    } else {
      usage("unknown argument \"" + a + "\"");
    }
  }
  if (o.workload.empty()) usage("--workload FILE is required");
  if (o.baseline && !o.journal.empty()) usage("--baseline has no journal");
  if (o.direct && !o.journal.empty()) usage("--journal needs the ring mode (drop --direct)");
  if (o.rounds > 0 && (o.direct || o.baseline || !o.journal.empty()))
    usage("--compare runs the engine and the baseline directly: drop --direct, --baseline and --journal");
  return o;
}

void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

Figures run_ring(const b::Workload& w, const Options& o, double ns_per_tick) {
  Figures f;
  m::ShardSettings s;
  s.instruments = instruments(w.instruments);
  s.cpu = o.engine_cpu;
  s.idle = o.idle;
  s.command_capacity = 1 << 14;
  s.event_capacity = 1 << 15;
  s.engine = b::bench_engine_settings(o.reserve);
  std::filesystem::path journal_dir;
  if (!o.journal.empty()) {
    journal_dir = std::filesystem::path(o.journal) / ("matcher-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(journal_dir);
    s.journal = m::JournalSettings{journal_dir, 0, o.sync, 256ULL << 20};
  }
  m::Shard shard(std::move(s));
  shard.recover();
  shard.start();

  // Submission times by sequence number (commands are sequenced in submission order: one producer).
  const std::size_t window = 1 << 16;
  std::vector<std::uint64_t> submitted(window);
  std::uint64_t last_seq_seen = 0;
  std::uint64_t seen_commands = 0;
  auto drain = [&] {
    return shard.poll_records(
        [&](const m::EventRecord& r) {
          const std::uint64_t seq = r.header().seq;
          if (seq != last_seq_seen) {
            last_seq_seen = seq;
            ++seen_commands;
            f.latency.record(b::tsc() - submitted[seq & (window - 1)]);
          }
        },
        4096);
  };

  const std::size_t n = w.ops.size();
  const auto start = b::tsc();
  std::size_t i = 0;
  while (i < n) {
    // At most --inflight commands submitted and not yet answered (the window of stamps is larger).
    if (i - seen_commands < o.inflight) {
      const m::Command c = to_command(w.ops[i]);
      submitted[(i + 1) & (window - 1)] = b::tsc();
      if (shard.submit(c)) {
        ++i;
        continue;
      }
    }
    if (shard.failed()) {
      std::cerr << "matcher-bench: engine failed: " << shard.failure() << "\n";
      std::exit(3);
    }
    drain();
  }
  while (seen_commands < n) {
    if (drain() == 0 && shard.failed()) {
      std::cerr << "matcher-bench: engine failed: " << shard.failure() << "\n";
      std::exit(3);
    }
  }
  f.seconds = static_cast<double>(b::tsc() - start) * ns_per_tick / 1e9;
  shard.stop();
  while (drain() > 0) {
  }
  f.commands = n;
  f.has_latency = true;
  f.trades = shard.engine().counters().trades;
  f.traded_qty = shard.engine().counters().traded_qty;
  f.resting = shard.engine().resting_orders();
  f.rejects = shard.engine().counters().rejects + shard.engine().counters().cancel_rejects;
  if (!journal_dir.empty()) {
    std::fprintf(stderr, "journal_bytes=%llu\n", static_cast<unsigned long long>(shard.stats().journal_bytes.load()));
    std::filesystem::remove_all(journal_dir);
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  b::Workload w;
  try {
    w = b::load_workload(o.workload);
  } catch (const b::WorkloadError& e) {
    std::cerr << "matcher-bench: " << e.what() << "\n";
    return 2;
  }
  if (w.ops.empty()) {
    std::cerr << "matcher-bench: " << o.workload << ": no commands\n";
    return 2;
  }
  pin(o.driver_cpu);
  const double ns_per_tick = b::calibrate_tsc();
  try {
    const Input in(w, b::bench_engine_settings(o.reserve));
    if (o.rounds > 0) {
      compare(in, o.rounds, o.latency, o.by_kind, ns_per_tick);
    } else if (o.baseline) {
      for (int r = 0; r < o.repeat; ++r) {
        const Figures f = b::direct_baseline(in, ns_per_tick, o.latency);
        print("baseline", f, ns_per_tick);
        if (o.by_kind && o.latency) print_kinds("baseline", f, ns_per_tick);
      }
    } else if (o.direct) {
      for (int r = 0; r < o.repeat; ++r) {
        const Figures f = b::direct_engine(in, ns_per_tick, o.latency, o.one_by_one);
        print("engine", f, ns_per_tick);
        if (o.by_kind && o.latency) print_kinds("engine", f, ns_per_tick);
      }
    } else {
      print(o.journal.empty() ? "ring" : "ring+journal", run_ring(w, o, ns_per_tick), ns_per_tick);
    }
  } catch (const std::exception& e) {
    std::cerr << "matcher-bench: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
