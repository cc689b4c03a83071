#define BOOST_TEST_MODULE e2e_trade_bust
// A trade bust end to end, as the people involved live through it (spec/rules-of-engagement.md 11a):
// two brokers trade, an operator busts one trade through the operator API, both brokers get an
// ExecutionReport 150=H naming their fill (ExecRefID(19)) with CumQty, LeavesQty and AvgPx corrected,
// the still-live order trades on with the quantity it got back, the filled one stays ended, a
// compliance officer's fills-only drop-copy session gets both busts through Kafka, a second bust of the
// same trade is refused with a coded error, a viewer is refused, every attempt is in the audit log; after
// a venue restart the bust is still in force (no second 150=H, the order's quantities as corrected) and a
// trade made before the restart can still be busted. The bust's record carries the order's W3C trace
// context to the drop copy, which logs it.
//
// Needs Kafka: run under deploy/local/with-services --kafka (ci/test does).
//
// Brokers: BRK1 (firm ALPHA, extended fields: sees TrdMatchID) buys; STD (firm BETA, standard FIX 4.4
// only) sells and validates everything it receives against the stock FIX 4.4 dictionary (QuickFIX/J's):
// a 150=H that a stock engine would reject never reaches the test. Drop copy: DCFILLS, fills only.
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "e2e/support/dropcopy_process.h"
#include "e2e/support/kafka_broker.h"
#include "e2e/support/shared_stack.h"
#include "e2e/support/suite.h"

using namespace venue::e2e;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The venue (publishing to Kafka), the drop copy and the clients of this program.
struct Stack {
  std::string topic = "venue.execution-reports.bust-e2e-" + std::to_string(::getpid());
  std::unique_ptr<TestVenue> venue;
  std::unique_ptr<DropcopyProcess> dc;
  std::unique_ptr<FixClient> std_broker;
  std::unique_ptr<FixClient> officer;

  Stack() {
    KafkaBroker::create_topic(topic, 2);
    const std::string kafka = "\n[kafka]\nbrokers = \"" + KafkaBroker::brokers() + "\"\ntopic = \"" + topic + "\"\n";
    venue = std::make_unique<TestVenue>("trade-bust", kafka);
    dc = std::make_unique<DropcopyProcess>(
        venue->dir() / "dropcopy",
        // Debug: a line per copy stored, with its record's traceparent.
        "log_level = \"debug\"\n[kafka]\nbrokers = \"" + KafkaBroker::brokers() + "\"\ntopic = \"" + topic +
            "\"\ngroup_id = \"" + topic + "-dc\"\n",
        std::vector<DropcopySession>{{"DCFILLS", "scope = \"all\"\nlevel = \"fills\"\n"}});
    dc->process().start();
    officer = std::make_unique<FixClient>(dc->options("DCFILLS"));
    officer->logon(20s);
  }
  ~Stack() {
    officer.reset();
    if (dc && dc->process().running()) dc->process().stop();
    std_broker.reset();
    if (venue) venue->stop();
  }

  const std::filesystem::path& dir() const { return venue->dir(); }
  void keep_files() { venue->keep_files(); }

  FixClient& brk1() { return venue->client("BRK1"); }
  FixClient& std_client() {
    if (!std_broker) {
      ClientOptions o = venue->options("STD");
      o.dictionary = stock_dictionary();
      std_broker = std::make_unique<FixClient>(o);
    }
    if (!std_broker->logged_on()) {
      std_broker->close();
      std_broker->logon();
    }
    return *std_broker;
  }
};

// Made at the first test, ended after the last; its folder kept when a test failed (shared_stack.h).
Stack& stack() { return shared_stack<Stack>(); }
using StackFixture = SharedStackFixture<Stack>;
BOOST_TEST_GLOBAL_FIXTURE(StackFixture);

double num(const FIX::Message& m, int tag) {
  const auto v = find_field(m, tag);
  return v && !v->empty() ? std::stod(*v) : std::nan("");
}

json body_of(const HttpResponse& r) { return json::parse(r.body, nullptr, false); }

HttpResponse bust(const std::string& trade, const std::string& user = "ops", const std::string& reason = "e2e") {
  return stack().venue->api("POST", "/api/v1/trades/" + trade + "/bust", json{{"reason", reason}}.dump(), user);
}

json last_audit(const std::string& action) {
  const json entries = body_of(stack().venue->api("GET", "/api/v1/audit?limit=50&action=" + action))["entries"];
  for (const auto& e : entries) {
    if (e.contains("result") && !e["result"].is_null()) return e;
  }
  return nullptr;
}

