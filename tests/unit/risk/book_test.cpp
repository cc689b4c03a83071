#define BOOST_TEST_MODULE risk_book
// The risk book as an officer would check it from the reports brokers received: positions and P&L by
// account and firm, a fill counted once whatever is delivered again, busts undone, open order exposure
// following acks, replaces, cancels and fills, the day's traded notional, and a restart (state written,
// read back) giving exactly the same figures.
#include <boost/test/unit_test.hpp>

#include "unit/risk/reports.h"
#include "venue/risk/book.h"
#include "venue/risk/views.h"

namespace vr = venue::risk;
using venue::Decimal;
using vr::test::Reports;

namespace {

constexpr std::int64_t kDec6 = 1'796'566'991'402'000'000;  // 2026-12-06 14:23 UTC

// A book with the demo instruments' reference prices, its clock on 2026-12-06.
struct TestBook : vr::Book {
  TestBook() : vr::Book(vr::BookSettings{{{"ACME", *Decimal::parse("100")}, {"GLOBX", *Decimal::parse("25")}}, 0}) {
    set_now(kDec6);
  }
};

std::string money(vr::Amount a) { return a.to_string(); }

const vr::PositionRow& row(const std::vector<vr::PositionRow>& rows, const std::string& account,
                           const std::string& symbol) {
  for (const auto& r : rows) {
    if (r.account == account && r.symbol == symbol) return r;
  }
  throw std::runtime_error("no position " + account + " " + symbol);
}

}  // namespace

BOOST_AUTO_TEST_CASE(scripted_fills_give_exact_positions_and_pnl) {
  TestBook book;
  Reports r;
  book.apply(r.fill({.account = "A1", .side = "1", .qty = "100", .px = "100.00"}));
  book.apply(r.fill({.account = "B1", .firm = "F2", .side = "2", .qty = "100", .px = "100.00"}));
  book.apply(r.fill({.account = "A1", .side = "1", .qty = "50", .px = "103.00"}));
  book.apply(r.fill({.account = "A1", .side = "2", .qty = "120", .px = "104.50"}));
  const auto rows = book.positions("", "");
  const auto& a1 = row(rows, "A1", "ACME");
  BOOST_TEST(a1.figures.bought_qty.to_string() == "150");
  BOOST_TEST(a1.figures.sold_qty.to_string() == "120");
  BOOST_TEST(a1.figures.net_qty.to_string() == "30");
  BOOST_TEST(money(a1.figures.bought_notional) == "15150");
  BOOST_TEST(money(a1.figures.sold_notional) == "12540");
  // avg 101, realized 120 * 3.5 = 420; 30 left at 101 marked at the last trade 104.50: +105.
  BOOST_TEST(money(a1.figures.realized) == "420");
  BOOST_TEST(money(a1.unrealized) == "105");
  BOOST_TEST(a1.mark->to_string() == "104.5");
  const auto& b1 = row(rows, "B1", "ACME");
  BOOST_TEST(money(b1.unrealized) == "-450");  // short 100 at 100, marked 104.50
  const auto* f1 = book.firm_figures("F1");
  BOOST_REQUIRE(f1 != nullptr);
  BOOST_TEST(money(f1->pnl()) == "525");
  BOOST_TEST(money(f1->gross_exposure) == "3135");  // 30 * 104.5
  BOOST_TEST(money(f1->traded_today) == "27690");
  BOOST_TEST(money(book.firm_figures("F2")->loss()) == "450");
  const auto csv = vr::positions_csv(book.positions("F1", ""));
  BOOST_TEST(csv ==
             "account,firm,symbol,bought_qty,sold_qty,net_qty,bought_notional,sold_notional,avg_cost,realized_pnl,"
             "unrealized_pnl,mark_price\nA1,F1,ACME,150,120,30,15150,12540,101,420,105,104.5\n");
}

BOOST_AUTO_TEST_CASE(a_fill_counts_once_whatever_is_delivered_again) {
  TestBook book;
  Reports r;
  const auto first = r.fill({.qty = "10", .px = "100", .leaves = "5", .exec_id = "E1"});
  BOOST_TEST((book.apply(first).kind == vr::Effect::Kind::kFill));
  // The venue sent it again after a crash: PossResend, a new venue-seq, the same ExecID.
  const auto again = r.fill({.qty = "10", .px = "100", .leaves = "5", .exec_id = "E1", .poss_resend = true});
  BOOST_TEST((book.apply(again).kind == vr::Effect::Kind::kRepeatedFill));
  BOOST_TEST(book.positions("", "").at(0).figures.net_qty.to_string() == "10");
  BOOST_TEST(book.fill_count() == 1U);
}

