#define BOOST_TEST_MODULE fix_gateway_inbound
// Inbound translation without a socket or an engine: what a broker's D, F, G and q become as engine
// commands, and the code each malformed or forbidden request is refused with.
#include <boost/test/unit_test.hpp>

#include "gateway_fixture.h"
#include "venue/fix_gateway/inbound.h"

namespace fg = venue::fix_gateway;
namespace m = venue::matcher;
using fg::test::fix_message;
using venue::RejectCode;

namespace {

struct Fixture {
  fg::GatewayConfig cfg = fg::test::test_config();
  fg::InstrumentTable instruments = fg::test::test_instruments();
  fg::InboundTranslator in{cfg, instruments};
  const fg::SessionConfig& session = cfg.sessions.front();
  fg::Order order;
  m::NewOrderCmd cmd{};

  fg::Refusal new_order(const std::string& fields) {
    order = fg::Order{};
    return in.new_order(fix_message("D", "11=C1|" + fields + "60=20261206-10:00:00|"), session, order, cmd);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_limit_order_becomes_a_command_in_ticks_and_lots_of_its_account, Fixture) {
  const auto r = new_order("1=ALPHA-1|55=BIG|54=2|38=300|40=2|44=25.05|59=1|528=A|");
  BOOST_TEST_REQUIRE(!r, r.detail);
  BOOST_TEST(cmd.instrument.value() == 2U);
  BOOST_TEST(cmd.owner.firm.value() == 7U);
  BOOST_TEST(cmd.owner.account.value() == 70U);
  BOOST_TEST((cmd.side == venue::Side::kSell));
  BOOST_TEST((cmd.type == venue::OrdType::kLimit));
  BOOST_TEST((cmd.tif == venue::TimeInForce::kGtc));
  BOOST_TEST(cmd.qty.count() == 3);                        // 300 shares in lots of 100
  BOOST_TEST(cmd.price.count() == 501);                    // 25.05 in ticks of 0.05
  BOOST_TEST((cmd.stp == venue::StpMode::kCancelOldest));  // the session's default
  BOOST_TEST(order.clordid == "C1");
  BOOST_TEST(order.capacity == 'A');
  BOOST_TEST(order.instrument == 1U);
}

BOOST_FIXTURE_TEST_CASE(without_account_the_session_first_account_is_used, Fixture) {
  BOOST_TEST_REQUIRE(!new_order("55=ACME|54=1|38=5|40=2|44=100|"));
  BOOST_TEST(cmd.owner.account.value() == 71U);  // ALPHA-2, listed first
}

BOOST_FIXTURE_TEST_CASE(tag_8000_chooses_the_self_trade_mode_and_gtd_carries_its_expiry, Fixture) {
  BOOST_TEST_REQUIRE(!new_order("55=ACME|54=1|38=5|40=2|44=100|59=6|126=20261206-18:00:00|8000=B|"));
  BOOST_TEST((cmd.stp == venue::StpMode::kCancelBoth));
  BOOST_TEST(cmd.expire_time_ns == 1796580000LL * 1'000'000'000LL);
  BOOST_TEST(order.expire_text == "20261206-18:00:00");
}

BOOST_FIXTURE_TEST_CASE(each_bad_new_order_is_refused_with_its_code, Fixture) {
  struct Case {
    std::string fields;
    RejectCode code;
    std::string detail;
  };
  const std::vector<Case> cases{
      {"1=BETA-1|55=ACME|54=1|38=5|40=2|44=100|", RejectCode::kAccountNotPermitted, ""},
      {"1=NOPE|55=ACME|54=1|38=5|40=2|44=100|", RejectCode::kAccountNotPermitted, ""},
      {"54=1|38=5|40=2|44=100|", RejectCode::kConditionalFieldMissing, "Symbol(55)"},
      {"55=ZZZ|54=1|38=5|40=2|44=100|", RejectCode::kUnknownInstrument, "ZZZ"},
      {"55=BIG|54=1|38=150|40=2|44=25|", RejectCode::kQtyNotLotMultiple, "OrderQty(38)"},
      {"55=ACME|54=1|38=5x|40=2|44=100|", RejectCode::kInvalidNumber, "OrderQty(38)"},
      {"55=ACME|54=1|38=5|40=2|44=100.001|", RejectCode::kPriceNotOnTick, "Price(44)"},
      {"55=ACME|54=1|38=5|40=2|", RejectCode::kConditionalFieldMissing, "Price(44)"},
      {"55=ACME|54=1|38=5|40=1|44=100|", RejectCode::kUnsupportedValue, "Price(44) on a market or stop order"},
      {"55=ACME|54=1|38=5|40=2|44=100|99=99|", RejectCode::kStopPriceInvalid,
       "StopPx(99) on an order that is not a stop"},
      {"55=ACME|54=1|38=5|40=3|", RejectCode::kConditionalFieldMissing, "StopPx(99)"},
      {"55=BIG|54=1|38=500|40=2|44=25|111=150|", RejectCode::kQtyNotLotMultiple, "MaxFloor(111)"},
      {"55=BIG|54=1|38=500|40=2|44=25|110=50|", RejectCode::kQtyNotLotMultiple, "MinQty(110)"},
      {"55=ACME|54=1|38=5|40=2|44=100|59=6|", RejectCode::kConditionalFieldMissing, "ExpireTime(126)"},
      {"55=ACME|54=1|38=5|40=2|44=100|59=6|126=tomorrow|", RejectCode::kUnsupportedValue,
       "ExpireTime(126) is not a UTCTimestamp"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.fields) {
      const auto r = new_order(c.fields);
      BOOST_TEST(static_cast<int>(r.code) == static_cast<int>(c.code));
      BOOST_TEST(r.detail == c.detail);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(a_halted_or_closed_instrument_refuses_new_orders, Fixture) {
  instruments[0].status = venue::TradingStatus::kHalted;
  BOOST_TEST((new_order("55=ACME|54=1|38=5|40=2|44=100|").code == RejectCode::kInstrumentHalted));
  instruments[0].status = venue::TradingStatus::kClosed;
  BOOST_TEST((new_order("55=ACME|54=1|38=5|40=2|44=100|").code == RejectCode::kInstrumentClosed));
}

namespace {

// A registry holding one live, acknowledged order of BRK1: C1, buy 10 ACME at 100.00, OrderID 77.
struct WithOrder : Fixture {
  fg::OrderRegistry orders;
  fg::SessionOrders session_orders;
  WithOrder() {
    fg::Order o;
    o.key = 1;
    o.ref = 1;
    o.session = venue::SessionId(3);
    o.account = venue::AccountId(70);
    o.instrument = 0;
    o.side = venue::Side::kBuy;
    o.type = venue::OrdType::kLimit;
    o.tif = venue::TimeInForce::kDay;
    o.clordid = "C1";
    o.price = 10'000;
    o.qty = 10;
    fg::Order& stored = orders.add(std::move(o));
    orders.bind(stored, venue::OrderId(77));
    session_orders.live["C1"] = 1;
  }
  fg::Order* named(const std::string& type, const std::string& fields, RejectCode& code) {
    code = RejectCode::kNone;
    return in.order_named(fix_message(type, "11=C2|" + fields + "60=20261206-10:00:00|"), orders, session_orders,
                          type == "G", code);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_cancel_or_replace_names_its_order_by_origclordid_and_must_agree_with_it, WithOrder) {
  RejectCode code{};
  BOOST_TEST(named("F", "41=C1|54=1|55=ACME|37=77|", code) != nullptr);
  BOOST_TEST(named("F", "41=C9|54=1|55=ACME|", code) == nullptr);
  BOOST_TEST((code == RejectCode::kUnknownClOrdID));
  BOOST_TEST(named("F", "41=C1|54=1|55=ACME|37=78|", code) == nullptr);
  BOOST_TEST((code == RejectCode::kOrderIDMismatch));
  BOOST_TEST(named("F", "41=C1|54=2|55=ACME|", code) == nullptr);
  BOOST_TEST((code == RejectCode::kUnknownClOrdID));  // a cancel for another side names no order
  BOOST_TEST(named("G", "41=C1|54=2|55=ACME|40=2|38=10|44=100|", code) == nullptr);
  BOOST_TEST((code == RejectCode::kReplaceChangesImmutable));  // a replace may not change the side
}

BOOST_FIXTURE_TEST_CASE(a_replace_carries_new_price_and_quantity_and_changes_nothing_else, WithOrder) {
  const fg::Order& o = *orders.find(1);
  fg::Request r;
  BOOST_TEST_REQUIRE(!in.replace(fix_message("G", "11=C2|41=C1|54=1|55=ACME|40=2|38=12|44=100.25|"), o, r));
  BOOST_TEST(r.qty == 12);
  BOOST_TEST(r.price == 10'025);
  const auto changes = [&](const std::string& fields) {
    fg::Request ignored;
    return in.replace(fix_message("G", "11=C2|41=C1|54=1|55=ACME|" + fields), o, ignored).code;
  };
  BOOST_TEST((changes("40=1|38=12|") == RejectCode::kReplaceChangesImmutable));                   // OrdType
  BOOST_TEST((changes("40=2|38=12|44=100|59=1|") == RejectCode::kReplaceChangesImmutable));       // TimeInForce
  BOOST_TEST((changes("40=2|38=12|44=100|1=ALPHA-2|") == RejectCode::kReplaceChangesImmutable));  // Account
  BOOST_TEST((changes("40=2|38=12|44=100.001|") == RejectCode::kPriceNotOnTick));
}

BOOST_FIXTURE_TEST_CASE(a_mass_cancel_goes_to_the_shards_it_concerns, Fixture) {
  m::MassCancelCmd mc{};
  std::vector<std::size_t> shards;
  int reason = -1;
  BOOST_TEST_REQUIRE(
      !in.mass_cancel(fix_message("q", "11=M1|530=7|60=20261206-10:00:00|"), session, mc, shards, 2, reason));
  BOOST_TEST(shards == (std::vector<std::size_t>{0, 1}));
  BOOST_TEST(mc.session.value() == 3U);
  BOOST_TEST_REQUIRE(!in.mass_cancel(fix_message("q", "11=M2|530=1|55=BIG|54=2|1=ALPHA-1|60=20261206-10:00:00|"),
                                     session, mc, shards, 2, reason));
  BOOST_TEST(shards == (std::vector<std::size_t>{1}));
  BOOST_TEST(mc.instrument.value() == 2U);
  BOOST_TEST(mc.account.value() == 70U);
  BOOST_TEST(mc.side == 2);
  const auto r = in.mass_cancel(fix_message("q", "11=M3|530=1|60=20261206-10:00:00|"), session, mc, shards, 2, reason);
  BOOST_TEST((r.code == RejectCode::kConditionalFieldMissing));
  BOOST_TEST(reason == 1);  // MassCancelRejectReason 1: unknown security
  const auto other =
      in.mass_cancel(fix_message("q", "11=M4|530=7|1=BETA-1|60=20261206-10:00:00|"), session, mc, shards, 2, reason);
  BOOST_TEST((other.code == RejectCode::kAccountNotPermitted));
}
