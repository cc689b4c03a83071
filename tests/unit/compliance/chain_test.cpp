#define BOOST_TEST_MODULE compliance_chain
// The audit row and its hash chain as an auditor relies on them: a report's fields land in the right
// columns with their FIX text kept, the hash covers every column and the row before, and a field out of
// range is reported instead of stored.
#include <boost/test/unit_test.hpp>
#include <ctime>

#include "venue/compliance/audit_row.h"
#include "venue/compliance/commands.h"
#include "venue/compliance/surveillance.h"

namespace cp = venue::compliance;
namespace fs = venue::fix_session;

namespace {

std::string fix(std::string body) {
  for (auto& c : body) c = c == '|' ? '\x01' : c;
  std::string msg =
      "8=FIX.4.4\x01"
      "9=" +
      std::to_string(body.size()) + "\x01" + body;
  unsigned sum = 0;
  for (unsigned char c : msg) sum += c;
  char trailer[16];
  std::snprintf(trailer, sizeof trailer, "10=%03u\x01", sum % 256);
  return msg + trailer;
}

std::vector<std::pair<std::string, std::string>> headers(const std::string& seq) {
  return {{"venue-seq", seq}, {"shard", "0"},      {"engine-seq", "17"}, {"msg-type", "8"},
          {"exec-type", "F"}, {"session", "BRK1"}, {"firm", "ALPHA"},    {"account", "ALPHA-1"}};
}

const std::string kFill =
    "35=8|34=12|49=VENUE|52=20261206-10:00:00.000|56=BRK1|1=ALPHA-1|6=101.5|11=C1|14=10|17=77|"
    "31=101.50|32=10|37=5|38=10|39=2|40=2|44=0101.50|54=1|55=ACME|59=0|60=20261206-10:00:00.123|"
    "150=F|151=0|880=9|";

}  // namespace

BOOST_AUTO_TEST_CASE(a_fill_fills_its_columns_with_the_fix_text_kept) {
  std::string why;
  const auto r = fs::read_report_record(fix(kFill), headers("42"), &why);
  BOOST_TEST_REQUIRE(r.has_value(), why);
  std::string error;
  const auto row = cp::row_from_record(*r, &error);
  BOOST_TEST(error.empty());
  BOOST_TEST(*row.v[cp::kVenueSeq] == "42");
  BOOST_TEST(*row.v[cp::kExecId] == "77");
  BOOST_TEST(*row.v[cp::kLastPx] == "101.50");  // decimals as sent
  BOOST_TEST(*row.v[cp::kPrice] == "101.50");   // a leading zero dropped, as PostgreSQL prints it
  BOOST_TEST(*row.v[cp::kTransactTime] == "1796551200123000");
  BOOST_TEST(*row.v[cp::kTradingDay] == "2026-12-06");
  BOOST_TEST(*row.v[cp::kPossResend] == "false");
  BOOST_TEST(*row.v[cp::kTrdMatchId] == "9");
  BOOST_TEST(!row.v[cp::kError].has_value());
}

// A trade bust (ExecType H, FIX 4.4): ExecRefID(19) names the fill it cancels; the row keeps it, and the
// rules are not fed it (an alert stands on what the owner did).
BOOST_AUTO_TEST_CASE(a_trade_bust_keeps_the_exec_id_of_the_fill_it_cancels) {
  const std::string bust =
      "35=8|34=13|49=VENUE|52=20261206-10:05:00.000|56=BRK1|1=ALPHA-1|6=0|11=C1|14=0|17=78|19=77|"
      "31=101.50|32=10|37=5|38=10|39=4|40=2|44=101.50|54=1|55=ACME|59=0|60=20261206-10:05:00.000|"
      "150=H|151=0|880=9|";
  auto h = headers("43");
  h[4].second = "H";
  std::string why;
  const auto r = fs::read_report_record(fix(bust), h, &why);
  BOOST_TEST_REQUIRE(r.has_value(), why);
  std::string error;
  const auto row = cp::row_from_record(*r, &error);
  BOOST_TEST(error.empty());
  BOOST_TEST(row.v[cp::kExecType].value_or("") == "H");
  BOOST_TEST(row.v[cp::kExecId].value_or("") == "78");
  BOOST_TEST(row.v[cp::kExecRefId].value_or("") == "77");
  BOOST_TEST(row.v[cp::kCumQty].value_or("") == "0");
  BOOST_TEST(!row.v[cp::kBustOf].has_value());  // linked by the service, which knows the trail
  BOOST_TEST(!cp::event_from_record(*r).has_value());
  // A fill has no ExecRefID.
  const auto f = fs::read_report_record(fix(kFill), headers("42"), &why);
  BOOST_TEST_REQUIRE(f.has_value(), why);
  BOOST_TEST(!cp::row_from_record(*f, &error).v[cp::kExecRefId].has_value());
  BOOST_TEST(cp::event_from_record(*f).has_value());
}

