// matcher-bench: replays a workload file through the matching engine and prints one line of figures.
//
//   matcher-bench --workload FILE [--direct | --baseline | --compare ROUNDS] [--no-latency] [--by-kind]
//                 [--repeat N] [--one-by-one] [--journal DIR] [--engine-cpu N] [--driver-cpu N]
//                 [--idle spin|yield|backoff] [--sync write|fdatasync] [--inflight K]
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
  bool latency = true;
  bool by_kind = false;
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

// Command kinds for the latency breakdown; whether a command traded is seen from the trade count.
enum Kind { kAddRested, kAddTraded, kCancel, kReplaceMoved, kReplaceTraded, kKinds };
constexpr const char* kKindName[kKinds] = {"add (no trade)", "add (trades)", "cancel", "replace (no trade)",
                                           "replace (trades)"};

struct KindFigures {
  std::uint64_t count = 0;
  std::uint64_t ticks = 0;
  b::Histogram latency;
};

struct Figures {
  std::uint64_t commands = 0;
  double seconds = 0;         // the throughput pass (ring modes: the one pass)
  double save_ms = -1;        // the engine's: Engine::save() of the state after the throughput pass
  double save_again_ms = -1;  // the same into the buffer of the first
  b::Histogram latency;
  bool has_latency = false;
  std::vector<KindFigures> kinds = std::vector<KindFigures>(kKinds);
  std::uint64_t trades = 0;
  std::int64_t traded_qty = 0;
  std::size_t resting = 0;
  std::uint64_t rejects = 0;
  double per_sec() const { return seconds > 0 ? static_cast<double>(commands) / seconds : 0.0; }
};

std::uint64_t to_ns(const b::Histogram& h, double q, double ns_per_tick) {
  return static_cast<std::uint64_t>(static_cast<double>(h.quantile(q)) * ns_per_tick);
}

void print(const char* what, const Figures& f, double ns_per_tick) {
  std::printf("%s commands=%llu seconds=%.3f commands_per_sec=%.0f", what, static_cast<unsigned long long>(f.commands),
              f.seconds, f.per_sec());
  if (f.has_latency) {
    std::printf(" p50_ns=%llu p99_ns=%llu p999_ns=%llu max_ns=%llu",
                static_cast<unsigned long long>(to_ns(f.latency, 0.5, ns_per_tick)),
                static_cast<unsigned long long>(to_ns(f.latency, 0.99, ns_per_tick)),
                static_cast<unsigned long long>(to_ns(f.latency, 0.999, ns_per_tick)),
                static_cast<unsigned long long>(to_ns(f.latency, 1.0, ns_per_tick)));
  }
  std::printf(" trades=%llu traded_qty=%lld resting=%zu rejects=%llu", static_cast<unsigned long long>(f.trades),
              static_cast<long long>(f.traded_qty), f.resting, static_cast<unsigned long long>(f.rejects));
  if (f.save_ms >= 0) std::printf(" save_ms=%.2f save_again_ms=%.2f", f.save_ms, f.save_again_ms);
  std::printf("\n");
  std::fflush(stdout);
}

// A workload operation as an engine command, written in place (the throughput pass converts each batch
// into a small reused buffer, so both books stream the same compact workload from memory; the
// conversion is counted in the engine's time).
void fill_command(m::Command& c, const b::WorkOp& op, std::uint64_t seq) {
  static constexpr venue::TimeInForce kTif[] = {venue::TimeInForce::kDay, venue::TimeInForce::kIoc,
                                                venue::TimeInForce::kFok, venue::TimeInForce::kGtc};
  c.seq = seq;
  switch (op.op) {
    case b::Op::kAdd: {
      c.type = m::CommandType::kNewOrder;
      m::NewOrderCmd& n = c.new_order;
      n.client_ref = op.order;
      n.instrument = venue::InstrumentId(op.symbol);
      n.owner = m::Owner{venue::SessionId(1), venue::FirmId(1), venue::AccountId(op.account == 0 ? 1 : op.account)};
      n.side = op.side == 1 ? venue::Side::kBuy : venue::Side::kSell;
      n.type = op.market ? venue::OrdType::kMarket : venue::OrdType::kLimit;
      n.tif = kTif[static_cast<int>(op.tif)];
      n.stp = venue::StpMode::kNone;
      n.post_only = false;
      n.price = venue::Price(op.price);
      n.stop_price = venue::Price(0);
      n.qty = venue::Qty(op.qty);
      n.display_qty = venue::Qty(0);
      n.min_qty = venue::Qty(0);
      n.expire_time_ns = 0;
      return;
    }
    case b::Op::kCancel:
      c.type = m::CommandType::kCancel;
      c.cancel = m::CancelCmd{0, venue::OrderId(op.order), venue::FirmId(), m::CancelReason::kUser};
      return;
    case b::Op::kReplace:
      c.type = m::CommandType::kReplace;
      c.replace = m::ReplaceCmd{0,
                                venue::OrderId(op.order),
                                venue::FirmId(),
                                venue::Price(op.price),
                                venue::Price(0),
                                venue::Qty(op.qty),
                                venue::Qty(0)};
      return;
  }
}

