#define BOOST_TEST_MODULE risk_messages
// What the venue and alert consumers read from the risk service: commands exactly in the format of
// spec/kafka-topics.md (venue.risk-control), the venue's acks read as that spec says, alerts as
// spec/risk.md says; ids that stay the same when a breach is found again after a restart.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "venue/risk/messages.h"

namespace vr = venue::risk;
using nlohmann::json;

namespace {

vr::LimitEvent breach() {
  vr::LimitEvent e;
  e.kind = vr::LimitEvent::Kind::kBreach;
  e.key = {vr::Scope::kFirm, "ALPHA", vr::LimitType::kMaxLoss, ""};
  e.firm = "ALPHA";
  e.usage = *vr::Amount::parse("250000");
  e.limit = *vr::Amount::parse("200000");
  e.level = 100;
  e.trigger = vr::Trigger{.venue_seq = 81234, .exec_id = "5512", .traceparent = "00-abc-def-01"};
  return e;
}

constexpr std::int64_t kT = 1'796'566'991'402'000'000;  // 2026-12-06T14:23:11.402Z

}  // namespace

BOOST_AUTO_TEST_CASE(a_firm_breach_is_a_kill_firm_command_in_the_specified_format) {
  const auto c = vr::breach_command(breach(), kT);
  const json j = json::parse(vr::command_json(c));
  BOOST_TEST(j["id"] == "risk-f-ALPHA-max_loss-81234");
  BOOST_TEST(j["issued_at"] == "2026-12-06T14:23:11.402Z");
  BOOST_TEST(j["issuer"] == "risk");
  BOOST_TEST(j["action"] == "kill_firm");
  BOOST_TEST(j["firm"] == "ALPHA");
  BOOST_TEST(j["account"] == "");
  BOOST_TEST(j["reason"] ==
             "max_loss breached: firm ALPHA loss (-(realized + unrealized)) 250000 against a limit of 200000");
  BOOST_TEST(j["limit"] == "max_loss");
  BOOST_TEST(j["figures"] == (json{{"usage", "250000"}, {"limit", "200000"}, {"symbol", ""}}));
  BOOST_TEST(j["trigger"] == (json{{"venue_seq", 81234}, {"exec_id", "5512"}}));
  // The same breach found again (after a restart) is the same command: the venue answers "duplicate".
  BOOST_TEST(vr::breach_command(breach(), kT + 5'000'000'000).id == c.id);
  const auto back = vr::parse_command(vr::command_json(c), nullptr);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->issued_ns == kT);
  BOOST_TEST(back->trigger_seq == 81234U);
}

BOOST_AUTO_TEST_CASE(a_release_names_its_operator) {
  const auto c = vr::release_command(vr::Scope::kAccount, "ALPHA", "ALPHA-1", "jsmith", "limit raised", kT);
  const json j = json::parse(vr::command_json(c));
  BOOST_TEST(j["action"] == "release_account");
  BOOST_TEST(j["issuer"] == "jsmith");
  BOOST_TEST(j["account"] == "ALPHA-1");
  BOOST_TEST(j["firm"] == "ALPHA");
  BOOST_TEST(!j.contains("limit"));
  BOOST_TEST(c.id.size() <= 128U);
}

BOOST_AUTO_TEST_CASE(ids_are_printable_and_at_most_128_characters) {
  auto e = breach();
  e.key.entity = std::string(200, 'X') + " \x01";
  const auto c = vr::breach_command(e, kT);
  BOOST_TEST(c.id.size() == 128U);
  BOOST_TEST(c.id.find_first_of(" \x01") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(acks_are_read_as_specified_and_anything_else_refused_with_the_reason) {
  std::string why;
  const auto a = vr::parse_ack(
      R"({"command_id": "risk-7f3c2a91-000017", "result": "applied", "reason": "", "action": "kill_firm",
          "firm": "ALPHA", "account": "", "orders_cancelled": 12, "applied_at": "2026-12-06T14:03:11.431Z"})",
      &why);
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->orders_cancelled == 12);
  BOOST_TEST(vr::iso_time_ms(a->applied_ns) == "2026-12-06T14:03:11.431Z");
  BOOST_TEST(!vr::parse_ack("not json", &why));
  BOOST_TEST(why == "not a JSON object");
  BOOST_TEST(!vr::parse_ack(R"({"command_id": "x", "result": "maybe"})", &why));
  BOOST_TEST(why == "result \"maybe\" is not applied, duplicate, stale or refused");
  BOOST_TEST(!vr::parse_ack(R"({"result": "applied"})", &why));
}

BOOST_AUTO_TEST_CASE(an_alert_carries_the_figures_and_the_command_it_caused) {
  auto w = breach();
  w.kind = vr::LimitEvent::Kind::kWarning;
  w.level = 75;
  w.usage = *vr::Amount::parse("150000");
  const json j = json::parse(vr::alert_json(w, kT, ""));
  BOOST_TEST(j["id"] == "alert-f-ALPHA-max_loss-75-81234");
  BOOST_TEST(j["kind"] == "warning");
  BOOST_TEST(j["level"] == 75);
  BOOST_TEST(j["usage_percent"] == "75");
  BOOST_TEST(!j.contains("command_id"));
  const json b = json::parse(vr::alert_json(breach(), kT, "risk-f-ALPHA-max_loss-81234"));
  BOOST_TEST(b["kind"] == "breach");
  BOOST_TEST(b["command_id"] == "risk-f-ALPHA-max_loss-81234");
  BOOST_TEST(b["usage_percent"] == "125");
}

BOOST_AUTO_TEST_CASE(times_round_trip_and_malformed_ones_are_refused) {
  BOOST_TEST(*vr::parse_iso_time("2026-12-06T14:23:11.402Z") == kT);
  BOOST_TEST(*vr::parse_iso_time("2026-12-06T14:23:11Z") == kT - 402'000'000);
  BOOST_TEST(!vr::parse_iso_time("2026-12-06 14:23:11Z"));
  BOOST_TEST(!vr::parse_iso_time("2026-13-06T14:23:11Z"));
}
