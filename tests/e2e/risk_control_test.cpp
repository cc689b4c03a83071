#define BOOST_TEST_MODULE e2e_risk_control
// The venue's end of venue.risk-control (spec/kafka-topics.md), with the real venue and the real Kafka
// broker, as the risk service and risk officers meet it: a command blocks a firm or an account (its live
// orders cancelled with the reason, new orders refused with 2040), every command is answered on
// venue.risk-control-acks, a command is applied once (same id: duplicate), an old command never undoes a
// newer one (stale), a block survives a SIGKILL of the venue, a release lets the firm trade again, and a
// record that is not a command is refused without effect.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "e2e/support/kafka_broker.h"
#include "e2e/support/suite.h"

using namespace venue::e2e;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string iso(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

struct Topics {
  std::string commands = "venue.risk-control.e2e-" + std::to_string(::getpid());
  std::string acks = "venue.risk-control-acks.e2e-" + std::to_string(::getpid());
  std::string reports = "venue.execution-reports.rc-e2e-" + std::to_string(::getpid());
  Topics() { KafkaBroker::create_topics({{commands, 1}, {acks, 1}, {reports, 1}}); }
} const* topics = nullptr;

std::string extra_toml() {
  static Topics t;
  topics = &t;
  return "\n[kafka]\nbrokers = \"" + env("VENUE_KAFKA_BROKERS") + "\"\ntopic = \"" + t.reports +
         "\"\nrisk_control_topic = \"" + t.commands + "\"\nrisk_control_acks_topic = \"" + t.acks +
         // A group of its own: a static member of a shared group that comes back subscribed to another
         // topic keeps its old partitions and would read nothing.
         "\"\nrisk_control_group = \"" + t.commands + "-group\"\n";
}

struct RiskControlVenue {
  TestVenue venue{"risk-control", extra_toml()};
};

RiskControlVenue& rc() {
  static RiskControlVenue v;
  return v;
}

// Publishes one record on venue.risk-control (key: the firm) the way the risk service does.
void publish(const std::string& key, const std::string& value) {
  run_command("printf '%s' '" + value + "' | kcat -b '" + env("VENUE_KAFKA_BROKERS") + "' -t '" + topics->commands +
              "' -P -k '" + key + "' 2>&1");
}

json command(const std::string& id, const std::string& action, const std::string& firm, const std::string& account,
             std::chrono::system_clock::time_point issued = std::chrono::system_clock::now()) {
  return json{{"id", id},
              {"issued_at", iso(issued)},
              {"issuer", "risk"},
              {"action", action},
              {"firm", firm},
              {"account", account},
              {"reason", "e2e " + id},
              {"limit", "max_loss"},
              {"figures", {{"usage", "250000.00"}, {"limit", "200000.00"}}}};
}

// The venue's answer to command `id`, waiting for it up to 15 s.
json ack_of(const std::string& id) {
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string all = run_command("kcat -b '" + env("VENUE_KAFKA_BROKERS") + "' -t '" + topics->acks +
                                        "' -C -o beginning -e -q -f '%k\\t%s\\n' 2>/dev/null || true");
    std::istringstream lines(all);
    std::string line;
    json found;
    while (std::getline(lines, line)) {
      const auto tab = line.find('\t');
      if (tab == std::string::npos || line.substr(0, tab) != id) continue;
      found = json::parse(line.substr(tab + 1));  // the latest answer to that id
    }
    if (!found.is_null()) return found;
    std::this_thread::sleep_for(200ms);
  }
  throw std::runtime_error("no answer to command " + id + " on " + topics->acks);
}

FIX::Message rest(FixClient& c, TestVenue& v, const std::string& sym, const std::string& account) {
  const OrderFields o{
      .clordid = v.id("rest"), .symbol = sym, .side = kBuy, .price = "99.00", .qty = "5", .account = account};
  c.send(new_order(o));
  return c.expect(er(o.clordid, "0"));
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_kill_firm_command_cancels_its_orders_refuses_new_ones_and_is_answered) {
  TestVenue& v = rc().venue;
  FixClient& brk1 = v.client("BRK1");
  FixClient& brk2 = v.client("BRK2");
  const std::string sym = v.symbol();
  const auto a1 = rest(brk1, v, sym, "ALPHA-1");
  const auto a2 = rest(brk1, v, sym, "ALPHA-2");
  const auto other = rest(brk2, v, sym, "BETA-1");
  publish("ALPHA", command("kill-1", "kill_firm", "ALPHA", "").dump());
  for (const auto& order : {a1, a2}) {
    const auto done = brk1.expect(er(field(order, FIX::FIELD::ClOrdID), "4"), 10s);
    BOOST_TEST(field(done, FIX::FIELD::Text) == "cancelled: kill switch (e2e kill-1)", printable(done));
  }
  const json ack = ack_of("kill-1");
  BOOST_TEST(ack.value("result", "") == "applied", ack.dump());
  BOOST_TEST(ack.value("orders_cancelled", -1) == 2, ack.dump());
  BOOST_TEST(ack.value("cancels_confirmed", false), ack.dump());
  BOOST_TEST(ack.value("action", "") == "kill_firm");
  // Refused while blocked, with the code and the reason; another firm trades on.
  const OrderFields again{
      .clordid = v.id("again"), .symbol = sym, .side = kBuy, .price = "99.00", .qty = "1", .account = "ALPHA-1"};
  brk1.send(new_order(again));
  const auto rej = brk1.expect(er(again.clordid, "8"));
  check_order_reject(rej, 2040);
  BOOST_TEST(field(rej, FIX::FIELD::Text).find("e2e kill-1") != std::string::npos, printable(rej));
  BOOST_TEST(brk2.all(er(field(other, FIX::FIELD::ClOrdID), "4")).empty(), "another firm's order was cancelled");
  rest(brk2, v, sym, "BETA-1");
}

