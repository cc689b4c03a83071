#define BOOST_TEST_MODULE fix_bench_tools
#include <boost/test/unit_test.hpp>

#include <vector>

#include "order_book.h"

namespace bl = venue::fix_gateway::baseline;

namespace {

bl::BookOrder order(const char* client, const char* id, bl::Side side, std::int64_t price, std::int64_t qty) {
  bl::BookOrder o;
  o.order_id = std::string("O-") + id;
  o.cl_ord_id = id;
  o.session = FIX::SessionID("FIX.4.4", "VENUE", client);
  o.symbol = "ACME";
  o.side = side;
  o.price_units = price;
  o.qty = qty;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(baseline_order_book)

BOOST_AUTO_TEST_CASE(a_crossing_order_is_acknowledged_then_both_sides_fill_at_the_resting_price) {
  bl::OrderBook book;
  std::vector<bl::Execution> out;
  book.add(order("A", "1", bl::Side::kSell, 100, 10), out);
  BOOST_TEST(out.size() == 1U);
  out.clear();
  book.add(order("B", "2", bl::Side::kBuy, 101, 10), out);
  BOOST_TEST_REQUIRE(out.size() == 3U);
  BOOST_TEST(static_cast<int>(out[0].kind) == static_cast<int>(bl::Execution::Kind::kNew));
  BOOST_TEST(out[1].order.cl_ord_id == "1");
  BOOST_TEST(out[1].last_price_units == 100);
  BOOST_TEST(out[2].order.cl_ord_id == "2");
  BOOST_TEST(out[2].order.leaves() == 0);
  BOOST_TEST(book.resting() == 0U);
}

BOOST_AUTO_TEST_CASE(orders_that_do_not_cross_rest_and_can_be_cancelled) {
  bl::OrderBook book;
  std::vector<bl::Execution> out;
  book.add(order("A", "1", bl::Side::kBuy, 99, 10), out);
  book.add(order("A", "2", bl::Side::kSell, 101, 10), out);
  BOOST_TEST(book.resting() == 2U);
  BOOST_TEST(book.is_live("A", "1"));
  BOOST_TEST(!book.is_live("B", "1"));
  out.clear();
  BOOST_TEST(book.cancel("A", "1", out));
  BOOST_TEST(out.size() == 1U);
  BOOST_TEST(!book.cancel("A", "1", out));
  BOOST_TEST(book.resting() == 1U);
}

BOOST_AUTO_TEST_CASE(time_priority_within_a_level_and_partial_fills) {
  bl::OrderBook book;
  std::vector<bl::Execution> out;
  book.add(order("A", "1", bl::Side::kSell, 100, 5), out);
  book.add(order("A", "2", bl::Side::kSell, 100, 5), out);
  out.clear();
  book.add(order("B", "3", bl::Side::kBuy, 100, 7), out);
  BOOST_TEST_REQUIRE(out.size() == 5U);
  BOOST_TEST(out[1].order.cl_ord_id == "1");
  BOOST_TEST(out[1].last_qty == 5);
  BOOST_TEST(out[3].order.cl_ord_id == "2");
  BOOST_TEST(out[3].last_qty == 2);
  BOOST_TEST(out[3].order.leaves() == 3);
  BOOST_TEST(book.is_live("A", "2"));
}

BOOST_AUTO_TEST_SUITE_END()
