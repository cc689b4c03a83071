#define BOOST_TEST_MODULE fix_gateway_fix_text
// UTCTimestamp text as brokers send it (ExpireTime, TransactTime): parsed exactly, or refused.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

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

// Timestamps formatted from the per-second cache: every millisecond of a second, the next second and a
// date change give the same text as formatting from scratch (gmtime_r).
BOOST_AUTO_TEST_CASE(cached_timestamps_match_formatting_from_scratch) {
  const std::int64_t base = 1'795'823'999'000'000'000LL;  // 20261127-23:59:59.000
  for (std::int64_t ms = 0; ms < 2'500; ms += 7) {
    const std::int64_t ns = base + ms * 1'000'000 + 999'999;
    const auto secs = static_cast<std::time_t>(ns / 1'000'000'000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char want[32];
    std::snprintf(want, sizeof want, "%04d%02d%02d-%02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>((ns / 1'000'000) % 1000));
    BOOST_TEST(fsn::utc_timestamp(ns) == std::string(want));
  }
  BOOST_TEST(fsn::utc_timestamp(base) == "20261127-23:59:59.000");
  BOOST_TEST(fsn::utc_timestamp(base + 1'001'000'000) == "20261128-00:00:00.001");
}

// Fields added to a serialized message land where QuickFIX puts them (tag order in the body), with the
// BodyLength and CheckSum QuickFIX computes: the same bytes as serializing the message with them set.
BOOST_AUTO_TEST_CASE(body_fields_are_added_as_quickfix_would_serialize_them) {
  FIX::Message m;
  m.getHeader().setField(8, "FIX.4.4");
  m.getHeader().setField(35, "8");
  m.getHeader().setField(49, "VENUE");
  m.getHeader().setField(56, "LOAD");
  m.getHeader().setField(34, "12345");
  m.getHeader().setField(52, "20261127-12:34:56.789");
  for (const auto& [tag, value] : std::vector<std::pair<int, std::string>>{
           {1, "LOAD-1"}, {6, "100"}, {11, "abc-1"}, {37, "17"}, {150, "F"}, {851, "2"}, {9000, "z"}}) {
    m.setField(tag, value);
  }
  const std::string without = m.toString();
  for (const auto& extra :
       std::vector<std::vector<FIX::FieldBase>>{{FIX::FieldBase(880, "123456789")},
                                                {FIX::FieldBase(880, "1"), FIX::FieldBase(8000, "O")},
                                                {FIX::FieldBase(8000, "O"), FIX::FieldBase(880, "42")},
                                                {FIX::FieldBase(2, "first"), FIX::FieldBase(10000, "last")}}) {
    FIX::Message with = m;
    for (const auto& f : extra) with.setField(f);
    const auto got = fsn::with_body_fields(without, extra);
    BOOST_REQUIRE(got.has_value());
    BOOST_TEST(*got == with.toString());
  }
  // Not a whole message: refused rather than guessed at.
  BOOST_TEST(!fsn::with_body_fields(without.substr(0, without.size() - 1), {FIX::FieldBase(880, "1")}).has_value());
  BOOST_TEST(!fsn::with_body_fields("35=8\x01", {FIX::FieldBase(880, "1")}).has_value());
}
