// matcher-bench: replays a workload file through the matching engine and prints one line of figures.
//
//   matcher-bench [--direct] [--journal DIR] --workload FILE [--baseline] [--engine-cpu N] [--driver-cpu N]
//                 [--idle spin|yield|backoff] [--sync write|fdatasync] [--inflight K]
//
// --direct    calls the engine on this thread (no ring, no engine thread)
// (default)   through the command ring to the pinned engine thread, events back through the event ring
// --journal   journals every command to a fresh folder under DIR (removed afterwards)
// --baseline  runs the straightforward std::map-of-lists book instead (always direct)
//
// Output: events=<n> seconds=<s> events_per_sec=<x> p50_ns=<a> p99_ns=<b> p999_ns=<c> trades=<t>
//         traded_qty=<q> resting=<r>
// Latency: --direct and --baseline time each command's apply() with the TSC; through the ring, from the
// command's submission to the consumer seeing its first event, with at most K commands in flight
// (default 512). Exit codes: 0 ok, 2 bad arguments or
// workload, 3 runtime failure.
#include <pthread.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <limits>
#include <string>

#include "baseline_book.h"
#include "latency.h"
#include "venue/matcher/engine.h"
#include "venue/matcher/shard.h"
#include "workload.h"

namespace m = venue::matcher;
namespace b = venue::matcher::bench;

namespace {

struct Options {
  bool direct = false;
  bool baseline = false;
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
            << "usage: matcher-bench [--direct] [--journal DIR] --workload FILE [--baseline]\n"
            << "                     [--engine-cpu N] [--driver-cpu N] [--idle spin|yield|backoff]\n"
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
  return o;
}

void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

std::vector<m::InstrumentSpec> instruments(std::uint32_t n) {
  std::vector<m::InstrumentSpec> out;
  for (std::uint32_t i = 1; i <= n; ++i) {
    m::InstrumentSpec s;
    s.id = venue::InstrumentId(i);
    s.symbol = std::to_string(i);
    s.tick_size = venue::Decimal::from_units(venue::Decimal::kOne);
    s.lot_size = venue::Decimal::from_units(venue::Decimal::kOne);
    s.min_qty = venue::Qty(1);
    s.max_qty = venue::Qty(std::numeric_limits<std::int64_t>::max() / 4);
    s.band_bps = 0;
    out.push_back(s);
  }
  return out;
}

m::Command to_command(const b::WorkOp& op) {
  switch (op.op) {
    case b::Op::kAdd: {
      m::NewOrderCmd n{};
      n.client_ref = op.order;
      n.instrument = venue::InstrumentId(op.symbol);
      n.owner = m::Owner{venue::SessionId(1), venue::FirmId(1), venue::AccountId(op.account == 0 ? 1 : op.account)};
      n.side = op.side == 1 ? venue::Side::kBuy : venue::Side::kSell;
      n.type = op.market ? venue::OrdType::kMarket : venue::OrdType::kLimit;
      static constexpr venue::TimeInForce kTif[] = {venue::TimeInForce::kDay, venue::TimeInForce::kIoc,
                                                    venue::TimeInForce::kFok, venue::TimeInForce::kGtc};
      n.tif = kTif[static_cast<int>(op.tif)];
      n.stp = venue::StpMode::kNone;
      n.price = venue::Price(op.price);
      n.qty = venue::Qty(op.qty);
      return m::Command::make(n);
    }
    case b::Op::kCancel:
      return m::Command::make(m::CancelCmd{0, venue::OrderId(op.order), venue::FirmId(), m::CancelReason::kUser});
    case b::Op::kReplace:
      return m::Command::make(m::ReplaceCmd{0, venue::OrderId(op.order), venue::FirmId(), venue::Price(op.price),
                                            venue::Price(0), venue::Qty(op.qty), venue::Qty(0)});
  }
  return m::Command::timer();
}

struct Figures {
  std::uint64_t events = 0;
  double seconds = 0;
  b::Histogram latency;
  std::uint64_t trades = 0;
  std::int64_t traded_qty = 0;
  std::size_t resting = 0;
  std::uint64_t rejects = 0;
};

void print(const Figures& f, double ns_per_tick) {
  auto ns = [&](double q) {
    return static_cast<std::uint64_t>(static_cast<double>(f.latency.quantile(q)) * ns_per_tick);
  };
  std::printf(
      "events=%llu seconds=%.3f events_per_sec=%.0f p50_ns=%llu p99_ns=%llu p999_ns=%llu trades=%llu "
      "traded_qty=%lld resting=%zu\n",
      static_cast<unsigned long long>(f.events), f.seconds, static_cast<double>(f.events) / f.seconds,
      static_cast<unsigned long long>(ns(0.5)), static_cast<unsigned long long>(ns(0.99)),
      static_cast<unsigned long long>(ns(0.999)), static_cast<unsigned long long>(f.trades),
      static_cast<long long>(f.traded_qty), f.resting);
  std::fprintf(stderr, "rejects=%llu\n", static_cast<unsigned long long>(f.rejects));
}

Figures run_baseline(const b::Workload& w, double ns_per_tick) {
  Figures f;
  b::BaselineBook book(w.instruments);
  const auto start = b::tsc();
  for (const auto& op : w.ops) {
    const auto t0 = b::tsc();
    book.apply(op);
    f.latency.record(b::tsc() - t0);
  }
  f.seconds = static_cast<double>(b::tsc() - start) * ns_per_tick / 1e9;
  f.events = w.ops.size();
  f.trades = book.trades();
  f.traded_qty = book.traded_qty();
  f.resting = book.resting();
  f.rejects = book.rejects();
  return f;
}

Figures run_direct(const b::Workload& w, double ns_per_tick) {
  Figures f;
  m::EventListener counting;  // every callback does nothing: the engine's own counters are read after
  m::Engine engine(m::EngineSettings{}, instruments(w.instruments), counting);
  std::uint64_t seq = 0;
  const auto start = b::tsc();
  for (const auto& op : w.ops) {
    m::Command c = to_command(op);
    c.seq = ++seq;
    const auto t0 = b::tsc();
    engine.apply(c);
    f.latency.record(b::tsc() - t0);
  }
  f.seconds = static_cast<double>(b::tsc() - start) * ns_per_tick / 1e9;
  f.events = w.ops.size();
  f.trades = engine.counters().trades;
  f.traded_qty = engine.counters().traded_qty;
  f.resting = engine.resting_orders();
  f.rejects = engine.counters().rejects + engine.counters().cancel_rejects;
  return f;
}

Figures run_ring(const b::Workload& w, const Options& o, double ns_per_tick) {
  Figures f;
  m::ShardSettings s;
  s.instruments = instruments(w.instruments);
  s.cpu = o.engine_cpu;
  s.idle = o.idle;
  s.command_capacity = 1 << 14;
  s.event_capacity = 1 << 15;
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
  f.events = n;
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
    Figures f;
    if (o.baseline) {
      f = run_baseline(w, ns_per_tick);
    } else if (o.direct) {
      f = run_direct(w, ns_per_tick);
    } else {
      f = run_ring(w, o, ns_per_tick);
    }
    print(f, ns_per_tick);
  } catch (const std::exception& e) {
    std::cerr << "matcher-bench: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
