// VenueAcceptor's sessions at runtime: a session added while the acceptor runs can log on, a removed one
// is refused like an unknown CompID (its connection closed), and a configured session removed and added
// back is the same session, with its sequence numbers. And the bounds on what clients that have not
// logged on may cost, and on what one client may read per turn. Driven over loopback by the raw FIX
// client.
#define BOOST_TEST_MODULE fix_session_acceptor_sessions
#include <boost/test/unit_test.hpp>

#include "acceptor_fixture.h"

namespace fs = venue::fix_session;
using venue::e2e::raw_message;
using venue::e2e::RawFixClient;
using venue::fix_session::test::Fixture;
using venue::fix_session::test::logon;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(a_session_added_at_runtime_logs_on_and_once_removed_is_refused_as_unknown) {
  Fixture f;
  {
    RawFixClient c(f.port);
    c.send(logon("NEW1", 1, "user"));
    const auto answer = c.read(5s);
    BOOST_REQUIRE(answer.has_value());
    BOOST_TEST(answer->type() == "5");
    BOOST_TEST(answer->get(58).value_or("") == "unknown SenderCompID/TargetCompID");
  }
  f.add("NEW1");
  RawFixClient c(f.port);
  c.send(logon("NEW1", 1, "user"));
  const auto answer = c.read(5s);
  BOOST_REQUIRE(answer.has_value());
  BOOST_TEST(answer->type() == "A");
  BOOST_TEST(f.app.count("NEW1") == 1U);

  BOOST_TEST(f.remove("NEW1"));
  BOOST_TEST(c.closed_within(5s), "the removed session's connection stays open");
  BOOST_TEST(!f.remove("NEW1"));
  RawFixClient again(f.port);
  again.send(logon("NEW1", 2, "user"));
  const auto refused = again.read(5s);
  BOOST_REQUIRE(refused.has_value());
  BOOST_TEST(refused->type() == "5");
  BOOST_TEST(refused->get(58).value_or("") == "unknown SenderCompID/TargetCompID");
}

