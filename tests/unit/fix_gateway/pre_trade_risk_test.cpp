#define BOOST_TEST_MODULE fix_gateway_pre_trade_risk
// Pre-trade risk as a broker meets it, without a socket or an engine: each check refuses with its code
// and says the limit, and lets through what is exactly at the limit.
#include <boost/test/unit_test.hpp>

#include "gateway_fixture.h"
#include "venue/fix_gateway/pre_trade_risk.h"

namespace fg = venue::fix_gateway;
using venue::AccountId;
using venue::FirmId;
using venue::OrdType;
using venue::RejectCode;

namespace {

struct Fixture {
  fg::GatewayConfig cfg = fg::test::test_config();
  fg::InstrumentTable instruments = fg::test::test_instruments();
  fg::PreTradeRisk risk{cfg.price_collar_bps};
  const fg::AccountConfig& limited = *cfg.account("ALPHA-1");  // 50 lots, 100000 notional, 150000 credit
  const fg::AccountConfig& free = *cfg.account("ALPHA-2");
  const fg::Instrument& acme = instruments[0];
  std::string detail;
  __int128 units = 0;

  RejectCode check(const fg::AccountConfig& a, fg::PreTradeRisk::Order o, const fg::Instrument* in = nullptr) {
    detail.clear();
    return risk.check(FirmId(7), a, in != nullptr ? *in : acme, o, detail, units);
  }
};

__int128 currency(std::int64_t whole) { return static_cast<__int128>(whole) * venue::Decimal::kOne; }

}  // namespace

