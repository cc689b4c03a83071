// Drop copy end to end (dropcopy_test.cpp, whose stack these cases share): the venue restarted, copies
// read again after a crash, a session whose store was lost, clients that reset on logon.
#include <boost/test/unit_test.hpp>

#include "e2e/dropcopy_fixture.h"

BOOST_AUTO_TEST_SUITE(dropcopy)

BOOST_AUTO_TEST_CASE(venue_restarts_resume_publishing_without_gap_or_unmarked_duplicate) {
  Stack& s = stack();
  TestVenue& v = s.venue();
  FixClient& alpha = s.dc("DCALPHA");
  const std::string sym = v.symbol();
  auto before = cross(sym, 100, "restart-a");
  expect_all_filled(before, 20s);
  // A clean stop (SIGTERM) and restart.
  BOOST_TEST(v.stop() == 0);
  v.start();
  auto after = cross(sym, 100, "restart-b");
  expect_all_filled(after, 20s);
  // A crash (SIGKILL) right after a burst, while reports are still being published.
  auto burst = cross(sym, 200, "crash");
  std::this_thread::sleep_for(30ms);
  ::kill(v.process().pid(), SIGKILL);
  BOOST_TEST(v.process().stop() == 128 + SIGKILL);
  for (const char* comp : {"BRK1", "BRK2"}) v.client_object(comp).close();
  v.start();
  v.client("BRK1");  // log on again: each side resends what the other missed
  v.client("BRK2");
  expect_all_filled(burst, 30s);
  expect_all_filled(after, 1s);
  // A crash while Kafka is down: the reports not yet published wait in the report log, and the
  // restarted venue publishes them from its persisted cursor once Kafka is back.
  KafkaBroker::service("stop");
  auto unpublished = cross(sym, 100, "restart-c");
  expect_all_filled(unpublished, 20s);
  ::kill(v.process().pid(), SIGKILL);
  BOOST_TEST(v.process().stop() == 128 + SIGKILL);
  for (const char* comp : {"BRK1", "BRK2"}) v.client_object(comp).close();
  v.start();
  auto later = cross(sym, 50, "restart-d");
  expect_all_filled(later, 20s);
  KafkaBroker::service("start");
  const auto brk1_reports = reports(v.client_object("BRK1"), sym);
  BOOST_TEST_REQUIRE(wait_for_copies(alpha, sym, exec_ids(brk1_reports), 60s), "DCALPHA:\n" << alpha.recent());
  check_copies(reports(alpha, sym), brk1_reports);
  // VenueSequence grows along each order across both restarts: the publish cursor resumed where it
  // was, it did not start over (that would copy old reports again, which check_copies refuses).
  std::map<std::string, std::uint64_t> last;
  for (const auto& m : reports(alpha, sym)) {
    if (marked(m)) continue;
    const auto seq = std::stoull(field(m, 8001));
    auto& prev = last[field(m, FIX::FIELD::OrderID)];
    BOOST_TEST(seq > prev, "VenueSequence went back within an order: " << printable(m));
    prev = seq;
  }
}

BOOST_AUTO_TEST_CASE(copies_read_again_after_a_crash_are_recognised_behind_many_logons) {
  // The service recognises copies it stored but never committed by reading its stores back. Logons,
  // Logouts and heartbeats take sequence numbers without being stored; many of them after such copies
  // must not hide the copies from that read-back.
  Stack& s = stack();
  TestVenue& v = s.venue();
  FixClient& alpha = s.dc("DCALPHA");
  s.restart_dropcopy_dying_after(120);
  const std::string sym = v.symbol();
  auto buys = cross(sym, 150, "many-logons");
  s.expect_dropcopy_killed_itself();
  expect_all_filled(buys, 30s);
  // Back without Kafka (nothing is read or committed), while the officer logs on and off 150 times.
  KafkaBroker::service("stop");
  s.dropcopy().start();
  alpha.wait_logged_out(5s);
  for (int i = 0; i < 150; ++i) {
    alpha.close();
    alpha.logon(10s);
    alpha.logout();
  }
  BOOST_TEST(s.dropcopy().stop() == 0);
  KafkaBroker::service("start");
  s.dropcopy().start();
  alpha.close();
  alpha.logon(20s);
  const auto brk1_reports = reports(v.client_object("BRK1"), sym);
  BOOST_TEST(brk1_reports.size() == 300u);
  BOOST_TEST_REQUIRE(wait_for_copies(alpha, sym, exec_ids(brk1_reports), 30s), "DCALPHA:\n" << alpha.recent());
  check_copies(reports(alpha, sym), brk1_reports);
}