BOOST_AUTO_TEST_CASE(a_configured_session_removed_and_added_back_keeps_its_sequence_numbers) {
  Fixture f;
  {
    RawFixClient c(f.port);
    c.send(logon("BRK1", 1, "brk1"));
    const auto answer = c.read(5s);
    BOOST_REQUIRE(answer.has_value());
    BOOST_TEST(answer->type() == "A");
    c.send(raw_message("0", 2, "BRK1", "VENUE", {}));
    const FIX::SessionID id("FIX.4.4", "VENUE", "BRK1");
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (f.run([&] { return f.acceptor->find_session(id)->getExpectedTargetNum(); }) != 3 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
  }
  // The client went away; the venue saw messages 1 and 2.
  BOOST_TEST(f.remove("BRK1"));
  {
    RawFixClient c(f.port);
    c.send(logon("BRK1", 3, "brk1"));
    const auto answer = c.read(5s);
    BOOST_REQUIRE(answer.has_value());
    BOOST_TEST(answer->get(58).value_or("") == "unknown SenderCompID/TargetCompID");
  }
  BOOST_CHECK_THROW(f.run([&] {
    const FIX::SessionID id("FIX.4.4", "VENUE", "NEW2");
    f.acceptor->add_session(id, f.settings.get(FIX::SessionID("FIX.4.4", "VENUE", "BRK1")));
    f.acceptor->add_session(id, f.settings.get(FIX::SessionID("FIX.4.4", "VENUE", "BRK1")));
    return 0;
  }),
                    FIX::ConfigError);
  f.add("BRK1");
  BOOST_TEST(f.run([&] {
    return f.acceptor->find_session(FIX::SessionID("FIX.4.4", "VENUE", "BRK1"))->getExpectedTargetNum();
  }) == 3);
  RawFixClient c(f.port);
  c.send(logon("BRK1", 3, "user"));
  const auto answer = c.read(5s);
  BOOST_REQUIRE(answer.has_value());
  BOOST_TEST(answer->type() == "A", "the session that came back refused its next sequence number");
  BOOST_TEST(f.app.count("BRK1") == 2U);
}

// Issue 11 (11): bounded input before a Logon and per turn.
BOOST_AUTO_TEST_CASE(connections_beyond_the_bound_of_those_not_logged_on_are_closed_at_once) {
  Fixture f([](fs::AcceptorSettings& as) { as.max_pending_logons = 3; });
  std::vector<std::unique_ptr<RawFixClient>> silent;
  silent.reserve(3);
  for (int i = 0; i < 3; ++i) silent.push_back(std::make_unique<RawFixClient>(f.port));
  std::this_thread::sleep_for(100ms);  // accepted
  RawFixClient fourth(f.port);
  BOOST_TEST(fourth.closed_within(2s), "a fourth connection not logged on was kept");
  for (auto& c : silent) BOOST_TEST(!c->closed_within(200ms), "the first three stay until their logon timeout");
  silent.pop_back();
  std::this_thread::sleep_for(100ms);  // its close seen
  RawFixClient broker(f.port);
  broker.send(logon("BRK1", 1, "brk1"));
  const auto answer = broker.read(5s);
  BOOST_REQUIRE(answer.has_value());
  BOOST_TEST(answer->type() == "A");
  BOOST_TEST(f.run([&] { return f.acceptor->counters().connections_shed; }) == 1U);
}

BOOST_AUTO_TEST_CASE(messages_beyond_the_bound_held_during_a_password_check_close_the_connection) {
  Fixture f([](fs::AcceptorSettings& as) { as.max_held_messages = 2; });
  RawFixClient c(f.port);
  std::string burst = logon("BRK1", 1, "brk1");
  for (int seq = 2; seq <= 6; ++seq) burst += raw_message("0", seq, "BRK1", "VENUE", {});
  c.send(burst);  // one write: the heartbeats arrive while the Logon's password is being checked
  BOOST_TEST(c.closed_within(5s));
  BOOST_TEST(f.app.count("BRK1") == 0U, "the session logged on");
}

BOOST_AUTO_TEST_CASE(logons_beyond_the_bound_of_password_checks_are_refused_busy) {
  // A slow hash (as in production), so the first check is still running when the second Logon comes.
  Fixture f([](fs::AcceptorSettings& as) { as.max_password_checks = 1; }, fs::hash_password("pw", 400'000));
  f.add("BRK2");  // its hash is the fixture's slow one too
  RawFixClient first(f.port);
  RawFixClient second(f.port);
  first.send(logon("BRK1", 1, "brk1"));
  std::this_thread::sleep_for(50ms);
  second.send(logon("BRK2", 1, "user"));
  const auto busy = second.read(5s);
  BOOST_REQUIRE(busy.has_value());
  BOOST_TEST(busy->type() == "5");
  BOOST_TEST(busy->get(58).value_or("").find("busy") != std::string::npos, busy->text);
  const auto answer = first.read(10s);
  BOOST_REQUIRE(answer.has_value());
  BOOST_TEST(answer->type() == "A", "the first Logon, already being checked, goes through");
}

BOOST_AUTO_TEST_CASE(a_fast_client_is_read_a_budget_at_a_time_and_nothing_it_sent_is_lost) {
  Fixture f([](fs::AcceptorSettings& as) { as.read_budget_bytes = 4096; });
  RawFixClient c(f.port);
  c.send(logon("BRK1", 1, "brk1"));
  const auto answer = c.read(5s);
  BOOST_REQUIRE(answer.has_value());
  BOOST_REQUIRE(answer->type() == "A");
  std::string burst;
  constexpr int kRequests = 400;
  for (int seq = 2; seq < 2 + kRequests; ++seq) {
    burst += raw_message("1", seq, "BRK1", "VENUE", {{112, "t" + std::to_string(seq)}});
  }
  BOOST_REQUIRE(burst.size() > 8 * 4096);
  c.send(burst);
  int heartbeats = 0;
  while (heartbeats < kRequests) {
    const auto m = c.read(5s);
    if (!m) break;
    if (m->type() == "0" && m->get(112)) ++heartbeats;
  }
  BOOST_TEST(heartbeats == kRequests, "every TestRequest answered");
  BOOST_TEST(f.run([&] { return f.acceptor->counters().read_budget_hits; }) > 0U);
}
