#define BOOST_TEST_MODULE compliance_rules
// The surveillance rules as an officer meets them: each fires on its pattern, with the orders and fills
// as evidence, and stays quiet on a near miss (one condition short). Reports are fed as the venue would
// publish them, in venue-seq order.
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "venue/compliance/surveillance.h"

namespace cp = venue::compliance;

namespace {

constexpr std::int64_t kOne = 100'000'000;
constexpr std::int64_t kT0 = 1'765'000'000'000'000'000;  // ns

// A tiny venue: order ids, exec ids, trade ids, time, and the reports it would publish.
class Feed {
 public:
  explicit Feed(cp::SurveillanceConfig cfg) : s_(std::move(cfg)) {}

  // A resting limit order: its acknowledgement. Returns the OrderID.
  std::string rest(const std::string& account, char side, const std::string& sym, double px, std::int64_t qty) {
    std::string id = std::to_string(++order_);
    live_[id] = {account, side, sym, to_units(px), qty * kOne, qty * kOne};
    report(make('0', id, "0"));
    return id;
  }
  void cancel(const std::string& id) {
    auto e = make('4', id, "4");
    e.orig_cl_ord_id = "C" + id;
    e.leaves = 0;
    live_.erase(id);
    report(e);
  }
  // `account` takes `qty` from resting order `resting` with a new aggressive order (fills both sides).
  void take(const std::string& account, const std::string& resting, std::int64_t qty) {
    const auto& r = live_.at(resting);
    const std::string id = std::to_string(++order_);
    live_[id] = {account, r.side == '1' ? '2' : '1', r.symbol, r.price, qty * kOne, qty * kOne};
    const std::string match = std::to_string(++match_);
    auto passive = make('F', resting, "1");
    passive.liquidity = '1';
    passive.trd_match_id = match;
    passive.last_qty = qty * kOne;
    passive.last_px = r.price;
    passive.leaves = live_[resting].leaves -= qty * kOne;
    auto aggressor = make('F', id, "2");
    aggressor.liquidity = '2';
    aggressor.trd_match_id = match;
    aggressor.last_qty = qty * kOne;
    aggressor.last_px = r.price;
    aggressor.leaves = 0;
    report(aggressor);
    report(passive);
    live_.erase(id);
  }
  void wait_ms(std::int64_t ms) { now_ += ms * 1'000'000; }
  std::vector<cp::Alert>& alerts() { return alerts_; }
  std::size_t count(const std::string& rule) const {
    std::size_t n = 0;
    for (const auto& a : alerts_) n += a.rule == rule ? 1U : 0U;
    return n;
  }

 private:
  struct Order {
    std::string account;
    char side;
    std::string symbol;
    std::int64_t price;
    std::int64_t qty;
    std::int64_t leaves;
  };
  static std::int64_t to_units(double px) { return std::llround(px * 100) * (kOne / 100); }
  cp::Event make(char exec_type, const std::string& id, const char* status) {
    const auto& o = live_.at(id);
    cp::Event e;
    e.exec_type = exec_type;
    e.side = o.side;
    e.ord_type = '2';
    e.tif = '0';
    e.ord_status = status[0];
    e.order_id = id;
    e.account = o.account;
    e.firm = o.account.substr(0, o.account.find('-'));
    e.symbol = o.symbol;
    e.order_qty = o.qty;
    e.price = o.price;
    e.leaves = o.leaves;
    return e;
  }
  void report(cp::Event e) {
    e.venue_seq = ++seq_;
    e.exec_id = "E" + std::to_string(seq_);
    now_ += 1'000'000;  // 1 ms between reports
    e.time_ns = now_;
    s_.on_event(e, alerts_);
  }