struct Input {
  const b::Workload& w;
  explicit Input(const b::Workload& workload) : w(workload) {}
};

// The two books behind one interface for the direct passes. Each pass builds a fresh book.
struct BaselineRunner {
  const Input& in;
  b::BaselineBook book;
  explicit BaselineRunner(const Input& input) : in(input), book(input.w.instruments) {}
  void apply(std::size_t i) { book.apply(in.w.ops[i]); }
  void apply(std::size_t from, std::size_t n) {
    for (std::size_t i = from; i < from + n; ++i) book.apply(in.w.ops[i]);
  }
  std::uint64_t trades() const { return book.trades(); }
  void totals(Figures& f) const {
    f.trades = book.trades();
    f.traded_qty = book.traded_qty();
    f.resting = book.resting();
    f.rejects = book.rejects();
  }
};

// Commands per batch in the throughput pass: the shard's default batch (ShardSettings::batch).
constexpr std::size_t kBatch = 256;

struct EngineRunner {
  const Input& in;
  m::EventListener counting;  // every callback does nothing: the engine's own counters are read after
  m::Engine engine;
  explicit EngineRunner(const Input& input)
      : in(input), engine(m::EngineSettings{}, instruments(input.w.instruments), counting) {}
  void apply(std::size_t i) {
    fill_command(one, in.w.ops[i], i + 1);
    engine.apply(one);
  }
  // As the shard's engine thread takes commands: a batch at a time (Engine::apply(span)).
  void apply(std::size_t from, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) fill_command(batch[k], in.w.ops[from + k], from + k + 1);
    engine.apply(std::span<const m::Command>(batch.data(), n));
  }
  m::Command one;
  std::vector<m::Command> batch = std::vector<m::Command>(kBatch);
  std::uint64_t trades() const { return engine.counters().trades; }
  void totals(Figures& f) const {
    f.trades = engine.counters().trades;
    f.traded_qty = engine.counters().traded_qty;
    f.resting = engine.resting_orders();
    f.rejects = engine.counters().rejects + engine.counters().cancel_rejects;
  }
};

// Throughput: the whole workload with two clock reads, none per command.
template <class Runner>
Figures throughput_pass(const Input& in, double ns_per_tick, bool one_at_a_time) {
  Figures f;
  auto runner = std::make_unique<Runner>(in);
  const std::size_t n = in.w.ops.size();
  const auto start = b::tsc();
  if (one_at_a_time) {
    for (std::size_t i = 0; i < n; ++i) runner->apply(i);
  } else {
    for (std::size_t i = 0; i < n; i += kBatch) runner->apply(i, std::min(kBatch, n - i));
  }
  f.seconds = static_cast<double>(b::tsc() - start) * ns_per_tick / 1e9;
  f.commands = n;
  runner->totals(f);
  if constexpr (std::is_same_v<Runner, EngineRunner>) {
    // What a snapshot still costs the engine thread: serializing the state (the shard's snapshot thread
    // does the rest).
    // A fresh buffer the first time, then the same buffer again (as the shard's snapshots reuse theirs).
    std::vector<std::uint8_t> bytes;
    auto t0 = b::tsc();
    runner->engine.save(bytes);
    f.save_ms = static_cast<double>(b::tsc() - t0) * ns_per_tick / 1e6;
    t0 = b::tsc();
    runner->engine.save(bytes);
    f.save_again_ms = static_cast<double>(b::tsc() - t0) * ns_per_tick / 1e6;
  }
  return f;
}

// Latency: a separate pass on a fresh book, each command timed with the TSC.
template <class Runner>
void latency_pass(const Input& in, Figures& f) {
  auto runner = std::make_unique<Runner>(in);
  for (std::size_t i = 0; i < in.w.ops.size(); ++i) {
    const b::WorkOp& op = in.w.ops[i];
    const std::uint64_t trades = runner->trades();
    const auto t0 = b::tsc();
    runner->apply(i);
    const auto ticks = b::tsc() - t0;
    f.latency.record(ticks);
    const bool traded = runner->trades() != trades;
    const Kind k = op.op == b::Op::kAdd      ? (traded ? kAddTraded : kAddRested)
                   : op.op == b::Op::kCancel ? kCancel
                                             : (traded ? kReplaceTraded : kReplaceMoved);
    ++f.kinds[k].count;
    f.kinds[k].ticks += ticks;
    f.kinds[k].latency.record(ticks);
  }
  f.has_latency = true;
}

