#define BOOST_TEST_MODULE e2e_restart
// A venue restart as brokers live through it: the venue is stopped with SIGTERM (it logs every session
// out and exits 0) and started again on the same journal, stores and identity log. Resting orders are
// still there, answer to their ClOrdIDs, trade, and can be cancelled; sequence numbers carry on; no
// ExecID is used twice.
//
// Sessions: BRK3 (cancel_on_disconnect "off") owns the resting orders, BRK2 trades against them.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <set>
#include <string>

#include "e2e/support/suite.h"

using namespace venue::e2e;
using namespace std::chrono_literals;

BOOST_TEST_GLOBAL_FIXTURE(SuiteVenueFixture);

namespace {

TestVenue& the_venue() { return suite_venue(); }
std::string id(const std::string& hint = "o") { return the_venue().id(hint); }
double num(const FIX::Message& m, int tag) { return std::stod("0" + field(m, tag)); }

// State carried from one test case to the next (they run in order).
struct Before {
  std::string sym;
  OrderFields gtc_sell;
  OrderFields day_buy;
  std::string gtc_order_id;
  int brk3_next_out = 0;
  std::string halted_sym;
} before;

// The instrument's entry in the operator API's instrument list.
nlohmann::json instrument_view(const std::string& symbol) {
  const auto r = the_venue().api("GET", "/api/v1/instruments");
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  const auto all = nlohmann::json::parse(r.body);
  for (const auto& i : all["instruments"]) {
    if (i.value("symbol", "") == symbol) return i;
  }
  BOOST_FAIL("no instrument " << symbol << " in " << r.body);
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(restart)

BOOST_AUTO_TEST_CASE(orders_rest_before_the_restart) {
  FixClient& owner = the_venue().client("BRK3");
  FixClient& other = the_venue().client("BRK2");
  before.sym = the_venue().symbol();
  before.gtc_sell = {.clordid = id("gtc-sell"),
                     .symbol = before.sym,
                     .side = kSell,
                     .price = "100.00",
                     .qty = "10",
                     .tif = kGtc,
                     .account = "GAMMA-1"};
  before.day_buy = {.clordid = id("day-buy"),
                    .symbol = before.sym,
                    .side = kBuy,
                    .price = "99.00",
                    .qty = "5",
                    .tif = kDay,
                    .account = "GAMMA-1"};
  before.gtc_order_id = field(place(owner, before.gtc_sell), FIX::FIELD::OrderID);
  place(owner, before.day_buy);
  // Some trading before the restart, so ExecIDs exist on both sides of it.
  const OrderFields buy{
      .clordid = id("pre-buy"), .symbol = before.sym, .side = kBuy, .price = "100.00", .qty = "2", .account = "BETA-1"};
  other.send(new_order(buy));
  other.expect(er(buy.clordid, "F"));
  owner.expect(er(before.gtc_sell.clordid, "F"));
  BOOST_TEST(the_venue().session("BRK3").value("live_orders", 0) == 2);
  // An operator halts another instrument: the halt is journaled like any command.
  before.halted_sym = the_venue().symbol();
  const auto halt = the_venue().trading_status(before.halted_sym, "halted");
  BOOST_TEST(halt.status == 200, halt.body);
}

BOOST_AUTO_TEST_CASE(sigterm_logs_sessions_out_and_exits_0) {
  FixClient& owner = the_venue().client_object("BRK3");
  const std::size_t from = owner.count();
  const int code = the_venue().process().stop();
  BOOST_TEST(code == 0, "exit code " << code << "; log:\n" << the_venue().process().log_tail());
  const auto logout = owner.expect(of_type("5"), 1s, from);
  BOOST_TEST(field(logout, FIX::FIELD::Text).find("shutting down") != std::string::npos, printable(logout));
  before.brk3_next_out = std::stoi(field(logout, FIX::FIELD::MsgSeqNum)) + 1;
  for (const char* comp : {"BRK2", "BRK3"}) the_venue().client_object(comp).close();
}

BOOST_AUTO_TEST_CASE(after_the_restart_sessions_carry_on_with_their_sequence_numbers) {
  the_venue().start();
  FixClient& owner = the_venue().client_object("BRK3");
  const std::size_t from = owner.count();
  const std::size_t from_sent = owner.sent().size();
  owner.logon();
  const auto logon = owner.expect(of_type("A"), 5s, from);
  BOOST_TEST(field(logon, FIX::FIELD::MsgSeqNum) == std::to_string(before.brk3_next_out), printable(logon));
  const auto sent = owner.sent();
  for (std::size_t i = from_sent; i < sent.size(); ++i) {
    BOOST_TEST(msg_type(sent[i]) != "2", "no gap, no ResendRequest: " << printable(sent[i]));
  }
  BOOST_TEST(the_venue().session("BRK3").value("live_orders", 0) == 2);
}

// Issue 11 (7): the gateway's trading status and last trade price come back from the engine (which
// replays them from its journal), not from the instrument file: a halt survives the restart in the
// gateway too, and the collar and market-order valuation go on from the last trade.
BOOST_AUTO_TEST_CASE(instruments_keep_their_trading_status_and_last_trade_across_the_restart) {
  BOOST_TEST(instrument_view(before.halted_sym).value("status", "") == "halted");
  BOOST_TEST(instrument_view(before.sym).value("last_trade", nlohmann::json()).dump() == "\"100.00\"");
  FixClient& other = the_venue().client("BRK2");
  const OrderFields o{.clordid = id("halted"),
                      .symbol = before.halted_sym,
                      .side = kBuy,
                      .price = "100.00",
                      .qty = "1",
                      .account = "BETA-1"};
  other.send(new_order(o));
  const auto rej = other.expect(er(o.clordid, "8"));
  check_order_reject(rej, 1002);
  BOOST_TEST(field(rej, FIX::FIELD::OrderID) == "NONE",
             "refused by the gateway, before the engine: " << printable(rej));
}

BOOST_AUTO_TEST_CASE(resting_orders_survive_and_answer_to_their_clordids) {
  FixClient& owner = the_venue().client("BRK3");
  const std::string req = id("sr");
  owner.send(status_request(before.gtc_sell.clordid, kSell, before.sym, req));
  const auto st = owner.expect(Match{"8", {{FIX::FIELD::OrdStatusReqID, req}}});
  BOOST_TEST_CONTEXT(printable(st)) {
    BOOST_TEST(field(st, FIX::FIELD::ExecType) == "I");
    BOOST_TEST(field(st, FIX::FIELD::OrdStatus) == "1");
    BOOST_TEST(field(st, FIX::FIELD::OrderID) == before.gtc_order_id);
    BOOST_TEST(num(st, FIX::FIELD::CumQty) == 2.0);
    BOOST_TEST(num(st, FIX::FIELD::LeavesQty) == 8.0);
    BOOST_TEST(field(st, FIX::FIELD::Account) == "GAMMA-1");
    BOOST_TEST(field(st, FIX::FIELD::TimeInForce) == "1");
  }
  // Its ClOrdID is still in use.
  auto dup = before.gtc_sell;
  dup.price = "100.50";
  owner.send(new_order(dup));
  const auto rej = owner.expect(Match{"8", {{FIX::FIELD::ClOrdID, dup.clordid}, {FIX::FIELD::ExecType, "8"}}});
  check_order_reject(rej, 2010);
}

BOOST_AUTO_TEST_CASE(a_crossing_order_fills_against_an_order_from_before_the_restart) {
  FixClient& owner = the_venue().client("BRK3");
  FixClient& other = the_venue().client("BRK2");
  const OrderFields buy{.clordid = id("post-buy"),
                        .symbol = before.sym,
                        .side = kBuy,
                        .price = "100.00",
                        .qty = "3",
                        .account = "BETA-1"};
  other.send(new_order(buy));
  const auto taker = other.expect(er(buy.clordid, "F"));
  BOOST_TEST(num(taker, FIX::FIELD::LastPx) == 100.0, printable(taker));
  const auto maker = owner.expect(er(before.gtc_sell.clordid, "F").with(FIX::FIELD::CumQty, "5"));
  BOOST_TEST_CONTEXT(printable(maker)) {
    BOOST_TEST(field(maker, FIX::FIELD::OrderID) == before.gtc_order_id);
    BOOST_TEST(num(maker, FIX::FIELD::LeavesQty) == 5.0);
    BOOST_TEST(field(maker, FIX::FIELD::Account) == "GAMMA-1");
  }
}

BOOST_AUTO_TEST_CASE(the_owner_cancels_an_order_from_before_the_restart_by_origclordid) {
  FixClient& owner = the_venue().client("BRK3");
  const std::string cxl = id("cxl");
  owner.send(
      cancel_request({.clordid = cxl, .orig_clordid = before.day_buy.clordid, .side = kBuy, .symbol = before.sym}));
  const auto done = owner.expect(er(cxl, "4"));
  BOOST_TEST(field(done, FIX::FIELD::OrigClOrdID) == before.day_buy.clordid, printable(done));
  BOOST_TEST(field(done, FIX::FIELD::OrdStatus) == "4", printable(done));
}

BOOST_AUTO_TEST_CASE(no_exec_id_is_used_twice_across_the_restart) {
  std::set<std::string> seen;
  std::size_t reports = 0;
  for (const char* comp : {"BRK2", "BRK3"}) {
    for (const auto& m : the_venue().client_object(comp).all(of_type("8"))) {
      if (field(m, FIX::FIELD::PossDupFlag) == "Y") continue;  // a resend repeats its ExecID on purpose
      ++reports;
      const std::string exec_id = field(m, FIX::FIELD::ExecID);
      BOOST_TEST(seen.insert(exec_id).second, "ExecID " << exec_id << " used twice: " << printable(m));
    }
  }
  BOOST_TEST(reports >= 10u);
}

BOOST_AUTO_TEST_CASE(venue_shuts_down_cleanly_again) { BOOST_TEST(the_venue().stop() == 0); }

// Firms, accounts and sessions carry explicit ids in the configuration, and the journal stores those:
// reordering the file or inserting an entry hands no order to another broker (before ids were explicit,
// it did: reports to the wrong session, wrong self-trade and kill-switch scopes).
BOOST_AUTO_TEST_CASE(reordered_and_inserted_config_entries_leave_every_order_with_its_broker) {
  the_venue().write_config({.reversed = true, .insert_session = true});
  the_venue().start();
  FixClient& owner = the_venue().client("BRK3");
  FixClient& other = the_venue().client("BRK2");
  const std::string req = id("sr-reordered");
  owner.send(status_request(before.gtc_sell.clordid, kSell, before.sym, req));
  const auto st = owner.expect(Match{"8", {{FIX::FIELD::OrdStatusReqID, req}}});
  BOOST_TEST_CONTEXT(printable(st)) {
    BOOST_TEST(field(st, FIX::FIELD::ExecType) == "I");
    BOOST_TEST(field(st, FIX::FIELD::OrderID) == before.gtc_order_id);
    BOOST_TEST(field(st, FIX::FIELD::Account) == "GAMMA-1");
    BOOST_TEST(num(st, FIX::FIELD::LeavesQty) == 5.0);
  }
  BOOST_TEST(the_venue().session("BRK3").value("live_orders", 0) == 1);
  BOOST_TEST(the_venue().session("NEWCO").value("live_orders", -1) == 0);
  // A fill against it reaches its owner, in its account, and only the two brokers of the trade.
  const OrderFields buy{.clordid = id("reordered-buy"),
                        .symbol = before.sym,
                        .side = kBuy,
                        .price = "100.00",
                        .qty = "1",
                        .account = "BETA-1"};
  other.send(new_order(buy));
  other.expect(er(buy.clordid, "F"));
  const auto maker = owner.expect(er(before.gtc_sell.clordid, "F").with(FIX::FIELD::CumQty, "6"));
  BOOST_TEST(field(maker, FIX::FIELD::Account) == "GAMMA-1", printable(maker));
  BOOST_TEST(the_venue().stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_config_without_the_session_of_live_orders_is_refused_at_start_with_what_to_do) {
  the_venue().write_config({.drop_session = "BRK3"});
  std::string error;
  try {
    the_venue().start();
  } catch (const std::exception& e) {
    error = e.what();
  }
  BOOST_TEST(error.find("[[session]] with id = 498 is missing (1 live orders)") != std::string::npos, error);
  BOOST_TEST(error.find("put the entries back with the same ids") != std::string::npos, error);
  // With the session back, the venue starts on the same state.
  the_venue().write_config({});
  the_venue().start();
  BOOST_TEST(the_venue().session("BRK3").value("live_orders", 0) == 1);
  BOOST_TEST(the_venue().stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(day_orders_expire_at_start_when_the_venue_was_down_at_the_end_of_day) {
  // A Day and a GTC order rest; the venue is down while an end of day falls due (its marker says the last
  // one ran yesterday); at start the Day order expires and the GTC order stays.
  the_venue().write_config({});
  the_venue().start();
  FixClient& b = the_venue().client("BRK2");
  const std::string sym = the_venue().symbol();
  const OrderFields day{.clordid = the_venue().id("day"),
                        .symbol = sym,
                        .side = kBuy,
                        .price = "90.00",
                        .qty = "5",
                        .tif = kDay,
                        .account = "BETA-1"};
  OrderFields gtc = day;
  gtc.clordid = the_venue().id("gtc");
  gtc.tif = kGtc;
  b.send(new_order(day));
  b.expect(er(day.clordid, "0"));
  b.send(new_order(gtc));
  b.expect(er(gtc.clordid, "0"));
  BOOST_TEST(the_venue().stop() == 0);
  const auto now_days =
      std::chrono::duration_cast<std::chrono::hours>(std::chrono::system_clock::now().time_since_epoch()).count() / 24;
  std::ofstream(the_venue().dir() / "state" / "gateway" / "end_of_day") << (now_days - 1) << "\n";
  the_venue().write_config({.end_of_day_time = "00:00:00"});
  the_venue().start();
  FixClient& again = the_venue().client("BRK2");
  const auto expired = again.expect(er(day.clordid, "C"), 10s);
  BOOST_TEST(field(expired, FIX::FIELD::OrdStatus) == "C");
  BOOST_TEST(again.none_within(er(gtc.clordid, "C"), 500ms), "a GTC order must not expire at the end of day");
  BOOST_TEST(the_venue().stop() == 0);
}