BOOST_AUTO_TEST_CASE(a_command_read_twice_is_applied_once_and_an_older_one_never_undoes_a_newer) {
  TestVenue& v = rc().venue;
  const auto before = std::chrono::system_clock::now() - 1h;
  // The same id again (a re-delivery): answered duplicate, nothing done.
  publish("ALPHA", command("kill-1", "kill_firm", "ALPHA", "").dump());
  // Released (an operator's decision, through `risk release`)...
  auto release = command("release-1", "release_firm", "ALPHA", "");
  release["issuer"] = "officer.jane";
  publish("ALPHA", release.dump());
  BOOST_TEST(ack_of("release-1").value("result", "") == "applied");
  // ...then a block issued an hour ago arrives late: stale, the firm stays released.
  publish("ALPHA", command("kill-old", "kill_firm", "ALPHA", "", before).dump());
  BOOST_TEST(ack_of("kill-old").value("result", "") == "stale");
  FixClient& brk1 = v.client("BRK1");
  rest(brk1, v, v.symbol(), "ALPHA-1");
}

BOOST_AUTO_TEST_CASE(an_account_block_survives_a_crash_of_the_venue_until_released) {
  TestVenue& v = rc().venue;
  FixClient& brk1 = v.client("BRK1");
  const std::string sym = v.symbol();
  publish("ALPHA", command("block-a2", "block_account", "ALPHA", "ALPHA-2").dump());
  BOOST_TEST(ack_of("block-a2").value("result", "") == "applied");
  ::kill(v.process().pid(), SIGKILL);
  BOOST_TEST(v.process().wait_exit(10s) == 128 + SIGKILL);
  brk1.close();
  v.start();
  FixClient& again = v.client("BRK1");
  const OrderFields blocked{
      .clordid = v.id("blocked"), .symbol = sym, .side = kBuy, .price = "99.00", .qty = "1", .account = "ALPHA-2"};
  again.send(new_order(blocked));
  check_order_reject(again.expect(er(blocked.clordid, "8")), 2040);
  rest(again, v, sym, "ALPHA-1");  // the block is the account's, not the firm's
  publish("ALPHA", command("release-a2", "release_account", "ALPHA", "ALPHA-2").dump());
  BOOST_TEST(ack_of("release-a2").value("result", "") == "applied");
  rest(again, v, sym, "ALPHA-2");
}

// The venue's consumer of venue.risk-control failed for good (librdkafka's fatal error: fenced, as after
// the broker was away for the 10 s group session; seen in CI): a new consumer takes its place and the
// next kill switch is applied. Before, the venue retried the commit forever and never read a command
// again until restarted: risk's kill switches went unanswered ("E101 no answer from the venue").
BOOST_AUTO_TEST_CASE(kill_switches_are_read_on_after_the_kafka_consumer_failed_for_good) {
  TestVenue& v = rc().venue;
  BOOST_TEST(v.stop() == 0);
  for (const char* comp : {"BRK1", "BRK2"}) v.client_object(comp).close();
  v.process().set_environment("VENUE_TEST_RISK_CONTROL_FATAL_AFTER", "1");
  v.start();
  v.process().set_environment("VENUE_TEST_RISK_CONTROL_FATAL_AFTER", "");
  publish("GAMMA", command("fence-1", "kill_firm", "GAMMA", "").dump());
  // Answered applied; its commit failed with the consumer, so the new consumer reads it again and answers
  // duplicate (nothing done twice): the latest answer is either.
  const std::string first = ack_of("fence-1").value("result", "");
  BOOST_TEST((first == "applied" || first == "duplicate"), first);
  // The consumer is failed now; the next command must still be read and applied.
  publish("GAMMA", command("fence-2", "release_firm", "GAMMA", "").dump());
  json after;
  try {
    after = ack_of("fence-2");
  } catch (const std::exception& e) {
    BOOST_FAIL(e.what() << "; the venue's log:\n" << v.process().log_tail(300));
  }
  BOOST_TEST(after.value("result", "") == "applied", after.dump());
  BOOST_TEST(v.process().log_tail(400).find("VEN030") != std::string::npos, v.process().log_tail(40));
}

BOOST_AUTO_TEST_CASE(a_record_that_is_not_a_command_is_refused_and_changes_nothing) {
  TestVenue& v = rc().venue;
  publish(
      "ALPHA",
      R"({"id":"bad-1","issued_at":"2026-12-06T10:00:00.000Z","issuer":"risk","action":"nuke_firm","firm":"ALPHA"})");
  const json bad = ack_of("bad-1");
  BOOST_TEST(bad.value("result", "") == "refused", bad.dump());
  BOOST_TEST(bad.value("reason", "").find("\"action\" must be") != std::string::npos, bad.dump());
  publish("ALPHA", command("unknown-firm", "kill_firm", "NOPE", "").dump());
  const json unknown = ack_of("unknown-firm");
  BOOST_TEST(unknown.value("result", "") == "refused");
  BOOST_TEST(unknown.value("reason", "") == "unknown firm NOPE");
  publish("ALPHA", "this is not json");
  publish("ALPHA", command("after-garbage", "release_firm", "BETA", "").dump());
  BOOST_TEST(ack_of("after-garbage").value("result", "") == "applied");  // the consumer carried on
  const std::string metrics = http_request(v.metrics_port(), "GET", "/metrics").body;
  BOOST_TEST(metrics.find("venue_risk_control_malformed_total 2") != std::string::npos);
  rest(v.client("BRK1"), v, v.symbol(), "ALPHA-1");
  BOOST_TEST(v.stop() == 0);
}
