#define BOOST_TEST_MODULE matcher_event_views
// The view of an order that an accepted or rejected event carries: every field the order was entered
// with, as the gateway turns it into an ExecutionReport (and the drop copy, compliance and risk read it
// from there). The engine builds that view from the command by copying a block of bytes laid out alike
// in both (engine_state.h, accepted_view); these cases notice a field it drops or misplaces.
#include <boost/test/unit_test.hpp>
#include <optional>
#include <vector>

#include "support/printers.h"
#include "venue/matcher/engine.h"

namespace m = venue::matcher;
using venue::Price;
using venue::Qty;

namespace venue::matcher {
std::ostream& operator<<(std::ostream& o, OrderState s) { return o << "OrderState(" << static_cast<int>(s) << ')'; }
}  // namespace venue::matcher

namespace {

struct Seen : m::EventListener {
  std::optional<m::AcceptedEvent> accepted;
  std::optional<m::RejectedEvent> rejected;
  void on_accepted(const m::AcceptedEvent& e) override { accepted = e; }
  void on_rejected(const m::RejectedEvent& e) override { rejected = e; }
};

std::vector<m::InstrumentSpec> instruments() {
  m::InstrumentSpec s;
  s.id = venue::InstrumentId(7);
  s.symbol = "ACME";
  s.max_qty = Qty(1000);
  return {s};
}

constexpr std::int64_t kNow = 1'000'000'000;

m::Command at_now(m::Command c) {
  c.seq = 42;
  c.now_ns = kNow;
  return c;
}

// Every field of the view that comes from the command, and the ones the engine sets on entry.
void check_entered_as(const m::OrderView& v, const m::NewOrderCmd& n) {
  BOOST_TEST(v.client_ref == n.client_ref);
  BOOST_TEST(v.instrument == n.instrument);
  BOOST_TEST(v.owner.session == n.owner.session);
  BOOST_TEST(v.owner.firm == n.owner.firm);
  BOOST_TEST(v.owner.account == n.owner.account);
  BOOST_TEST(v.side == n.side);
  BOOST_TEST(v.type == n.type);
  BOOST_TEST(v.tif == n.tif);
  BOOST_TEST(v.stp == n.stp);
  BOOST_TEST(v.post_only == n.post_only);
  BOOST_TEST(v.price == n.price);
  BOOST_TEST(v.stop_price == n.stop_price);
  BOOST_TEST(v.qty == n.qty);
  BOOST_TEST(v.cum_qty == Qty(0));
  BOOST_TEST(v.display_qty == n.display_qty);
  BOOST_TEST(v.expire_time_ns == n.expire_time_ns);
  BOOST_TEST((v.cum_value == 0));  // __int128: compared, not printed
}

m::NewOrderCmd order() {
  m::NewOrderCmd n{};
  n.client_ref = 0x1122'3344'5566'7788ULL;
  n.instrument = venue::InstrumentId(7);
  n.owner = m::Owner{venue::SessionId(3), venue::FirmId(11), venue::AccountId(29)};
  n.qty = Qty(300);
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_stop_limit_gtd_iceberg_is_accepted_with_every_field_it_was_entered_with) {
  Seen seen;
  m::Engine engine(m::EngineSettings{}, instruments(), seen);
  auto n = order();
  n.side = venue::Side::kSell;
  n.type = venue::OrdType::kStopLimit;
  n.tif = venue::TimeInForce::kGtd;
  n.stp = venue::StpMode::kCancelOldest;
  n.price = Price(9'950);
  n.stop_price = Price(9'975);
  n.display_qty = Qty(50);
  n.expire_time_ns = kNow + 60'000'000'000;
  engine.apply(at_now(m::Command::make(n)));
  BOOST_TEST_REQUIRE(seen.accepted.has_value());
  BOOST_TEST(!seen.rejected.has_value());
  const auto& v = seen.accepted->order;
  check_entered_as(v, n);
  BOOST_TEST(v.leaves_qty == n.qty);
  BOOST_TEST(v.state == m::OrderState::kNew);
  BOOST_TEST(!v.triggered);  // a stop order waits for its trigger
  BOOST_TEST(seen.accepted->header.seq == 42U);
  BOOST_TEST(seen.accepted->header.now_ns == kNow);
}

BOOST_AUTO_TEST_CASE(a_post_only_buy_is_accepted_with_every_field_it_was_entered_with) {
  Seen seen;
  m::Engine engine(m::EngineSettings{}, instruments(), seen);
  auto n = order();
  n.side = venue::Side::kBuy;
  n.type = venue::OrdType::kLimit;
  n.tif = venue::TimeInForce::kGtc;
  n.stp = venue::StpMode::kDecrementAndCancel;
  n.post_only = true;
  n.price = Price(10'010);
  engine.apply(at_now(m::Command::make(n)));
  BOOST_TEST_REQUIRE(seen.accepted.has_value());
  check_entered_as(seen.accepted->order, n);
  BOOST_TEST(seen.accepted->order.triggered);
  BOOST_TEST(seen.accepted->order.state == m::OrderState::kNew);
}

BOOST_AUTO_TEST_CASE(a_rejected_order_is_reported_as_it_was_entered_with_nothing_left) {
  Seen seen;
  m::Engine engine(m::EngineSettings{}, instruments(), seen);
  auto n = order();
  n.side = venue::Side::kSell;
  n.type = venue::OrdType::kLimit;
  n.tif = venue::TimeInForce::kDay;
  n.stp = venue::StpMode::kCancelNewest;
  n.price = Price(10'000);
  n.qty = Qty(5'000);  // above the instrument's maximum
  engine.apply(at_now(m::Command::make(n)));
  BOOST_TEST_REQUIRE(seen.rejected.has_value());
  BOOST_TEST(!seen.accepted.has_value());
  BOOST_TEST(seen.rejected->code == venue::RejectCode::kQtyAboveMaximum);
  check_entered_as(seen.rejected->order, n);
  BOOST_TEST(seen.rejected->order.state == m::OrderState::kRejected);
  BOOST_TEST(seen.rejected->order.leaves_qty == Qty(0));
}
