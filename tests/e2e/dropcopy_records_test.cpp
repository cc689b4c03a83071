#define BOOST_TEST_MODULE e2e_dropcopy_records
// The drop copy fed records the test writes to Kafka itself, so every fault lands exactly where the test
// puts it: the same venue-seq published twice (the venue does that after a crash), a report on a
// lagging partition with a lower venue-seq than one the client already has, the main path committing
// past records before a catch-up starts, Kafka frozen mid-load, headers that disagree with the report
// they carry. Each test names what a compliance officer would notice; none depends on timing luck.
//
// Needs Kafka: run under deploy/local/with-services --kafka (ci/test does).
//
// Drop-copy sessions (target VENUEDC), each used by one test: DCALL, DCALPHA (firm ALPHA only), DCWATCH
// and DCLATE (Kafka frozen), DCRESET, DCRESET2, DCRESET3, DCRESET4 (clients that reset their sequence
// numbers on every Logon), DCOUTAGE (Kafka away for the group session). Each test uses its own range of venue-seqs
// (1000s, 2000s, ...).
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "e2e/support/dropcopy_process.h"
#include "e2e/support/fix_client.h"
#include "e2e/support/kafka_broker.h"
#include "e2e/support/messages.h"

using namespace venue::e2e;
using namespace std::chrono_literals;

namespace {

struct Records {
  TempDir dir{"dropcopy-records"};
  std::string topic = "dc-records-e2e-" + std::to_string(::getpid());
  std::unique_ptr<DropcopyProcess> dc;
  std::unique_ptr<ReportProducer> producer;

