#define BOOST_TEST_MODULE e2e_venuectl
// build/bin/venuectl against the real venue, as a runbook script uses it: exit codes a script can test
// (0 done, 1 refused by the venue, 2 bad command line, 3 not logged in or not allowed, 4 unreachable),
// --help for every command, tables for people and --json for scripts, and the action's effect on the
// brokers' FIX sessions and in the audit log.
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "e2e/support/suite.h"

using namespace venue::e2e;
using namespace std::chrono_literals;
using nlohmann::json;

BOOST_TEST_GLOBAL_FIXTURE(SuiteVenueFixture);

namespace {

struct Run {
  int rc = -1;
  std::string out;
  std::string err;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// venuectl ARGS as `user` (password from the environment, as a script would give it).
Run venuectl(const std::string& args, const std::string& user = "ops", const std::string& password = kOperatorPassword,
             const std::string& url = "") {
  TestVenue& v = suite_venue();
  const std::string err_file = (v.dir() / "venuectl.err").string();
  const std::string cmd =
      "VENUECTL_URL=" + quote(url.empty() ? "http://127.0.0.1:" + std::to_string(v.operator_port()) : url) +
      " VENUECTL_USER=" + quote(user) + " VENUECTL_PASSWORD=" + quote(password) + " " +
      quote(std::string(std::getenv("VENUE_BIN_DIR")) + "/venuectl") + " " + args + " 2>" + quote(err_file);
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  BOOST_REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err_file);
  std::stringstream ss;
  ss << e.rdbuf();
  r.err = ss.str();
  return r;
}

std::string status_of(const std::string& symbol) {
  const Run r = venuectl("--json instruments");
  const json j = json::parse(r.out, nullptr, false);
  if (!j.is_object()) return "";
  for (const auto& i : j["instruments"]) {
    if (i["symbol"] == symbol) return i["status"];
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_command_has_help_and_a_bad_command_line_exits_2) {
  const Run all = venuectl("--help");
  BOOST_TEST(all.rc == 0);
  for (const char* cmd : {"sessions", "session logout", "session add", "kill-switch engage", "instrument halt", "book",
                          "order", "health", "audit", "trade bust"}) {
    BOOST_TEST(all.out.find(cmd) != std::string::npos, cmd);
    const Run one = venuectl(std::string(cmd) + " --help");
    BOOST_TEST(one.rc == 0, cmd);
    BOOST_TEST(one.out.find(cmd) != std::string::npos, cmd << ": " << one.out);
  }
  BOOST_TEST(venuectl("frobnicate").rc == 2);
  BOOST_TEST(venuectl("kill-switch engage").rc == 2, "neither --firm nor --account");
  BOOST_TEST(venuectl("book").rc == 2, "no symbol");
  BOOST_TEST(venuectl("trade bust 1").rc == 2, "a bust without --reason");
}

BOOST_AUTO_TEST_CASE(without_the_right_password_or_as_a_viewer_it_exits_3_and_nothing_changes) {
  const std::string sym = suite_venue().symbol();
  const Run wrong = venuectl("sessions", "ops", "not-the-password");
  BOOST_TEST(wrong.rc == 3);
  BOOST_TEST(wrong.err.find("wrong user name or password") != std::string::npos, wrong.err);
  const Run viewer = venuectl("instrument halt " + sym, "view");
  BOOST_TEST(viewer.rc == 3);
  BOOST_TEST(viewer.err.find("forbidden") != std::string::npos, viewer.err);
  BOOST_TEST(venuectl("sessions", "view").rc == 0, "a viewer may look");
  BOOST_TEST(status_of(sym) == "open");
  const Run gone = venuectl("sessions", "ops", kOperatorPassword, "http://127.0.0.1:1");
  BOOST_TEST(gone.rc == 4, gone.err);
}

BOOST_AUTO_TEST_CASE(the_session_grid_as_a_table_and_as_json) {
  suite_venue().client("BRK1");
  const Run table = venuectl("sessions");
  BOOST_TEST(table.rc == 0);
  BOOST_TEST(table.out.find("SENDER") != std::string::npos);
  bool brk1_on = false;
  std::istringstream lines(table.out);
  for (std::string line; std::getline(lines, line);) {
    brk1_on = brk1_on || (line.find(" BRK1 ") != std::string::npos && line.find("logged_on") != std::string::npos);
  }
  BOOST_TEST(brk1_on, table.out);
  const json j = json::parse(venuectl("--json sessions").out, nullptr, false);
  BOOST_REQUIRE(j.is_object());
  bool found = false;
  for (const auto& s : j["sessions"]) found = found || (s["sender_comp_id"] == "BRK1" && s["logged_on"] == true);
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(halt_and_resume_an_instrument_and_a_refusal_exits_1) {
  TestVenue& v = suite_venue();
  FixClient& brk1 = v.client("BRK1");
  const std::string sym = v.symbol();
  const Run halt = venuectl("instrument halt " + sym + " --reason " + quote("runbook test"));
  BOOST_TEST(halt.rc == 0, halt.err);
  BOOST_TEST(status_of(sym) == "halted");
  const OrderFields o{.clordid = v.id("halted"),
                      .symbol = sym,
                      .side = kBuy,
                      .ord_type = kLimit,
                      .price = "99.00",
                      .qty = "1",
                      .account = "ALPHA-1"};
  brk1.send(new_order(o));
  check_order_reject(brk1.expect(er(o.clordid, "8")), 1002);
  // The refused order, found by its ClOrdID, with its report.
  const json found =
      json::parse(venuectl("--json order --clordid " + o.clordid + " --session BRK1").out, nullptr, false);
  BOOST_REQUIRE(found.is_object());
  BOOST_REQUIRE(found["reports"].size() == 1U);
  BOOST_TEST(found["reports"][0]["exec_type"] == "8");
  BOOST_TEST(venuectl("instrument resume " + sym).rc == 0);
  BOOST_TEST(status_of(sym) == "open");
  const Run unknown = venuectl("instrument halt NO-SUCH");
  BOOST_TEST(unknown.rc == 1);
  BOOST_TEST(unknown.err.find("not_found") != std::string::npos, unknown.err);
}

BOOST_AUTO_TEST_CASE(a_forced_logout_reaches_the_broker_with_its_reason) {
  FixClient& brk3 = suite_venue().client("BRK3");
  const auto from = brk3.count();
  const Run r = venuectl("session logout BRK3 --reason " + quote("runbook: end of day"));
  BOOST_TEST(r.rc == 0, r.err);
  BOOST_TEST(field(brk3.expect(of_type("5"), 5s, from), FIX::FIELD::Text) == "runbook: end of day");
  BOOST_TEST(brk3.wait_logged_out(5s));
  BOOST_TEST(venuectl("session logout BRK3").rc == 1, "not logged on any more: a conflict");
}

BOOST_AUTO_TEST_CASE(the_kill_switch_of_a_firm_is_engaged_listed_and_released) {
  TestVenue& v = suite_venue();
  FixClient& kf = v.client("KF");
  const std::string sym = v.symbol();
  const OrderFields resting{.clordid = v.id("rest"),
                            .symbol = sym,
                            .side = kBuy,
                            .ord_type = kLimit,
                            .price = "99.00",
                            .qty = "2",
                            .account = "DELTA-1"};
  kf.send(new_order(resting));
  kf.expect(er(resting.clordid, "0"));
  BOOST_TEST(venuectl("kill-switch engage --firm DELTA --reason " + quote("runbook test")).rc == 0);
  kf.expect(er(resting.clordid, "4"));
  const json list = json::parse(venuectl("--json kill-switch list").out, nullptr, false);
  BOOST_REQUIRE(list.is_object());
  BOOST_TEST(list["blocked_firms"] == json::array({"DELTA"}));
  BOOST_TEST(venuectl("kill-switch release --firm DELTA").rc == 0);
  const OrderFields again{.clordid = v.id("again"),
                          .symbol = sym,
                          .side = kBuy,
                          .ord_type = kLimit,
                          .price = "99.00",
                          .qty = "1",
                          .account = "DELTA-1"};
  kf.send(new_order(again));
  kf.expect(er(again.clordid, "0"));
}

BOOST_AUTO_TEST_CASE(a_trade_bust_reaches_both_brokers_and_a_second_one_exits_1_with_its_code) {
  TestVenue& v = suite_venue();
  FixClient& brk1 = v.client("BRK1");
  FixClient& brk2 = v.client("BRK2");
  const std::string sym = v.symbol();
  const OrderFields buy{.clordid = v.id("buy"),
                        .symbol = sym,
                        .side = kBuy,
                        .ord_type = kLimit,
                        .price = "100.00",
                        .qty = "4",
                        .account = "ALPHA-1"};
  brk1.send(new_order(buy));
  brk1.expect(er(buy.clordid, "0"));
  const OrderFields sell{.clordid = v.id("sell"),
                         .symbol = sym,
                         .side = kSell,
                         .ord_type = kLimit,
                         .price = "100.00",
                         .qty = "4",
                         .account = "BETA-1"};
  brk2.send(new_order(sell));
  const auto fill = brk1.expect(er(buy.clordid, "F"));
  const auto other = brk2.expect(er(sell.clordid, "F"));
  const std::string trade = field(fill, FIX::FIELD::TrdMatchID);
  BOOST_TEST(venuectl("trade bust " + trade + " --reason x", "view").rc == 3, "a viewer may not bust");
  const Run r = venuectl("trade bust " + trade + " --reason " + quote("runbook: both firms asked"));
  BOOST_TEST(r.rc == 0, r.err);
  BOOST_TEST(r.out.find("busted") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("EXECREFID") != std::string::npos, r.out);
  BOOST_TEST(r.out.find(field(fill, FIX::FIELD::ExecID)) != std::string::npos, r.out);
  const Match h1{"8", {{FIX::FIELD::ExecType, "H"}, {FIX::FIELD::ExecRefID, field(fill, FIX::FIELD::ExecID)}}};
  const Match h2{"8", {{FIX::FIELD::ExecType, "H"}, {FIX::FIELD::ExecRefID, field(other, FIX::FIELD::ExecID)}}};
  BOOST_TEST(field(brk1.expect(h1), FIX::FIELD::OrdStatus) == "4", "filled, busted: does not come back");
  brk2.expect(h2);
  const Run again = venuectl("trade bust " + trade + " --reason again");
  BOOST_TEST(again.rc == 1);
  BOOST_TEST(again.err.find("1061 TradeAlreadyBusted") != std::string::npos, again.err);
  const json j = json::parse(venuectl("--json trade bust 999 --reason nothing").out, nullptr, false);
  BOOST_TEST(j.value("reject_code", 0) == 1060, j.dump());
}

BOOST_AUTO_TEST_CASE(the_audit_log_shows_what_venuectl_did_and_who_did_it) {
  const json a = json::parse(venuectl("--json audit --limit 200 --action instrument.halt").out, nullptr, false);
  BOOST_REQUIRE(a.is_object());
  bool halted_by_ops = false;
  bool refused_viewer = false;
  for (const auto& e : a["entries"]) {
    halted_by_ops =
        halted_by_ops || (e["user"] == "ops" && e["result"] == "ok" && e["request"]["reason"] == "runbook test");
    refused_viewer = refused_viewer || (e["user"] == "view" && e["result"] == "refused");
  }
  BOOST_TEST(halted_by_ops);
  BOOST_TEST(refused_viewer);
  const Run table = venuectl("audit --limit 5");
  BOOST_TEST(table.rc == 0);
  BOOST_TEST(table.out.find("ACTION") != std::string::npos);
}
