#define BOOST_TEST_MODULE matcher_shard_state
// What a shard keeps across a restart beyond the book (trading status, the last trade, busts), from the
// journal alone and from the snapshot written at stop; and its GTD expiry on a busy shard. The journal's
// own guarantees (replay, torn tails, damage, snapshots) are in journal_test.cpp.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <vector>

#include "shard_fixture.h"
#include "support/printers.h"
#include "venue/matcher/journal.h"
#include "venue/matcher/shard.h"

namespace fs = std::filesystem;
namespace m = venue::matcher;
using venue::Price;
using venue::Qty;
using namespace venue::matcher::testing;

namespace {

// What a gateway reads back after a restart (issue 11, item 7): the instruments' state and the orders.
struct ReadBack {
  std::vector<m::InstrumentState> instruments;
  m::OrderView order{};
  bool order_live = false;
  std::size_t trades_today = 0;
};

ReadBack read_back(const m::Engine& e, venue::OrderId order) {
  ReadBack r;
  e.for_each_instrument([&](const m::InstrumentState& s) { r.instruments.push_back(s); });
  r.order_live = e.find_order(order, r.order);
  r.trades_today = e.trades_today();
  return r;
}

// A Day limit order of account `ref` (session 1, firm 1).
m::Command day_limit(std::uint64_t ref, venue::InstrumentId instrument, venue::Side side, std::int64_t price,
                     std::int64_t qty) {
  m::NewOrderCmd c{};
  c.client_ref = ref;
  c.instrument = instrument;
  c.owner = m::Owner{venue::SessionId(1), venue::FirmId(1), venue::AccountId(ref)};
  c.side = side;
  c.type = venue::OrdType::kLimit;
  c.tif = venue::TimeInForce::kDay;
  c.price = Price(price);
  c.qty = Qty(qty);
  return m::Command::make(c);
}

struct BustSink : m::EventListener {
  std::vector<m::TradeBustedEvent> busts;
  std::vector<m::TradeEvent> trades;
  void on_trade(const m::TradeEvent& e) override { trades.push_back(e); }
  void on_trade_busted(const m::TradeBustedEvent& e) override { busts.push_back(e); }
};

}  // namespace

// An operator halts one instrument, a trade happens on the other and is busted; after a restart (from
// the journal alone, and again from the snapshot written at stop) the engine reports the halt, the last
// trade price and the busted order's corrected quantities, and the replayed bust is reported again.
BOOST_AUTO_TEST_CASE(a_restart_restores_trading_status_last_trade_and_busts) {
  TempDir dir;
  auto order = [](std::uint64_t ref, venue::Side side, std::int64_t qty) {
    return day_limit(ref, venue::InstrumentId(2), side, 101, qty);
  };
  const std::vector<m::Command> cmds = {
      m::Command::make(m::TradingStatusCmd{venue::InstrumentId(1), venue::TradingStatus::kHalted}),
      order(1, venue::Side::kSell, 10),  // order id 1, rests
      order(2, venue::Side::kBuy, 4),    // order id 2, trades 4 with order 1 (trade 1)
      order(3, venue::Side::kBuy, 2),    // order id 3, trades 2 with order 1 (trade 2)
      m::Command::make(m::BustTradeCmd{77, venue::TradeId(1)}),
  };
  BustSink live;
  ReadBack before;
  {
    m::Shard shard(settings(dir.path));
    shard.recover();
    shard.start();
    run_through(shard, cmds, live);
    shard.stop();
    while (shard.poll(live, 1024) > 0) {
    }
    before = read_back(shard.engine(), venue::OrderId(1));
  }
  BOOST_REQUIRE_EQUAL(live.trades.size(), 2U);
  BOOST_REQUIRE_EQUAL(live.busts.size(), 1U);
  BOOST_TEST(live.busts[0].request_ref == 77U);
  BOOST_TEST(live.busts[0].resting.live);
  BOOST_TEST(live.busts[0].resting.order.cum_qty.count() == 2);
  BOOST_TEST(live.busts[0].resting.order.leaves_qty.count() == 8);

  auto check = [&](const ReadBack& r, const char* how) {
    BOOST_TEST_CONTEXT(how) {
      BOOST_REQUIRE_EQUAL(r.instruments.size(), 2U);
      BOOST_TEST(r.instruments[0].id == venue::InstrumentId(1));
      BOOST_TEST(r.instruments[0].status == venue::TradingStatus::kHalted);
      BOOST_TEST(r.instruments[0].last_trade.count() == 0);
      BOOST_TEST(r.instruments[1].status == venue::TradingStatus::kOpen);
      BOOST_TEST(r.instruments[1].last_trade.count() == 101);
      BOOST_TEST(r.order_live);
      BOOST_TEST(r.order.cum_qty.count() == 2);  // 4 + 2 filled, the 4 busted
      BOOST_TEST(r.order.leaves_qty.count() == 8);
      BOOST_TEST(r.trades_today == 2U);
    }
  };
  check(before, "before the restart");

  // From the snapshot written at stop.
  {
    m::Shard again(settings(dir.path));
    again.recover();
    check(read_back(again.engine(), venue::OrderId(1)), "from the snapshot");
  }
  // From the journal alone: the bust is replayed, and reported to the replay listener.
  for (const auto& s : m::list_snapshots(m::JournalSettings{dir.path})) fs::remove(s.file);
  BustSink replayed;
  m::Shard again(settings(dir.path, &replayed));
  again.recover();
  check(read_back(again.engine(), venue::OrderId(1)), "from the journal");
  BOOST_REQUIRE_EQUAL(replayed.busts.size(), 1U);
  BOOST_TEST(replayed.busts[0].aggressor.exec_id == live.busts[0].aggressor.exec_id);
  BOOST_TEST(replayed.busts[0].resting.order.leaves_qty.count() == 8);
  // A second bust of the same trade after the restart is refused: the bust itself was journaled.
  BOOST_TEST(again.engine().trades_today() == 2U);
}

