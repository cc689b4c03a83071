#define BOOST_TEST_MODULE e2e_orders
// One program is one venue started once, in two files: this one (order types, times in force, fills)
// and orders_lifecycle_test.cpp (cancels, replaces, status requests, mass cancels, self-trade
// prevention, the checks over everything sent), run in that order; the helpers in orders_fixture.h.
// Order entry through the real venue, as brokers see it on their FIX sessions: every order type and
// time in force, fills on both sides, cancels, replaces (and what they do to priority), status
// requests, mass cancels and self-trade prevention. Each test trades its own instrument, so tests do not
// see each other's orders.
//
// Sessions: BRK1 (firm ALPHA, account ALPHA-1 unless said), BRK2 (BETA-1), BRK3 (GAMMA-1), KF (DELTA-1).

#include <boost/test/unit_test.hpp>

#include "e2e/orders_fixture.h"

BOOST_TEST_GLOBAL_FIXTURE(SuiteVenueFixture);

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

BOOST_AUTO_TEST_SUITE_END()