BOOST_AUTO_TEST_CASE(a_bust_undoes_its_fill_and_the_position_is_computed_again) {
  TestBook book;
  Reports r;
  book.apply(r.fill({.qty = "10", .px = "100", .order_id = "O1", .exec_id = "E1", .match = "T1"}));
  book.apply(r.fill({.qty = "10", .px = "90", .order_id = "O2", .exec_id = "E2", .match = "T2"}));
  book.apply(r.fill({.side = "2", .qty = "10", .px = "120", .order_id = "O3", .exec_id = "E3", .match = "T3"}));
  // avg 95, realized 250. Busting the fill at 90 leaves: buy 10 at 100, sell 10 at 120: realized 200.
  BOOST_TEST(money(book.positions("", "").at(0).figures.realized) == "250");
  const auto e = book.apply(r.bust({.qty = "10", .px = "90", .order_id = "O2", .exec_id = "B1", .match = "T2"}));
  BOOST_TEST((e.kind == vr::Effect::Kind::kBust));
  const auto p = book.positions("", "").at(0);
  BOOST_TEST(money(p.figures.realized) == "200");
  BOOST_TEST(p.figures.net_qty.units() == 0);
  BOOST_TEST(p.figures.bought_qty.to_string() == "10");
  BOOST_TEST(money(book.account_figures("A1")->traded_today) == "2200");
  // The bust sent again changes nothing; a bust of a fill never seen is refused (parked).
  BOOST_TEST((book.apply(r.bust({.order_id = "O2", .exec_id = "B1", .match = "T2", .poss_resend = true})).kind ==
              vr::Effect::Kind::kRepeatedBust));
  BOOST_TEST((book.apply(r.bust({.order_id = "O9", .exec_id = "B9", .match = "T9"})).kind == vr::Effect::Kind::kBad));
  // ExecRefID, when the bust carries it, names the fill.
  BOOST_TEST(
      (book.apply(r.bust({.order_id = "O3", .exec_id = "B3", .exec_ref = "E3"})).kind == vr::Effect::Kind::kBust));
  BOOST_TEST(book.positions("", "").at(0).figures.net_qty.to_string() == "10");
}

BOOST_AUTO_TEST_CASE(busting_the_last_trade_marks_to_the_trade_before) {
  TestBook book;
  Reports r;
  book.apply(r.fill({.qty = "10", .px = "100", .order_id = "O1", .match = "T1"}));
  book.apply(r.fill({.account = "A2", .qty = "1", .px = "150", .order_id = "O2", .match = "T2"}));
  BOOST_TEST(book.mark("ACME")->to_string() == "150");
  BOOST_TEST(money(book.account_figures("A1")->unrealized) == "500");
  book.apply(r.bust({.account = "A2", .order_id = "O2", .match = "T2"}));
  BOOST_TEST(book.mark("ACME")->to_string() == "100");
  BOOST_TEST(money(book.account_figures("A1")->unrealized) == "0");
}

BOOST_AUTO_TEST_CASE(open_order_exposure_follows_acks_replaces_fills_and_cancels) {
  TestBook book;
  Reports r;
  const std::string o = r.new_order();
  book.apply(r.report({.exec_type = "0", .qty = "100", .px = "99.50", .leaves = "100", .order_id = o}));
  BOOST_TEST(money(book.account_figures("A1")->open_order_exposure) == "9950");
  book.apply(r.report({.exec_type = "5", .qty = "80", .px = "99.00", .leaves = "80", .order_id = o}));
  BOOST_TEST(money(book.account_figures("A1")->open_order_exposure) == "7920");
  book.apply(r.fill({.qty = "30", .px = "99.00", .leaves = "50", .order_id = o}));
  BOOST_TEST(money(book.account_figures("A1")->open_order_exposure) == "4950");
  const std::string stop = r.new_order();
  book.apply(r.report(
      {.exec_type = "0", .side = "2", .qty = "10", .px = "", .leaves = "10", .order_id = stop, .stop_px = "95"}));
  BOOST_TEST(money(book.account_figures("A1")->open_order_exposure) == "5900");  // valued at its StopPx
  book.apply(r.report({.exec_type = "4", .leaves = "0", .order_id = o}));
  book.apply(r.report({.exec_type = "C", .leaves = "0", .order_id = stop}));
  BOOST_TEST(money(book.account_figures("A1")->open_order_exposure) == "0");
  BOOST_TEST(money(book.firm_figures("F1")->open_order_exposure) == "0");
  BOOST_TEST(book.order_count() == 0U);
  // A refused order (no OrderID) changes nothing.
  BOOST_TEST(
      (book.apply(r.report({.exec_type = "8", .leaves = "0", .order_id = "NONE"})).kind == vr::Effect::Kind::kNone));
}

BOOST_AUTO_TEST_CASE(an_ack_sent_again_after_its_fill_does_not_bring_the_quantity_back_for_good) {
  // After a venue crash, the venue resends the reports after its cursor in their order: ack, then fill.
  TestBook book;
  Reports r;
  const std::string o = r.new_order();
  book.apply(r.report({.exec_type = "0", .qty = "10", .px = "100", .leaves = "10", .order_id = o, .exec_id = "X1"}));
  book.apply(r.fill({.qty = "10", .px = "100", .leaves = "0", .order_id = o, .exec_id = "X2"}));
  book.apply(r.report({.exec_type = "0",
                       .qty = "10",
                       .px = "100",
                       .leaves = "10",
                       .order_id = o,
                       .exec_id = "X1",
                       .poss_resend = true}));
  book.apply(r.fill({.qty = "10", .px = "100", .leaves = "0", .order_id = o, .exec_id = "X2", .poss_resend = true}));
  BOOST_TEST(book.order_count() == 0U);
  BOOST_TEST(book.positions("", "").at(0).figures.net_qty.to_string() == "10");
}

