// The risk service against the real Kafka and PostgreSQL (risk_service_test.cpp, whose risk process these
// cases share): a fill read before the release's ack, risk killed and restarted, PostgreSQL stopped
// mid-stream, a backlog caught up.
#include <boost/test/unit_test.hpp>

#include "integration/risk_service_fixture.h"

// The venue lets a released firm trade at once, and its fills and its answer to the release travel on
// two topics: a fill traded after the release can reach the service before the release's ack. That
// fill still counts above the usage at the release: the firm is stopped again when the ack is read.
// (This test plays the venue and sends them in that order on purpose.)
BOOST_AUTO_TEST_CASE(a_fill_traded_after_the_release_and_read_before_its_ack_stops_the_firm_again) {
  auto& h = harness();
  auto& r = h.reports();
  const auto set = h.cli("limits set --firm RF --limit max_net_position --value 100 --by it-officer");
  BOOST_TEST(set.code == 0, set.out);
  std::this_thread::sleep_for(400ms);  // the service reads the limits (limits_poll_ms 100)
  // Today, second s: the breach at s.100, the release applied at s.400, the next fill at s.500.
  const std::string day = r.transact.substr(0, 8);
  const std::string second = r.transact.substr(9, 8);
  auto kills = [&] {
    int n = 0;
    for (const auto& c : h.read(h.control())) n += c["action"] == "kill_firm" && c["firm"] == "RF" ? 1 : 0;
    return n;
  };
  auto wait_kills = [&](int n) {
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (kills() < n && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(100ms);
    return kills();
  };
  const auto breach = r.raw_fill({.account = "RF-1",
                                  .firm = "RF",
                                  .side = "1",
                                  .qty = "150",
                                  .px = "10",
                                  .transact = day + "-" + second + ".100"});
  h.send(breach, 0);
  BOOST_REQUIRE(wait_kills(1) == 1);
  const auto after = r.raw_fill(
      {.account = "RF-1", .firm = "RF", .side = "1", .qty = "50", .px = "10", .transact = day + "-" + second + ".500"});
  h.send(after, 1);
  h.wait_applied(after.venue_seq);
  BOOST_TEST(kills() == 1);  // still under the first kill switch as far as the service knows
  h.produce(h.acks(), json{{"command_id", "release-rf-it"},
                           {"result", "applied"},
                           {"reason", ""},
                           {"action", "release_firm"},
                           {"firm", "RF"},
                           {"account", ""},
                           {"orders_cancelled", 0},
                           {"applied_at", day.substr(0, 4) + "-" + day.substr(4, 2) + "-" + day.substr(6, 2) + "T" +
                                              second + ".400Z"}}
                          .dump());
  BOOST_TEST(wait_kills(2) == 2);
  BOOST_TEST(h.metric("risk_limit_breaches_total{limit=\"max_net_position\",scope=\"firm\"}") == 2);
}

BOOST_AUTO_TEST_CASE(killed_mid_stream_and_restarted_it_changes_nothing) {
  auto& h = harness();
  auto& r = h.reports();
  std::set<std::string> accounts;
  std::uint64_t last = 0;
  std::uint64_t x = 12345;
  auto next = [&] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 33;
  };
  for (int i = 0; i < 1500; ++i) {
    const std::string account = "K" + std::to_string(next() % 6);
    accounts.insert(account);
    const auto px = std::to_string(90 + next() % 20) + "." + std::to_string(10 + next() % 90);
    const auto f = r.raw_fill({.account = account,
                               .firm = "KF",
                               .symbol = next() % 3 ? "ACME" : "GLOBX",
                               .side = next() % 2 ? "1" : "2",
                               .qty = std::to_string(1 + next() % 300),
                               .px = px});
    h.send(f, static_cast<int>(next() % 4));
    last = f.venue_seq;
    if (i == 700) {
      // SIGKILL while records are in flight, then start again on the same database.
      ::kill(h.risk().pid(), SIGKILL);
      BOOST_TEST(h.risk().wait_exit(10s) == 128 + SIGKILL);
    }
    if (i == 1100) h.risk().start(60s);
  }
  h.wait_applied(last, 60s);
  const auto got = h.cli("positions --firm KF").out;
  BOOST_TEST(got == expected_csv(accounts));
  // Killed again right after a write, then restarted with nothing new: the same figures.
  ::kill(h.risk().pid(), SIGKILL);
  h.risk().wait_exit(10s);
  h.risk().start(60s);
  BOOST_TEST(h.cli("positions --firm KF").out == got);
  BOOST_TEST(h.cli("positions --firm KF --snapshot").out == got);
}

