#define BOOST_TEST_MODULE e2e_crash
// The venue killed (SIGKILL) at moments chosen by its fault-injection hooks, then started again on the same
// files, as brokers live through it. Nothing an engine journaled goes unreported, and nothing is reported
// twice without its mark (PossResend, or a resend's PossDupFlag).
//
// Hooks (fix-gateway/src/gateway.cpp): VENUE_TEST_EVENTS_PER_POLL=1 takes one engine event per loop turn,
// so the events of one command are handled over several turns; VENUE_TEST_KILL_AFTER_REPORTS=N kills the
// venue once its report log holds N reports.
#include <boost/test/unit_test.hpp>
#include <map>
#include <string>

#include "e2e/support/suite.h"

using namespace venue::e2e;
using namespace std::chrono_literals;

BOOST_TEST_GLOBAL_FIXTURE(SuiteVenueFixture);

BOOST_AUTO_TEST_CASE(a_crash_between_the_fills_of_one_order_loses_none_of_them) {
  TestVenue& v = suite_venue();
  FixClient& maker = v.client("BRK3");
  const std::string sym = v.symbol();
  // Three resting sells (3 reports: the venue's first).
  std::vector<std::string> sells;
  for (int i = 0; i < 3; ++i) {
    const OrderFields s{
        .clordid = v.id("sell"), .symbol = sym, .side = kSell, .price = "100.00", .qty = "1", .account = "GAMMA-1"};
    maker.send(new_order(s));
    maker.expect(er(s.clordid, "0"));
    sells.push_back(s.clordid);
  }
  BOOST_TEST_REQUIRE(v.stop() == 0);
  // One crossing buy: one engine command, whose events are its ack and three trades (two fills each). The
  // venue dies once its ack and the first trade's two fills are written (reports 4, 5, 6).
  v.process().set_environment("VENUE_TEST_EVENTS_PER_POLL", "1");
  v.process().set_environment("VENUE_TEST_KILL_AFTER_REPORTS", "6");
  v.start();
  FixClient& taker2 = v.client("BRK2");
  const OrderFields buy{
      .clordid = v.id("buy"), .symbol = sym, .side = kBuy, .price = "100.00", .qty = "3", .account = "BETA-1"};
  taker2.send(new_order(buy));
  const int code = v.process().wait_exit(10s);
  BOOST_TEST_REQUIRE(code == 128 + 9, "the hook did not kill the venue (exit " << code << ")\n"
                                                                               << v.process().log_tail());
  for (const char* comp : {"BRK2", "BRK3"}) v.client_object(comp).close();
  v.process().set_environment("VENUE_TEST_EVENTS_PER_POLL", "");
  v.process().set_environment("VENUE_TEST_KILL_AFTER_REPORTS", "");
  v.start();
  // Both brokers get every fill of the order: 3 for the buyer, one per sell for the sellers, whether by
  // resend of what was sent before the crash or as reports made again (PossResend=Y).
  FixClient& buyer = v.client("BRK2");
  FixClient& seller = v.client("BRK3");
  buyer.expect(er(buy.clordid, "F").with(FIX::FIELD::CumQty, "3"), 10s);
  for (const auto& s : sells) seller.expect(er(s, "F"), 10s);
  // Nothing twice without its mark.
  std::map<std::string, int> unmarked;
  for (const char* comp : {"BRK2", "BRK3"}) {
    for (const auto& m : v.client_object(comp).all(of_type("8"))) {
      if (field(m, FIX::FIELD::PossDupFlag) == "Y" || field(m, FIX::FIELD::PossResend) == "Y") continue;
      ++unmarked[field(m, FIX::FIELD::ExecID)];
    }
  }
  for (const auto& [exec_id, n] : unmarked)
    BOOST_TEST(n == 1, "ExecID " << exec_id << " arrived " << n << " times unmarked");
  BOOST_TEST(v.stop() == 0);
}
