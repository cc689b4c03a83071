#define BOOST_TEST_MODULE risk_monitor
// Warnings and breaches as a risk officer meets them: each level warns once per crossing, again only
// after usage fell back below it; a breach is reported once, not again for the same breach; after a
// release only a worse breach counts; a limit deleted forgets its state.
#include <boost/test/unit_test.hpp>

#include "venue/risk/messages.h"
#include "venue/risk/monitor.h"

namespace vr = venue::risk;

namespace {

vr::Amount a(const char* s) { return *vr::Amount::parse(s); }

struct Fixture {
  vr::Monitor m{vr::MonitorSettings{{50, 75, 90}, 2}};
  vr::LimitKey key{vr::Scope::kFirm, "ALPHA", vr::LimitType::kMaxLoss, ""};
  std::uint64_t seq = 0;
  Fixture() { m.set_limits({{vr::Scope::kFirm, "ALPHA", vr::LimitType::kMaxLoss, "", a("1000")}}); }
  // The events one evaluation causes, as "w50", "w75", "b" ...
  std::vector<std::string> at(const char* usage) {
    std::vector<vr::LimitEvent> out;
    m.evaluate(key, "ALPHA", a(usage), vr::Trigger{.venue_seq = ++seq}, 0, out);
    std::vector<std::string> names;
    names.reserve(out.size());
    for (const auto& e : out) {
      names.push_back(e.kind == vr::LimitEvent::Kind::kBreach ? "b" : "w" + std::to_string(e.level));
    }
    return names;
  }
};

using V = std::vector<std::string>;

}  // namespace

BOOST_FIXTURE_TEST_CASE(each_level_warns_once_per_crossing, Fixture) {
  BOOST_TEST(at("499.99") == V{});
  BOOST_TEST(at("500") == V{"w50"});
  BOOST_TEST(at("600") == V{});
  BOOST_TEST(at("750") == V{"w75"});
  BOOST_TEST(at("740") == V{});  // still within 2 points of 75%: not armed again
  BOOST_TEST(at("760") == V{});
  BOOST_TEST(at("720") == V{});  // below 73%: armed again
  BOOST_TEST(at("751") == V{"w75"});
  BOOST_TEST(at("100") == V{});
  BOOST_TEST(at("950") == (V{"w50", "w75", "w90"}));  // a jump crosses every level
}

BOOST_FIXTURE_TEST_CASE(a_breach_is_reported_once_and_again_only_after_falling_back, Fixture) {
  BOOST_TEST(at("1000") == (V{"w50", "w75", "w90"}));  // at the limit is not over it
  BOOST_TEST(at("1000.01") == V{"b"});
  BOOST_TEST(at("1500") == V{});
  BOOST_TEST(at("990") == V{});  // 99%: not re-armed yet
  BOOST_TEST(at("1001") == V{});
  BOOST_TEST(at("970") == V{});  // 97% < 98%: armed again
  BOOST_TEST(at("1001") == V{"b"});
  BOOST_TEST(m.state(key)->breached);
}

BOOST_FIXTURE_TEST_CASE(after_a_release_only_a_worse_breach_counts, Fixture) {
  at("1200");
  m.released(vr::Scope::kFirm, "ALPHA");
  BOOST_TEST(!m.state(key)->breached);
  BOOST_TEST(at("1100") == V{});  // trading the position down is not stopped again
  BOOST_TEST(at("1150") == V{});
  BOOST_TEST(at("1101") == V{});
  m.released(vr::Scope::kFirm, "ALPHA");  // not breached: nothing changes
  BOOST_TEST(at("1250") == V{"b"});       // worse than at the release: stopped again
}

