// Order entry through the real venue (orders_test.cpp, whose venue these cases share): cancels, replaces
// and priority, status requests, mass cancels, self-trade prevention, and the checks over every message
// sent; the venue shut down last.
#include <boost/test/unit_test.hpp>

#include "e2e/orders_fixture.h"

BOOST_AUTO_TEST_SUITE(orders)

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