BOOST_AUTO_TEST_CASE(postgres_stopped_mid_stream_loses_nothing_and_readyz_says_so) {
  auto& h = harness();
  auto& r = h.reports();
  h.pg("stop");
  std::uint64_t last = 0;
  for (int i = 0; i < 50; ++i) {
    const auto f = r.raw_fill({.account = "G1", .firm = "GF", .side = i % 3 ? "1" : "2", .qty = "7", .px = "99.5"});
    h.send(f, i % 4);
    last = f.venue_seq;
  }
  h.wait_applied(last);  // reports are applied meanwhile
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (h.risk().http("GET", "/readyz").status == 200 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(100ms);
  }
  const auto ready = h.risk().http("GET", "/readyz");
  BOOST_TEST(ready.status == 503);
  BOOST_TEST(h.status()["checks"]["postgres"] == false);
  BOOST_TEST(h.status()["unwritten_fills"].get<int>() > 0);
  h.pg("start");
  const auto until2 = std::chrono::steady_clock::now() + 20s;
  while (h.status()["unwritten_fills"].get<int>() > 0 && std::chrono::steady_clock::now() < until2) {
    std::this_thread::sleep_for(100ms);
  }
  BOOST_TEST(h.status()["unwritten_fills"] == 0);
  BOOST_TEST(h.risk().http("GET", "/readyz").status == 200);
  BOOST_TEST(h.sql("select count(*) from fills where account = 'G1'")[0][0].as<int>() == 50);
  BOOST_TEST(h.cli("positions --account G1 --snapshot").out == expected_csv({"G1"}));
}

// Throughput with Kafka and PostgreSQL: the service stopped, a backlog of fills produced, the service
// started again: the time from start() until every fill is applied (loading the state included) gives
// fills per second, printed; the positions must still be exact. RISK_IT_BACKLOG sets the backlog size.
BOOST_AUTO_TEST_CASE(a_backlog_of_fills_is_caught_up_exactly_and_prints_fills_per_second) {
  auto& h = harness();
  auto& r = h.reports();
  const char* n_env = std::getenv("RISK_IT_BACKLOG");
  const int n = n_env != nullptr ? std::atoi(n_env) : 20'000;
  BOOST_TEST(h.risk().stop() == 0);
  std::set<std::string> accounts;
  std::uint64_t last = 0;
  for (int i = 0; i < n; ++i) {
    const std::string account = "T" + std::to_string(i % 40);
    accounts.insert(account);
    const auto f = r.raw_fill({.account = account,
                               .firm = "TF" + std::to_string(i % 4),
                               .symbol = i % 5 != 0 ? "ACME" : "GLOBX",
                               .side = (i * 7) % 3 != 0 ? "1" : "2",
                               .qty = std::to_string(1 + (i * 31) % 200),
                               .px = std::to_string(95 + (i * 13) % 10) + ".25"});
    h.send_unflushed(f, i % 4);
    last = f.venue_seq;
  }
  h.flush();
  const auto started = std::chrono::steady_clock::now();
  h.risk().start(120s);
  h.wait_applied(last, 120s);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("risk catch-up: %d fills in %.2f s from start (state load included): %.0f fills/s\n", n, seconds,
              n / seconds);
  BOOST_TEST_MESSAGE("risk catch-up: " << n << " fills in " << seconds << " s: " << n / seconds << " fills/s");
  std::string got;
  for (int firm = 0; firm < 4; ++firm) {
    const auto out = h.cli("positions --firm TF" + std::to_string(firm)).out;
    got += firm == 0 ? out : out.substr(out.find('\n') + 1);
  }
  // The CLI sorts per firm; the reference sorts by account: compare line sets.
  auto lines = [](const std::string& s) {
    std::multiset<std::string> out;
    std::size_t at = 0;
    while (at < s.size()) {
      const auto nl = s.find('\n', at);
      out.insert(s.substr(at, nl - at));
      at = nl == std::string::npos ? s.size() : nl + 1;
    }
    return out;
  };
  BOOST_TEST((lines(got) == lines(expected_csv(accounts))));
}