// Where the time goes, by command kind (from the latency pass).
void print_kinds(const char* what, const Figures& f, double ns_per_tick) {
  std::uint64_t total = 0;
  for (const auto& k : f.kinds) total += k.ticks;
  for (int i = 0; i < kKinds; ++i) {
    const auto& k = f.kinds[static_cast<std::size_t>(i)];
    if (k.count == 0) continue;
    std::printf(
        "%s   %-18s %6.2f%% of commands %6.2f%% of the time  mean_ns=%.0f p50_ns=%llu p99_ns=%llu "
        "p999_ns=%llu over_1us=%llu\n",
        what, kKindName[i], 100.0 * static_cast<double>(k.count) / static_cast<double>(f.commands),
        100.0 * static_cast<double>(k.ticks) / static_cast<double>(total),
        static_cast<double>(k.ticks) * ns_per_tick / static_cast<double>(k.count),
        static_cast<unsigned long long>(to_ns(k.latency, 0.5, ns_per_tick)),
        static_cast<unsigned long long>(to_ns(k.latency, 0.99, ns_per_tick)),
        static_cast<unsigned long long>(to_ns(k.latency, 0.999, ns_per_tick)),
        static_cast<unsigned long long>(k.latency.above(static_cast<std::uint64_t>(1000.0 / ns_per_tick))));
  }
}

template <class Runner>
Figures direct(const Input& w, double ns_per_tick, bool latency, bool one_at_a_time) {
  Figures f = throughput_pass<Runner>(w, ns_per_tick, one_at_a_time);
  if (latency) latency_pass<Runner>(w, f);
  return f;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Each round runs, on fresh books: the engine taking batches, the engine taking one command at a time,
// the baseline; the order rotates from round to round. Then the medians and the ratios to the baseline.
void compare(const Input& w, int rounds, bool latency, bool by_kind, double ns_per_tick) {
  std::vector<double> ours, singles, theirs, ratio, ratio1, p50, p99, p999, b50, b99, b999;
  for (int r = 0; r < rounds; ++r) {
    Figures e, e1, base;
    for (int k = 0; k < 3; ++k) {
      switch ((r + k) % 3) {
        case 0: e = direct<EngineRunner>(w, ns_per_tick, latency, false); break;
        case 1: e1 = direct<EngineRunner>(w, ns_per_tick, false, true); break;
        default: base = direct<BaselineRunner>(w, ns_per_tick, latency, true); break;
      }
    }
    if (e.trades != base.trades || e.traded_qty != base.traded_qty || e.resting != base.resting ||
        e1.trades != base.trades) {
      std::fprintf(stderr, "matcher-bench: the engine and the baseline disagree on this workload\n");
      std::exit(3);
    }
    print("engine           ", e, ns_per_tick);
    print("engine one-by-one", e1, ns_per_tick);
    print("baseline         ", base, ns_per_tick);
    if (by_kind && latency) {
      print_kinds("engine  ", e, ns_per_tick);
      print_kinds("baseline", base, ns_per_tick);
    }
    ours.push_back(e.per_sec());
    singles.push_back(e1.per_sec());
    theirs.push_back(base.per_sec());
    ratio.push_back(e.per_sec() / base.per_sec());
    ratio1.push_back(e1.per_sec() / base.per_sec());
    if (latency) {
      p50.push_back(static_cast<double>(to_ns(e.latency, 0.5, ns_per_tick)));
      p99.push_back(static_cast<double>(to_ns(e.latency, 0.99, ns_per_tick)));
      p999.push_back(static_cast<double>(to_ns(e.latency, 0.999, ns_per_tick)));
      b50.push_back(static_cast<double>(to_ns(base.latency, 0.5, ns_per_tick)));
      b99.push_back(static_cast<double>(to_ns(base.latency, 0.99, ns_per_tick)));
      b999.push_back(static_cast<double>(to_ns(base.latency, 0.999, ns_per_tick)));
    }
  }
  std::printf(
      "median of %d rounds: engine commands_per_sec=%.0f (one-by-one %.0f) baseline commands_per_sec=%.0f "
      "ratio=%.2f (one-by-one %.2f)",
      rounds, median(ours), median(singles), median(theirs), median(ratio), median(ratio1));
  if (latency) {
    std::printf(" engine p50_ns=%.0f p99_ns=%.0f p999_ns=%.0f baseline p50_ns=%.0f p99_ns=%.0f p999_ns=%.0f",
                median(p50), median(p99), median(p999), median(b50), median(b99), median(b999));
  }
  std::printf("\n");
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
    const Input in(w);
    if (o.rounds > 0) {
      compare(in, o.rounds, o.latency, o.by_kind, ns_per_tick);
    } else if (o.baseline) {
      for (int r = 0; r < o.repeat; ++r) {
        const Figures f = direct<BaselineRunner>(in, ns_per_tick, o.latency, true);
        print("baseline", f, ns_per_tick);
        if (o.by_kind && o.latency) print_kinds("baseline", f, ns_per_tick);
      }
    } else if (o.direct) {
      for (int r = 0; r < o.repeat; ++r) {
        const Figures f = direct<EngineRunner>(in, ns_per_tick, o.latency, o.one_by_one);
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