OrderFields limit(const char* side, const std::string& price, const std::string& qty, const std::string& account) {
  return OrderFields{.clordid = stack().venue->id(side == std::string(kBuy) ? "buy" : "sell"),
                     .symbol = "S001",
                     .side = side,
                     .ord_type = kLimit,
                     .price = price,
                     .qty = qty,
                     .account = account};
}

// A 150=H about `exec_ref` (ExecRefID(19)).
Match bust_of(const std::string& exec_ref) {
  return Match{"8", {{FIX::FIELD::ExecType, "H"}, {FIX::FIELD::ExecRefID, exec_ref}}};
}

std::size_t count(const FixClient& c, const Match& m) {
  return c.all([&](const FIX::Message& x) { return m(x); }).size();
}

// What the trades of the first test left for the later ones.
struct Day {
  std::string buy;                                  // BRK1's order (buys 10 at 101.00)
  std::string buy_order_id;                         // its OrderID
  std::string trade_a;                              // 2 at 99.00 (BRK1 against STD's first sell)
  std::string trade_b;                              // 2 at 101.00 (busted by the first test)
  std::string brk1_fill_a, std_fill_a, std_sell_a;  // ExecIDs of trade A's fills; STD's ClOrdID
  std::string brk1_fill_b, std_fill_b;
} day;

}  // namespace

BOOST_AUTO_TEST_SUITE(trade_bust)

