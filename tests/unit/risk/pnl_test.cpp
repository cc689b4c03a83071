#define BOOST_TEST_MODULE risk_pnl
// Exact amounts and the average-cost method, as a risk officer checks them by hand: notional exact,
// realized P&L when a position is reduced, closed, flipped, for longs and shorts; unrealized against a
// mark; rounding only where spec/risk.md says (half-even, 8 decimals shown).
#include <boost/test/unit_test.hpp>

#include "venue/risk/money.h"
#include "venue/risk/position.h"

namespace vr = venue::risk;
using venue::Decimal;
using venue::Side;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }
vr::Amount a(const char* s) { return *vr::Amount::parse(s); }
std::string text(vr::Amount x) { return x.to_string(); }

}  // namespace

BOOST_AUTO_TEST_CASE(amounts_parse_and_print_exactly) {
  BOOST_TEST(text(a("1012.5")) == "1012.5");
  BOOST_TEST(text(a("-0.00000001")) == "-0.00000001");
  BOOST_TEST(a("12.3400000000000000000").exact_string() == "12.34");  // zeros past 16 decimals are fine
  BOOST_TEST(!vr::Amount::parse("1.00000000000000001"));              // 17 significant decimals: refused
  BOOST_TEST(!vr::Amount::parse("1e5"));
  BOOST_TEST(!vr::Amount::parse(""));
  BOOST_TEST(!vr::Amount::parse("-"));
  BOOST_TEST(!vr::Amount::parse("1."));
  BOOST_TEST(text(vr::Amount::product(d("0.001"), d("7.5"))) == "0.0075");
  BOOST_TEST(text(vr::Amount::product(d("123456789.12345678"), d("1000000"))) == "123456789123456.78");
}

BOOST_AUTO_TEST_CASE(people_see_eight_decimals_rounded_half_even) {
  BOOST_TEST(a("0.123456785").to_string() == "0.12345678");  // tie: to even
  BOOST_TEST(a("0.123456775").to_string() == "0.12345678");
  BOOST_TEST(a("0.1234567851").to_string() == "0.12345679");
  BOOST_TEST(a("-2.000000005").to_string() == "-2");
  BOOST_TEST(a("2.5").to_string(0) == "2");
  BOOST_TEST(a("3.5").to_string(0) == "4");
}

BOOST_AUTO_TEST_CASE(a_position_reduced_realizes_against_its_average_cost) {
  vr::PositionFigures p;
  vr::apply_fill(p, Side::kBuy, d("10"), d("100"));
  vr::apply_fill(p, Side::kBuy, d("10"), d("110"));  // long 20 at 105
  BOOST_TEST(vr::average_cost(p.cost, p.net_qty).to_string() == "105");
  vr::apply_fill(p, Side::kSell, d("5"), d("120"));  // realizes 5 * (120 - 105) = 75
  BOOST_TEST(text(p.realized) == "75");
  BOOST_TEST(p.net_qty.to_string() == "15");
  BOOST_TEST(text(p.cost) == "1575");
  BOOST_TEST(text(vr::unrealized(p, d("100"))) == "-75");  // 15 * 100 - 1575
  BOOST_TEST(p.bought_qty.to_string() == "20");
  BOOST_TEST(p.sold_qty.to_string() == "5");
  BOOST_TEST(text(p.bought_notional) == "2100");
  BOOST_TEST(text(p.sold_notional) == "600");
}

BOOST_AUTO_TEST_CASE(a_short_position_gains_when_bought_back_lower) {
  vr::PositionFigures p;
  vr::apply_fill(p, Side::kSell, d("300"), d("25.05"));
  vr::apply_fill(p, Side::kBuy, d("100"), d("24.95"));  // realizes 100 * 0.10
  BOOST_TEST(text(p.realized) == "10");
  BOOST_TEST(p.net_qty.to_string() == "-200");
  BOOST_TEST(vr::average_cost(p.cost, p.net_qty).to_string() == "25.05");
  BOOST_TEST(text(vr::unrealized(p, d("25.00"))) == "10");  // -200 * 25 + 5010
}

BOOST_AUTO_TEST_CASE(a_fill_through_zero_closes_then_opens_at_its_price) {
  vr::PositionFigures p;
  vr::apply_fill(p, Side::kBuy, d("10"), d("100"));
  vr::apply_fill(p, Side::kSell, d("25"), d("90"));  // closes 10 (-100), opens short 15 at 90
  BOOST_TEST(text(p.realized) == "-100");
  BOOST_TEST(p.net_qty.to_string() == "-15");
  BOOST_TEST(text(p.cost) == "-1350");
  vr::apply_fill(p, Side::kBuy, d("15"), d("80"));  // closes the short: +150
  BOOST_TEST(text(p.realized) == "50");
  BOOST_TEST(p.net_qty.units() == 0);
  BOOST_TEST(p.cost.is_zero());  // flat means no cost left, exactly
}

BOOST_AUTO_TEST_CASE(uneven_thirds_leave_no_residue_when_closed) {
  // Average cost 100/3 cannot be written in decimals: the share removed per fill is rounded at 1e-16,
  // and closing the rest removes exactly what is left.
  vr::PositionFigures p;
  vr::apply_fill(p, Side::kBuy, d("1"), d("33"));
  vr::apply_fill(p, Side::kBuy, d("1"), d("33"));
  vr::apply_fill(p, Side::kBuy, d("1"), d("34"));
  vr::apply_fill(p, Side::kSell, d("1"), d("40"));
  BOOST_TEST(text(p.realized) == "6.66666667");  // 40 - 33.333...
  vr::apply_fill(p, Side::kSell, d("2"), d("40"));
  BOOST_TEST(text(p.realized) == "20");  // 120 - 100, whatever the rounding on the way
  BOOST_TEST(p.cost.is_zero());
}

BOOST_AUTO_TEST_CASE(huge_positions_do_not_overflow) {
  vr::PositionFigures p;
  vr::apply_fill(p, Side::kBuy, d("900000000"), d("99999.99"));  // ~9e13 of notional
  vr::apply_fill(p, Side::kSell, d("300000000"), d("100000"));
  BOOST_TEST(text(p.realized) == "3000000");
  BOOST_TEST(text(p.cost) == "59999994000000");
}

BOOST_AUTO_TEST_CASE(percentages_are_exact_at_the_edge) {
  BOOST_TEST(vr::at_or_above_percent(a("50"), a("100"), 50));
  BOOST_TEST(!vr::at_or_above_percent(a("49.99999999"), a("100"), 50));
  BOOST_TEST(vr::percent_text(a("1"), a("3")) == "33.33");
  BOOST_TEST(vr::percent_text(a("250000"), a("200000")) == "125");
}
