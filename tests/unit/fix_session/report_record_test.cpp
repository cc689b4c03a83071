#define BOOST_TEST_MODULE fix_session_report_record
// Reading records of venue.execution-reports as every consumer (drop copy, compliance, risk) does: what
// is accepted, and what is refused with which reason (a consumer parks it, never crashes on it).
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "venue/fix_session/report_record.h"

namespace fsn = venue::fix_session;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

// A FIX message with the right BodyLength and CheckSum around `body` ("35=8|...|", '|' for SOH).
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

const std::string kFill =
    fix("35=8|34=12|49=VENUE|52=20261206-10:00:00.000|56=BRK1|1=ALPHA-1|6=101.5|11=C1|14=10|17=77|31=101.50|32=10|37=5|"
        "38=10|39=2|40=2|44=101.50|54=1|55=ACME|59=0|60=20261206-10:00:00.123|150=F|151=0|880=9|");

Headers fill_headers() {
  return {{"venue-seq", "42"},
          {"shard", "0"},
          {"engine-seq", "17"},
          {"msg-type", "8"},
          {"exec-type", "F"},
          {"session", "BRK1"},
          {"firm", "ALPHA"},
          {"account", "ALPHA-1"},
          {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_fill_is_read_with_its_headers_and_fields) {
  std::string why;
  const auto r = fsn::read_report_record(kFill, fill_headers(), &why);
  BOOST_TEST_REQUIRE(r.has_value(), why);
  BOOST_TEST(r->venue_seq == 42U);
  BOOST_TEST(r->engine_seq == 17U);
  BOOST_TEST(r->msg_type == '8');
  BOOST_TEST(r->exec_type == 'F');
  BOOST_TEST(r->session == "BRK1");
  BOOST_TEST(r->firm == "ALPHA");
  BOOST_TEST(r->account == "ALPHA-1");
  BOOST_TEST(r->traceparent.substr(0, 3) == "00-");
  BOOST_TEST(r->fix.text(fsn::tags::kExecID) == "77");
  BOOST_TEST(r->fix.decimal(fsn::tags::kLastPx)->to_string() == "101.5");
  BOOST_TEST(r->fix.decimal(fsn::tags::kLastQty)->to_string() == "10");
  BOOST_TEST(*r->fix.timestamp_ns(fsn::tags::kTransactTime) % 1'000'000'000 == 123'000'000);
  BOOST_TEST(*r->fix.unsigned_number(fsn::tags::kTrdMatchID) == 9U);
  BOOST_TEST(!r->poss_resend());
  // A copy survives moves (the fields are offsets into the record's own text).
  fsn::ReportRecord moved = std::move(*const_cast<std::optional<fsn::ReportRecord>&>(r));
  BOOST_TEST(moved.fix.text(fsn::tags::kSymbol) == "ACME");
}

BOOST_AUTO_TEST_CASE(bad_records_are_refused_with_the_reason) {
  struct Case {
    std::string payload;
    Headers headers;
    std::string reason;
  };
  auto without = [](const std::string& key) {
    Headers h = fill_headers();
    std::erase_if(h, [&](const auto& kv) { return kv.first == key; });
    return h;
  };
  auto with = [](const std::string& key, const std::string& value) {
    Headers h = fill_headers();
    for (auto& kv : h) {
      if (kv.first == key) kv.second = value;
    }
    return h;
  };
  std::string bad_sum = kFill;
  bad_sum[bad_sum.size() - 2] = bad_sum[bad_sum.size() - 2] == '0' ? '1' : '0';
  std::string bad_length = kFill;
  const auto at = bad_length.find(
                      "\x01"
                      "9=") +
                  3;
  bad_length[at] = bad_length[at] == '9' ? '8' : '9';
  const std::vector<Case> cases{
      {kFill, without("venue-seq"), "no venue-seq header"},
      {kFill, with("venue-seq", "x1"), "is not a positive number"},
      {kFill, with("venue-seq", "0"), "is not a positive number"},
      {kFill, without("msg-type"), "no msg-type header"},
      {kFill, with("msg-type", "D"), "is not 8, 9, r or j"},
      {kFill, with("msg-type", "9"), "disagrees with the msg-type header"},
      {kFill, without("session"), "no session header"},
      {kFill, with("session", "BRK2"), "disagrees with the session header"},
      {kFill, with("account", "BETA-1"), "disagrees with the account header"},
      {kFill, with("exec-type", "0"), "disagrees with the exec-type header"},
      {kFill, with("engine-seq", "-1"), "engine-seq header"},
      {"not fix at all", fill_headers(), "not a FIX message"},
      {bad_sum, fill_headers(), "CheckSum(10)"},
      {bad_length, fill_headers(), "BodyLength(9)"},
      {kFill + kFill, fill_headers(), "fields after CheckSum(10)"},
      {kFill.substr(0, kFill.size() - 7), fill_headers(), "no CheckSum(10)"},
      {kFill.substr(0, kFill.size() - 9), fill_headers(), "is not tag=value ended by SOH"},
  };
  for (const auto& c : cases) {
    std::string why;
    BOOST_TEST_CONTEXT(c.reason) {
      BOOST_TEST(!fsn::read_report_record(c.payload, c.headers, &why).has_value());
      BOOST_TEST(why.find(c.reason) != std::string::npos, why);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_reject_code_is_read_from_the_start_of_text) {
  BOOST_TEST(fsn::reject_code_of("1013 PriceNotOnTick: price is not a multiple of the tick") == 1013);
  BOOST_TEST(fsn::reject_code_of("cancelled on request") == 0);
  BOOST_TEST(fsn::reject_code_of("") == 0);
  BOOST_TEST(fsn::reject_code_of("12x4 y") == 0);
}