BOOST_FIXTURE_TEST_CASE(an_order_within_every_limit_passes_with_its_notional, Fixture) {
  BOOST_TEST((check(limited, {OrdType::kLimit, 10'150, 0, 10, 0}) == RejectCode::kNone));
  BOOST_TEST((units == currency(1015)));  // 10 x 101.50
}

BOOST_FIXTURE_TEST_CASE(the_kill_switch_refuses_an_account_its_firm_and_the_session_firm, Fixture) {
  risk.block(AccountId(70), true);
  BOOST_TEST((check(limited, {OrdType::kLimit, 10'000, 0, 1, 0}) == RejectCode::kKillSwitchActive));
  BOOST_TEST((check(free, {OrdType::kLimit, 10'000, 0, 1, 0}) == RejectCode::kNone));  // another account
  risk.block(AccountId(70), false);
  BOOST_TEST((check(limited, {OrdType::kLimit, 10'000, 0, 1, 0}) == RejectCode::kNone));
  risk.block(FirmId(7), true);
  BOOST_TEST((check(free, {OrdType::kLimit, 10'000, 0, 1, 0}) == RejectCode::kKillSwitchActive));
  risk.block(FirmId(7), false);
  // A session of a blocked firm trading for an account of another firm is refused too.
  risk.block(FirmId(7), true);
  const fg::AccountConfig& beta = *cfg.account("BETA-1");
  BOOST_TEST((check(beta, {OrdType::kLimit, 10'000, 0, 1, 0}) == RejectCode::kKillSwitchActive));
}

BOOST_FIXTURE_TEST_CASE(maximum_quantity_is_inclusive, Fixture) {
  BOOST_TEST((check(limited, {OrdType::kLimit, 10'000, 0, 50, 0}) == RejectCode::kNone));
  BOOST_TEST((check(limited, {OrdType::kLimit, 10'000, 0, 51, 0}) == RejectCode::kMaxOrderQtyExceeded));
  BOOST_TEST(detail == "limit 50 lots");
  BOOST_TEST((check(free, {OrdType::kLimit, 10'000, 0, 5000, 0}) == RejectCode::kNone));  // no limit configured
}

BOOST_FIXTURE_TEST_CASE(notional_is_judged_at_the_limit_the_stop_or_the_last_trade, Fixture) {
  // 100000 at most: 40 lots at 2500.00 is exactly the limit; one tick more is refused.
  fg::Instrument far = acme;
  far.spec.reference_price = venue::Price(250'000);
  BOOST_TEST((check(limited, {OrdType::kLimit, 250'000, 0, 40, 0}, &far) == RejectCode::kNone));
  BOOST_TEST((check(limited, {OrdType::kLimit, 250'001, 0, 40, 0}, &far) == RejectCode::kMaxNotionalExceeded));
  BOOST_TEST(detail == "limit 100000");
  // A stop order at its stop price.
  BOOST_TEST((check(limited, {OrdType::kStop, 0, 250'001, 40, 0}, &far) == RejectCode::kMaxNotionalExceeded));
  // A market order at the last trade price, else the reference price.
  BOOST_TEST((check(limited, {OrdType::kMarket, 0, 0, 40, 0}, &far) == RejectCode::kNone));
  far.last_trade = 260'000;
  BOOST_TEST((check(limited, {OrdType::kMarket, 0, 0, 40, 0}, &far) == RejectCode::kMaxNotionalExceeded));
}

BOOST_FIXTURE_TEST_CASE(the_collar_is_around_the_last_trade_else_the_reference, Fixture) {
  // 1000 bps = 10 % around 100.00.
  BOOST_TEST((check(free, {OrdType::kLimit, 11'000, 0, 1, 0}) == RejectCode::kNone));
  BOOST_TEST((check(free, {OrdType::kLimit, 11'001, 0, 1, 0}) == RejectCode::kPriceCollar));
  BOOST_TEST(detail == "collar 1000 bps around 100");
  BOOST_TEST((check(free, {OrdType::kLimit, 8'999, 0, 1, 0}) == RejectCode::kPriceCollar));
  fg::Instrument traded = acme;
  traded.last_trade = 12'000;
  BOOST_TEST((check(free, {OrdType::kLimit, 13'000, 0, 1, 0}, &traded) == RejectCode::kNone));
  BOOST_TEST((check(free, {OrdType::kLimit, 10'000, 0, 1, 0}, &traded) == RejectCode::kPriceCollar));
  // Market and stop orders have no limit price to collar.
  BOOST_TEST((check(free, {OrdType::kStop, 0, 20'000, 1, 0}) == RejectCode::kNone));
}

BOOST_FIXTURE_TEST_CASE(credit_counts_the_account_open_notional_and_a_replace_gives_its_own_back, Fixture) {
  BOOST_TEST((check(limited, {OrdType::kLimit, 10'000, 0, 50, 0}) == RejectCode::kNone));
  risk.add_open(AccountId(70), units);  // 5000 open
  risk.add_open(AccountId(70), currency(144'000));
  // 149000 open: 1000.00 more is at the limit of 150000, 1000.01 over it.
  fg::Instrument dear = acme;
  dear.spec.reference_price = venue::Price(100'000);
  BOOST_TEST((check(limited, {OrdType::kLimit, 100'000, 0, 1, 0}, &dear) == RejectCode::kNone));
  BOOST_TEST((check(limited, {OrdType::kLimit, 100'001, 0, 1, 0}, &dear) == RejectCode::kCreditLimitExceeded));
  BOOST_TEST(detail == "limit 150000");
  // A replace of an order holding 5000 of it: 50 lots at 100.20 needs 5010, 5000 of which it already holds.
  BOOST_TEST((check(limited, {OrdType::kLimit, 10'020, 0, 50, currency(5'000)}) == RejectCode::kNone));
  BOOST_TEST((check(limited, {OrdType::kLimit, 10'020, 0, 50, 0}) == RejectCode::kCreditLimitExceeded));
  BOOST_TEST((risk.open(AccountId(70)) == currency(149'000)));
}

BOOST_FIXTURE_TEST_CASE(notional_is_exact_in_lots_of_the_instrument, Fixture) {
  // BIG: lot 100, tick 0.05: 3 lots at 500 ticks (25.00) = 300 shares x 25.00 = 7500.
  BOOST_TEST((fg::PreTradeRisk::notional_units(instruments[1], 3, 500) == currency(7'500)));
  BOOST_TEST((fg::PreTradeRisk::notional_units(instruments[1], 0, 500) == 0));
  BOOST_TEST((fg::PreTradeRisk::notional_units(instruments[1], 3, 0) == 0));
}

BOOST_FIXTURE_TEST_CASE(a_market_order_with_nothing_to_value_it_is_refused_where_limits_apply, Fixture) {
  // No last trade and no reference price: a limited account cannot have the order valued, so it is
  // refused (1042) rather than let through as worth nothing; an account without money limits trades.
  fg::Instrument bare = acme;
  bare.spec.reference_price = venue::Price(0);
  bare.last_trade = 0;
  BOOST_TEST((check(limited, {OrdType::kMarket, 0, 0, 1, 0}, &bare) == RejectCode::kMarketOrderNoReference));
  BOOST_TEST(!detail.empty());
  BOOST_TEST((check(free, {OrdType::kMarket, 0, 0, 1, 0}, &bare) == RejectCode::kNone));
  bare.last_trade = 10'000;
  BOOST_TEST((check(limited, {OrdType::kMarket, 0, 0, 1, 0}, &bare) == RejectCode::kNone));
}

BOOST_FIXTURE_TEST_CASE(a_kill_switch_refusal_says_why_the_switch_was_engaged, Fixture) {
  risk.block(FirmId(7), true, "risk: daily loss limit");
  BOOST_TEST((check(free, {OrdType::kLimit, 10'000, 0, 1, 0}) == RejectCode::kKillSwitchActive));
  BOOST_TEST(detail == "risk: daily loss limit");
}
