#define BOOST_TEST_MODULE e2e_orders
// Over ~600 lines on purpose: one program is one venue started once; split in two, every CI run would
// start a second venue for the same broker-facing behaviour, and the cases read as one index of it.
// Order entry through the real venue, as brokers see it on their FIX sessions: every order type and
// time in force, fills on both sides, cancels, replaces (and what they do to priority), status
// requests, mass cancels and self-trade prevention. Each test trades its own instrument, so tests do not
// see each other's orders.
//
// Sessions: BRK1 (firm ALPHA, account ALPHA-1 unless said), BRK2 (BETA-1), BRK3 (GAMMA-1), KF (DELTA-1).
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <set>
#include <string>

#include "e2e/support/dictionary_check.h"
#include "e2e/support/suite.h"

using namespace venue::e2e;
using namespace std::chrono_literals;

BOOST_TEST_GLOBAL_FIXTURE(SuiteVenueFixture);

namespace {

TestVenue& the_venue() { return suite_venue(); }
FixClient& alpha() { return the_venue().client("BRK1"); }
FixClient& beta() { return the_venue().client("BRK2"); }
FixClient& gamma() { return the_venue().client("BRK3"); }

std::string id(const std::string& hint = "o") { return the_venue().id(hint); }

// A numeric field (NaN when absent), so prices compare whatever their text ("100" or "100.00").
double num(const FIX::Message& m, int tag) {
  const auto v = find_field(m, tag);
  return v && !v->empty() ? std::stod(*v) : std::nan("");
}

// Sends an order and returns its acknowledgement (ExecType 0).
FIX::Message place(FixClient& c, const OrderFields& o) {
  c.send(new_order(o));
  return c.expect(er(o.clordid, "0"));
}

OrderFields limit(const std::string& symbol, const char* side, const std::string& price, const std::string& qty,
                  const std::string& account, const char* tif = kDay) {
  return OrderFields{.clordid = id(side == std::string(kBuy) ? "buy" : "sell"),
                     .symbol = symbol,
                     .side = side,
                     .ord_type = kLimit,
                     .price = price,
                     .qty = qty,
                     .tif = tif,
                     .account = account};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(orders)

BOOST_AUTO_TEST_CASE(limit_day_order_is_acknowledged_with_the_brokers_fields_echoed) {
  const std::string sym = the_venue().symbol();
  const std::string clordid = "Ack/Limit Day#1-" + id();
  alpha().send(new_order({.clordid = clordid,
                          .symbol = sym,
                          .side = kBuy,
                          .ord_type = kLimit,
                          .price = "99.50",
                          .qty = "10",
                          .tif = kDay,
                          .account = "ALPHA-2",
                          .capacity = "A"}));
  const auto ack = alpha().expect(er(clordid, "0"));
  BOOST_TEST_CONTEXT(printable(ack)) {
    BOOST_TEST(field(ack, FIX::FIELD::OrdStatus) == "0");
    BOOST_TEST(num(ack, FIX::FIELD::LeavesQty) == 10.0);
    BOOST_TEST(num(ack, FIX::FIELD::CumQty) == 0.0);
    BOOST_TEST(num(ack, FIX::FIELD::AvgPx) == 0.0);
    BOOST_TEST(num(ack, FIX::FIELD::OrderQty) == 10.0);
    BOOST_TEST(num(ack, FIX::FIELD::Price) == 99.5);
    BOOST_TEST(!field(ack, FIX::FIELD::OrderID).empty());
    BOOST_TEST(!field(ack, FIX::FIELD::ExecID).empty());
    BOOST_TEST(field(ack, FIX::FIELD::ClOrdID) == clordid);
    BOOST_TEST(field(ack, FIX::FIELD::Account) == "ALPHA-2");
    BOOST_TEST(field(ack, FIX::FIELD::Symbol) == sym);
    BOOST_TEST(field(ack, FIX::FIELD::Side) == "1");
    BOOST_TEST(field(ack, FIX::FIELD::OrdType) == "2");
    BOOST_TEST(field(ack, FIX::FIELD::TimeInForce) == "0");
    BOOST_TEST(field(ack, FIX::FIELD::OrderCapacity) == "A");
    BOOST_TEST(!field(ack, FIX::FIELD::TransactTime).empty());
  }
}

BOOST_AUTO_TEST_CASE(acknowledgement_echoes_prices_exactly_as_the_broker_sent_them) {
  // spec/rules-of-engagement.md 3.2: the ExecutionReport "echoes exactly what the broker sent for
  // Account(1), Symbol(55), Side(54), OrdType(40), TimeInForce(59), Price(44), StopPx(99), ...".
  const std::string sym = the_venue().symbol();
  const std::string clordid = id("echo");
  alpha().send(new_order({.clordid = clordid,
                          .symbol = sym,
                          .side = kBuy,
                          .ord_type = kStopLimit,
                          .price = "101.50",
                          .qty = "10",
                          .account = "ALPHA-1",
                          .stop_px = "101.10"}));
  const auto ack = alpha().expect(er(clordid, "0"));
  BOOST_TEST(field(ack, FIX::FIELD::Price) == "101.50", printable(ack));
  BOOST_TEST(field(ack, FIX::FIELD::StopPx) == "101.10", printable(ack));
}

BOOST_AUTO_TEST_CASE(order_without_account_trades_for_the_sessions_first_account) {
  const std::string sym = the_venue().symbol();
  const std::string clordid = id();
  const auto ack = place(alpha(), {.clordid = clordid, .symbol = sym, .side = kBuy, .price = "99.00", .qty = "1"});
  BOOST_TEST(field(ack, FIX::FIELD::Account) == "ALPHA-1", printable(ack));
}

BOOST_AUTO_TEST_CASE(crossing_orders_fill_both_sides_at_the_resting_price) {
  const std::string sym = the_venue().symbol();
  const auto sell = limit(sym, kSell, "100.00", "10", "ALPHA-1");
  const auto sell_ack = place(alpha(), sell);
  const auto buy = limit(sym, kBuy, "100.50", "10", "BETA-1");
  beta().send(new_order(buy));
  beta().expect(er(buy.clordid, "0"));
  const auto taker = beta().expect(er(buy.clordid, "F"));
  const auto maker = alpha().expect(er(sell.clordid, "F"));
  BOOST_TEST_CONTEXT(printable(taker) << "\n" << printable(maker)) {
    for (const auto* m : {&taker, &maker}) {
      BOOST_TEST(field(*m, FIX::FIELD::OrdStatus) == "2");
      BOOST_TEST(num(*m, FIX::FIELD::LastQty) == 10.0);
      BOOST_TEST(num(*m, FIX::FIELD::LastPx) == 100.0);
      BOOST_TEST(num(*m, FIX::FIELD::AvgPx) == 100.0);
      BOOST_TEST(num(*m, FIX::FIELD::CumQty) == 10.0);
      BOOST_TEST(num(*m, FIX::FIELD::LeavesQty) == 0.0);
      BOOST_TEST(!field(*m, FIX::FIELD::TrdMatchID).empty());
    }
    BOOST_TEST(field(taker, FIX::FIELD::TrdMatchID) == field(maker, FIX::FIELD::TrdMatchID));
    BOOST_TEST(field(taker, FIX::FIELD::ExecID) != field(maker, FIX::FIELD::ExecID));
    BOOST_TEST(field(maker, FIX::FIELD::OrderID) == field(sell_ack, FIX::FIELD::OrderID));
    BOOST_TEST(field(taker, FIX::FIELD::LastLiquidityInd) == "2");  // removed liquidity
    BOOST_TEST(field(maker, FIX::FIELD::LastLiquidityInd) == "1");  // added liquidity
    BOOST_TEST(field(taker, FIX::FIELD::Account) == "BETA-1");
    BOOST_TEST(field(maker, FIX::FIELD::Account) == "ALPHA-1");
  }
}

BOOST_AUTO_TEST_CASE(partial_fills_report_cumulative_quantity_and_average_price) {
  const std::string sym = the_venue().symbol();
  const auto s1 = limit(sym, kSell, "100.00", "5", "ALPHA-1");
  const auto s2 = limit(sym, kSell, "101.00", "5", "ALPHA-1");
  place(alpha(), s1);
  place(alpha(), s2);
  const auto buy = limit(sym, kBuy, "101.00", "12", "BETA-1");
  beta().send(new_order(buy));
  const auto first = beta().expect(er(buy.clordid, "F").with(FIX::FIELD::CumQty, "5"));
  BOOST_TEST(field(first, FIX::FIELD::OrdStatus) == "1", printable(first));
  BOOST_TEST(num(first, FIX::FIELD::LastPx) == 100.0);
  BOOST_TEST(num(first, FIX::FIELD::LeavesQty) == 7.0);
  const auto second = beta().expect(er(buy.clordid, "F").with(FIX::FIELD::CumQty, "10"));
  BOOST_TEST_CONTEXT(printable(second)) {
    BOOST_TEST(field(second, FIX::FIELD::OrdStatus) == "1");
    BOOST_TEST(num(second, FIX::FIELD::LastPx) == 101.0);
    BOOST_TEST(num(second, FIX::FIELD::AvgPx) == 100.5);
    BOOST_TEST(num(second, FIX::FIELD::LeavesQty) == 2.0);  // the rest rests at 101.00
  }
  alpha().expect(er(s1.clordid, "F").with(FIX::FIELD::OrdStatus, "2"));
  alpha().expect(er(s2.clordid, "F").with(FIX::FIELD::OrdStatus, "2"));
}

BOOST_AUTO_TEST_CASE(ioc_fills_what_it_can_and_the_rest_is_cancelled) {
  const std::string sym = the_venue().symbol();
  place(alpha(), limit(sym, kSell, "100.00", "5", "ALPHA-1"));
  const auto ioc = limit(sym, kBuy, "100.00", "8", "BETA-1", kIoc);
  beta().send(new_order(ioc));
  beta().expect(er(ioc.clordid, "F").with(FIX::FIELD::LastQty, "5"));
  const auto done = beta().expect(er(ioc.clordid, "4"));
  BOOST_TEST_CONTEXT(printable(done)) {
    BOOST_TEST(field(done, FIX::FIELD::OrdStatus) == "4");
    BOOST_TEST(num(done, FIX::FIELD::CumQty) == 5.0);
    BOOST_TEST(num(done, FIX::FIELD::LeavesQty) == 0.0);
    BOOST_TEST(field(done, FIX::FIELD::TimeInForce) == "3");
  }
  // Nothing to trade with: cancelled at once, nothing left on the book.
  const auto alone = limit(sym, kBuy, "99.00", "3", "BETA-1", kIoc);
  beta().send(new_order(alone));
  const auto gone = beta().expect(er(alone.clordid, "4"));
  BOOST_TEST(num(gone, FIX::FIELD::CumQty) == 0.0, printable(gone));
}

BOOST_AUTO_TEST_CASE(fok_that_cannot_fill_in_full_is_cancelled_without_trading) {
  const std::string sym = the_venue().symbol();
  const auto sell = limit(sym, kSell, "100.00", "5", "ALPHA-1");
  place(alpha(), sell);
  const auto fok = limit(sym, kBuy, "100.00", "8", "BETA-1", kFok);
  beta().send(new_order(fok));
  const auto killed = beta().expect(er(fok.clordid, "4"));
  BOOST_TEST(num(killed, FIX::FIELD::CumQty) == 0.0, printable(killed));
  BOOST_TEST(field(killed, FIX::FIELD::Text).find("fill-or-kill") != std::string::npos, printable(killed));
  BOOST_TEST(alpha().none_within(er(sell.clordid, "F"), 200ms), "the resting order must not trade");
  // A FOK that can fill does, in full.
  const auto fok2 = limit(sym, kBuy, "100.00", "5", "BETA-1", kFok);
  beta().send(new_order(fok2));
  const auto filled = beta().expect(er(fok2.clordid, "F"));
  BOOST_TEST(field(filled, FIX::FIELD::OrdStatus) == "2", printable(filled));
}

BOOST_AUTO_TEST_CASE(gtc_order_rests_and_is_reported_by_status_request) {
  const std::string sym = the_venue().symbol();
  const auto gtc = limit(sym, kBuy, "98.00", "7", "ALPHA-1", kGtc);
  const auto ack = place(alpha(), gtc);
  BOOST_TEST(field(ack, FIX::FIELD::TimeInForce) == "1");
  alpha().send(status_request(gtc.clordid, kBuy, sym, "SR-gtc"));
  const auto st = alpha().expect(er(gtc.clordid, "I"));
  BOOST_TEST_CONTEXT(printable(st)) {
    BOOST_TEST(field(st, FIX::FIELD::OrdStatus) == "0");
    BOOST_TEST(field(st, FIX::FIELD::OrdStatusReqID) == "SR-gtc");
    BOOST_TEST(num(st, FIX::FIELD::LeavesQty) == 7.0);
    BOOST_TEST(field(st, FIX::FIELD::OrderID) == field(ack, FIX::FIELD::OrderID));
    BOOST_TEST(field(st, FIX::FIELD::TimeInForce) == "1");
  }
}

BOOST_AUTO_TEST_CASE(gtd_order_expires_at_its_expire_time) {
  const std::string sym = the_venue().symbol();
  auto gtd = limit(sym, kBuy, "98.00", "3", "ALPHA-1", kGtd);
  gtd.expire_time = utc_timestamp_from_now(1500);
  const auto ack = place(alpha(), gtd);
  BOOST_TEST(field(ack, FIX::FIELD::ExpireTime) == gtd.expire_time, printable(ack));
  const auto expired = alpha().expect(er(gtd.clordid, "C"), 5s);
  BOOST_TEST_CONTEXT(printable(expired)) {
    BOOST_TEST(field(expired, FIX::FIELD::OrdStatus) == "C");
    BOOST_TEST(num(expired, FIX::FIELD::LeavesQty) == 0.0);
    BOOST_TEST(field(expired, FIX::FIELD::ExpireTime) == gtd.expire_time);
  }
}

BOOST_AUTO_TEST_CASE(market_order_takes_the_book_best_price_first) {
  const std::string sym = the_venue().symbol();
  const auto s1 = limit(sym, kSell, "100.20", "5", "ALPHA-1");
  const auto s2 = limit(sym, kSell, "100.10", "5", "ALPHA-1");
  place(alpha(), s1);
  place(alpha(), s2);
  const std::string mkt = id("mkt");
  beta().send(
      new_order({.clordid = mkt, .symbol = sym, .side = kBuy, .ord_type = kMarket, .qty = "8", .account = "BETA-1"}));
  const auto f1 = beta().expect(er(mkt, "F").with(FIX::FIELD::CumQty, "5"));
  BOOST_TEST(num(f1, FIX::FIELD::LastPx) == 100.1, printable(f1));
  const auto f2 = beta().expect(er(mkt, "F").with(FIX::FIELD::CumQty, "8"));
  BOOST_TEST_CONTEXT(printable(f2)) {
    BOOST_TEST(num(f2, FIX::FIELD::LastPx) == 100.2);
    BOOST_TEST(num(f2, FIX::FIELD::LastQty) == 3.0);
    BOOST_TEST(field(f2, FIX::FIELD::OrdStatus) == "2");
    BOOST_TEST(field(f2, FIX::FIELD::OrdType) == "1");
  }
  // A market order with nothing left to take is cancelled, not left resting.
  const std::string mkt2 = id("mkt");
  beta().send(
      new_order({.clordid = mkt2, .symbol = sym, .side = kSell, .ord_type = kMarket, .qty = "4", .account = "BETA-1"}));
  const auto gone = beta().expect(er(mkt2, "4"));
  BOOST_TEST(num(gone, FIX::FIELD::CumQty) == 0.0, printable(gone));
}

BOOST_AUTO_TEST_CASE(stop_order_triggers_when_a_trade_reaches_its_stop_price_and_then_trades) {
  const std::string sym = the_venue().symbol();
  const std::string stop = id("stop");
  const auto ack = place(alpha(), {.clordid = stop,
                                   .symbol = sym,
                                   .side = kBuy,
                                   .ord_type = kStop,
                                   .qty = "5",
                                   .account = "ALPHA-1",
                                   .stop_px = "101.00"});
  BOOST_TEST(num(ack, FIX::FIELD::StopPx) == 101.0, printable(ack));
  // Liquidity above the stop, then a trade at the stop price between two other firms.
  const auto offer = limit(sym, kSell, "101.50", "5", "BETA-1");
  place(beta(), offer);
  place(beta(), limit(sym, kSell, "101.00", "1", "BETA-1"));
  BOOST_TEST(alpha().none_within(er(stop, "F"), 200ms), "a stop must not trade before it triggers");
  const auto lift = limit(sym, kBuy, "101.00", "1", "GAMMA-1");
  gamma().send(new_order(lift));
  gamma().expect(er(lift.clordid, "F"));
  const auto triggered = alpha().expect(er(stop, "D"));
  BOOST_TEST(field(triggered, FIX::FIELD::Text).find("triggered") != std::string::npos, printable(triggered));
  const auto fill = alpha().expect(er(stop, "F"));
  BOOST_TEST_CONTEXT(printable(fill)) {
    BOOST_TEST(num(fill, FIX::FIELD::LastPx) == 101.5);
    BOOST_TEST(field(fill, FIX::FIELD::OrdStatus) == "2");
  }
  beta().expect(er(offer.clordid, "F"));
}

BOOST_AUTO_TEST_CASE(stop_limit_order_triggers_and_rests_at_its_limit) {
  const std::string sym = the_venue().symbol();
  const std::string sl = id("stoplimit");
  place(alpha(), {.clordid = sl,
                  .symbol = sym,
                  .side = kSell,
                  .ord_type = kStopLimit,
                  .price = "98.50",
                  .qty = "4",
                  .account = "ALPHA-1",
                  .stop_px = "99.00"});
  // A trade at 99.00 between two other firms triggers the sell stop.
  place(beta(), limit(sym, kBuy, "99.00", "1", "BETA-1"));
  gamma().send(new_order(limit(sym, kSell, "99.00", "1", "GAMMA-1")));
  alpha().expect(er(sl, "D"));
  // Now a limit sell at 98.50: it rests (no bid at or above 98.50 left) and trades when one comes.
  alpha().send(status_request(sl, kSell, sym));
  const auto st = alpha().expect(er(sl, "I"));
  BOOST_TEST(field(st, FIX::FIELD::OrdStatus) == "0", printable(st));
  const auto bid = limit(sym, kBuy, "98.60", "4", "BETA-1");
  beta().send(new_order(bid));
  const auto fill = alpha().expect(er(sl, "F"));
  BOOST_TEST(num(fill, FIX::FIELD::LastPx) == 98.5, printable(fill));
  BOOST_TEST(field(fill, FIX::FIELD::OrdStatus) == "2", printable(fill));
}

BOOST_AUTO_TEST_CASE(iceberg_shows_only_max_floor_and_refills_behind_the_queue) {
  const std::string sym = the_venue().symbol();
  const std::string ice = id("iceberg");
  const auto ack = place(alpha(), {.clordid = ice,
                                   .symbol = sym,
                                   .side = kSell,
                                   .price = "100.00",
                                   .qty = "100",
                                   .account = "ALPHA-1",
                                   .max_floor = "10"});
  BOOST_TEST(num(ack, FIX::FIELD::MaxFloor) == 10.0, printable(ack));
  const auto plain = limit(sym, kSell, "100.00", "20", "GAMMA-1");
  place(gamma(), plain);
  // 15 to buy: the iceberg's visible 10 first, then its refill queues behind the plain order.
  const auto buy = limit(sym, kBuy, "100.00", "15", "BETA-1");
  beta().send(new_order(buy));
  beta().expect(er(buy.clordid, "F").with(FIX::FIELD::CumQty, "15"));
  const auto ice_fill = alpha().expect(er(ice, "F"));
  BOOST_TEST(num(ice_fill, FIX::FIELD::LastQty) == 10.0, printable(ice_fill));
  BOOST_TEST(num(ice_fill, FIX::FIELD::LeavesQty) == 90.0, printable(ice_fill));
  const auto plain_fill = gamma().expect(er(plain.clordid, "F"));
  BOOST_TEST(num(plain_fill, FIX::FIELD::LastQty) == 5.0, printable(plain_fill));
  BOOST_TEST(alpha().none_within(er(ice, "F").with(FIX::FIELD::CumQty, "15"), 200ms));
}

BOOST_AUTO_TEST_CASE(post_only_order_rests_when_it_would_not_take) {
  const std::string sym = the_venue().symbol();
  place(beta(), limit(sym, kSell, "100.00", "5", "BETA-1"));
  auto po = limit(sym, kBuy, "99.99", "5", "ALPHA-1");
  po.exec_inst = "6";
  const auto ack = place(alpha(), po);
  BOOST_TEST(field(ack, FIX::FIELD::ExecInst) == "6", printable(ack));
  // One that would take is refused (see the rejects suite for the code).
  auto taker = limit(sym, kBuy, "100.00", "5", "ALPHA-1");
  taker.exec_inst = "6";
  alpha().send(new_order(taker));
  check_order_reject(alpha().expect(er(taker.clordid, "8")), 1030);
}

BOOST_AUTO_TEST_CASE(min_qty_on_ioc_trades_only_if_that_much_is_there_at_once) {
  const std::string sym = the_venue().symbol();
  const auto sell = limit(sym, kSell, "100.00", "5", "BETA-1");
  place(beta(), sell);
  auto big = limit(sym, kBuy, "100.00", "10", "ALPHA-1", kIoc);
  big.min_qty = "8";
  alpha().send(new_order(big));
  const auto none = alpha().expect(er(big.clordid, "4"));
  BOOST_TEST(num(none, FIX::FIELD::CumQty) == 0.0, printable(none));
  BOOST_TEST(field(none, FIX::FIELD::Text).find("MinQty") != std::string::npos, printable(none));
  BOOST_TEST(beta().none_within(er(sell.clordid, "F"), 200ms));
  auto enough = limit(sym, kBuy, "100.00", "10", "ALPHA-1", kIoc);
  enough.min_qty = "5";
  alpha().send(new_order(enough));
  alpha().expect(er(enough.clordid, "F").with(FIX::FIELD::LastQty, "5"));
  const auto rest = alpha().expect(er(enough.clordid, "4"));
  BOOST_TEST(num(rest, FIX::FIELD::CumQty) == 5.0, printable(rest));
}

BOOST_AUTO_TEST_CASE(cancel_request_is_confirmed_with_clordid_and_origclordid) {
  const std::string sym = the_venue().symbol();
  const auto o = limit(sym, kBuy, "99.00", "10", "ALPHA-1");
  const auto ack = place(alpha(), o);
  const std::string cxl = id("cxl");
  alpha().send(cancel_request({.clordid = cxl,
                               .orig_clordid = o.clordid,
                               .side = kBuy,
                               .symbol = sym,
                               .order_id = field(ack, FIX::FIELD::OrderID)}));
  const auto done = alpha().expect(er(cxl, "4"));
  BOOST_TEST_CONTEXT(printable(done)) {
    BOOST_TEST(field(done, FIX::FIELD::OrdStatus) == "4");
    BOOST_TEST(field(done, FIX::FIELD::OrigClOrdID) == o.clordid);
    BOOST_TEST(field(done, FIX::FIELD::OrderID) == field(ack, FIX::FIELD::OrderID));
    BOOST_TEST(num(done, FIX::FIELD::LeavesQty) == 0.0);
    BOOST_TEST(num(done, FIX::FIELD::CumQty) == 0.0);
  }
}

BOOST_AUTO_TEST_CASE(cancel_of_a_partly_filled_order_reports_what_was_filled) {
  const std::string sym = the_venue().symbol();
  const auto o = limit(sym, kSell, "100.00", "10", "ALPHA-1");
  place(alpha(), o);
  beta().send(new_order(limit(sym, kBuy, "100.00", "4", "BETA-1")));
  alpha().expect(er(o.clordid, "F"));
  const std::string cxl = id("cxl");
  alpha().send(cancel_request({.clordid = cxl, .orig_clordid = o.clordid, .side = kSell, .symbol = sym}));
  const auto done = alpha().expect(er(cxl, "4"));
  BOOST_TEST(num(done, FIX::FIELD::CumQty) == 4.0, printable(done));
  BOOST_TEST(num(done, FIX::FIELD::LeavesQty) == 0.0, printable(done));
  BOOST_TEST(field(done, FIX::FIELD::OrdStatus) == "4", printable(done));
}

BOOST_AUTO_TEST_CASE(replace_is_confirmed_and_the_order_answers_to_its_new_clordid) {
  const std::string sym = the_venue().symbol();
  const auto o = limit(sym, kBuy, "99.00", "10", "ALPHA-1");
  const auto ack = place(alpha(), o);
  const std::string rep = id("rep");
  alpha().send(replace_request({.clordid = rep,
                                .orig_clordid = o.clordid,
                                .symbol = sym,
                                .side = kBuy,
                                .price = "99.10",
                                .qty = "12",
                                .account = "ALPHA-1"}));
  const auto replaced = alpha().expect(er(rep, "5"));
  BOOST_TEST_CONTEXT(printable(replaced)) {
    BOOST_TEST(field(replaced, FIX::FIELD::OrigClOrdID) == o.clordid);
    BOOST_TEST(field(replaced, FIX::FIELD::OrdStatus) == "0");
    BOOST_TEST(num(replaced, FIX::FIELD::Price) == 99.1);
    BOOST_TEST(num(replaced, FIX::FIELD::OrderQty) == 12.0);
    BOOST_TEST(num(replaced, FIX::FIELD::LeavesQty) == 12.0);
    BOOST_TEST(field(replaced, FIX::FIELD::OrderID) == field(ack, FIX::FIELD::OrderID));
  }
  // The new ClOrdID names the order now; the old one does not.
  const std::string cxl = id("cxl");
  alpha().send(cancel_request({.clordid = cxl, .orig_clordid = rep, .side = kBuy, .symbol = sym}));
  alpha().expect(er(cxl, "4"));
}

BOOST_AUTO_TEST_CASE(replace_reducing_quantity_keeps_time_priority) {
  const std::string sym = the_venue().symbol();
  const auto first = limit(sym, kSell, "100.00", "10", "ALPHA-1");
  place(alpha(), first);
  const auto second = limit(sym, kSell, "100.00", "10", "GAMMA-1");
  place(gamma(), second);
  const std::string rep = id("rep-down");
  alpha().send(replace_request(
      {.clordid = rep, .orig_clordid = first.clordid, .symbol = sym, .side = kSell, .price = "100.00", .qty = "5"}));
  const auto replaced = alpha().expect(er(rep, "5"));
  BOOST_TEST(num(replaced, FIX::FIELD::LeavesQty) == 5.0, printable(replaced));
  beta().send(new_order(limit(sym, kBuy, "100.00", "5", "BETA-1")));
  const auto fill = alpha().expect(er(rep, "F"));
  BOOST_TEST(field(fill, FIX::FIELD::OrdStatus) == "2", printable(fill));
  BOOST_TEST(gamma().none_within(er(second.clordid, "F"), 200ms), "the second order must still wait its turn");
}

BOOST_AUTO_TEST_CASE(replace_increasing_quantity_loses_time_priority) {
  const std::string sym = the_venue().symbol();
  const auto first = limit(sym, kSell, "100.00", "10", "ALPHA-1");
  place(alpha(), first);
  const auto second = limit(sym, kSell, "100.00", "10", "GAMMA-1");
  place(gamma(), second);
  const std::string rep = id("rep-up");
  alpha().send(replace_request(
      {.clordid = rep, .orig_clordid = first.clordid, .symbol = sym, .side = kSell, .price = "100.00", .qty = "15"}));
  alpha().expect(er(rep, "5"));
  beta().send(new_order(limit(sym, kBuy, "100.00", "5", "BETA-1")));
  gamma().expect(er(second.clordid, "F"));
  BOOST_TEST(alpha().none_within(er(rep, "F"), 200ms), "the enlarged order is now behind");
}

BOOST_AUTO_TEST_CASE(order_status_request_reports_fills_so_far) {
  const std::string sym = the_venue().symbol();
  const auto o = limit(sym, kSell, "100.00", "10", "ALPHA-1");
  const auto ack = place(alpha(), o);
  beta().send(new_order(limit(sym, kBuy, "100.00", "3", "BETA-1")));
  alpha().expect(er(o.clordid, "F"));
  alpha().send(status_request(o.clordid, kSell, sym, "SR-1"));
  const auto st = alpha().expect(er(o.clordid, "I"));
  BOOST_TEST_CONTEXT(printable(st)) {
    BOOST_TEST(field(st, FIX::FIELD::OrdStatus) == "1");
    BOOST_TEST(num(st, FIX::FIELD::CumQty) == 3.0);
    BOOST_TEST(num(st, FIX::FIELD::LeavesQty) == 7.0);
    BOOST_TEST(num(st, FIX::FIELD::AvgPx) == 100.0);
    BOOST_TEST(field(st, FIX::FIELD::OrdStatusReqID) == "SR-1");
    BOOST_TEST(field(st, FIX::FIELD::OrderID) == field(ack, FIX::FIELD::OrderID));
  }
}

BOOST_AUTO_TEST_CASE(order_status_request_of_an_order_that_has_ended_answers_unknown_order) {
  // spec/rules-of-engagement.md 3.1: "Orders that have ended are not known to status requests": the
  // answer is the unknown-order one (150=I, 39=8, 103=5, code 2011), not the order's final status.
  const std::string sym = the_venue().symbol();
  const auto o = limit(sym, kSell, "100.00", "5", "ALPHA-1");
  place(alpha(), o);
  beta().send(new_order(limit(sym, kBuy, "100.00", "5", "BETA-1")));
  alpha().expect(er(o.clordid, "F").with(FIX::FIELD::OrdStatus, "2"));
  alpha().send(status_request(o.clordid, kSell, sym, "SR-done"));
  const auto st = alpha().expect(Match{"8", {{FIX::FIELD::OrdStatusReqID, "SR-done"}}});
  BOOST_TEST_CONTEXT(printable(st)) {
    BOOST_TEST(field(st, FIX::FIELD::ExecType) == "I");
    BOOST_TEST(field(st, FIX::FIELD::OrdStatus) == "8");
    BOOST_TEST(field(st, FIX::FIELD::OrdRejReason) == "5");
    check_reject_text(st, 2011);
  }
}

BOOST_AUTO_TEST_CASE(mass_cancel_of_everything_reports_the_count_and_cancels_each_order) {
  FixClient& kf = the_venue().client("KF");  // a session with no other orders
  const std::string a = the_venue().symbol();
  const std::string b = the_venue().symbol();
  std::vector<std::string> ids;
  for (const auto& [sym, side] : {std::pair{a, kBuy}, std::pair{a, kSell}, std::pair{b, kBuy}}) {
    const auto o = limit(sym, side, side == std::string(kBuy) ? "99.00" : "101.00", "2", "DELTA-1", kGtc);
    place(kf, o);
    ids.push_back(o.clordid);
  }
  const std::string mc = id("mass7");
  kf.send(mass_cancel_request(mc, "7"));
  const auto report = kf.expect(Match{"r", {{FIX::FIELD::ClOrdID, mc}}});
  BOOST_TEST_CONTEXT(printable(report)) {
    BOOST_TEST(field(report, FIX::FIELD::MassCancelRequestType) == "7");
    BOOST_TEST(field(report, FIX::FIELD::MassCancelResponse) == "7");
    BOOST_TEST(field(report, FIX::FIELD::TotalAffectedOrders) == "3");
    BOOST_TEST(!field(report, FIX::FIELD::OrderID).empty());
  }
  for (const auto& o : ids) {
    const auto c = kf.expect(er(o, "4"));
    BOOST_TEST(field(c, FIX::FIELD::OrdStatus) == "4", printable(c));
  }
}

BOOST_AUTO_TEST_CASE(mass_cancel_of_one_instrument_leaves_the_others) {
  const std::string a = the_venue().symbol();
  const std::string b = the_venue().symbol();
  const auto a1 = limit(a, kBuy, "99.00", "1", "ALPHA-1");
  const auto a2 = limit(a, kSell, "101.00", "1", "ALPHA-2");
  const auto b1 = limit(b, kBuy, "99.00", "1", "ALPHA-1");
  for (const auto& o : {a1, a2, b1}) place(alpha(), o);
  const std::string mc = id("mass1");
  alpha().send(mass_cancel_request(mc, "1", a));
  const auto report = alpha().expect(Match{"r", {{FIX::FIELD::ClOrdID, mc}}});
  BOOST_TEST(field(report, FIX::FIELD::MassCancelResponse) == "1", printable(report));
  BOOST_TEST(field(report, FIX::FIELD::TotalAffectedOrders) == "2", printable(report));
  BOOST_TEST(field(report, FIX::FIELD::Symbol) == a, printable(report));
  alpha().expect(er(a1.clordid, "4"));
  alpha().expect(er(a2.clordid, "4"));
  BOOST_TEST(alpha().none_within(er(b1.clordid, "4"), 200ms), "another instrument's order stays");
}

BOOST_AUTO_TEST_CASE(mass_cancel_of_one_instrument_and_side) {
  const std::string a = the_venue().symbol();
  const auto buy = limit(a, kBuy, "99.00", "1", "ALPHA-1");
  const auto sell = limit(a, kSell, "101.00", "1", "ALPHA-1");
  place(alpha(), buy);
  place(alpha(), sell);
  const std::string mc = id("mass1s");
  alpha().send(mass_cancel_request(mc, "1", a, kSell));
  const auto report = alpha().expect(Match{"r", {{FIX::FIELD::ClOrdID, mc}}});
  BOOST_TEST(field(report, FIX::FIELD::TotalAffectedOrders) == "1", printable(report));
  alpha().expect(er(sell.clordid, "4"));
  BOOST_TEST(alpha().none_within(er(buy.clordid, "4"), 200ms));
}

BOOST_AUTO_TEST_CASE(self_trade_prevention_cancel_newest) {
  const std::string sym = the_venue().symbol();
  const auto resting = limit(sym, kSell, "100.00", "10", "ALPHA-1");
  place(alpha(), resting);
  auto incoming = limit(sym, kBuy, "100.00", "10", "ALPHA-1");
  incoming.stp = "N";
  alpha().send(new_order(incoming));
  const auto cancelled = alpha().expect(er(incoming.clordid, "4"));
  BOOST_TEST(field(cancelled, FIX::FIELD::Text).find("self-trade") != std::string::npos, printable(cancelled));
  BOOST_TEST(field(cancelled, 8000) == "N", printable(cancelled));
  BOOST_TEST(alpha().none_within(er(resting.clordid, "F"), 100ms));
  BOOST_TEST(alpha().none_within(er(resting.clordid, "4"), 100ms), "the resting order stays");
  // It still trades with another firm.
  beta().send(new_order(limit(sym, kBuy, "100.00", "10", "BETA-1")));
  alpha().expect(er(resting.clordid, "F"));
}

BOOST_AUTO_TEST_CASE(self_trade_prevention_cancel_oldest) {
  const std::string sym = the_venue().symbol();
  const auto resting = limit(sym, kSell, "100.00", "10", "ALPHA-1");
  place(alpha(), resting);
  auto incoming = limit(sym, kBuy, "100.00", "10", "ALPHA-1");
  incoming.stp = "O";
  alpha().send(new_order(incoming));
  const auto cancelled = alpha().expect(er(resting.clordid, "4"));
  BOOST_TEST(field(cancelled, FIX::FIELD::Text).find("self-trade") != std::string::npos, printable(cancelled));
  BOOST_TEST(alpha().none_within(er(incoming.clordid, "4"), 100ms), "the new order rests");
  alpha().send(status_request(incoming.clordid, kBuy, sym));
  BOOST_TEST(field(alpha().expect(er(incoming.clordid, "I")), FIX::FIELD::OrdStatus) == "0");
}

BOOST_AUTO_TEST_CASE(self_trade_prevention_cancel_both) {
  const std::string sym = the_venue().symbol();
  const auto resting = limit(sym, kSell, "100.00", "10", "ALPHA-1");
  place(alpha(), resting);
  auto incoming = limit(sym, kBuy, "100.00", "10", "ALPHA-1");
  incoming.stp = "B";
  alpha().send(new_order(incoming));
  const auto old_cancelled = alpha().expect(er(resting.clordid, "4"));
  const auto new_cancelled = alpha().expect(er(incoming.clordid, "4"));
  BOOST_TEST(field(old_cancelled, FIX::FIELD::Text).find("self-trade") != std::string::npos, printable(old_cancelled));
  BOOST_TEST(field(new_cancelled, FIX::FIELD::Text).find("self-trade") != std::string::npos, printable(new_cancelled));
}

BOOST_AUTO_TEST_CASE(self_trade_prevention_decrement_and_cancel) {
  const std::string sym = the_venue().symbol();
  const auto resting = limit(sym, kSell, "100.00", "10", "ALPHA-1");
  place(alpha(), resting);
  auto incoming = limit(sym, kBuy, "100.00", "4", "ALPHA-1");
  incoming.stp = "D";
  alpha().send(new_order(incoming));
  // The smaller order is cancelled; the larger is restated down by the same quantity.
  alpha().expect(er(incoming.clordid, "4"));
  const auto restated = alpha().expect(er(resting.clordid, "D"));
  BOOST_TEST(num(restated, FIX::FIELD::LeavesQty) == 6.0, printable(restated));
  BOOST_TEST(alpha().none_within(er(resting.clordid, "F"), 100ms));
}

BOOST_AUTO_TEST_CASE(orders_of_two_accounts_of_one_firm_trade_with_each_other) {
  // The venue's STP scope is the account (stp_scope = "account").
  const std::string sym = the_venue().symbol();
  const auto sell = limit(sym, kSell, "100.00", "3", "ALPHA-1");
  place(alpha(), sell);
  auto buy = limit(sym, kBuy, "100.00", "3", "ALPHA-2");
  buy.stp = "N";
  alpha().send(new_order(buy));
  BOOST_TEST(field(alpha().expect(er(buy.clordid, "F")), FIX::FIELD::OrdStatus) == "2");
  BOOST_TEST(field(alpha().expect(er(sell.clordid, "F")), FIX::FIELD::OrdStatus) == "2");
}

BOOST_AUTO_TEST_CASE(board_lot_instrument_takes_multiples_of_its_lot) {
  const auto o = limit("LOT100", kBuy, "25.05", "300", "ALPHA-1");
  const auto ack = place(alpha(), o);
  BOOST_TEST(num(ack, FIX::FIELD::OrderQty) == 300.0, printable(ack));
  BOOST_TEST(num(ack, FIX::FIELD::LeavesQty) == 300.0, printable(ack));
  BOOST_TEST(num(ack, FIX::FIELD::Price) == 25.05, printable(ack));
  const auto sell = limit("LOT100", kSell, "25.05", "200", "BETA-1");
  beta().send(new_order(sell));
  const auto fill = beta().expect(er(sell.clordid, "F"));
  BOOST_TEST(num(fill, FIX::FIELD::LastQty) == 200.0, printable(fill));
  const auto maker = alpha().expect(er(o.clordid, "F"));
  BOOST_TEST(num(maker, FIX::FIELD::LeavesQty) == 100.0, printable(maker));
}

BOOST_AUTO_TEST_CASE(every_exec_id_the_venue_sent_is_unique) {
  std::set<std::string> seen;
  for (FixClient* c : {&alpha(), &beta(), &gamma(), &the_venue().client("KF")}) {
    for (const auto& m : c->all(of_type("8"))) {
      const std::string exec_id = field(m, FIX::FIELD::ExecID);
      BOOST_TEST(seen.insert(exec_id).second, "ExecID " << exec_id << " seen twice: " << printable(m));
    }
  }
  BOOST_TEST(seen.size() > 50u);
}

BOOST_AUTO_TEST_CASE(every_message_the_venue_sent_passes_its_published_dictionary) {
  for (FixClient* c : {&alpha(), &beta(), &gamma(), &the_venue().client("KF")}) {
    std::vector<FIX::Message> all;
    for (const auto& r : c->received()) all.push_back(r.msg);
    BOOST_TEST(!all.empty());
    for (const auto& v : dictionary_violations(all)) BOOST_ERROR(c->options().sender << ": " << v);
  }
}

BOOST_AUTO_TEST_CASE(venue_shuts_down_cleanly) {
  const int code = the_venue().stop();
  BOOST_TEST(code == 0);
}

BOOST_AUTO_TEST_SUITE_END()
