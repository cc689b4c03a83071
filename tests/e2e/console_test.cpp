#define BOOST_TEST_MODULE e2e_console
// The operations console (operator-api/console/, served by the venue) in headless Chromium, as an
// operator clicks through it: log in, see a broker's session logged on, force its logout and see the grid
// change, halt an instrument and see a broker's order refused (at the broker and in the console's order
// lookup), add a session and log on with it; bust a trade from the order view and see the broker get
// ExecType H. The browser is Debian's chromium driven by Playwright
// (tests/browser/console_driver.mjs, one JSON step per line); the venue and the brokers' FIX sessions are
// this test's. Screenshots go to $SCREENSHOT_DIR (build/console-screenshots), one per step.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "e2e/support/suite.h"

extern char** environ;

using namespace venue::e2e;
using namespace std::chrono_literals;
using nlohmann::json;

BOOST_TEST_GLOBAL_FIXTURE(SuiteVenueFixture);

namespace {

// The Node process that drives Chromium: steps written to its stdin, one answer line per step.
class Browser {
 public:
  Browser() {
    const char* dir = std::getenv("VENUE_BROWSER_DIR");
    if (dir == nullptr) throw std::runtime_error("VENUE_BROWSER_DIR is not set (tests/e2e/tests.cmake sets it)");
    const std::string script = std::string(dir) + "/console_driver.mjs";
    if (!std::filesystem::exists(std::string(dir) + "/node_modules/playwright-core")) {
      throw std::runtime_error(std::string("playwright-core is not installed in ") + dir + ": run bash ci/setup");
    }
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    const char* argv[] = {"node", script.c_str(), nullptr};
    const int rc = posix_spawnp(&pid_, "node", &fa, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    if (rc != 0) throw std::runtime_error("node could not be started: " + std::string(std::strerror(rc)));
    to_ = ::fdopen(in[1], "w");
    from_ = ::fdopen(out[0], "r");
  }
  ~Browser() {
    if (to_ != nullptr) std::fclose(to_);
    if (from_ != nullptr) std::fclose(from_);
    if (pid_ > 0) {
      int status = 0;
      for (int i = 0; i < 50 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) ::usleep(100'000);
      if (::waitpid(pid_, &status, WNOHANG) == 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
    }
  }
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  // One step; its answer. A failed step fails the test with the driver's reason.
  json step(const json& s) {
    const std::string line = s.dump() + "\n";
    std::fputs(line.c_str(), to_);
    std::fflush(to_);
    std::string answer;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, from_) != nullptr) {
      answer += buf;
      if (!answer.empty() && answer.back() == '\n') break;
    }
    json a = json::parse(answer, nullptr, false);
    if (!a.is_object()) throw std::runtime_error("the browser driver answered \"" + answer + "\" to " + s.dump());
    BOOST_TEST_REQUIRE(a.value("ok", false), s.dump() << " failed: " << a.value("error", answer));
    return a;
  }
  void click(const std::string& sel) { step({{"cmd", "click"}, {"selector", sel}}); }
  void fill(const std::string& sel, const std::string& v) { step({{"cmd", "fill"}, {"selector", sel}, {"value", v}}); }
  void wait(const std::string& sel, int timeout_ms = 30000) {
    step({{"cmd", "wait"}, {"selector", sel}, {"timeout_ms", timeout_ms}});
  }
  void wait_text(const std::string& sel, const std::string& contains) {
    step({{"cmd", "wait_text"}, {"selector", sel}, {"contains", contains}});
  }
  std::string text(const std::string& sel) { return step({{"cmd", "text"}, {"selector", sel}}).value("text", ""); }
  void shot(const std::string& name) { step({{"cmd", "shot"}, {"name", name}}); }
  // Confirms the open confirmation dialog, with a reason when it asks for one.
  void confirm(const std::string& reason = "") {
    wait("#confirm[open]");
    if (!reason.empty()) fill("#confirm-fields input[name=reason]", reason);
    click("#confirm-ok");
  }

 private:
  pid_t pid_ = -1;
  FILE* to_ = nullptr;
  FILE* from_ = nullptr;
};

std::string row(const std::string& session, const std::string& state) {
  return "#sessions-table tr[data-session=\"" + session + "\"][data-state=\"" + state + "\"]";
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_operator_logs_in_logs_a_session_out_halts_an_instrument_and_adds_a_session) {
  TestVenue& v = suite_venue();
  FixClient& brk1 = v.client("BRK1");
  FixClient& brk2 = v.client("BRK2");
  Browser b;
  const std::string url = "http://127.0.0.1:" + std::to_string(v.operator_port()) + "/";
  BOOST_TEST(b.step({{"cmd", "open"}, {"url", url}}).value("text", "") == "Venue operations console");

  // Log in: a wrong password first.
  b.wait("#login-form");
  b.shot("01-login");
  b.fill("#login-user", "ops");
  b.fill("#login-password", "wrong-password");
  b.click("#login-submit");
  b.wait_text("#login-error", "wrong user name or password");
  b.fill("#login-password", kOperatorPassword);
  b.click("#login-submit");
  b.wait(row("BRK1", "logged_on"));
  b.wait_text("#who-role", "operator");
  b.shot("02-sessions-brk1-logged-on");

  // Force BRK1's logout: the broker gets a Logout with the reason, the grid shows it logged out.
  const auto from = brk1.count();
  b.click("button[data-action=logout][data-session=BRK1]");
  b.wait("#confirm[open]");
  b.fill("#confirm-fields input[name=reason]", "console test: end of day");
  b.shot("03-confirm-logout-brk1");
  b.click("#confirm-ok");
  const auto logout = brk1.expect(of_type("5"), 5s, from);
  BOOST_TEST(field(logout, FIX::FIELD::Text) == "console test: end of day");
  b.wait(row("BRK1", "logged_out"));
  b.shot("04-brk1-logged-out");

  // Halt an instrument: a broker's order for it is refused (1002), and the console's order lookup shows
  // the refusal.
  const std::string sym = v.symbol();
  b.click("#tabs button[data-tab=instruments]");
  b.fill("#instruments-filter", sym);
  b.click("button[data-action=halt][data-symbol=" + sym + "]");
  b.confirm("console test: halt");
  b.wait("#instruments-table tr[data-symbol=" + sym + "] .badge.halted");
  b.shot("05-instrument-halted");
  const OrderFields o{.clordid = v.id("halted"),
                      .symbol = sym,
                      .side = kBuy,
                      .ord_type = kLimit,
                      .price = "99.00",
                      .qty = "5",
                      .account = "BETA-1"};
  brk2.send(new_order(o));
  check_order_reject(brk2.expect(er(o.clordid, "8")), 1002);
  b.click("#tabs button[data-tab=orders]");
  b.fill("#order-clordid", o.clordid);
  b.fill("#order-session", "BRK2");
  b.click("#order-find");
  b.wait("#order-reports tr[data-exec=\"8\"]");
  b.wait_text("#order-reports tr[data-exec=\"8\"] pre.fix", "58=1002");
  b.shot("06-order-refused-while-halted");

  // Add a session and log on with it.
  b.click("#tabs button[data-tab=sessions]");
  b.click("#session-add");
  b.wait("#confirm[open]");
  b.fill("#confirm-fields input[name=id]", "880");
  b.fill("#confirm-fields input[name=sender_comp_id]", "WEBCO");
  b.step({{"cmd", "select"}, {"selector", "#confirm-fields select[name=firm]"}, {"value", "ALPHA"}});
  b.fill("#confirm-fields input[name=username]", "webco");
  b.fill("#confirm-fields input[name=password]", "webco-secret");
  b.step({{"cmd", "check"}, {"selector", "#confirm-fields input[name=accounts-ALPHA-1]"}, {"on", true}});
  b.shot("07-add-session-form");
  b.click("#confirm-ok");
  b.wait(row("WEBCO", "logged_out"));
  ClientOptions opts = v.options("BRK1");
  opts.sender = "WEBCO";
  opts.username = "webco";
  opts.password = "webco-secret";
  FixClient webco(opts);
  webco.logon();
  BOOST_TEST(webco.logged_on());
  b.wait(row("WEBCO", "logged_on"));
  b.shot("08-added-session-logged-on");

  // Every action is in the audit log, with who did it.
  b.click("#tabs button[data-tab=audit]");
  b.wait("#audit-table tr[data-action=\"session.add\"]");
  b.wait_text("#audit-table tr[data-action=\"session.logout\"]", "console test: end of day");
  b.shot("09-audit-log");
  webco.logout();
  // The page logged no error but the wrong password's 401 (Chromium logs every failed request).
  json errors = json::array();
  for (const auto& e : b.step({{"cmd", "close"}})["console_errors"]) {
    if (e.get<std::string>().find("status of 401") == std::string::npos) errors.push_back(e);
  }
  BOOST_TEST(errors.size() == 0U, "the page logged errors: " << errors.dump());
}

BOOST_AUTO_TEST_CASE(an_operator_busts_a_trade_from_the_order_view_and_the_broker_gets_exec_type_h) {
  TestVenue& v = suite_venue();
  FixClient& brk1 = v.client("BRK1");
  FixClient& brk2 = v.client("BRK2");
  // BRK1 rests 5, BRK2 takes 3 of them: BRK1's order is still live with 2 left.
  const std::string sym = v.symbol();
  const OrderFields buy{.clordid = v.id("bust-buy"),
                        .symbol = sym,
                        .side = kBuy,
                        .ord_type = kLimit,
                        .price = "100.00",
                        .qty = "5",
                        .account = "ALPHA-1"};
  brk1.send(new_order(buy));
  brk1.expect(er(buy.clordid, "0"));
  const OrderFields sell{.clordid = v.id("bust-sell"),
                         .symbol = sym,
                         .side = kSell,
                         .ord_type = kLimit,
                         .price = "100.00",
                         .qty = "3",
                         .account = "BETA-1"};
  brk2.send(new_order(sell));
  const auto fill = brk1.expect(er(buy.clordid, "F"));
  const std::string trade = field(fill, FIX::FIELD::TrdMatchID);
  const std::string fill_exec = field(fill, FIX::FIELD::ExecID);
  BOOST_TEST_REQUIRE(!trade.empty());

  Browser b;
  const std::string url = "http://127.0.0.1:" + std::to_string(v.operator_port()) + "/";
  b.step({{"cmd", "open"}, {"url", url}});
  b.wait("#login-form");
  b.fill("#login-user", "ops");
  b.fill("#login-password", kOperatorPassword);
  b.click("#login-submit");
  b.wait_text("#who-role", "operator");

  // The order view: BRK1's order with its fill, "Bust trade" on the fill.
  b.click("#tabs button[data-tab=orders]");
  b.fill("#order-clordid", buy.clordid);
  b.fill("#order-session", "BRK1");
  b.click("#order-find");
  const std::string button = "button[data-action=bust][data-trade=\"" + trade + "\"]";
  b.wait(button);
  b.shot("10-order-with-fill");
  b.click(button);
  b.wait("#confirm[open]");
  b.wait_text("#confirm-title", "Bust trade " + trade);
  b.fill("#confirm-fields input[name=reason]", "console test: erroneous trade");
  b.shot("11-confirm-bust");
  b.click("#confirm-ok");

  // The broker gets 150=H naming its fill, with the 3 back; the console shows the bust report.
  const auto h = brk1.expect(Match{"8", {{FIX::FIELD::ExecType, "H"}, {FIX::FIELD::ExecRefID, fill_exec}}}, 10s);
  BOOST_TEST(field(h, FIX::FIELD::CumQty) == "0");
  BOOST_TEST(field(h, FIX::FIELD::LeavesQty) == "5");
  BOOST_TEST(field(h, FIX::FIELD::Text) == "trade busted by venue operations: console test: erroneous trade");
  b.wait("#order-reports tr[data-exec=\"H\"]");
  b.wait_text("#order-reports tr[data-exec=\"H\"] pre.fix", "19=" + fill_exec);
  // The busted fill offers no second bust.
  b.wait("#order-reports span[data-busted=\"" + trade + "\"]");
  BOOST_TEST(b.step({{"cmd", "count"}, {"selector", button}}).value("count", -1) == 0);
  b.shot("12-order-after-bust");
  b.click("#tabs button[data-tab=audit]");
  b.wait("#audit-table tr[data-action=\"trade.bust\"]");
  b.shot("13-audit-log-bust");
  json errors = json::array();
  for (const auto& e : b.step({{"cmd", "close"}})["console_errors"]) errors.push_back(e);
  BOOST_TEST(errors.size() == 0U, "the page logged errors: " << errors.dump());
}