BOOST_AUTO_TEST_CASE(an_operator_busts_a_trade_and_both_brokers_get_exec_type_h_with_corrected_quantities) {
  Stack& s = stack();
  FixClient& brk1 = s.brk1();
  FixClient& seller = s.std_client();
  // Trade A: STD rests 2 at 99.00, BRK1 buys 10 at 101.00 and takes them; BRK1 rests 8 at 101.00.
  const auto sell_a = limit(kSell, "99.00", "2", "BETA-1");
  seller.send(new_order(sell_a));
  seller.expect(er(sell_a.clordid, "0"));
  const auto buy = limit(kBuy, "101.00", "10", "ALPHA-1");
  brk1.send(new_order(buy));
  const auto fill_a = brk1.expect(er(buy.clordid, "F"));
  day.buy = buy.clordid;
  day.buy_order_id = field(fill_a, FIX::FIELD::OrderID);
  day.trade_a = field(fill_a, FIX::FIELD::TrdMatchID);
  day.brk1_fill_a = field(fill_a, FIX::FIELD::ExecID);
  day.std_sell_a = sell_a.clordid;
  day.std_fill_a = field(seller.expect(er(sell_a.clordid, "F")), FIX::FIELD::ExecID);
  // Trade B: STD sells 2 at 101.00 against BRK1's rest: BRK1 has 4 at an average of 100.00.
  const auto sell_b = limit(kSell, "101.00", "2", "BETA-1");
  seller.send(new_order(sell_b));
  const auto std_fill_b = seller.expect(er(sell_b.clordid, "F").with(FIX::FIELD::OrdStatus, "2"));
  const auto fill_b = brk1.expect(er(buy.clordid, "F").with(FIX::FIELD::CumQty, "4"));
  BOOST_TEST(num(fill_b, FIX::FIELD::AvgPx) == 100.0);
  day.trade_b = field(fill_b, FIX::FIELD::TrdMatchID);
  day.brk1_fill_b = field(fill_b, FIX::FIELD::ExecID);
  day.std_fill_b = field(std_fill_b, FIX::FIELD::ExecID);
  BOOST_TEST_REQUIRE(!day.trade_b.empty());
  BOOST_TEST_REQUIRE(day.trade_a != day.trade_b);

  // The operator busts trade B; the answer comes when it is in force.
  const auto r = bust(day.trade_b, "ops", "erroneous trade (e2e)");
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  const json answer = body_of(r);
  BOOST_TEST(answer["ok"] == true);
  BOOST_TEST(answer["result"]["trade"] == day.trade_b);
  BOOST_TEST(answer["result"]["sides"].size() == 2U, r.body);

  // BRK1's order is still live: CumQty 2 at 99.00, LeavesQty 8 again, partially filled.
  const auto h1 = brk1.expect(bust_of(day.brk1_fill_b));
  BOOST_TEST_CONTEXT(printable(h1)) {
    BOOST_TEST(field(h1, FIX::FIELD::ClOrdID) == buy.clordid);
    BOOST_TEST(field(h1, FIX::FIELD::OrderID) == day.buy_order_id);
    BOOST_TEST(field(h1, FIX::FIELD::TrdMatchID) == day.trade_b);
    BOOST_TEST(num(h1, FIX::FIELD::CumQty) == 2.0);
    BOOST_TEST(num(h1, FIX::FIELD::LeavesQty) == 8.0);
    BOOST_TEST(num(h1, FIX::FIELD::AvgPx) == 99.0);
    BOOST_TEST(field(h1, FIX::FIELD::OrdStatus) == "1");
    BOOST_TEST(num(h1, FIX::FIELD::LastQty) == 2.0);
    BOOST_TEST(num(h1, FIX::FIELD::LastPx) == 101.0);
    BOOST_TEST(field(h1, FIX::FIELD::ExecID) != day.brk1_fill_b);
    BOOST_TEST(field(h1, FIX::FIELD::Text).find("erroneous trade (e2e)") != std::string::npos);
  }
  // STD's sell was filled by the busted trade: nothing filled, and it does not come back (Canceled).
  const auto h2 = seller.expect(bust_of(day.std_fill_b));
  BOOST_TEST_CONTEXT(printable(h2)) {
    BOOST_TEST(field(h2, FIX::FIELD::ClOrdID) == sell_b.clordid);
    BOOST_TEST(num(h2, FIX::FIELD::CumQty) == 0.0);
    BOOST_TEST(num(h2, FIX::FIELD::LeavesQty) == 0.0);
    BOOST_TEST(num(h2, FIX::FIELD::AvgPx) == 0.0);
    BOOST_TEST(field(h2, FIX::FIELD::OrdStatus) == "4");
  }

  // The compliance officer's fills-only session gets both, through Kafka.
  s.officer->expect(bust_of(day.brk1_fill_b), 20s);
  s.officer->expect(bust_of(day.std_fill_b), 20s);

  // One order followed across processes: the bust's Kafka record carries the order's trace context
  // (spec/kafka-topics.md, "Trace context"), and the drop copy logs it on its line for the copy.
  char order_hex[17];
  std::snprintf(order_hex, sizeof order_hex, "%016llx", std::stoull(day.buy_order_id));
  const std::regex copied("\"copy stored\".*\"exec_type\":\"H\".*\"order_id\":\"" + day.buy_order_id +
                          "\".*\"traceparent\":\"00-[0-9a-f]{16}" + order_hex + "-[0-9a-f]{16}-01\"");
  bool logged = false;
  for (int i = 0; i < 100 && !logged; ++i) {
    std::istringstream lines(s.dc->log_text());
    for (std::string line; std::getline(lines, line) && !logged;) logged = std::regex_search(line, copied);
    if (!logged) std::this_thread::sleep_for(100ms);
  }
  BOOST_TEST(logged, "the drop copy logged no copy of the bust with the order's traceparent");

  // BRK1's order trades on with the quantity it got back: 5 more at 101.00 make 7, leaving 3 (without the
  // bust: 9 and 1).
  const auto sell_c = limit(kSell, "101.00", "5", "BETA-1");
  seller.send(new_order(sell_c));
  const auto fill_c = brk1.expect(er(buy.clordid, "F").with(FIX::FIELD::LastQty, "5"));
  BOOST_TEST(num(fill_c, FIX::FIELD::CumQty) == 7.0);
  BOOST_TEST(num(fill_c, FIX::FIELD::LeavesQty) == 3.0);

  const json e = last_audit("trade.bust");
  BOOST_TEST_REQUIRE(e.is_object());
  BOOST_TEST(e["user"] == "ops");
  BOOST_TEST(e["result"] == "ok");
  BOOST_TEST(e["target"] == day.trade_b);
}

