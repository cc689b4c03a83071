#define BOOST_TEST_MODULE fix_gateway_report_builder
// Report building as pure functions: the FIX fields a broker reads on each kind of report, prices in the
// instrument's decimals, refusals with the catalogue's code, name and reason field.
#include <boost/test/unit_test.hpp>

#include "gateway_fixture.h"
#include "venue/fix_gateway/report_builder.h"

namespace fg = venue::fix_gateway;
namespace m = venue::matcher;
using fg::test::text;
using venue::RejectCode;

namespace {

constexpr std::int64_t kNoon = 1796558400LL * 1'000'000'000LL;  // 20261206-12:00:00.000

struct Fixture {
  fg::InstrumentTable instruments = fg::test::test_instruments();
  fg::Order order;
  Fixture() {
    order.key = 1;
    order.id = venue::OrderId(77);
    order.clordid = "C1";
    order.instrument = 0;
    order.side = venue::Side::kSell;
    order.type = venue::OrdType::kLimit;
    order.tif = venue::TimeInForce::kGtd;
    order.expire_text = "20261206-18:00:00";
    order.price = 10'150;
    order.qty = 10;
    order.display = 2;
    order.capacity = 'P';
    order.stp = 'O';
    order.post_only = true;
  }
  m::OrderView view(std::int64_t qty, std::int64_t cum, __int128 cum_value) const {
    m::OrderView v{};
    v.qty = venue::Qty(qty);
    v.cum_qty = venue::Qty(cum);
    v.leaves_qty = venue::Qty(qty - cum);
    v.cum_value = cum_value;
    return v;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(an_execution_report_echoes_the_order_as_the_broker_gave_it, Fixture) {
  auto er = fg::execution_report(order, instruments[0], "ALPHA-1", '0', '0', "900", kNoon);
  fg::set_quantities(er, instruments[0], view(10, 0, 0));
  BOOST_TEST(er.type() == "8");
  BOOST_TEST(text(er, 37) == "77");
  BOOST_TEST(text(er, 17) == "900");
  BOOST_TEST(text(er, 11) == "C1");
  BOOST_TEST(text(er, 150) == "0");
  BOOST_TEST(text(er, 39) == "0");
  BOOST_TEST(text(er, 1) == "ALPHA-1");
  BOOST_TEST(text(er, 55) == "ACME");
  BOOST_TEST(text(er, 54) == "2");
  BOOST_TEST(text(er, 40) == "2");
  BOOST_TEST(text(er, 44) == "101.50");  // the tick's two decimals, as brokers write prices
  BOOST_TEST(text(er, 59) == "6");
  BOOST_TEST(text(er, 126) == "20261206-18:00:00");
  BOOST_TEST(text(er, 18) == "6");
  BOOST_TEST(text(er, 111) == "2");
  BOOST_TEST(text(er, 528) == "P");
  BOOST_TEST(text(er, 8000) == "O");
  BOOST_TEST(text(er, 60) == "20261206-12:00:00.000");
  BOOST_TEST(text(er, 38) == "10");
  BOOST_TEST(text(er, 151) == "10");
  BOOST_TEST(text(er, 14) == "0");
  BOOST_TEST(text(er, 6) == "0");
  BOOST_TEST(text(er, 99) == "<absent>");
  order.id = venue::OrderId();
  BOOST_TEST(text(fg::execution_report(order, instruments[0], "", '0', '0', "901", kNoon), 37) == "NONE");
}

BOOST_FIXTURE_TEST_CASE(a_fill_carries_last_qty_price_match_id_and_the_average_price, Fixture) {
  m::TradeEvent trade{};
  trade.qty = venue::Qty(4);
  trade.price = venue::Price(10'150);
  trade.trade_id = venue::TradeId(31);
  auto er = fg::execution_report(order, instruments[0], "ALPHA-1", 'F', '1', "902", kNoon);
  // 4 at 101.50 and 2 at 101.00: AvgPx 101.333... rounded to the catalogue's precision.
  fg::set_quantities(er, instruments[0], view(10, 6, 4 * 10'150 + 2 * 10'100));
  fg::set_fill(er, instruments[0], trade, true);
  BOOST_TEST(text(er, 32) == "4");
  BOOST_TEST(text(er, 31) == "101.50");
  BOOST_TEST(text(er, 880) == "31");
  BOOST_TEST(text(er, 851) == "2");
  BOOST_TEST(text(er, 14) == "6");
  BOOST_TEST(text(er, 151) == "4");
  BOOST_TEST(text(er, 6).rfind("101.3333", 0) == 0, text(er, 6));
  fg::set_fill(er, instruments[0], trade, false);
  BOOST_TEST(text(er, 851) == "1");
}

BOOST_AUTO_TEST_CASE(a_refused_order_echoes_the_request_as_sent_with_the_catalogue_code) {
  const auto request =
      fg::test::fix_message("D", "11=C5|1=ALPHA-1|55=ACME|54=1|38=5.0|40=2|44=100.001|59=0|60=20261206-10:00:00|");
  const auto er = fg::order_reject(fg::RefusedOrder{.clordid = "C5", .request = &request}, RejectCode::kPriceNotOnTick,
                                   "Price(44)", "G1-1", kNoon);
  BOOST_TEST(text(er, 150) == "8");
  BOOST_TEST(text(er, 39) == "8");
  BOOST_TEST(text(er, 37) == "NONE");
  BOOST_TEST(text(er, 103) == "99");
  BOOST_TEST(text(er, 44) == "100.001");  // as sent, not as the venue would write it
  BOOST_TEST(text(er, 38) == "5.0");
  BOOST_TEST(text(er, 151) == "0");
  BOOST_TEST(text(er, 58).rfind("3001 PriceNotOnTick: ", 0) == 0, text(er, 58));
  BOOST_TEST(text(er, 58).find("(Price(44))") != std::string::npos, text(er, 58));
}

BOOST_AUTO_TEST_CASE(a_cancel_reject_says_what_it_answers_and_why) {
  const auto r = fg::cancel_reject(
      {.clordid = "C2", .orig_clordid = "C1", .order_id = "77", .status = '2', .account = "ALPHA-1", .replace = true},
      RejectCode::kOrderNotActive, "", kNoon);
  BOOST_TEST(r.type() == "9");
  BOOST_TEST(text(r, 434) == "2");
  BOOST_TEST(text(r, 39) == "2");
  BOOST_TEST(text(r, 41) == "C1");
  BOOST_TEST(text(r, 102) == "0");  // 1051 OrderNotActive: CxlRejReason 0, too late to cancel
  BOOST_TEST(text(r, 58).rfind("1051 OrderNotActive", 0) == 0, text(r, 58));
}

BOOST_AUTO_TEST_CASE(a_business_reject_refers_to_the_message_it_refuses) {
  const auto request = fg::test::fix_message("D", "11=C7|55=ACME|54=1|38=5|40=2|44=100|60=20261206-10:00:00|");
  const auto r = fg::business_reject(request, RejectCode::kNotAuthorized);
  BOOST_TEST(r.type() == "j");
  BOOST_TEST(text(r, 45) == "2");
  BOOST_TEST(text(r, 372) == "D");
  BOOST_TEST(text(r, 379) == "C7");
  BOOST_TEST(text(r, 380) == "6");
}

BOOST_AUTO_TEST_CASE(a_mass_cancel_report_refuses_with_a_reason_or_counts_what_it_cancelled) {
  const auto refused = fg::mass_cancel_report(
      {.clordid = "M1", .report_id = "G1-MC1", .request_type = '1', .response = '0', .reject_reason = 1},
      RejectCode::kUnknownInstrument, "ZZZ", kNoon);
  BOOST_TEST(text(refused, 531) == "0");
  BOOST_TEST(text(refused, 532) == "1");
  BOOST_TEST(text(refused, 533) == "<absent>");
  BOOST_TEST(text(refused, 58).rfind("1001 UnknownInstrument", 0) == 0, text(refused, 58));
  const auto done = fg::mass_cancel_report(
      {.clordid = "M2", .report_id = "G1-MC2", .request_type = '7', .response = '7', .affected = 12, .side = "1"},
      RejectCode::kNone, "", kNoon);
  BOOST_TEST(text(done, 531) == "7");
  BOOST_TEST(text(done, 533) == "12");
  BOOST_TEST(text(done, 54) == "1");
  BOOST_TEST(text(done, 58) == "<absent>");
}

BOOST_AUTO_TEST_CASE(order_states_and_cancel_reasons_read_as_fix_expects) {
  BOOST_TEST(fg::ord_status(m::OrderState::kPartiallyFilled) == '1');
  BOOST_TEST(fg::ord_status(m::OrderState::kExpired) == 'C');
  BOOST_TEST(fg::cancel_text(m::CancelReason::kSelfTrade) == "cancelled: self-trade prevention");
  BOOST_TEST(fg::code_text(RejectCode::kThrottleExceeded, "5 orders/s").rfind("2020 ThrottleExceeded: ", 0) == 0);
}