// Issue 11 (5): the GTD expiry timer ran only when the command ring was empty, so on a busy shard an
// expired GTD order stayed in the book and traded. Here the shard's clock passes the sell's expiry at the
// moment a crossing buy arrives, so the shard finds a command waiting when the expiry is due: the sell
// must expire before anything matches against it.
BOOST_AUTO_TEST_CASE(an_expired_gtd_order_never_trades_even_when_a_command_is_waiting) {
  TempDir dir;
  constexpr std::int64_t kStart = 1'000'000'000;
  constexpr std::int64_t kExpiry = kStart + 1'000'000'000;
  const auto order = [](std::uint64_t ref, venue::Side side, venue::TimeInForce tif, std::int64_t expire) {
    m::NewOrderCmd c{};
    c.client_ref = ref;
    c.instrument = venue::InstrumentId(1);
    c.owner = m::Owner{venue::SessionId(1), venue::FirmId(1), venue::AccountId(static_cast<std::uint32_t>(ref))};
    c.side = side;
    c.type = venue::OrdType::kLimit;
    c.tif = tif;
    c.expire_time_ns = expire;
    c.price = Price(100);
    c.qty = Qty(5);
    return m::Command::make(c);
  };
  struct Seen : m::EventListener {
    int trades = 0;
    int expired = 0;
    void on_trade(const m::TradeEvent&) override { ++trades; }
    void on_expired(const m::ExpiredEvent&) override { ++expired; }
  } seen;
  auto s = settings(dir.path);
  auto past_expiry = std::make_shared<std::atomic<bool>>(false);
  s.clock = [past_expiry, t = kStart]() mutable {
    t += 1000;
    return past_expiry->load() ? kExpiry + t : t;
  };
  m::Shard shard(s);
  shard.recover();
  shard.start();
  run_through(shard, {order(1, venue::Side::kSell, venue::TimeInForce::kGtd, kExpiry)}, seen);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the shard is parked, waiting for work
  past_expiry->store(true);
  BOOST_REQUIRE(shard.submit(order(2, venue::Side::kBuy, venue::TimeInForce::kDay, 0)));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (shard.stats().commands.load() < 2 && std::chrono::steady_clock::now() < deadline) shard.poll(seen, 1024);
  shard.stop();
  while (shard.poll(seen, 1024) > 0) {
  }
  BOOST_TEST(seen.expired == 1);
  BOOST_TEST(seen.trades == 0, "the buy traded with a sell that had expired");
}

// [engine] thread = "gateway": a shard without a thread of its own applies what was submitted when it is
// polled, on the polling thread, journals it as a threaded shard does, and applies what is still queued
// when it stops (poll() then hands the events over). A restart from its journal finds the same book.
BOOST_AUTO_TEST_CASE(an_inline_shard_applies_commands_when_polled_and_what_is_queued_when_it_stops) {
  TempDir dir;
  auto order = [](std::uint64_t ref, venue::Side side, std::int64_t qty) {
    return day_limit(ref, venue::InstrumentId(1), side, 100, qty);
  };
  auto inline_settings = [&] {
    auto s = settings(dir.path);
    s.inline_engine = true;
    return s;
  };
  BustSink live;
  {
    m::Shard shard(inline_settings());
    shard.recover();
    shard.start();
    BOOST_TEST(shard.running());
    BOOST_REQUIRE(shard.submit(order(1, venue::Side::kSell, 10)));
    BOOST_TEST(shard.stats().commands.load() == 0U, "applied before it was polled: not inline");
    BOOST_TEST(shard.has_output(), "a queued command is output to poll for");
    shard.poll(live, 1024);
    BOOST_TEST(shard.stats().commands.load() == 1U, "the poll applied it");
    BOOST_REQUIRE(shard.submit(order(2, venue::Side::kBuy, 4)));
    shard.poll(live, 1024);
    BOOST_TEST(shard.stats().commands.load() == 2U);
    BOOST_REQUIRE_EQUAL(live.trades.size(), 1U);
    BOOST_REQUIRE(shard.submit(order(3, venue::Side::kBuy, 5)));  // still queued at stop
    shard.stop();
    BOOST_TEST(!shard.running());
    while (shard.poll(live, 1024) > 0) {
    }
    BOOST_TEST(shard.stats().commands.load() == 3U);
    BOOST_REQUIRE_EQUAL(live.trades.size(), 2U);
  }
  for (const auto& s : m::list_snapshots(m::JournalSettings{dir.path})) fs::remove(s.file);
  m::Shard again(settings(dir.path));
  again.recover();
  const ReadBack r = read_back(again.engine(), venue::OrderId(1));
  BOOST_TEST(r.order_live);
  BOOST_TEST(r.order.cum_qty.count() == 9);  // 4 + 5 of the sell's 10
  BOOST_TEST(r.order.leaves_qty.count() == 1);
  BOOST_TEST(r.trades_today == 2U);
}
