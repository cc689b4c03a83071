// matcher-workload-gen: writes a realistic benchmark workload for matcher-bench (format in
// matcher/bench/workload.h).
//
//   matcher-workload-gen [--lines N] [--instruments K] [--resting R] [--seed S] [--out FILE]
//
// The mix, after a build-up phase that rests R orders spread over K instruments (most near the touch,
// a long tail deeper): about 40% passive adds near the touch, 11% marketable adds (limit that cross,
// market, IOC, FOK), 38% cancels (mostly of recent orders), 8% replaces (quantity down, price moves,
// quantity up), 3% cancels of orders already gone. Prices random-walk per instrument. The resting
// count is held near R. The generator replays its own output through the baseline book to know which
// orders are still live, so cancels and replaces mostly hit live orders as real ones do.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "baseline_book.h"

namespace b = venue::matcher::bench;

namespace {

struct Options {
  std::uint64_t lines = 1'000'000;
  std::uint32_t instruments = 8;
  std::uint64_t resting = 50'000;
  std::uint64_t seed = 42;
  std::string out;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "matcher-workload-gen: " << why << "\n"
            << "usage: matcher-workload-gen [--lines N] [--instruments K] [--resting R] [--seed S] [--out FILE]\n";
  std::exit(2);
}

std::uint64_t number(const std::string& flag, const std::string& v, std::uint64_t min, std::uint64_t max) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < min || n > max) {
    usage(flag + " must be an integer between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return n;
}

class Generator {
 public:
  Generator(const Options& o, std::FILE* out)
      : o_(o), out_(out), rng_(o.seed), book_(o.instruments), mid_(o.instruments + 1, 10'000) {}

  void run() {
    std::uint64_t written = 0;
    // Build-up: rest R orders.
    while (written < o_.lines && book_.resting() < o_.resting) {
      passive_add(true);
      ++written;
    }
    while (written < o_.lines) {
      step();
      ++written;
      if (std::getenv("VENUE_GEN_TRACE") != nullptr && written % 100'000 == 0) {
        std::fprintf(stderr, "line %llu resting %zu live_candidates %zu\n", static_cast<unsigned long long>(written),
                     book_.resting(), live_.size());
      }
    }
  }

 private:
  double uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  std::uint64_t below(std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_); }
  std::int64_t geometric(double p) { return std::geometric_distribution<std::int64_t>(p)(rng_); }

  std::uint32_t symbol() { return static_cast<std::uint32_t>(1 + below(o_.instruments)); }
  std::int64_t qty() {
    static constexpr std::int64_t kSizes[] = {1, 1, 2, 5, 10, 10, 20, 50, 100, 100, 200, 500};
    return kSizes[below(std::size(kSizes))];
  }

  void emit_add(std::uint32_t sym, int side, std::int64_t q, std::int64_t price, bool market, b::Tif tif) {
    static constexpr const char* kTif[] = {"day", "ioc", "fok", "gtc"};
    const std::uint64_t id = ++next_id_;
    const std::uint32_t account = static_cast<std::uint32_t>(1 + below(200));
    if (market) {
      std::fprintf(out_, "add %llu %u %u %s %lld MKT %s\n", static_cast<unsigned long long>(id), account, sym,
                   side == 1 ? "buy" : "sell", static_cast<long long>(q), kTif[static_cast<int>(tif)]);
    } else {
      std::fprintf(out_, "add %llu %u %u %s %lld %lld %s\n", static_cast<unsigned long long>(id), account, sym,
                   side == 1 ? "buy" : "sell", static_cast<long long>(q), static_cast<long long>(price),
                   kTif[static_cast<int>(tif)]);
    }
    b::WorkOp op{};
    op.op = b::Op::kAdd;
    op.order = id;
    op.symbol = sym;
    op.account = account;
    op.side = static_cast<std::uint8_t>(side);
    op.qty = q;
    op.price = price;
    op.market = market;
    op.tif = tif;
    book_.apply(op);
    if (!market && (tif == b::Tif::kDay || tif == b::Tif::kGtc) && book_.is_live(id)) {
      live_.push_back({id, sym, side, price, q});
    }
  }

  // The touch of an instrument: (best bid, best ask), falling back on the last known mid.
  std::pair<std::int64_t, std::int64_t> touch(std::uint32_t sym) {
    std::int64_t bid = book_.best_bid(sym);
    std::int64_t ask = book_.best_ask(sym);
    if (bid > 0 && ask > 0) mid_[sym] = (bid + ask) / 2;
    if (bid == 0) bid = ask > 0 ? ask - 1 : mid_[sym] - 1;
    if (ask == 0) ask = bid + 2;
    return {bid, ask};
  }

  // A passive order joins or sits behind the touch, never crossing it; the deep build-up spreads wider.
  void passive_add(bool deep) {
    const std::uint32_t sym = symbol();
    const int side = uniform() < 0.5 ? 1 : 2;
    const auto [bid, ask] = touch(sym);
    const std::int64_t offset = geometric(deep ? 0.08 : 0.3);
    const std::int64_t price = side == 1 ? std::min(bid + (uniform() < 0.1 ? 1 : 0), ask - 1) - offset
                                         : std::max(ask - (uniform() < 0.1 ? 1 : 0), bid + 1) + offset;
    emit_add(sym, side, qty(), std::max<std::int64_t>(1, price), false, uniform() < 0.9 ? b::Tif::kDay : b::Tif::kGtc);
  }

  // Takes liquidity: through the touch by up to 3 ticks, or at market.
  void aggressive_add() {
    const std::uint32_t sym = symbol();
    const int side = uniform() < 0.5 ? 1 : 2;
    const auto [bid, ask] = touch(sym);
    const std::int64_t through = static_cast<std::int64_t>(below(4));
    const std::int64_t price = std::max<std::int64_t>(1, side == 1 ? ask + through : bid - through);
    const double r = uniform();
    if (r < 0.2) {
      emit_add(sym, side, qty(), 0, true, b::Tif::kIoc);
    } else if (r < 0.3) {
      emit_add(sym, side, qty(), price, false, b::Tif::kFok);
    } else if (r < 0.5) {
      emit_add(sym, side, qty(), price, false, b::Tif::kIoc);
    } else {
      emit_add(sym, side, qty(), price, false, b::Tif::kDay);
    }
  }

  struct Live {
    std::uint64_t id;
    std::uint32_t sym;
    int side;
    std::int64_t price;
    std::int64_t qty;
  };

  // A live order: mostly a recent one. Orders found filled are dropped on the way.
  bool pick(std::size_t& at) {
    for (int tries = 0; tries < 64 && !live_.empty(); ++tries) {
      const std::size_t n = live_.size();
      at = uniform() < 0.7 ? n - 1 - below(std::min<std::size_t>(n, 1000)) : below(n);
      if (book_.is_live(live_[at].id)) return true;
      live_[at] = live_.back();
      live_.pop_back();
    }
    return false;
  }

  void cancel() {
    std::size_t at = 0;
    if (!pick(at)) {
      passive_add(false);
      return;
    }
    std::fprintf(out_, "cancel %llu\n", static_cast<unsigned long long>(live_[at].id));
    b::WorkOp op{};
    op.op = b::Op::kCancel;
    op.order = live_[at].id;
    book_.apply(op);
    live_[at] = live_.back();
    live_.pop_back();
  }

  void cancel_gone() {
    const std::uint64_t id = next_id_ == 0 ? 1 : 1 + below(next_id_);
    std::fprintf(out_, "cancel %llu\n", static_cast<unsigned long long>(id));
    b::WorkOp op{};
    op.op = b::Op::kCancel;
    op.order = id;
    book_.apply(op);
  }

  void replace() {
    std::size_t at = 0;
    if (!pick(at)) {
      passive_add(false);
      return;
    }
    Live& l = live_[at];
    const double r = uniform();
    std::int64_t q = l.qty;
    std::int64_t p = l.price;
    if (r < 0.6) {
      q = std::max<std::int64_t>(1, l.qty - 1 - static_cast<std::int64_t>(below(static_cast<std::uint64_t>(l.qty))));
    } else if (r < 0.85) {
      p = std::max<std::int64_t>(1, l.price + (uniform() < 0.5 ? -1 : 1) * (1 + static_cast<std::int64_t>(below(3))));
    } else {
      q = l.qty + qty();
    }
    std::fprintf(out_, "replace %llu %lld %lld\n", static_cast<unsigned long long>(l.id), static_cast<long long>(q),
                 static_cast<long long>(p));
    b::WorkOp op{};
    op.op = b::Op::kReplace;
    op.order = l.id;
    op.qty = q;
    op.price = p;
    book_.apply(op);
    l.qty = q;
    l.price = p;
  }

  void step() {
    // Hold the resting count near the target: more adds below it, more cancels above it.
    const double target = static_cast<double>(std::max<std::uint64_t>(o_.resting, 1));
    const double deficit = std::clamp((target - static_cast<double>(book_.resting())) / target, -1.0, 1.0);
    const double passive = 0.40 + 0.25 * deficit;
    const double cancels = 0.38 - 0.25 * deficit;
    const double r = uniform();
    if (r < passive) {
      passive_add(false);
    } else if (r < passive + 0.11) {
      aggressive_add();
    } else if (r < passive + 0.11 + cancels) {
      cancel();
    } else if (r < passive + 0.11 + cancels + 0.08) {
      replace();
    } else {
      cancel_gone();
    }
  }

  const Options& o_;
  std::FILE* out_;
  std::mt19937_64 rng_;
  b::BaselineBook book_;
  std::vector<std::int64_t> mid_;
  std::vector<Live> live_;
  std::uint64_t next_id_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--lines") {
      o.lines = number(a, value(), 1, 1'000'000'000);
    } else if (a == "--instruments") {
      o.instruments = static_cast<std::uint32_t>(number(a, value(), 1, 10'000));
    } else if (a == "--resting") {
      o.resting = number(a, value(), 0, 100'000'000);
    } else if (a == "--seed") {
      o.seed = number(a, value(), 0, UINT64_MAX);
    } else if (a == "--out") {
      o.out = value();
    } else {
      usage("unknown argument \"" + a + "\"");
    }
  }
  std::FILE* out = stdout;
  if (!o.out.empty()) {
    out = std::fopen(o.out.c_str(), "w");
    if (out == nullptr) {
      std::cerr << "matcher-workload-gen: cannot write " << o.out << "\n";
      return 2;
    }
  }
  std::fprintf(out, "# matcher-workload-gen --lines %llu --instruments %u --resting %llu --seed %llu\n",
               static_cast<unsigned long long>(o.lines), o.instruments, static_cast<unsigned long long>(o.resting),
               static_cast<unsigned long long>(o.seed));
  Generator(o, out).run();
  if (std::fflush(out) != 0 || (out != stdout && std::fclose(out) != 0)) {
    std::cerr << "matcher-workload-gen: write failed\n";
    return 3;
  }
  return 0;
}
