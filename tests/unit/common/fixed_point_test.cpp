#define BOOST_TEST_MODULE fixed_point
#include <boost/test/unit_test.hpp>
#include <limits>

#include "support/printers.h"
#include "venue/common/fixed_point.h"

using venue::Decimal;
using venue::NumError;
using venue::Price;
using venue::Qty;
using venue::Rounding;

namespace {

Decimal dec(std::string_view s) {
  auto d = Decimal::parse(s);
  BOOST_REQUIRE_MESSAGE(d.ok(), "parse failed: " << s);
  return *d;
}

NumError parse_error(std::string_view s) {
  auto d = Decimal::parse(s);
  BOOST_REQUIRE_MESSAGE(!d.ok(), "parse should fail: " << s);
  return d.error();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(decimal_text)

BOOST_AUTO_TEST_CASE(prices_as_brokers_send_them_parse_exactly) {
  BOOST_TEST(dec("101.25").units() == 10'125'000'000);
  BOOST_TEST(dec("0.00000001").units() == 1);
  BOOST_TEST(dec("-0.5").units() == -50'000'000);
  BOOST_TEST(dec("100").units() == 10'000'000'000);
  BOOST_TEST(dec("100.").units() == 10'000'000'000);
  BOOST_TEST(dec(".5").units() == 50'000'000);
  BOOST_TEST(dec("007.10").units() == 710'000'000);
}

BOOST_AUTO_TEST_CASE(trailing_zeros_beyond_eight_decimals_are_not_rounding) {
  BOOST_TEST(dec("1.0000000000").units() == Decimal::kOne);
  BOOST_TEST(parse_error("1.000000001") == NumError::kTooManyDecimals);
}

BOOST_AUTO_TEST_CASE(bad_text_is_refused_with_a_reason) {
  BOOST_TEST(parse_error("") == NumError::kEmpty);
  BOOST_TEST(parse_error("-") == NumError::kBadCharacter);
  BOOST_TEST(parse_error(".") == NumError::kBadCharacter);
  BOOST_TEST(parse_error("+1") == NumError::kBadCharacter);
  BOOST_TEST(parse_error("1e5") == NumError::kBadCharacter);
  BOOST_TEST(parse_error("1.2.3") == NumError::kBadCharacter);
  BOOST_TEST(parse_error(" 1") == NumError::kBadCharacter);
  BOOST_TEST(parse_error("1,5") == NumError::kBadCharacter);
  BOOST_TEST(parse_error("--1") == NumError::kBadCharacter);
  BOOST_TEST(parse_error("NaN") == NumError::kBadCharacter);
}

BOOST_AUTO_TEST_CASE(values_beyond_int64_overflow_instead_of_wrapping) {
  // int64 max is 92233720368.54775807 in units of 1e-8.
  BOOST_TEST(dec("92233720368.54775807").units() == std::numeric_limits<std::int64_t>::max());
  BOOST_TEST(dec("-92233720368.54775808").units() == std::numeric_limits<std::int64_t>::min());
  BOOST_TEST(parse_error("92233720368.54775808") == NumError::kOverflow);
  BOOST_TEST(parse_error("92233720369") == NumError::kOverflow);
  BOOST_TEST(parse_error("99999999999999999999999") == NumError::kOverflow);
}

BOOST_AUTO_TEST_CASE(formatting_is_shortest_exact_and_round_trips) {
  for (const char* s : {"101.25", "0", "-0.5", "100", "0.00000001", "92233720368.54775807", "-92233720368.54775808"}) {
    BOOST_TEST(dec(s).to_string() == s);
  }
  BOOST_TEST(dec("1.50").to_string() == "1.5");
  BOOST_TEST(Decimal().to_string() == "0");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(instrument_units)

BOOST_AUTO_TEST_CASE(price_on_the_tick_converts_and_off_the_tick_is_refused) {
  const auto tick = dec("0.05");
  BOOST_TEST(venue::to_price(dec("101.25"), tick)->count() == 2025);
  BOOST_TEST(venue::to_price(dec("101.27"), tick).error() == NumError::kNotOnTick);
  BOOST_TEST(venue::to_decimal(Price(2025), tick)->to_string() == "101.25");
}

BOOST_AUTO_TEST_CASE(quantity_off_the_lot_is_refused) {
  const auto lot = dec("100");
  BOOST_TEST(venue::to_qty(dec("2500"), lot)->count() == 25);
  BOOST_TEST(venue::to_qty(dec("2550"), lot).error() == NumError::kNotLotMultiple);
  BOOST_TEST(venue::to_qty(dec("1"), Decimal()).error() == NumError::kZeroDivisor);
}

BOOST_AUTO_TEST_CASE(converting_back_to_text_detects_overflow) {
  BOOST_TEST(venue::to_decimal(Price(std::numeric_limits<std::int64_t>::max()), dec("0.01")).error() ==
             NumError::kOverflow);
}

BOOST_AUTO_TEST_CASE(notional_is_exact_and_overflow_is_reported) {
  // 1,000 shares (10 lots of 100) at 101.25 = 101,250.
  auto n = venue::notional(Price(2025), dec("0.05"), Qty(10), dec("100"));
  BOOST_TEST(n->to_string() == "101250");
  auto big = venue::notional(Price(1'000'000'000), dec("1"), Qty(1'000'000'000), dec("1"));
  BOOST_TEST(big.error() == NumError::kOverflow);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(arithmetic)

BOOST_AUTO_TEST_CASE(checked_arithmetic_reports_overflow_at_the_edges) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  BOOST_TEST(!venue::checked_add(kMax, 1).has_value());
  BOOST_TEST(*venue::checked_add(kMax - 1, 1) == kMax);
  BOOST_TEST(!venue::checked_sub(kMin, 1).has_value());
  BOOST_TEST(!venue::checked_mul(kMax / 2 + 1, 2).has_value());
  BOOST_TEST(!venue::checked_add(Qty(kMax), Qty(1)).has_value());
  BOOST_TEST(venue::checked_sub(Qty(5), Qty(7))->count() == -2);
}

BOOST_AUTO_TEST_CASE(rounding_modes_round_as_named) {
  using venue::divide_rounded;
  BOOST_TEST(*divide_rounded(5, 2, Rounding::kHalfEven) == 2);
  BOOST_TEST(*divide_rounded(7, 2, Rounding::kHalfEven) == 4);
  BOOST_TEST(*divide_rounded(5, 2, Rounding::kHalfUp) == 3);
  BOOST_TEST(*divide_rounded(-5, 2, Rounding::kHalfUp) == -3);
  BOOST_TEST(*divide_rounded(-5, 2, Rounding::kHalfEven) == -2);
  BOOST_TEST(*divide_rounded(7, 3, Rounding::kDown) == 2);
  BOOST_TEST(*divide_rounded(-7, 3, Rounding::kDown) == -3);
  BOOST_TEST(*divide_rounded(7, 3, Rounding::kUp) == 3);
  BOOST_TEST(*divide_rounded(7, -3, Rounding::kDown) == -3);
  BOOST_TEST(divide_rounded(1, 0, Rounding::kDown).error() == NumError::kZeroDivisor);
  const __int128 huge = static_cast<__int128>(1) << 80;
  BOOST_TEST(divide_rounded(huge, 1, Rounding::kDown).error() == NumError::kOverflow);
}

BOOST_AUTO_TEST_CASE(average_price_of_fills_is_rounded_half_even_to_eight_decimals) {
  const auto tick = dec("0.01");
  // 1 lot at 10.00 and 2 lots at 10.01: (1000 + 2*1001) / 3 ticks = 1000.666.. ticks = 10.00666667
  BOOST_TEST(venue::average_price(1000 + 2 * 1001, Qty(3), tick)->to_string() == "10.00666667");
  BOOST_TEST(venue::average_price(0, Qty(0), tick)->to_string() == "0");
  BOOST_TEST(venue::average_price(3000, Qty(3), tick)->to_string() == "10");
}

BOOST_AUTO_TEST_CASE(average_price_at_the_largest_prices_and_quantities_is_exact) {
  // 4e18 lots filled at 920,000,000,000.00 less one tick and 920,000,000,000.00: the largest price a 0.01 tick
  // allows; sum(ticks x lots) is about 3.7e32.
  const __int128 lots = 4'000'000'000'000'000'000LL;
  const __int128 top = 9'200'000'000'000LL;
  const auto avg = venue::average_price(lots * (top - 1) + lots * top, Qty(8'000'000'000'000'000'000LL), dec("0.01"));
  BOOST_TEST_REQUIRE(static_cast<bool>(avg));
  BOOST_TEST(avg->to_string() == "91999999999.995");
}

BOOST_AUTO_TEST_SUITE_END()