  cp::Surveillance s_;
  std::map<std::string, Order> live_;
  std::vector<cp::Alert> alerts_;
  std::uint64_t seq_ = 0;
  std::uint64_t order_ = 0;
  std::uint64_t match_ = 0;
  std::int64_t now_ = kT0;
};

cp::SurveillanceConfig config() {
  cp::SurveillanceConfig c;
  c.owners.push_back({"ALPHA-HOUSE", {"ALPHA-1", "ALPHA-2"}});
  c.spoofing = {true, 500, 3, 50, 3000, 10000};
  c.order_to_trade = {true, 60, 20, 10};
  c.momentum_ignition = {true, 10000, 3, 20, 10000};
  return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_trade_between_two_accounts_of_one_owner_is_a_wash_trade) {
  Feed f(config());
  const auto sell = f.rest("ALPHA-1", '2', "W", 100.00, 10);
  f.take("ALPHA-2", sell, 10);
  BOOST_TEST_REQUIRE(f.count("wash_trade") == 1U);
  const auto& a = f.alerts().front();
  BOOST_TEST(a.owner == "ALPHA-HOUSE");
  BOOST_TEST(a.evidence.size() == 2U);
  BOOST_TEST(a.evidence[0].exec_id != a.evidence[1].exec_id);
}

BOOST_AUTO_TEST_CASE(a_trade_between_different_owners_is_not_a_wash_trade) {
  Feed f(config());
  const auto sell = f.rest("ALPHA-1", '2', "W", 100.00, 10);
  f.take("BETA-1", sell, 10);
  BOOST_TEST(f.count("wash_trade") == 0U);
}

BOOST_AUTO_TEST_CASE(layered_orders_near_the_touch_cancelled_after_a_trade_on_the_other_side_are_spoofing) {
  Feed f(config());
  f.rest("BETA-1", '1', "SP", 99.90, 10);
  const auto ask = f.rest("BETA-1", '2', "SP", 100.10, 10);
  const auto a = f.rest("ALPHA-1", '2', "SP", 100.10, 100);
  const auto b = f.rest("ALPHA-1", '2', "SP", 100.11, 100);
  const auto c = f.rest("ALPHA-1", '2', "SP", 100.12, 100);
  f.take("ALPHA-2", ask, 10);  // the same owner buys
  f.cancel(a);
  f.cancel(b);
  BOOST_TEST(f.count("spoofing") == 0U);  // two orders: not yet many
  f.cancel(c);
  BOOST_TEST_REQUIRE(f.count("spoofing") == 1U);
  const auto& al = f.alerts().back();
  BOOST_TEST(al.evidence.size() == 7U);  // 3 placed, 3 cancelled, 1 fill on the other side
}

BOOST_AUTO_TEST_CASE(orders_far_from_the_touch_or_slow_to_cancel_or_without_a_trade_are_not_spoofing) {
  {  // far from the touch
    Feed f(config());
    const auto ask = f.rest("BETA-1", '2', "SP", 100.10, 10);
    const auto a = f.rest("ALPHA-1", '2', "SP", 105.00, 1000);
    f.take("ALPHA-2", ask, 10);
    f.cancel(a);
    BOOST_TEST(f.count("spoofing") == 0U);
  }
  {  // cancelled after max_lifetime_ms
    Feed f(config());
    const auto ask = f.rest("BETA-1", '2', "SP", 100.10, 10);
    const auto a = f.rest("ALPHA-1", '2', "SP", 100.10, 1000);
    f.take("ALPHA-2", ask, 10);
    f.wait_ms(3500);
    f.cancel(a);
    BOOST_TEST(f.count("spoofing") == 0U);
  }
  {  // no trade on the other side
    Feed f(config());
    f.rest("BETA-1", '2', "SP", 100.10, 10);
    const auto a = f.rest("ALPHA-1", '2', "SP", 100.10, 1000);
    f.cancel(a);
    BOOST_TEST(f.count("spoofing") == 0U);
  }
  {  // large and near, with the trade: fires (the pattern the near misses miss)
    Feed f(config());
    const auto ask = f.rest("BETA-1", '2', "SP", 100.10, 10);
    const auto a = f.rest("ALPHA-1", '2', "SP", 100.10, 1000);
    f.take("ALPHA-2", ask, 10);
    f.cancel(a);
    BOOST_TEST(f.count("spoofing") == 1U);
  }
}

BOOST_AUTO_TEST_CASE(many_orders_without_fills_exceed_the_order_to_trade_ratio_once_per_window) {
  Feed f(config());
  std::vector<std::string> ids;
  ids.reserve(20);
  for (int i = 0; i < 19; ++i) ids.push_back(f.rest("GAMMA-1", '1', "OT", 90.00, 1));
  BOOST_TEST(f.count("order_to_trade") == 0U);  // 19 < min_orders
  ids.push_back(f.rest("GAMMA-1", '1', "OT", 90.00, 1));
  BOOST_TEST_REQUIRE(f.count("order_to_trade") == 1U);
  BOOST_TEST(f.alerts().back().figures["order_messages"] == 20);
  for (const auto& id : ids) f.cancel(id);
  BOOST_TEST(f.count("order_to_trade") == 1U);  // once per window
}

BOOST_AUTO_TEST_CASE(enough_fills_keep_the_order_to_trade_ratio_below_the_limit) {
  Feed f(config());
  for (int i = 0; i < 3; ++i) f.take("GAMMA-1", f.rest("BETA-1", '2', "OT", 100.00, 1), 1);
  for (int i = 0; i < 19; ++i) f.rest("GAMMA-1", '1', "OT", 90.00, 1);
  // 22 order messages, 3 fills: 22 < 10 x 3.
  BOOST_TEST(f.count("order_to_trade") == 0U);
}

BOOST_AUTO_TEST_CASE(aggressive_orders_that_move_the_price_then_a_reversal_are_momentum_ignition) {
  Feed f(config());
  const auto a1 = f.rest("BETA-1", '2', "MI", 100.00, 5);
  const auto a2 = f.rest("BETA-1", '2', "MI", 100.10, 5);
  const auto a3 = f.rest("BETA-1", '2', "MI", 100.20, 5);
  f.take("GAMMA-1", a1, 5);
  f.take("GAMMA-1", a2, 5);
  f.take("GAMMA-1", a3, 5);
  BOOST_TEST(f.count("momentum_ignition") == 0U);
  const auto bid = f.rest("BETA-2", '1', "MI", 100.15, 15);
  f.take("GAMMA-1", bid, 15);
  BOOST_TEST_REQUIRE(f.count("momentum_ignition") == 1U);
  BOOST_TEST(f.alerts().back().figures["move_bps"] == 20);
  BOOST_TEST(f.alerts().back().evidence.size() == 4U);
}

BOOST_AUTO_TEST_CASE(a_small_move_or_no_reversal_is_not_momentum_ignition) {
  {
    Feed f(config());
    for (double px : {100.00, 100.01, 100.02}) f.take("GAMMA-1", f.rest("BETA-1", '2', "MI", px, 5), 5);
    f.take("GAMMA-1", f.rest("BETA-2", '1', "MI", 100.01, 15), 15);
    BOOST_TEST(f.count("momentum_ignition") == 0U);
  }
  {
    Feed f(config());
    for (double px : {100.00, 100.10, 100.20}) f.take("GAMMA-1", f.rest("BETA-1", '2', "MI", px, 5), 5);
    f.wait_ms(11000);  // the reversal comes too late
    f.take("GAMMA-1", f.rest("BETA-2", '1', "MI", 100.15, 15), 15);
    BOOST_TEST(f.count("momentum_ignition") == 0U);
  }
}

BOOST_AUTO_TEST_CASE(alert_ids_are_the_rule_and_the_trigger_venue_seq) {
  Feed f(config());
  f.take("ALPHA-2", f.rest("ALPHA-1", '2', "W", 100.00, 10), 10);
  BOOST_TEST_REQUIRE(f.alerts().size() == 1U);
  BOOST_TEST(f.alerts()[0].id == "wash_trade-" + std::to_string(f.alerts()[0].trigger_seq));
}
