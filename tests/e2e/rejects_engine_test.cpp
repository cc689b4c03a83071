// The reject-code catalogue against the real venue (rejects_test.cpp, whose venue these cases share):
// the engine's codes (1000), mass cancels and messages; the venue shut down last.
#include <boost/test/unit_test.hpp>

#include "e2e/rejects_fixture.h"

BOOST_AUTO_TEST_SUITE(engine_1000)

BOOST_AUTO_TEST_CASE(unknown_symbol_is_1001_unknown_instrument) {
  expect_order_reject(limit("NO-SUCH-SYMBOL", kBuy, "100.00", "1"), 1001);
}

BOOST_AUTO_TEST_CASE(halted_instrument_refuses_orders_and_replaces_with_1002_but_takes_cancels) {
  const std::string sym = the_venue().symbol();
  const auto resting = limit(sym, kBuy, "99.00", "5");
  place(alpha(), resting);
  BOOST_REQUIRE(the_venue().trading_status(sym, "halted").status == 200);
  // The status change reaches the engine and the gateway asynchronously: poll until orders are refused.
  FIX::Message rej;
  for (int i = 0; i < 50; ++i) {
    const auto o = limit(sym, kBuy, "99.00", "1");
    alpha().send(new_order(o));
    rej = alpha().expect(Match{"8", {{FIX::FIELD::ClOrdID, o.clordid}}});
    if (field(rej, FIX::FIELD::ExecType) == "8") break;
    std::this_thread::sleep_for(20ms);
  }
  check_order_reject(rej, 1002);
  expect_cancel_reject(alpha(),
                       replace_request({.clordid = id("rep"),
                                        .orig_clordid = resting.clordid,
                                        .symbol = sym,
                                        .side = kBuy,
                                        .price = "99.00",
                                        .qty = "4"}),
                       1002);
  const std::string cxl = id("cxl");
  alpha().send(cancel_request({.clordid = cxl, .orig_clordid = resting.clordid, .side = kBuy, .symbol = sym}));
  alpha().expect(er(cxl, "4"));
  BOOST_REQUIRE(the_venue().trading_status(sym, "open").status == 200);
}

BOOST_AUTO_TEST_CASE(closed_instrument_refuses_orders_with_1003) {
  const std::string sym = the_venue().symbol();
  BOOST_REQUIRE(the_venue().trading_status(sym, "closed").status == 200);
  FIX::Message rej;
  for (int i = 0; i < 50; ++i) {
    const auto o = limit(sym, kBuy, "99.00", "1");
    alpha().send(new_order(o));
    rej = alpha().expect(Match{"8", {{FIX::FIELD::ClOrdID, o.clordid}}});
    if (field(rej, FIX::FIELD::ExecType) == "8") break;
    std::this_thread::sleep_for(20ms);
  }
  check_order_reject(rej, 1003);
  BOOST_REQUIRE(the_venue().trading_status(sym, "open").status == 200);
}

BOOST_AUTO_TEST_CASE(zero_quantity_is_1010_qty_not_positive) {
  expect_order_reject(limit(the_venue().symbol(), kBuy, "100.00", "0"), 1010);
}

BOOST_AUTO_TEST_CASE(quantity_below_the_instruments_minimum_is_1011) {
  expect_order_reject(limit("MINMAX", kBuy, "100.00", "5"), 1011);
}

BOOST_AUTO_TEST_CASE(quantity_above_the_instruments_maximum_is_1012) {
  expect_order_reject(limit("MINMAX", kBuy, "100.00", "1001"), 1012);
}

BOOST_AUTO_TEST_CASE(max_floor_above_the_quantity_or_on_an_ioc_is_1013_display_qty_invalid) {
  const std::string sym = the_venue().symbol();
  auto big = limit(sym, kBuy, "99.00", "10");
  big.max_floor = "20";
  expect_order_reject(big, 1013);
  auto ioc = limit(sym, kBuy, "99.00", "10", "ALPHA-1", kIoc);
  ioc.max_floor = "5";
  expect_order_reject(ioc, 1013);
}

BOOST_AUTO_TEST_CASE(min_qty_on_a_day_order_or_above_the_quantity_is_1014_min_qty_invalid) {
  const std::string sym = the_venue().symbol();
  auto day = limit(sym, kBuy, "99.00", "10");
  day.min_qty = "5";
  expect_order_reject(day, 1014);
  auto ioc = limit(sym, kBuy, "99.00", "10", "ALPHA-1", kIoc);
  ioc.min_qty = "11";
  expect_order_reject(ioc, 1014);
}