BOOST_AUTO_TEST_CASE(a_late_fill_takes_its_place_in_venue_seq_order) {
  TestBook in_order;
  TestBook late;
  Reports r;
  const auto f1 = r.fill({.qty = "10", .px = "100"});
  const auto f2 = r.fill({.side = "2", .qty = "5", .px = "110"});
  const auto f3 = r.fill({.qty = "10", .px = "80"});
  for (const auto* f : {&f1, &f2, &f3}) in_order.apply(*f);
  for (const auto* f : {&f1, &f3, &f2}) late.apply(*f);
  const auto a = in_order.positions("", "").at(0);
  const auto b = late.positions("", "").at(0);
  BOOST_TEST((a.figures == b.figures));
  BOOST_TEST(money(a.figures.realized) == "50");
}

BOOST_AUTO_TEST_CASE(bad_reports_are_refused_with_a_reason) {
  TestBook book;
  Reports r;
  auto e = book.apply(r.fill({.qty = "0", .px = "100"}));
  BOOST_TEST((e.kind == vr::Effect::Kind::kBad));
  BOOST_TEST(e.reason == "fill without a positive LastQty(32)");
  e = book.apply(r.fill({.account = "", .qty = "1", .px = "100"}));
  BOOST_TEST(e.reason == "fill with no Account(1)");
  book.apply(r.fill({.account = "A1", .firm = "F1", .qty = "1", .px = "100"}));
  e = book.apply(r.fill({.account = "A1", .firm = "F9", .qty = "1", .px = "100"}));
  BOOST_TEST(e.reason == "fill with account A1 is firm F1's, the report says firm F9");
  BOOST_TEST(book.fill_count() == 1U);
}

BOOST_AUTO_TEST_CASE(traded_notional_today_restarts_each_trading_day) {
  TestBook book;
  Reports r;
  book.apply(r.fill({.qty = "10", .px = "100", .transact = "20261205-20:00:00.000"}));  // yesterday
  book.apply(r.fill({.qty = "1", .px = "100"}));
  BOOST_TEST(money(book.account_figures("A1")->traded_today) == "100");
  book.set_now(kDec6 + vr::kNsPerDay);
  BOOST_TEST(money(book.account_figures("A1")->traded_today) == "0");
  // Folding yesterday's fill into the baseline changes no figure.
  const auto before = book.positions("", "").at(0);
  BOOST_TEST(book.fold(book.today()) == 2U);
  BOOST_TEST(book.fill_count() == 0U);
  BOOST_TEST((book.positions("", "").at(0).figures == before.figures));
}

BOOST_AUTO_TEST_CASE(state_written_and_read_back_gives_the_same_figures) {
  TestBook book;
  Reports r;
  vr::BookChanges all;
  auto collect = [&] {
    auto c = book.take_changes();
    for (auto& f : c.fills) {
      std::erase_if(all.fills, [&](const vr::Fill& x) { return x.exec_id == f.exec_id; });
      all.fills.push_back(f);
    }
    for (auto& o : c.orders) {
      std::erase_if(all.orders, [&](const vr::OrderState& x) { return x.order_id == o.order_id; });
      all.orders.push_back(o);
    }
    for (auto& id : c.ended_orders)
      std::erase_if(all.orders, [&](const vr::OrderState& x) { return x.order_id == id; });
    for (auto& m : c.marks) {
      std::erase_if(all.marks, [&](const vr::Mark& x) { return x.symbol == m.symbol; });
      all.marks.push_back(m);
    }
  };
  book.apply(r.fill({.qty = "10", .px = "100", .order_id = "O1", .match = "T1"}));
  collect();
  book.apply(r.fill({.account = "A2", .side = "2", .qty = "7", .px = "101", .leaves = "3", .order_id = "O2"}));
  book.apply(r.fill({.symbol = "GLOBX", .qty = "300", .px = "25.05"}));
  book.apply(r.bust({.order_id = "O1", .match = "T1"}));
  collect();
  std::sort(all.fills.begin(), all.fills.end(),
            [](const vr::Fill& a, const vr::Fill& b) { return a.venue_seq < b.venue_seq; });
  TestBook restored;
  for (const auto& f : all.fills) restored.restore_fill(f);
  for (const auto& o : all.orders) restored.restore_order(o);
  for (const auto& m : all.marks) restored.restore_mark(m);
  restored.finish_restore();
  BOOST_TEST(vr::positions_csv(restored.positions("", "")) == vr::positions_csv(book.positions("", "")));
  BOOST_TEST(vr::exposure_csv(vr::exposure_rows(restored, "", "")) ==
             vr::exposure_csv(vr::exposure_rows(book, "", "")));
  // And a fill seen before the restart is still recognised.
  BOOST_TEST((restored.apply(r.fill({.qty = "1", .px = "1", .exec_id = "1", .poss_resend = true})).kind ==
              vr::Effect::Kind::kRepeatedFill));
}