  Records() {
    KafkaBroker::create_topic(topic, 2);
    const std::string kafka = "[kafka]\nbrokers = \"" + KafkaBroker::brokers() + "\"\ntopic = \"" + topic +
                              "\"\ngroup_id = \"" + topic + "\"\nmax_batch = 50\nsession_timeout_ms = 10000\n";
    dc = std::make_unique<DropcopyProcess>(
        dir.path(), kafka,
        std::vector<DropcopySession>{{"DCALL", "scope = \"all\"\n"},
                                     {"DCALPHA", "scope = \"firms\"\nfirms = [\"ALPHA\"]\n"},
                                     {"DCWATCH", "scope = \"all\"\n"},
                                     {"DCLATE", "scope = \"all\"\n"},
                                     {"DCRESET", "scope = \"all\"\n"},
                                     {"DCRESET2", "scope = \"all\"\n"},
                                     {"DCRESET3", "scope = \"all\"\n"},
                                     {"DCRESET4", "scope = \"all\"\n"},
                                     {"DCOUTAGE", "scope = \"all\"\n"}});
    BOOST_TEST_MESSAGE("drop copy's folder: " << dir.path());
    dc->process().start();
    producer = std::make_unique<ReportProducer>(KafkaBroker::brokers(), topic);
  }
  ~Records() {
    if (dc && dc->process().running()) dc->process().stop();
  }
};

std::unique_ptr<Records>& records_ptr() {
  static std::unique_ptr<Records> r;
  return r;
}
Records& records() {
  auto& r = records_ptr();
  if (!r) r = std::make_unique<Records>();
  return *r;
}

// Ends the drop copy after the last test; keeps its folder when a test failed.
struct RecordsFixture {
  RecordsFixture() = default;
  RecordsFixture(const RecordsFixture&) = delete;
  RecordsFixture& operator=(const RecordsFixture&) = delete;
  ~RecordsFixture() {
    auto& r = records_ptr();
    if (!r) return;
    namespace ut = boost::unit_test;
    if (!ut::results_collector.results(ut::framework::master_test_suite().p_id).passed() || std::getenv("E2E_KEEP")) {
      r->dir.keep();
    }
    r.reset();
  }
};

bool copy_of(const FIX::Message& m, std::uint64_t seq) {
  return msg_type(m) == "8" && field(m, 8001) == std::to_string(seq);
}

// How many copies of venue-seq `seq` the client got (from its `from`-th message on).
int arrivals(const FixClient& c, std::uint64_t seq, std::size_t from = 0) {
  int n = 0;
  const auto all = c.received();
  for (std::size_t i = from; i < all.size(); ++i) n += copy_of(all[i].msg, seq) ? 1 : 0;
  return n;
}

FIX::Message expect_copy(const FixClient& c, std::uint64_t seq, std::chrono::milliseconds timeout,
                         std::size_t from = 0) {
  const auto m = c.wait_for([seq](const FIX::Message& x) { return copy_of(x, seq); }, timeout, from);
  if (!m) {
    throw std::runtime_error("no copy of venue-seq " + std::to_string(seq) + " for " + c.options().sender +
                             "; last messages:\n" + c.recent());
  }
  return *m;
}

// Waits until the session has finished `n` catch-ups after a sequence reset (their log lines), so that
// a test goes on from a known state rather than from whatever a catch-up still running would send.
void wait_reset_caught_up(const Records& r, const std::string& session, int n) {
  const std::string who = "\"session\":\"" + session + "\"";
  for (int i = 0; i < 400; ++i) {
    const std::string log = r.dc->log_text();
    int found = 0;
    std::size_t at = 0;
    while ((at = log.find("caught up from Kafka", at)) != std::string::npos) {
      const std::size_t end = log.find('\n', at);
      const std::size_t begin = log.rfind('\n', at);
      const std::string line = log.substr(begin == std::string::npos ? 0 : begin, end - begin);
      const bool reset = line.find("\"reason\":\"sequence reset\"") != std::string::npos;
      found += line.find(who) != std::string::npos && reset ? 1 : 0;
      at = end == std::string::npos ? log.size() : end;
    }
    if (found >= n) return;
    std::this_thread::sleep_for(50ms);
  }
  throw std::runtime_error(session + " did not finish " + std::to_string(n) + " reset catch-ups within 20 s");
}

FIX::Message test_request(const std::string& id) {
  FIX::Message m;
  m.getHeader().setField(FIX::FIELD::MsgType, "1");
  m.setField(FIX::FIELD::TestReqID, id);
  return m;
}

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(RecordsFixture);

BOOST_AUTO_TEST_SUITE(dropcopy_records)

BOOST_AUTO_TEST_CASE(a_report_the_venue_published_twice_is_copied_once_also_across_a_restart) {
  Records& r = records();
  FixClient c(r.dc->options("DCALL"));
  c.logon(20s);
  r.producer->send({.venue_seq = 1001, .partition = 0});
  r.producer->send({.venue_seq = 1002, .partition = 1});
  // The venue, restarted after a SIGKILL, publishes again what came after its saved cursor.
  r.producer->send({.venue_seq = 1001, .partition = 0});
  r.producer->send({.venue_seq = 1002, .partition = 1});
  // Later records on both partitions: once they are in, the repeats before them were read.
  r.producer->send({.venue_seq = 1003, .partition = 0});
  r.producer->send({.venue_seq = 1004, .partition = 1});
  expect_copy(c, 1003, 20s);
  expect_copy(c, 1004, 20s);
  BOOST_TEST(arrivals(c, 1001) == 1, "venue-seq 1001 copied " << arrivals(c, 1001) << " times");
  BOOST_TEST(arrivals(c, 1002) == 1, "venue-seq 1002 copied " << arrivals(c, 1002) << " times");

  // The drop copy restarts; then the venue publishes the same reports once more.
  BOOST_TEST(r.dc->process().stop() == 0);
  c.wait_logged_out(5s);
  r.producer->send({.venue_seq = 1001, .partition = 0});
  r.producer->send({.venue_seq = 1002, .partition = 1});
  r.producer->send({.venue_seq = 1005, .partition = 0});
  r.producer->send({.venue_seq = 1006, .partition = 1});
  r.dc->process().start();
  c.close();
  c.logon(20s);
  expect_copy(c, 1005, 20s);
  expect_copy(c, 1006, 20s);
  BOOST_TEST(arrivals(c, 1001) == 1, "venue-seq 1001 copied " << arrivals(c, 1001) << " times after the restart");
  BOOST_TEST(arrivals(c, 1002) == 1, "venue-seq 1002 copied " << arrivals(c, 1002) << " times after the restart");
  BOOST_TEST(r.dc->metric("dropcopy_duplicates_skipped_total{session=\"DCALL\"}") >= 2);
  c.logout();
}

BOOST_AUTO_TEST_CASE(a_resetting_client_gets_a_report_stored_while_it_was_away_below_its_last_copy) {
  // Partitions are read unevenly: a report with a lower venue-seq than the last one the client got can
  // arrive later, on another partition. Stored while the client is away, it must still reach it when
  // it comes back with ResetSeqNumFlag=Y (which empties the store, so only Kafka has it).
  Records& r = records();
  FixClient c(r.dc->options("DCRESET", true));
  c.logon(20s);
  wait_reset_caught_up(r, "DCRESET", 1);  // its first Logon reset too
  r.producer->send({.venue_seq = 2080, .partition = 1});
  r.producer->send({.venue_seq = 2100, .partition = 0});
  expect_copy(c, 2080, 20s);
  expect_copy(c, 2100, 20s);
  c.logout();
  const double before = r.dc->metric("dropcopy_copies_delivered_total{session=\"DCRESET\"}");
  r.producer->send({.venue_seq = 2090, .partition = 1});
  for (int i = 0; i < 200 && r.dc->metric("dropcopy_copies_delivered_total{session=\"DCRESET\"}") < before + 1; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST_REQUIRE(r.dc->metric("dropcopy_copies_delivered_total{session=\"DCRESET\"}") == before + 1);
  const std::size_t from = c.count();
  c.close();
  c.logon(20s);
  const auto copy = expect_copy(c, 2090, 20s, from);
  BOOST_TEST(field(copy, FIX::FIELD::PossResend) == "Y", printable(copy));
  // What it had does not come again.
  BOOST_TEST(c.none_within(of_type("8"), 500ms, c.count()));
  BOOST_TEST(arrivals(c, 2080, from) == 0);
  BOOST_TEST(arrivals(c, 2100, from) == 0);
  c.logout();
}

BOOST_AUTO_TEST_CASE(a_resetting_client_loses_nothing_when_the_main_path_commits_before_its_catch_up_starts) {
  // The interleaving behind a_resetting_client_loses_nothing_when_dropcopy_dies_mid_batch's rare failure,
  // forced: the service restarts while a report with a lower venue-seq than the client's last copy waits
  // on a lagging partition, the client logs on with ResetSeqNumFlag=Y before anything is read, and the
  // main path reads that report (not for this client: its catch-up will copy it) and commits its offset
  // before the catch-up starts (VENUE_DROPCOPY_HOLD_CATCH_UP_UNTIL_COMMIT holds the catch-up until then).
  Records& r = records();
  FixClient c(r.dc->options("DCRESET2", true));
  c.logon(20s);
  wait_reset_caught_up(r, "DCRESET2", 1);  // its first Logon reset too
  r.producer->send({.venue_seq = 3080, .partition = 1});
  r.producer->send({.venue_seq = 3100, .partition = 0});
  expect_copy(c, 3080, 20s);
  expect_copy(c, 3100, 20s);
  BOOST_TEST(r.dc->process().stop() == 0);
  c.wait_logged_out(5s);
  r.producer->send({.venue_seq = 3090, .partition = 1});
  const std::size_t from = c.count();
  {
    KafkaFreeze frozen;
    r.dc->process().set_environment("VENUE_DROPCOPY_HOLD_CATCH_UP_UNTIL_COMMIT", "1");
    r.dc->process().start();
    r.dc->process().set_environment("VENUE_DROPCOPY_HOLD_CATCH_UP_UNTIL_COMMIT", "");
    c.close();
    c.logon(20s);
  }
  const auto copy = expect_copy(c, 3090, 30s, from);
  BOOST_TEST(field(copy, FIX::FIELD::PossResend) == "Y", printable(copy));
  BOOST_TEST(arrivals(c, 3090, from) == 1);
  c.logout();
}

BOOST_AUTO_TEST_CASE(a_report_published_twice_comes_once_in_a_catch_up) {
  Records& r = records();
  FixClient c(r.dc->options("DCRESET3", true));
  c.logon(20s);
  wait_reset_caught_up(r, "DCRESET3", 1);  // its first Logon reset too
  r.producer->send({.venue_seq = 6001, .partition = 0});
  expect_copy(c, 6001, 20s);
  c.logout();
  const double before = r.dc->metric("dropcopy_copies_delivered_total{session=\"DCRESET3\"}");
  r.producer->send({.venue_seq = 6002, .partition = 0});
  r.producer->send({.venue_seq = 6002, .partition = 0});
  r.producer->send({.venue_seq = 6003, .partition = 1});
  for (int i = 0; i < 200 && r.dc->metric("dropcopy_copies_delivered_total{session=\"DCRESET3\"}") < before + 2; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  const std::size_t from = c.count();
  c.close();
  c.logon(20s);
  expect_copy(c, 6002, 20s, from);
  expect_copy(c, 6003, 20s, from);
  BOOST_TEST(c.none_within(of_type("8"), 500ms, c.count()));
  BOOST_TEST(arrivals(c, 6002, from) == 1);
  BOOST_TEST(arrivals(c, 6001, from) == 0);
  c.logout();
}

BOOST_AUTO_TEST_CASE(a_resetting_client_loses_nothing_read_again_after_a_crash_with_a_commit_on_its_way) {
  // forced: the service dies after writing its file of copied venue-seqs and before the commit of those
  // records reaches Kafka (VENUE_DROPCOPY_KILL_AT=commit), while this client waited for a catch-up
  // (VENUE_DROPCOPY_HOLD_CATCH_UP_UNTIL_COMMIT), so the main path handled the records without copying
  // them to it. After the restart the client resets again before anything is read, and its catch-up
  // hands over where the main path starts, before the main path reads those records again
  // (VENUE_DROPCOPY_HOLD_MAIN_UNTIL_CATCH_UP). The file says they were copied; this client never had them.
  Records& r = records();
  DropcopyProcess& dc = *r.dc;
  FixClient c(dc.options("DCRESET4", true));
  c.logon(20s);
  wait_reset_caught_up(r, "DCRESET4", 1);  // its first Logon reset too
  r.producer->send({.venue_seq = 7001, .partition = 0});
  expect_copy(c, 7001, 20s);
  BOOST_TEST(dc.process().stop() == 0);
  c.wait_logged_out(5s);

  dc.process().set_environment("VENUE_DROPCOPY_HOLD_CATCH_UP_UNTIL_COMMIT", "1");
  dc.process().set_environment("VENUE_DROPCOPY_KILL_AFTER_COPIES", "1");
  dc.process().set_environment("VENUE_DROPCOPY_KILL_AT", "commit");
  dc.process().start();
  for (const char* name :
       {"VENUE_DROPCOPY_HOLD_CATCH_UP_UNTIL_COMMIT", "VENUE_DROPCOPY_KILL_AFTER_COPIES", "VENUE_DROPCOPY_KILL_AT"}) {
    dc.process().set_environment(name, "");
  }
  c.close();
  c.logon(20s);
  r.producer->send({.venue_seq = 7002, .partition = 0});
  r.producer->send({.venue_seq = 7003, .partition = 1});
  BOOST_TEST_REQUIRE(dc.process().wait_exit(30s) == 128 + SIGKILL, "dropcopy did not kill itself; log:\n"
                                                                       << dc.process().log_tail());
  c.wait_logged_out(5s);
  BOOST_TEST(arrivals(c, 7002) + arrivals(c, 7003) == 0, "the client had them before the crash");

  const std::size_t from = c.count();
  {
    KafkaFreeze frozen;
    dc.process().set_environment("VENUE_DROPCOPY_HOLD_MAIN_UNTIL_CATCH_UP", "1");
    dc.process().start();
    dc.process().set_environment("VENUE_DROPCOPY_HOLD_MAIN_UNTIL_CATCH_UP", "");
    c.close();
    c.logon(20s);
  }
  // 7002 was in the file (the first copy's batch): marked, since the service cannot tell whether the
  // client had it. 7003 may have come after the file was written.
  const auto copy = expect_copy(c, 7002, 30s, from);
  BOOST_TEST(field(copy, FIX::FIELD::PossResend) == "Y", printable(copy));
  expect_copy(c, 7003, 30s, from);
  BOOST_TEST(c.none_within(of_type("8"), 500ms, c.count()));
  BOOST_TEST(arrivals(c, 7002) + arrivals(c, 7003) == 2, "copied once each across both lives");
  c.logout();
}

BOOST_AUTO_TEST_CASE(fix_sessions_answer_and_accept_logons_while_kafka_is_frozen) {
  Records& r = records();
  FixClient watch(r.dc->options("DCWATCH"));
  watch.logon(20s);
  r.producer->send({.venue_seq = 4001, .partition = 0});
  expect_copy(watch, 4001, 20s);
  // A load in flight when the broker stops answering: copies stored, their offsets not yet committed.
  for (std::uint64_t seq = 4100; seq < 4300; ++seq) {
    r.producer->send_async({.venue_seq = seq, .partition = static_cast<std::int32_t>(seq % 2)});
  }
  std::this_thread::sleep_for(20ms);
  {
    KafkaFreeze frozen;
    // A client resetting its sequence numbers needs Kafka for its catch-up: it waits, nobody else does.
    FixClient late(r.dc->options("DCLATE", true));
    const auto t0 = std::chrono::steady_clock::now();
    late.logon(3s);
    const auto logon_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    BOOST_TEST(logon_ms.count() < 2000, "the Logon took " << logon_ms.count() << " ms while Kafka was frozen");
    for (int i = 0; i < 12; ++i) {
      const std::string id = "frozen-" + std::to_string(i);
      const std::size_t from = watch.count();
      watch.send(test_request(id));
      const auto hb = watch.wait_for(of_type("0").with(FIX::FIELD::TestReqID, id), 1s, from);
      BOOST_TEST_REQUIRE(hb.has_value(), "no Heartbeat to TestRequest " << id << " within 1 s while Kafka is frozen");
      std::this_thread::sleep_for(300ms);
    }
    late.logout();
  }
  // Kafka is back: everything arrives, once.
  r.producer->send({.venue_seq = 4400, .partition = 1});
  expect_copy(watch, 4400, 60s);
  for (std::uint64_t seq = 4100; seq < 4300; ++seq) {
    expect_copy(watch, seq, 20s);
    BOOST_TEST(arrivals(watch, seq) == 1, "venue-seq " << seq << " copied " << arrivals(watch, seq) << " times");
  }
  watch.logout();
}

BOOST_AUTO_TEST_CASE(a_record_whose_headers_disagree_with_its_report_is_parked_not_copied) {
  // The scope of a session is decided by the record's headers; a header that disagrees with the report
  // it carries would hand a firm's fills to another firm's officer.
  Records& r = records();
  FixClient alpha(r.dc->options("DCALPHA"));
  alpha.logon(20s);
  const double before = std::max(0.0, r.dc->metric("dropcopy_reports_mismatched_total"));
  r.producer->send({.venue_seq = 5001, .partition = 0, .account = "ALPHA-1", .payload_account = "BETA-1"});
  r.producer->send({.venue_seq = 5002, .partition = 0, .session = "BRK1", .target = "BRK2"});
  r.producer->send({.venue_seq = 5003, .partition = 0});
  expect_copy(alpha, 5003, 20s);
  BOOST_TEST(arrivals(alpha, 5001) == 0);
  BOOST_TEST(arrivals(alpha, 5002) == 0);
  BOOST_TEST(r.dc->metric("dropcopy_reports_mismatched_total") == before + 2);
  const std::string log = r.dc->log_text();
  BOOST_TEST(log.find("DC004") != std::string::npos);
  BOOST_TEST(log.find("Account(1) \\\"BETA-1\\\" disagrees") != std::string::npos,
             "log:\n"
                 << log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
  BOOST_TEST(log.find("TargetCompID(56) BRK2 disagrees") != std::string::npos);
  alpha.logout();
}

BOOST_AUTO_TEST_CASE(every_report_arrives_once_when_kafka_comes_back_as_the_group_session_ends) {
  // Kafka away for about the consumer group's session (session_timeout_ms: 10 s here, 45 s by default: a
  // broker restart on a loaded machine) while copies wait for their commit. librdkafka times the session
  // out and joins the group again under a new member id; the broker, back just then, answers a commit of
  // the old member id with FENCED_INSTANCE_ID, which librdkafka makes a fatal error: that consumer never
  // reads or commits again (seen in CI: e2e_dropcopy_test's Kafka-restart cases waited for copies that
  // never came, until dropcopy was restarted). Every report must still arrive, once. (Whether the broker
  // is back just before or just after the session ends varies from run to run: about one run in two here
  // logs the fence, DC007; common_kafka_group_consumer_test forces it on librdkafka's mock cluster.)
  Records& r = records();
  FixClient c(r.dc->options("DCOUTAGE"));
  c.logon(20s);
  r.producer->send({.venue_seq = 8001, .partition = 0});
  r.producer->send({.venue_seq = 8002, .partition = 1});
  expect_copy(c, 8001, 20s);
  expect_copy(c, 8002, 20s);
  // A load in flight when the broker stops answering (SIGSTOP: the commits hang), then it is killed and
  // started again, back about the session (10 s) after the last answer the consumer got.
  for (std::uint64_t seq = 8100; seq < 8300; ++seq) {
    r.producer->send_async({.venue_seq = seq, .partition = static_cast<std::int32_t>(seq % 2)});
  }
  std::this_thread::sleep_for(20ms);
  const int broker = KafkaBroker::pid();
  BOOST_TEST_REQUIRE(::kill(broker, SIGSTOP) == 0);
  std::this_thread::sleep_for(1s);
  BOOST_TEST_REQUIRE(::kill(broker, SIGKILL) == 0);
  KafkaBroker::service("stop");  // forgets the dead broker's pid file
  std::this_thread::sleep_for(6s);
  KafkaBroker::service("start");
  for (std::uint64_t seq = 8003; seq < 8023; ++seq) {
    r.producer->send({.venue_seq = seq, .partition = static_cast<std::int32_t>(seq % 2)});
  }
  for (std::uint64_t seq = 8001; seq < 8300; seq = seq == 8022 ? 8100 : seq + 1) {
    expect_copy(c, seq, 60s);
    BOOST_TEST(arrivals(c, seq) == 1, "venue-seq " << seq << " copied " << arrivals(c, seq) << " times");
  }
  c.logout();
}

BOOST_AUTO_TEST_SUITE_END()
