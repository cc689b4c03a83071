#define BOOST_TEST_MODULE fix_gateway_fix_text
// UTCTimestamp text as brokers send it (ExpireTime, TransactTime): parsed exactly, or refused.
#include <boost/test/unit_test.hpp>

#include "venue/fix_session/fix_text.h"

namespace fsn = venue::fix_session;

BOOST_AUTO_TEST_CASE(timestamps_parse_to_nanoseconds_and_format_back) {
  const auto t = fsn::parse_utc_timestamp("20261127-12:34:56.789");
  BOOST_REQUIRE(t.has_value());
  BOOST_TEST(*t == 1'795'782'896'789'000'000LL);
  BOOST_TEST(fsn::utc_timestamp(*t) == "20261127-12:34:56.789");
  BOOST_TEST(fsn::parse_utc_timestamp("20261127-12:34:56").value() == 1'795'782'896'000'000'000LL);
  BOOST_TEST(fsn::parse_utc_timestamp("20261127-12:34:56.123456789").value() == 1'795'782'896'123'456'789LL);
}

BOOST_AUTO_TEST_CASE(malformed_or_out_of_range_timestamps_are_refused) {
  for (const char* bad :
       {"", "20261127", "20261127 12:34:56", "20261327-12:34:56", "20261127-24:00:00", "20261127-12:34:56.",
        "20261127-12:34:56.1234567890", "2026112a-12:34:56", "19691231-23:59:59"}) {
    BOOST_TEST(!fsn::parse_utc_timestamp(bad).has_value(), bad);
  }
  // Nanoseconds since 1970 in an int64 end on 2262-04-11: later dates are refused rather than wrapped
  // into the past (a GTD order would otherwise expire at once). Found by the fuzzer.
  BOOST_TEST(fsn::parse_utc_timestamp("22620101-00:00:00").has_value());
  BOOST_TEST(!fsn::parse_utc_timestamp("28300101-00:00:00").has_value());
  BOOST_TEST(!fsn::parse_utc_timestamp("99991231-23:59:59").has_value());
}

BOOST_AUTO_TEST_CASE(raw_fields_are_found_by_tag_not_by_text) {
  const std::string m =
      "8=FIX.4.4\x01"
      "9=40\x01"
      "35=8\x01"
      "58=60=x\x01"
      "60=20261127-12:34:56\x01"
      "10=000\x01";
  BOOST_TEST(fsn::raw_field(m, "35").value() == "8");
  BOOST_TEST(fsn::raw_field(m, "8").value() == "FIX.4.4");
  BOOST_TEST(fsn::raw_field(m, "60").value() == "20261127-12:34:56");  // not the "60=x" inside 58
  BOOST_TEST(fsn::raw_field(m, "58").value() == "60=x");
  BOOST_TEST(!fsn::raw_field(m, "5").has_value());
  BOOST_TEST(!fsn::raw_field(m, "97").has_value());
  BOOST_TEST(!fsn::raw_field("35=8", "35").has_value());  // no closing SOH: not a whole field
}