BOOST_AUTO_TEST_CASE(negative_price_is_1020_price_not_positive) {
  // NOREF has no reference price, so no collar applies and the engine sees the price.
  expect_order_reject(limit("NOREF", kBuy, "-1.00", "1"), 1020);
}

BOOST_AUTO_TEST_CASE(limit_price_outside_the_band_is_1021_price_outside_band) {
  const std::string sym = the_venue().symbol();
  expect_order_reject(limit(sym, kBuy, "115.00", "1"), 1021);
  const auto o = limit(sym, kBuy, "99.00", "1");
  place(alpha(), o);
  expect_cancel_reject(
      alpha(),
      replace_request(
          {.clordid = id("rep"), .orig_clordid = o.clordid, .symbol = sym, .side = kBuy, .price = "85.00", .qty = "1"}),
      1021);
}

BOOST_AUTO_TEST_CASE(zero_limit_price_is_1022_price_required) {
  expect_order_reject(limit("NOREF", kBuy, "0", "1"), 1022);
}

BOOST_AUTO_TEST_CASE(zero_stop_price_is_1023_stop_price_invalid) {
  auto stop = limit(the_venue().symbol(), kBuy, "", "1");
  stop.ord_type = kStop;
  stop.stop_px = "0";
  expect_order_reject(stop, 1023);
}

BOOST_AUTO_TEST_CASE(stop_price_already_reached_by_the_last_trade_is_1024_stop_already_triggered) {
  const std::string sym = the_venue().symbol();
  trade_at(sym, "100.00");
  auto stop = limit(sym, kBuy, "", "1");
  stop.ord_type = kStop;
  stop.stop_px = "99.50";
  expect_order_reject(stop, 1024);
}

BOOST_AUTO_TEST_CASE(post_only_order_that_would_take_is_1030_post_only_would_take) {
  const std::string sym = the_venue().symbol();
  place(beta(), limit(sym, kSell, "100.00", "1", "BETA-1"));
  auto po = limit(sym, kBuy, "100.00", "1");
  po.exec_inst = "6";
  expect_order_reject(po, 1030);
}

BOOST_AUTO_TEST_CASE(post_only_on_an_ioc_is_1031_post_only_invalid) {
  auto po = limit(the_venue().symbol(), kBuy, "99.00", "1", "ALPHA-1", kIoc);
  po.exec_inst = "6";
  expect_order_reject(po, 1031);
}