// The venue lets a released firm trade at once; the service reads the release's ack on another topic
// than the fills, so a fill traded after the release can be applied before the ack is read. The usage
// "at the release" is the one at the ack's applied_at, not the one when the ack is read.
BOOST_FIXTURE_TEST_CASE(a_fill_traded_after_the_release_but_read_before_its_ack_breaches_when_the_ack_is_read,
                        Fixture) {
  std::vector<vr::LimitEvent> out;
  m.evaluate(key, "ALPHA", a("1200"), vr::Trigger{.venue_seq = 1, .exec_id = "E1", .transact_ns = 1'000}, 0, out);
  BOOST_REQUIRE(out.size() == 4U);  // w50 w75 w90 b
  out.clear();
  // Released at the venue at 4'000; the firm buys more at 5'000; that fill is read first.
  m.evaluate(key, "ALPHA", a("1300"), vr::Trigger{.venue_seq = 2, .exec_id = "E2", .transact_ns = 5'000}, 0, out);
  BOOST_TEST(out.empty());  // still breached here: nothing new
  const auto again = m.released(vr::Scope::kFirm, "ALPHA", 4'000, 7'000);
  BOOST_REQUIRE(again.size() == 1U);
  BOOST_TEST((again[0].kind == vr::LimitEvent::Kind::kBreach));
  BOOST_TEST(again[0].usage.to_string() == "1300");
  BOOST_TEST(again[0].trigger.exec_id == "E2");
  BOOST_TEST(m.state(key)->breached);
  BOOST_TEST(m.state(key)->breached_at_ns == 7'000);
}

BOOST_FIXTURE_TEST_CASE(trading_down_after_the_release_but_read_before_its_ack_is_not_stopped, Fixture) {
  std::vector<vr::LimitEvent> out;
  m.evaluate(key, "ALPHA", a("1200"), vr::Trigger{.venue_seq = 1, .transact_ns = 1'000}, 0, out);
  m.evaluate(key, "ALPHA", a("1100"), vr::Trigger{.venue_seq = 2, .transact_ns = 5'000}, 0, out);
  BOOST_TEST(m.released(vr::Scope::kFirm, "ALPHA", 4'000, 7'000).empty());
  BOOST_TEST(!m.state(key)->breached);
  BOOST_TEST(at("1150") == V{});  // below 1200, the usage at the release
  BOOST_TEST(at("1201") == V{"b"});
}

BOOST_FIXTURE_TEST_CASE(a_breach_restored_at_start_keeps_its_usage_for_the_release_to_come, Fixture) {
  vr::LimitState st;
  st.firm = "ALPHA";
  st.usage = a("1200");
  st.limit = a("1000");
  st.has_limit = true;
  st.level = 90;
  st.breached = true;
  m.restore_state(key, st);
  std::vector<vr::LimitEvent> out;
  m.evaluate(key, "ALPHA", a("1300"), vr::Trigger{.venue_seq = 9, .exec_id = "E9", .transact_ns = 5'000}, 0, out);
  BOOST_TEST(out.empty());
  const auto again = m.released(vr::Scope::kFirm, "ALPHA", 4'000, 7'000);
  BOOST_REQUIRE(again.size() == 1U);
  BOOST_TEST(again[0].trigger.exec_id == "E9");
}

BOOST_AUTO_TEST_CASE(a_firm_release_rearms_its_accounts_and_an_account_limit_blocks_the_account) {
  vr::Monitor m{vr::MonitorSettings{}};
  m.set_limits({{vr::Scope::kAccount, "ALPHA-1", vr::LimitType::kGrossExposure, "", a("100")}});
  const vr::LimitKey k{vr::Scope::kAccount, "ALPHA-1", vr::LimitType::kGrossExposure, ""};
  std::vector<vr::LimitEvent> out;
  m.evaluate(k, "ALPHA", a("101"), vr::Trigger{.venue_seq = 7, .exec_id = "E7"}, 0, out);
  BOOST_REQUIRE(!out.empty());
  const auto c = vr::breach_command(out.back(), 0);
  BOOST_TEST(c.action == "block_account");
  BOOST_TEST(c.account == "ALPHA-1");
  BOOST_TEST(c.firm == "ALPHA");
  m.released(vr::Scope::kFirm, "ALPHA");
  BOOST_TEST(!m.state(k)->breached);
}

BOOST_AUTO_TEST_CASE(a_symbol_limit_beats_the_every_instrument_one_and_each_instrument_has_its_own_state) {
  vr::Monitor m{vr::MonitorSettings{}};
  m.set_limits({{vr::Scope::kAccount, "A", vr::LimitType::kMaxNetPosition, "", a("100")},
                {vr::Scope::kAccount, "A", vr::LimitType::kMaxNetPosition, "ACME", a("1000")}});
  std::vector<vr::LimitEvent> out;
  m.evaluate({vr::Scope::kAccount, "A", vr::LimitType::kMaxNetPosition, "ACME"}, "F", a("200"), {}, 0, out);
  BOOST_TEST(out.empty());
  m.evaluate({vr::Scope::kAccount, "A", vr::LimitType::kMaxNetPosition, "GLOBX"}, "F", a("200"), {}, 0, out);
  BOOST_TEST(out.size() == 4U);  // 50, 75, 90 and the breach of GLOBX's
  BOOST_TEST(out.back().key.symbol == "GLOBX");
}

BOOST_FIXTURE_TEST_CASE(a_deleted_limit_forgets_its_state_and_says_so, Fixture) {
  at("1200");
  m.take_changed();
  m.set_limits({});
  const auto changed = m.take_changed();
  BOOST_REQUIRE(changed.size() == 1U);
  BOOST_TEST(!changed[0].second.has_value());
  BOOST_TEST(at("5000") == V{});  // no limit: nothing to say
  m.set_limits({{vr::Scope::kFirm, "ALPHA", vr::LimitType::kMaxLoss, "", a("1000")}});
  BOOST_TEST(at("5000") == (V{"w50", "w75", "w90", "b"}));  // a new limit starts afresh
}

BOOST_FIXTURE_TEST_CASE(lowering_a_limit_below_usage_breaches_at_the_next_check, Fixture) {
  BOOST_TEST(at("400") == V{});
  m.set_limits({{vr::Scope::kFirm, "ALPHA", vr::LimitType::kMaxLoss, "", a("300")}});
  BOOST_TEST(at("400") == (V{"w50", "w75", "w90", "b"}));
}
