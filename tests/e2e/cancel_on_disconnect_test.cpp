#define BOOST_TEST_MODULE e2e_cancel_on_disconnect
// Cancel-on-disconnect as brokers rely on it: when a session's connection is lost (the TCP connection
// cut, no Logout) or it logs out, the venue cancels what the session's setting says, and the broker
// learns about each cancel when it logs on again (the ExecutionReports are resent: PossDupFlag=Y).
//
// Sessions: BRK1 cancel_on_disconnect "day" (Day orders go, GTC and GTD stay), BRK2 "all", BRK3 "off".
#include <boost/test/unit_test.hpp>
#include <string>
#include <thread>

#include "e2e/support/raw_session.h"
#include "e2e/support/suite.h"

using namespace venue::e2e;
using namespace std::chrono_literals;

BOOST_TEST_GLOBAL_FIXTURE(SuiteVenueFixture);

namespace {

TestVenue& the_venue() { return suite_venue(); }
std::string id(const std::string& hint = "o") { return the_venue().id(hint); }

OrderFields order(const std::string& sym, const char* tif, const std::string& account, const char* side = kBuy) {
  OrderFields o{.clordid = id(tif == std::string(kDay)   ? "day"
                              : tif == std::string(kGtc) ? "gtc"
                                                         : "gtd"),
                .symbol = sym,
                .side = side,
                .price = side == std::string(kBuy) ? "99.00" : "101.00",
                .qty = "2",
                .tif = tif,
                .account = account};
  if (tif == std::string(kGtd)) o.expire_time = utc_timestamp_from_now(3'600'000);
  return o;
}

// Live orders the venue holds for a session (from the admin API), polled until it equals `n`.
bool live_orders_become(const std::string& comp_id, std::size_t n, std::chrono::milliseconds timeout = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (the_venue().session(comp_id).value("live_orders", std::size_t{999}) == n) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

std::string status_of(FixClient& c, const OrderFields& o) {
  const std::string req = id("sr");
  c.send(status_request(o.clordid, o.side, o.symbol, req));
  return field(c.expect(Match{"8", {{FIX::FIELD::OrdStatusReqID, req}}}), FIX::FIELD::OrdStatus);
}

// The client asked for a resend since message index `from_sent` of what it sent.
bool sent_resend_request(const FixClient& c, std::size_t from_sent) {
  const auto sent = c.sent();
  for (std::size_t i = from_sent; i < sent.size(); ++i) {
    if (msg_type(sent[i]) == "2") return true;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cancel_on_disconnect)

BOOST_AUTO_TEST_CASE(day_session_tcp_drop_cancels_its_day_orders_and_keeps_gtc_and_gtd) {
  FixClient& c = the_venue().client("BRK1");
  const std::string sym = the_venue().symbol();
  const auto day = order(sym, kDay, "ALPHA-1");
  const auto gtc = order(sym, kGtc, "ALPHA-1");
  const auto gtd = order(sym, kGtd, "ALPHA-2");
  for (const auto& o : {day, gtc, gtd}) place(c, o);
  BOOST_TEST(live_orders_become("BRK1", 3));

  const std::size_t sent_before_drop = c.sent().size();
  c.drop();
  BOOST_TEST(c.sent().size() == sent_before_drop, "a dropped connection sends no Logout");
  BOOST_TEST(wait_session_logged_out(the_venue(), "BRK1"));
  BOOST_TEST(live_orders_become("BRK1", 2), "only the Day order is cancelled");

  const std::size_t from = c.count();
  const std::size_t from_sent = c.sent().size();
  c.logon();
  const auto cancelled = c.expect(er(day.clordid, "4"), 5s, from);
  BOOST_TEST_CONTEXT(printable(cancelled)) {
    BOOST_TEST(field(cancelled, FIX::FIELD::PossDupFlag) == "Y");
    BOOST_TEST(!field(cancelled, FIX::FIELD::OrigSendingTime).empty());
    BOOST_TEST(field(cancelled, FIX::FIELD::OrdStatus) == "4");
    BOOST_TEST(field(cancelled, FIX::FIELD::Text).find("cancel on disconnect") != std::string::npos);
  }
  BOOST_TEST(sent_resend_request(c, from_sent), "the client should have asked for what it missed");
  BOOST_TEST(c.none_within(er(gtc.clordid, "4"), 200ms, from));
  BOOST_TEST(c.none_within(er(gtd.clordid, "4"), 10ms, from));
  BOOST_TEST(status_of(c, gtc) == "0");
  BOOST_TEST(status_of(c, gtd) == "0");
  // Another firm cannot trade with the cancelled Day order, but can with the GTC one.
  FixClient& other = the_venue().client("BRK3");
  const OrderFields hit{.clordid = id("hit"),
                        .symbol = sym,
                        .side = kSell,
                        .price = "99.00",
                        .qty = "2",
                        .tif = kIoc,
                        .account = "GAMMA-1"};
  other.send(new_order(hit));
  other.expect(er(hit.clordid, "F").with(FIX::FIELD::CumQty, "2"));
  c.expect(er(gtc.clordid, "F"));
}

BOOST_AUTO_TEST_CASE(day_session_logout_also_cancels_its_day_orders) {
  FixClient& c = the_venue().client("BRK1");
  const std::string sym = the_venue().symbol();
  const auto day = order(sym, kDay, "ALPHA-1");
  const auto gtc = order(sym, kGtc, "ALPHA-1");
  place(c, day);
  place(c, gtc);
  c.logout();
  BOOST_TEST(wait_session_logged_out(the_venue(), "BRK1"));
  const std::size_t from = c.count();
  c.logon();
  const auto cancelled = c.expect(er(day.clordid, "4"), 5s, from);
  BOOST_TEST(field(cancelled, FIX::FIELD::PossDupFlag) == "Y", printable(cancelled));
  BOOST_TEST(status_of(c, gtc) == "0");
}

BOOST_AUTO_TEST_CASE(all_session_tcp_drop_cancels_every_order) {
  FixClient& c = the_venue().client("BRK2");
  const std::string sym = the_venue().symbol();
  const auto day = order(sym, kDay, "BETA-1");
  const auto gtc = order(sym, kGtc, "BETA-1", kSell);
  const auto gtd = order(sym, kGtd, "BETA-2");
  for (const auto& o : {day, gtc, gtd}) place(c, o);
  c.drop();
  BOOST_TEST(wait_session_logged_out(the_venue(), "BRK2"));
  BOOST_TEST(live_orders_become("BRK2", 0));
  const std::size_t from = c.count();
  c.logon();
  for (const auto& o : {day, gtc, gtd}) {
    const auto cancelled = c.expect(er(o.clordid, "4"), 5s, from);
    BOOST_TEST(field(cancelled, FIX::FIELD::PossDupFlag) == "Y", printable(cancelled));
    BOOST_TEST(field(cancelled, FIX::FIELD::Text).find("cancel on disconnect") != std::string::npos,
               printable(cancelled));
  }
}

BOOST_AUTO_TEST_CASE(off_session_tcp_drop_keeps_every_order) {
  FixClient& c = the_venue().client("BRK3");
  const std::string sym = the_venue().symbol();
  const auto day = order(sym, kDay, "GAMMA-1");
  const auto gtc = order(sym, kGtc, "GAMMA-1", kSell);
  const std::size_t live_before = the_venue().session("BRK3").value("live_orders", std::size_t{0});
  place(c, day);
  place(c, gtc);
  c.drop();
  BOOST_TEST(wait_session_logged_out(the_venue(), "BRK3"));
  std::this_thread::sleep_for(200ms);
  BOOST_TEST(the_venue().session("BRK3").value("live_orders", std::size_t{0}) == live_before + 2);
  const std::size_t from = c.count();
  c.logon();
  BOOST_TEST(c.none_within(er(day.clordid, "4"), 300ms, from));
  BOOST_TEST(status_of(c, day) == "0");
  BOOST_TEST(status_of(c, gtc) == "0");
}

BOOST_AUTO_TEST_CASE(venue_shuts_down_cleanly) { BOOST_TEST(the_venue().stop() == 0); }

BOOST_AUTO_TEST_SUITE_END()