BOOST_AUTO_TEST_CASE(gtd_in_the_past_or_expire_time_on_a_day_order_is_1040_expire_time_invalid) {
  const std::string sym = the_venue().symbol();
  auto past = limit(sym, kBuy, "99.00", "1", "ALPHA-1", kGtd);
  past.expire_time = utc_timestamp_from_now(-60'000);
  expect_order_reject(past, 1040);
  auto day = limit(sym, kBuy, "99.00", "1");
  day.expire_time = utc_timestamp_from_now(60'000);
  expect_order_reject(day, 1040);
}

BOOST_AUTO_TEST_CASE(market_order_without_a_reference_price_is_1042_market_order_no_reference) {
  auto mkt = limit("NOREFB", kBuy, "", "1");
  mkt.ord_type = kMarket;
  expect_order_reject(mkt, 1042);
}

BOOST_AUTO_TEST_CASE(cancel_that_meets_the_fill_in_the_engine_is_1051_order_not_active_with_status_filled) {
  // The crossing order and the cancel leave in one TCP write, so the engine fills the order before it
  // sees the cancel: FIX's "too late to cancel", with the order's real status.
  RawSession s(the_venue(), "RAW");
  const std::string sym = the_venue().symbol();
  const std::string sell = id("sell");
  s.send("D", {{11, sell},
               {1, "ALPHA-1"},
               {55, sym},
               {54, "2"},
               {60, utc_timestamp_from_now(0)},
               {38, "5"},
               {40, "2"},
               {44, "100.00"},
               {59, "0"}});
  auto ack = s.read_until("8", 3s);
  BOOST_REQUIRE(ack.has_value());
  const std::string cxl = id("cxl");
  std::string both = s.build("D", {{11, id("buy")},
                                   {1, "ALPHA-2"},
                                   {55, sym},
                                   {54, "1"},
                                   {60, utc_timestamp_from_now(0)},
                                   {38, "5"},
                                   {40, "2"},
                                   {44, "100.00"},
                                   {59, "0"}});
  both += s.build("F", {{11, cxl}, {41, sell}, {54, "2"}, {55, sym}, {60, utc_timestamp_from_now(0)}});
  s.send_bytes(both);
  auto rej = s.read_until("9", 3s);
  BOOST_REQUIRE_MESSAGE(rej.has_value(), "no OrderCancelReject");
  BOOST_TEST_CONTEXT(printable(rej->text)) {
    BOOST_TEST(rej->get(11).value_or("") == cxl);
    BOOST_TEST(rej->get(41).value_or("") == sell);
    BOOST_TEST(rej->get(102).value_or("") == catalogue_entry(1051).cxl_rej_reason);
    BOOST_TEST(rej->get(39).value_or("") == "2");
    BOOST_TEST(rej->get(58).value_or("").rfind("1051 OrderNotActive", 0) == 0u);
  }
}

BOOST_AUTO_TEST_CASE(cancel_sent_with_an_order_the_engine_rejects_is_1051_order_not_active) {
  RawSession s(the_venue(), "RAW");
  const std::string sym = the_venue().symbol();
  const std::string o = id("band");
  const std::string cxl = id("cxl");
  // Outside the band (1021), sent with its cancel in one write: the cancel waits for the engine's answer.
  std::string both = s.build("D", {{11, o},
                                   {1, "ALPHA-1"},
                                   {55, sym},
                                   {54, "1"},
                                   {60, utc_timestamp_from_now(0)},
                                   {38, "5"},
                                   {40, "2"},
                                   {44, "115.00"},
                                   {59, "0"}});
  both += s.build("F", {{11, cxl}, {41, o}, {54, "1"}, {55, sym}, {60, utc_timestamp_from_now(0)}});
  s.send_bytes(both);
  auto rej = s.read_until("9", 3s);
  BOOST_REQUIRE_MESSAGE(rej.has_value(), "no OrderCancelReject");
  BOOST_TEST_CONTEXT(printable(rej->text)) {
    BOOST_TEST(rej->get(102).value_or("") == catalogue_entry(1051).cxl_rej_reason);
    BOOST_TEST(rej->get(39).value_or("") == "8");
    BOOST_TEST(rej->get(58).value_or("").rfind("1051 OrderNotActive", 0) == 0u);
  }
}

BOOST_AUTO_TEST_CASE(cancel_of_an_order_already_filled_is_too_late_to_cancel_1051) {
  // The broker's cancel crosses the fill on the wire (it arrives after the fill was reported). FIX 4.4:
  // OrderCancelReject with CxlRejReason 0 (too late to cancel) and OrdStatus 2 (filled); the catalogue's
  // code for "already filled, cancelled or expired" is 1051 (CxlRejReason 0), and the Rules of Engagement
  // (3.2) promise "for an order that has ended, its final status: 2 filled, 4 cancelled, C expired".
  const std::string sym = the_venue().symbol();
  const auto sell = limit(sym, kSell, "100.00", "5");
  place(alpha(), sell);
  beta().send(new_order(limit(sym, kBuy, "100.00", "5", "BETA-1")));
  alpha().expect(er(sell.clordid, "F").with(FIX::FIELD::OrdStatus, "2"));
  const auto cxl = cancel_request({.clordid = id("cxl"), .orig_clordid = sell.clordid, .side = kSell, .symbol = sym});
  const auto rej = expect_cancel_reject(alpha(), cxl, 1051);
  BOOST_TEST(field(rej, FIX::FIELD::OrdStatus) == "2", printable(rej));
}

BOOST_AUTO_TEST_CASE(cancel_of_an_order_already_cancelled_is_too_late_to_cancel_1051) {
  // As above, for an order the broker cancelled itself: OrdStatus 4 (Rules of Engagement 3.2).
  const std::string sym = the_venue().symbol();
  const auto o = limit(sym, kBuy, "99.00", "5");
  place(alpha(), o);
  const std::string first = id("cxl");
  alpha().send(cancel_request({.clordid = first, .orig_clordid = o.clordid, .side = kBuy, .symbol = sym}));
  alpha().expect(er(first, "4"));
  const auto again = cancel_request({.clordid = id("cxl"), .orig_clordid = o.clordid, .side = kBuy, .symbol = sym});
  const auto rej = expect_cancel_reject(alpha(), again, 1051);
  BOOST_TEST(field(rej, FIX::FIELD::OrdStatus) == "4", printable(rej));
}

BOOST_AUTO_TEST_CASE(replace_changing_the_stop_price_of_a_triggered_stop_is_1052_replace_invalid) {
  const std::string sym = the_venue().symbol();
  const auto sl = OrderFields{.clordid = id("sl"),
                              .symbol = sym,
                              .side = kSell,
                              .ord_type = kStopLimit,
                              .price = "98.50",
                              .qty = "3",
                              .account = "ALPHA-1",
                              .stop_px = "99.00"};
  place(alpha(), sl);
  trade_at(sym, "99.00");
  alpha().expect(er(sl.clordid, "D"));  // triggered: now a limit order at 98.50
  expect_cancel_reject(alpha(),
                       replace_request({.clordid = id("rep"),
                                        .orig_clordid = sl.clordid,
                                        .symbol = sym,
                                        .side = kSell,
                                        .ord_type = kStopLimit,
                                        .price = "98.50",
                                        .qty = "3",
                                        .stop_px = "98.00"}),
                       1052);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(mass_cancel_and_messages)

BOOST_AUTO_TEST_CASE(mass_cancel_of_an_unknown_symbol_is_refused_with_1001) {
  const std::string mc = id("mc");
  alpha().send(mass_cancel_request(mc, "1", "NO-SUCH-SYMBOL"));
  const auto r = alpha().expect(Match{"r", {{FIX::FIELD::ClOrdID, mc}}});
  BOOST_TEST(field(r, FIX::FIELD::MassCancelResponse) == "0", printable(r));
  BOOST_TEST(field(r, FIX::FIELD::MassCancelRejectReason) == "1", printable(r));  // invalid or unknown security
  check_reject_text(r, 1001);
}

BOOST_AUTO_TEST_CASE(mass_cancel_of_one_instrument_without_symbol_is_refused_with_3004_and_a_fix44_reason) {
  // MassCancelRejectReason(532) is a FIX 4.4 char: the venue's dictionary lists only 0-6 (spec/fix/
  // README.md: "The venue sends only the single-character values").
  const std::string mc = id("mc");
  alpha().send(mass_cancel_request(mc, "1"));
  const auto r = alpha().expect(Match{"r", {{FIX::FIELD::ClOrdID, mc}}});
  BOOST_TEST(field(r, FIX::FIELD::MassCancelResponse) == "0", printable(r));
  const std::string reason = field(r, FIX::FIELD::MassCancelRejectReason);
  BOOST_TEST((reason.size() == 1 && reason[0] >= '0' && reason[0] <= '6'),
             "532=" << reason << " is not a value of the venue's dictionary: " << printable(r));
  check_reject_text(r, 3004);
}

BOOST_AUTO_TEST_CASE(mass_cancel_for_an_account_not_permitted_is_refused_with_2002_and_a_fix44_reason) {
  const std::string mc = id("mc");
  alpha().send(mass_cancel_request(mc, "7", "", "", "BETA-1"));
  const auto r = alpha().expect(Match{"r", {{FIX::FIELD::ClOrdID, mc}}});
  BOOST_TEST(field(r, FIX::FIELD::MassCancelResponse) == "0", printable(r));
  const std::string reason = field(r, FIX::FIELD::MassCancelRejectReason);
  BOOST_TEST((reason.size() == 1 && reason[0] >= '0' && reason[0] <= '6'),
             "532=" << reason << " is not a value of the venue's dictionary: " << printable(r));
  check_reject_text(r, 2002);
}

BOOST_AUTO_TEST_CASE(unsupported_message_type_is_3010_unsupported_message) {
  alpha().send(app_message("V", {{262, "MD-1"}, {263, "0"}, {264, "1"}}));  // MarketDataRequest
  const auto rej = alpha().expect(Match{"j", {{FIX::FIELD::RefMsgType, "V"}}});
  check_business_reject(rej, 3010);
}

BOOST_AUTO_TEST_CASE(every_message_the_venue_sent_passes_its_published_dictionary) {
  for (const char* comp : {"BRK1", "BRK2", "BRK3", "KF", "THROT", "WATCH"}) {
    FixClient& c = the_venue().client_object(comp);
    std::vector<FIX::Message> all;
    for (const auto& r : c.received()) all.push_back(r.msg);
    for (const auto& v : dictionary_violations(all)) BOOST_ERROR(comp << ": " << v);
  }
}

BOOST_AUTO_TEST_CASE(venue_shuts_down_cleanly) { BOOST_TEST(the_venue().stop() == 0); }

BOOST_AUTO_TEST_SUITE_END()