BOOST_AUTO_TEST_CASE(the_hash_covers_every_column_and_the_row_before) {
  std::string why;
  const auto r = fs::read_report_record(fix(kFill), headers("42"), &why);
  BOOST_TEST_REQUIRE(r.has_value(), why);
  auto row = cp::row_from_record(*r, &why);
  const auto h = cp::chain_hash(cp::kGenesisHash, row);
  for (std::size_t i = 0; i < cp::kColumnCount; ++i) {
    auto edited = row;
    edited.v[i] = edited.v[i] ? std::optional<std::string>(*edited.v[i] + "x") : std::optional<std::string>("x");
    BOOST_TEST((cp::chain_hash(cp::kGenesisHash, edited) != h), "column " << cp::columns()[i].name);
  }
  cp::Hash other{};
  other[0] = 1;
  BOOST_TEST((cp::chain_hash(other, row) != h));
  // NULL and an empty text are different content.
  auto a = row;
  a.v[cp::kText] = std::nullopt;
  auto b = row;
  b.v[cp::kText] = std::string();
  BOOST_TEST((cp::chain_hash(cp::kGenesisHash, a) != cp::chain_hash(cp::kGenesisHash, b)));
  BOOST_TEST(cp::hash_from_hex(cp::hex(h)).value() == h);
  // The row's hash is the hash of its canonical text, as an auditor computes it from an export, row after
  // row (the per-thread buffer and digest the writer reuses leave nothing behind).
  BOOST_TEST(cp::hex(cp::chain_hash(other, row)) == cp::hex(cp::chain_hash(other, cp::canonical(row))));
  BOOST_TEST(cp::hex(h) == cp::hex(cp::chain_hash(cp::kGenesisHash, cp::canonical(row))));
}

BOOST_AUTO_TEST_CASE(the_hash_is_sha256_of_the_previous_hash_and_the_canonical_text) {
  // sha256(32 zero bytes || "3:abc-"), from Python's hashlib: "abc", then a NULL.
  const std::array<std::optional<std::string>, 2> values{std::string("abc"), std::nullopt};
  BOOST_TEST(cp::canonical(std::span<const std::optional<std::string>>(values)) == "3:abc-");
  BOOST_TEST(cp::hex(cp::chain_hash(cp::kGenesisHash, std::string_view("3:abc-"))) ==
             "bcab2a95a70bb596c74f9889d8dd3cc0aeab3fda24a233fee955f2dd4f3253bc");
}