BOOST_AUTO_TEST_CASE(a_session_whose_store_was_lost_is_caught_up_from_kafka) {
  Stack& s = stack();
  TestVenue& v = s.venue();
  const std::string sym = v.symbol();
  auto before = cross(sym, 30, "lost-a");
  expect_all_filled(before, 20s);
  FixClient& alpha = s.dc("DCALPHA");
  BOOST_TEST_REQUIRE(wait_for_copies(alpha, sym, exec_ids(reports(v.client_object("BRK1"), sym)), 20s));

  // The disk of dropcopy loses DCALPHA's store while it is stopped; the officer starts afresh too. The
  // group's offsets are past every one of those reports, so only Kafka still has them.
  BOOST_TEST(s.dropcopy().stop() == 0);
  s.lose_dc_store("DCALPHA");
  s.forget_dc("DCALPHA");
  // Another session's cursor is damaged: the service says so and checks that store against Kafka.
  std::ofstream(s.dir() / "dropcopy" / "fixstore" / "FIX.4.4-VENUEDC-DCACCT.cursor") << "stored=lots\n";
  auto while_down = cross(sym, 20, "lost-b");
  expect_all_filled(while_down, 20s);
  s.dropcopy().start();

  FixClient& fresh = s.dc("DCALPHA");
  const auto brk1_reports = reports(v.client_object("BRK1"), sym);
  BOOST_TEST(brk1_reports.size() == 100u);
  BOOST_TEST_REQUIRE(wait_for_copies(fresh, sym, exec_ids(brk1_reports), 30s), "DCALPHA:\n" << fresh.recent());
  check_copies(reports(fresh, sym), brk1_reports);
  // The copies made before the loss came back from Kafka, marked as possibly sent before.
  const std::set<std::string> lost_orders(before.begin(), before.end());
  int marked_copies = 0;
  for (const auto& m : reports(fresh, sym)) {
    if (!lost_orders.contains(field(m, FIX::FIELD::ClOrdID))) continue;
    BOOST_TEST(marked(m), printable(m));
    ++marked_copies;
  }
  BOOST_TEST(marked_copies == 60);
  BOOST_TEST(s.metric("dropcopy_copies_caught_up_total{session=\"DCALPHA\"}") >= 60);
  std::ifstream log(s.dropcopy().log_file());
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  BOOST_TEST(text.find("DC001 drop-copy cursor file unreadable") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_client_that_resets_on_logon_gets_what_it_missed_and_nothing_it_had) {
  Stack& s = stack();
  TestVenue& v = s.venue();
  s.dc("DCFILLS").logout();
  ClientOptions o = s.dc_options("DCFILLS");
  o.reset_seq_num = true;  // ResetSeqNumFlag=Y on every Logon: a FIX resend can never fill its gaps
  o.dir = s.dir() / "dc-clients-reset";
  FixClient fills(o);
  fills.logon(20s);

  // Online: it gets the fills as they happen.
  const std::string seen = v.symbol();
  auto online = cross(seen, 20, "reset-a");
  expect_all_filled(online, 20s);
  BOOST_TEST_REQUIRE(wait_for_copies(fills, seen, exec_ids(fills_of(v, seen)), 20s));
  fills.logout();

  // Offline: the fills are stored for it, then its Logon resets the sequence numbers (and the store).
  const std::string missed = v.symbol();
  const double delivered_before = s.metric("dropcopy_copies_delivered_total{session=\"DCFILLS\"}");
  auto offline = cross(missed, 30, "reset-b");
  expect_all_filled(offline, 20s);
  for (int i = 0; i < 200 && s.metric("dropcopy_copies_delivered_total{session=\"DCFILLS\"}") < delivered_before + 60;
       ++i) {
    std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST_REQUIRE(s.metric("dropcopy_copies_delivered_total{session=\"DCFILLS\"}") >= delivered_before + 60,
                     "dropcopy did not store the fills while the client was away");
  BOOST_TEST(s.metric("dropcopy_session_copies_waiting{session=\"DCFILLS\"}") >= 60);
  const std::size_t from = fills.count();
  fills.close();
  fills.logon(20s);
  const auto want = fills_of(v, missed);
  BOOST_TEST(want.size() == 60u);
  BOOST_TEST_REQUIRE(wait_for_copies(fills, missed, exec_ids(want), 30s), "DCFILLS:\n" << fills.recent());
  check_copies(reports(fills, missed), want);
  BOOST_TEST(s.metric("dropcopy_session_copies_waiting{session=\"DCFILLS\"}") == 0);
  // What it was sent before going away does not come again.
  BOOST_TEST(fills.none_within(of_type("8").with(FIX::FIELD::Symbol, seen), 500ms, from));
  fills.logout();
}

BOOST_AUTO_TEST_CASE(a_resetting_client_loses_nothing_when_dropcopy_dies_mid_batch) {
  Stack& s = stack();
  TestVenue& v = s.venue();
  s.dc("DCALPHA").logout();
  ClientOptions o = s.dc_options("DCALPHA");
  o.reset_seq_num = true;
  o.dir = s.dir() / "dc-clients-reset-alpha";
  FixClient alpha(o);

  // dropcopy dies after storing and sending a batch whose offsets it never committed.
  s.restart_dropcopy_dying_after(150);
  alpha.logon(20s);
  const std::string sym = v.symbol();
  auto buys = cross(sym, 200, "kill-reset");
  s.expect_dropcopy_killed_itself();
  expect_all_filled(buys, 30s);
  // It comes back while Kafka is away, so the client's Logon (ResetSeqNumFlag=Y again: no FIX resend can
  // fill the gap) is in before the copies it had stored but not committed are read again.
  KafkaBroker::service("stop");
  s.dropcopy().start();
  alpha.wait_logged_out(5s);
  alpha.close();
  alpha.logon(20s);
  KafkaBroker::service("start");

  const auto brk1_reports = reports(v.client_object("BRK1"), sym);
  BOOST_TEST(brk1_reports.size() == 400u);
  BOOST_TEST_REQUIRE(wait_for_copies(alpha, sym, exec_ids(brk1_reports), 30s), "DCALPHA:\n" << alpha.recent());
  const auto copies = reports(alpha, sym);
  // Everything, nothing else; a copy seen twice is marked PossResend (the client may have had it before
  // the crash), and each order's reports arrived (first time) in the broker's order.
  BOOST_TEST(exec_ids(copies) == exec_ids(brk1_reports));
  std::map<std::string, int> unmarked;
  for (const auto& m : copies) {
    if (!marked(m)) ++unmarked[field(m, FIX::FIELD::ExecID)];
  }
  for (const auto& [exec_id, n] : unmarked)
    BOOST_TEST(n == 1, "ExecID " << exec_id << " arrived " << n << " times unmarked");
  BOOST_TEST(per_order(copies) == per_order(brk1_reports), "the reports of some order arrived in another order");
  alpha.logout();
}

BOOST_AUTO_TEST_SUITE_END()
