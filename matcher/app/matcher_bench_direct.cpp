// matcher-bench's direct passes (matcher_bench_direct.h): the throughput pass with two clock reads, the
// latency pass timing each command with the TSC, the breakdown by command kind, and --compare's rounds.
#include "matcher_bench_direct.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <type_traits>

#include "baseline_book.h"

namespace venue::matcher::bench {

namespace m = venue::matcher;

namespace {

std::uint64_t to_ns(const Histogram& h, double q, double ns_per_tick) {
  return static_cast<std::uint64_t>(static_cast<double>(h.quantile(q)) * ns_per_tick);
}

// The two books behind one interface for the direct passes. Each pass builds a fresh book.
struct BaselineRunner {
  const Input& in;
  BaselineBook book;
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
      : in(input), engine(input.engine, instruments(input.w.instruments), counting) {}
  void apply(std::size_t i) { engine.apply(in.commands[i]); }
  // As the shard's engine thread takes commands: a batch at a time (Engine::apply(span)).
  void apply(std::size_t from, std::size_t n) {
    engine.apply(std::span<const m::Command>(in.commands.data() + from, n));
  }
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
  const auto start = tsc();
  if (one_at_a_time) {
    for (std::size_t i = 0; i < n; ++i) runner->apply(i);
  } else {
    for (std::size_t i = 0; i < n; i += kBatch) runner->apply(i, std::min(kBatch, n - i));
  }
  f.seconds = static_cast<double>(tsc() - start) * ns_per_tick / 1e9;
  f.commands = n;
  runner->totals(f);
  if constexpr (std::is_same_v<Runner, EngineRunner>) {
    // What a snapshot still costs the engine thread: serializing the state (the shard's snapshot thread
    // does the rest).
    // A fresh buffer the first time, then the same buffer again (as the shard's snapshots reuse theirs).
    std::vector<std::uint8_t> bytes;
    auto t0 = tsc();
    runner->engine.save(bytes);
    f.save_ms = static_cast<double>(tsc() - t0) * ns_per_tick / 1e6;
    t0 = tsc();
    runner->engine.save(bytes);
    f.save_again_ms = static_cast<double>(tsc() - t0) * ns_per_tick / 1e6;
  }
  return f;
}

// Latency: a separate pass on a fresh book, each command timed with the TSC.
template <class Runner>
void latency_pass(const Input& in, Figures& f) {
  auto runner = std::make_unique<Runner>(in);
  for (std::size_t i = 0; i < in.w.ops.size(); ++i) {
    const WorkOp& op = in.w.ops[i];
    const std::uint64_t trades = runner->trades();
    const auto t0 = tsc();
    runner->apply(i);
    const auto ticks = tsc() - t0;
    f.latency.record(ticks);
    const bool traded = runner->trades() != trades;
    const Kind k = op.op == Op::kAdd      ? (traded ? kAddTraded : kAddRested)
                   : op.op == Op::kCancel ? kCancel
                                          : (traded ? kReplaceTraded : kReplaceMoved);
    ++f.kinds[k].count;
    f.kinds[k].ticks += ticks;
    f.kinds[k].latency.record(ticks);
  }
  f.has_latency = true;
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

}  // namespace

m::EngineSettings bench_engine_settings(bool reserve) {
  m::EngineSettings s;
  if (reserve) {
    s.reserve_orders = 1U << 16;
    s.reserve_trades = 1U << 18;
  }
  return s;
}

Input::Input(const Workload& workload, const m::EngineSettings& settings) : w(workload), engine(settings) {
  commands.reserve(w.ops.size());
  for (std::size_t i = 0; i < w.ops.size(); ++i) {
    commands.push_back(to_command(w.ops[i]));
    commands.back().seq = i + 1;
  }
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

m::Command to_command(const WorkOp& op) {
  switch (op.op) {
    case Op::kAdd: {
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
    case Op::kCancel:
      return m::Command::make(m::CancelCmd{0, venue::OrderId(op.order), venue::FirmId(), m::CancelReason::kUser});
    case Op::kReplace:
      return m::Command::make(m::ReplaceCmd{0, venue::OrderId(op.order), venue::FirmId(), venue::Price(op.price),
                                            venue::Price(0), venue::Qty(op.qty), venue::Qty(0)});
  }
  return m::Command::timer();
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

Figures direct_engine(const Input& w, double ns_per_tick, bool latency, bool one_at_a_time) {
  return direct<EngineRunner>(w, ns_per_tick, latency, one_at_a_time);
}

Figures direct_baseline(const Input& w, double ns_per_tick, bool latency) {
  return direct<BaselineRunner>(w, ns_per_tick, latency, true);
}

}  // namespace venue::matcher::bench