BOOST_AUTO_TEST_CASE(a_decimal_out_of_range_is_reported_and_the_raw_message_kept) {
  std::string body = kFill;
  body.replace(body.find("32=10"), 5, "32=1e5");
  std::string why;
  const auto r = fs::read_report_record(fix(body), headers("43"), &why);
  BOOST_TEST_REQUIRE(r.has_value(), why);
  std::string error;
  const auto row = cp::row_from_record(*r, &error);
  BOOST_TEST(error.find("LastQty(32)") != std::string::npos, error);
  BOOST_TEST(row.v[cp::kError].value_or("") == error);
  BOOST_TEST(!row.v[cp::kLastQty].has_value());
  BOOST_TEST(row.v[cp::kRawFix].value_or("").find("32=1e5") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(copy_lines_escape_what_copy_would_misread) {
  cp::AuditRow row;
  row.v[cp::kVenueSeq] = "1";
  row.v[cp::kText] = "a\tb\\c\nd";
  row.v[cp::kSymbol] = "\\x\ry\\";
  row.v[cp::kReportTime] = "1796551200123000";
  std::string line;
  cp::append_copy_line(row, line);
  BOOST_TEST(line.find("a\\tb\\\\c\\nd") != std::string::npos);
  BOOST_TEST(line.find("\t\\\\x\\ry\\\\\t") != std::string::npos);
  BOOST_TEST(line.find("2026-12-06 10:00:00.123000+00") != std::string::npos);
  BOOST_TEST(line.back() == '\n');
}

// The COPY text's timestamps and the trading day are computed without gmtime_r: they must be the
// calendar's, on every day (leap days, centuries, before 1970) and at every second of a day.
BOOST_AUTO_TEST_CASE(timestamps_and_trading_days_are_the_utc_calendars) {
  BOOST_TEST(cp::timestamp_literal(1796551200123000LL) == "2026-12-06 10:00:00.123000+00");
  BOOST_TEST(cp::timestamp_literal(0) == "1970-01-01 00:00:00.000000+00");
  BOOST_TEST(cp::timestamp_literal(-1) == "1969-12-31 23:59:59.999999+00");
  BOOST_TEST(cp::timestamp_literal(951782400000000LL) == "2000-02-29 00:00:00.000000+00");
  BOOST_TEST(cp::date_of_micros(4107542399999999LL) == "2100-02-28");
  BOOST_TEST(cp::date_of_micros(4107542400000000LL) == "2100-03-01");
  const auto reference = [](std::int64_t micros) {
    std::int64_t secs = micros / 1'000'000;
    std::int64_t frac = micros % 1'000'000;
    if (frac < 0) {
      frac += 1'000'000;
      --secs;
    }
    const auto t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
    return std::string(buf);
  };
  // Every day from 1900 to 2400 at a second that moves through the day, and each second of one day.
  for (std::int64_t day = -25567; day <= 157054; ++day) {
    const std::int64_t micros = (day * 86400 + (day * 7919) % 86400) * 1'000'000 + (day * 104729) % 1'000'000;
    const std::string expected = reference(micros);
    BOOST_TEST_REQUIRE(cp::timestamp_literal(micros) == expected);
    BOOST_TEST_REQUIRE(cp::date_of_micros(micros) == expected.substr(0, 10));
  }
  for (std::int64_t s = 0; s < 86400; ++s) {
    const std::int64_t micros = (1796515200LL + s) * 1'000'000 + 1;
    BOOST_TEST_REQUIRE(cp::timestamp_literal(micros) == reference(micros));
  }
}

BOOST_AUTO_TEST_CASE(numbers_and_text_are_stored_in_postgresqls_own_text_form) {
  BOOST_TEST(cp::pg_numeric_text("0101.50") == "101.50");
  BOOST_TEST(cp::pg_numeric_text(".5") == "0.5");
  BOOST_TEST(cp::pg_numeric_text("-0.00") == "0.00");
  BOOST_TEST(cp::pg_numeric_text("-7") == "-7");
  BOOST_TEST(cp::valid_utf8("caf\xc3\xa9"));
  BOOST_TEST(!cp::valid_utf8("caf\xe9"));
  BOOST_TEST(cp::printable_utf8("caf\xe9") == "caf\\xE9");
}

BOOST_AUTO_TEST_CASE(command_line_times_are_read_as_utc_unless_an_offset_is_given) {
  BOOST_TEST(cp::parse_time_micros("2026-12-06").value() == 1796515200000000LL);
  BOOST_TEST(cp::parse_time_micros("2026-12-06T10:00:00.123Z").value() == 1796551200123000LL);
  BOOST_TEST(cp::parse_time_micros("2026-12-06 11:00:00+01:00").value() == 1796551200000000LL);
  BOOST_TEST(!cp::parse_time_micros("2026-02-31").has_value());
  BOOST_TEST(!cp::parse_time_micros("yesterday").has_value());
  BOOST_TEST(!cp::parse_time_micros("2026-12-06T10").has_value());
}