BOOST_AUTO_TEST_CASE(a_second_bust_of_the_same_trade_and_an_unknown_trade_are_refused_with_their_codes) {
  Stack& s = stack();
  const auto again = bust(day.trade_b);
  BOOST_TEST(again.status == 409, again.body);
  const json a = body_of(again);
  BOOST_TEST(a["error"] == "conflict");
  BOOST_TEST(a["reject_code"] == 1061);
  BOOST_TEST(a["reject_reason"] == "TradeAlreadyBusted");
  BOOST_TEST(a["message"].get<std::string>().find("1061 TradeAlreadyBusted") != std::string::npos);

  // An unknown trade of a shard that exists, and of one that does not.
  for (const std::string& trade : {std::to_string(std::stoull(day.trade_b) + 100000), std::string("999")}) {
    const auto unknown = bust(trade);
    BOOST_TEST(unknown.status == 404, unknown.body);
    BOOST_TEST(body_of(unknown)["reject_code"] == 1060, unknown.body);
  }
  BOOST_TEST(bust("12x").status == 400);
  BOOST_TEST(s.venue->api("POST", "/api/v1/trades/" + day.trade_a + "/bust", "{}").status == 400,
             "a bust without a reason is refused");

  // No second 150=H reached anybody.
  std::this_thread::sleep_for(300ms);
  BOOST_TEST(count(s.brk1(), bust_of(day.brk1_fill_b)) == 1U);
  BOOST_TEST(count(s.std_client(), bust_of(day.std_fill_b)) == 1U);
  const json e = last_audit("trade.bust");
  BOOST_TEST_REQUIRE(e.is_object());
  BOOST_TEST(e["result"] == "refused");
}

BOOST_AUTO_TEST_CASE(a_viewer_cannot_bust_and_the_refusal_is_audited) {
  const auto r = bust(day.trade_a, "view");
  BOOST_TEST(r.status == 403, r.body);
  BOOST_TEST(body_of(r)["error"] == "forbidden");
  const json e = last_audit("trade.bust");
  BOOST_TEST_REQUIRE(e.is_object());
  BOOST_TEST(e["user"] == "view");
  BOOST_TEST(e["result"] == "refused");
  BOOST_TEST(count(stack().brk1(), bust_of(day.brk1_fill_a)) == 0U, "trade A must still stand");
}

BOOST_AUTO_TEST_CASE(after_a_restart_the_bust_stands_and_a_trade_from_before_can_still_be_busted) {
  Stack& s = stack();
  const std::size_t busts_before = count(s.brk1(), Match{"8", {{FIX::FIELD::ExecType, "H"}}});
  s.std_broker->logout();
  BOOST_TEST(s.venue->stop() == 0);
  s.venue->start();
  FixClient& brk1 = s.brk1();
  FixClient& seller = s.std_client();

  // The journal replay brought the bust back without reporting it again.
  std::this_thread::sleep_for(1s);
  BOOST_TEST(count(brk1, Match{"8", {{FIX::FIELD::ExecType, "H"}}}) == busts_before, brk1.recent());
  const json order = body_of(s.venue->api("GET", "/api/v1/orders?order_id=" + day.buy_order_id));
  BOOST_TEST_REQUIRE(order["live"].is_object(), order.dump());
  BOOST_TEST(std::stod(order["live"]["cum_qty"].get<std::string>()) == 7.0, order.dump());
  BOOST_TEST(std::stod(order["live"]["leaves_qty"].get<std::string>()) == 3.0, order.dump());
  const auto again = bust(day.trade_b);
  BOOST_TEST(again.status == 409, again.body);

  // Trade A, made before the restart (STD's order ended then): busted now, ExecRefIDs and STD's ClOrdID
  // read back from the report log.
  const auto r = bust(day.trade_a, "ops", "both firms asked (e2e)");
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  const auto h1 = brk1.expect(bust_of(day.brk1_fill_a));
  BOOST_TEST(field(h1, FIX::FIELD::ClOrdID) == day.buy);
  BOOST_TEST(num(h1, FIX::FIELD::CumQty) == 5.0);
  BOOST_TEST(num(h1, FIX::FIELD::LeavesQty) == 5.0);
  BOOST_TEST(num(h1, FIX::FIELD::AvgPx) == 101.0);
  const auto h2 = seller.expect(bust_of(day.std_fill_a));
  BOOST_TEST(field(h2, FIX::FIELD::ClOrdID) == day.std_sell_a);
  BOOST_TEST(num(h2, FIX::FIELD::CumQty) == 0.0);
  BOOST_TEST(field(h2, FIX::FIELD::OrdStatus) == "4");
  s.officer->expect(bust_of(day.std_fill_a), 20s);

  // The order fills its last 5 at 101.00.
  const auto sell_d = limit(kSell, "101.00", "5", "BETA-1");
  seller.send(new_order(sell_d));
  const auto fill = brk1.expect(er(day.buy, "F").with(FIX::FIELD::OrdStatus, "2"));
  BOOST_TEST(num(fill, FIX::FIELD::CumQty) == 10.0);
  BOOST_TEST(num(fill, FIX::FIELD::AvgPx) == 101.0);
}

BOOST_AUTO_TEST_SUITE_END()
