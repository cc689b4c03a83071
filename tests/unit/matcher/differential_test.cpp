#define BOOST_TEST_MODULE matcher_differential
// The engine against an independent implementation: the baseline std::map-of-lists book of the
// benchmark (matcher/bench/baseline_book.cpp), on random workloads in the benchmark's format and on
// the workload generator's output. Every command must make the same fills in both (aggressor and resting
// order ids, price, quantity, in the same order); the number of resting orders must agree after every
// command, and every resting order (id, price, leaves, queue position) every 997 commands and at the end.
#include <boost/test/unit_test.hpp>
#include <limits>
#include <random>
#include <sstream>

#include "baseline_book.h"
#include "venue/matcher/engine.h"
#include "workload.h"

namespace m = venue::matcher;
namespace b = venue::matcher::bench;

namespace {

std::vector<m::InstrumentSpec> instruments(std::uint32_t n) {
  std::vector<m::InstrumentSpec> out;
  for (std::uint32_t i = 1; i <= n; ++i) {
    m::InstrumentSpec s;
    s.id = venue::InstrumentId(i);
    s.max_qty = venue::Qty(std::numeric_limits<std::int64_t>::max() / 4);
    out.push_back(s);
  }
  return out;
}

m::Command to_command(const b::WorkOp& op) {
  switch (op.op) {
    case b::Op::kAdd: {
      m::NewOrderCmd n{};
      n.instrument = venue::InstrumentId(op.symbol);
      n.owner = m::Owner{venue::SessionId(1), venue::FirmId(1), venue::AccountId(op.account)};
      n.side = op.side == 1 ? venue::Side::kBuy : venue::Side::kSell;
      n.type = op.market ? venue::OrdType::kMarket : venue::OrdType::kLimit;
      static constexpr venue::TimeInForce kTif[] = {venue::TimeInForce::kDay, venue::TimeInForce::kIoc,
                                                    venue::TimeInForce::kFok, venue::TimeInForce::kGtc};
      n.tif = kTif[static_cast<int>(op.tif)];
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

// A random workload text in the benchmark format: a few instruments, prices in a narrow range so that
// orders cross often, every command kind, ids that are sometimes unknown or already gone.
std::string random_workload(std::uint64_t seed, int lines) {
  std::mt19937_64 rng(seed);
  auto below = [&](std::uint64_t n) { return rng() % n; };
  std::ostringstream out;
  std::uint64_t next_id = 0;
  static constexpr const char* kTif[] = {"day", "ioc", "fok", "gtc"};
  for (int i = 0; i < lines; ++i) {
    const auto r = below(100);
    if (r < 60 || next_id == 0) {
      out << "add " << ++next_id << " " << below(5) << " " << 100 + below(3) << " " << (below(2) == 0 ? "buy" : "sell")
          << " " << 1 + below(40) << " ";
      if (below(20) == 0) {
        out << "MKT";
      } else {
        out << 50 + below(10);
      }
      out << " " << kTif[below(10) < 7 ? 0 : 1 + below(3)] << "\n";
    } else if (r < 85) {
      out << "cancel " << 1 + below(next_id + 3) << "\n";
    } else {
      out << "replace " << 1 + below(next_id + 3) << " " << 1 + below(50) << " " << 50 + below(10) << "\n";
    }
  }
  return out.str();
}

using FillRecord = b::BaselineBook::FillRecord;
using RestingOrder = b::BaselineBook::RestingOrder;

// The engine's fills, as the reference book records its own.
struct FillLog : m::EventListener {
  std::vector<FillRecord> fills;
  void on_trade(const m::TradeEvent& e) override {
    fills.push_back(
        FillRecord{e.aggressor.order.id.value(), e.resting.order.id.value(), e.price.count(), e.qty.count()});
  }
};

std::string describe(const std::vector<FillRecord>& fills) {
  std::ostringstream out;
  for (const auto& f : fills)
    out << " [agg " << f.aggressor << " rest " << f.resting << " " << f.qty << "@" << f.price << "]";
  return fills.empty() ? " none" : out.str();
}

// Every resting order of both books, instrument by instrument, bids then asks, best price first and in
// time priority: the same orders must rest with the same leaves in the same queue positions.
void compare_books(const m::Engine& engine, const b::BaselineBook& ref, std::uint32_t instruments, std::size_t at) {
  std::vector<RestingOrder> ours;
  engine.for_each_order([&](const m::OrderView& v) {
    ours.push_back(RestingOrder{v.id.value(), v.price.count(), v.leaves_qty.count()});
  });
  std::vector<RestingOrder> theirs;
  for (std::uint32_t i = 1; i <= instruments; ++i) {
    for (bool bids : {true, false}) {
      const auto side = ref.side(i, bids);
      theirs.insert(theirs.end(), side.begin(), side.end());
    }
  }
  BOOST_REQUIRE_EQUAL(ours.size(), theirs.size());
  for (std::size_t k = 0; k < ours.size(); ++k) {
    if (!(ours[k] == theirs[k])) {
      BOOST_FAIL("books differ after command " << at << " at resting order #" << k << ": engine id " << ours[k].id
                                               << " " << ours[k].leaves << "@" << ours[k].price << ", reference id "
                                               << theirs[k].id << " " << theirs[k].leaves << "@" << theirs[k].price);
    }
  }
}

void compare(const b::Workload& w) {
  b::BaselineBook ref(w.instruments);
  std::vector<FillRecord> ref_fills;
  ref.record_fills(&ref_fills);
  FillLog log;
  m::Engine engine(m::EngineSettings{}, instruments(w.instruments), log);
  std::uint64_t fills = 0;
  for (std::size_t i = 0; i < w.ops.size(); ++i) {
    ref_fills.clear();
    log.fills.clear();
    ref.apply(w.ops[i]);
    engine.apply(to_command(w.ops[i]));
    // The same fills in the same order: aggressor, resting order, price and quantity of each.
    if (log.fills != ref_fills) {
      BOOST_FAIL("fills differ at command " << i << ": engine" << describe(log.fills) << "; reference"
                                            << describe(ref_fills));
    }
    fills += ref_fills.size();
    if (engine.resting_orders() != ref.resting()) {
      BOOST_FAIL("resting orders differ after command " << i << ": engine " << engine.resting_orders() << ", reference "
                                                        << ref.resting());
    }
    if (i % 997 == 0) compare_books(engine, ref, w.instruments, i);
  }
  compare_books(engine, ref, w.instruments, w.ops.size());
  BOOST_TEST(engine.check_invariants().empty());
  BOOST_TEST(engine.counters().trades == fills);
  BOOST_TEST(fills > 0U);
}

}  // namespace

BOOST_AUTO_TEST_CASE(random_workloads_match_the_reference_book_after_every_command) {
  for (std::uint64_t seed = 1; seed <= 25; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) { compare(b::parse_workload(random_workload(seed, 5000), "random")); }
  }
}

BOOST_AUTO_TEST_CASE(the_workload_generators_mix_matches_the_reference_book) {
  const char* gen = std::getenv("VENUE_WORKLOAD_GEN");
  BOOST_REQUIRE_MESSAGE(gen != nullptr, "VENUE_WORKLOAD_GEN (the generator's path) is set by ctest");
  const char* tmp = std::getenv("TMPDIR");
  const std::string file =
      std::string(tmp != nullptr ? tmp : "/tmp") + "/venue-diff-workload-" + std::to_string(::getpid()) + ".txt";
  const std::string cmd = std::string(gen) + " --lines 200000 --instruments 4 --resting 5000 --seed 11 --out " + file;
  BOOST_REQUIRE_EQUAL(std::system(cmd.c_str()), 0);
  const auto w = b::load_workload(file);
  std::remove(file.c_str());
  BOOST_TEST(w.ops.size() == 200000U);
  compare(w);
}

BOOST_AUTO_TEST_CASE(a_malformed_workload_line_is_reported_with_its_line_number) {
  auto error_of = [](const std::string& text) -> std::string {
    try {
      b::parse_workload(text, "w.txt");
    } catch (const b::WorkloadError& e) {
      return e.what();
    }
    return "";
  };
  BOOST_TEST(error_of("add 1 1 1 buy 10 100 day\nadd 2 1 1 bye 10 100 day\n") ==
             "w.txt:2: bad side \"bye\" (buy or sell)");
  BOOST_TEST(error_of("add 1 1 1 buy ten 100 day\n") == "w.txt:1: bad quantity \"ten\"");
  BOOST_TEST(error_of("cancel\n") == "w.txt:1: cancel needs 1 field: cancel <order_id>");
  BOOST_TEST(error_of("# ok\n\nmodify 1\n") == "w.txt:3: unknown command \"modify\" (add, cancel or replace)");
  BOOST_TEST(error_of("add 1 1 1 buy 10 100 gtd\n") == "w.txt:1: bad time in force \"gtd\" (day, ioc, fok or gtc)");
  BOOST_TEST(error_of("add 1 1 1 buy 10 1.5 day\n") == "w.txt:1: bad price \"1.5\"");
  BOOST_TEST(error_of("add 1 1 1 buy 10 100 day # comment\ncancel 1\ncancel 9\n").empty());
  const auto w = b::parse_workload("add 7 1 1 buy 10 100 day\ncancel 7\ncancel 8\n", "w.txt");
  BOOST_TEST(w.ops[1].order == 1U);  // the venue id of the add with workload id 7
  BOOST_TEST(w.ops[2].order == 0U);  // unknown
  BOOST_TEST(w.unknown_ids == 1U);
}
