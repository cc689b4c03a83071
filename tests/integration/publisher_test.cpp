#define BOOST_TEST_MODULE publisher
// The venue's Kafka publisher against the real broker: every report arrives, in order per order, with
// its headers; a restart resumes from the persisted cursor without a gap; while Kafka is down the venue's
// side keeps taking reports (memory bounded, the rest on disk) and everything arrives once Kafka is back.
#include <unistd.h>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "support/source_dir.h"
#include "venue/common/kafka.h"
#include "venue/fix_gateway/kafka_publisher.h"
#include "venue/fix_gateway/report_log.h"

namespace fs = std::filesystem;
namespace fg = venue::fix_gateway;
namespace kafka = venue::kafka;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0')
    throw std::runtime_error(std::string(name) + " is not set: run under deploy/local/with-services");
  return v;
}

std::string unique(const std::string& prefix) { return prefix + "-" + std::to_string(std::random_device{}()); }

struct TempDir {
  fs::path path = fs::temp_directory_path() / unique("venue-publisher-test");
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

void write_reports(fg::ReportLog& log, int from, int count) {
  for (int i = from; i < from + count; ++i) {
    fg::Report r;
    r.shard = 0;
    r.engine_seq = static_cast<std::uint64_t>(i);
    r.order_id = static_cast<std::uint64_t>(1 + i % 7);  // seven orders, interleaved
    r.msg_type = '8';
    r.exec_type = 'F';
    r.session = "BRK1";
    r.firm = "ALPHA";
    r.account = "ALPHA-1";
    r.payload =
        "8=FIX.4.4\x01"
        "9=5\x01"
        "35=8\x01"
        "10=000\x01 report " +
        std::to_string(i);
    log.append(r);
  }
  log.flush();
}

// Reads the topic from the beginning until `want` distinct venue-seqs were seen (or the time is up).
struct Seen {
  std::map<std::uint64_t, int> count;                        // venue-seq -> times seen
  std::map<std::string, std::vector<std::uint64_t>> by_key;  // order -> venue-seqs in arrival order
  std::string firm, session, msg_type;
  std::map<std::string, std::set<std::string>> trace_ids;  // order -> trace-ids of its records
  std::vector<std::string> bad_traceparents;               // missing, malformed, or a span not its venue-seq
};

// W3C trace context: "00-" 32 lower-case hex "-" 16 lower-case hex "-01", ids not all zeros.
bool well_formed_traceparent(const std::string& t) {
  static const std::regex form("^00-([0-9a-f]{32})-([0-9a-f]{16})-01$");
  std::smatch m;
  if (!std::regex_match(t, m, form)) return false;
  return m[1].str() != std::string(32, '0') && m[2].str() != std::string(16, '0');
}

Seen consume(const std::string& topic, std::size_t want, int seconds) {
  prometheus::Registry registry;
  kafka::Consumer c({.brokers = env("VENUE_KAFKA_BROKERS"), .group_id = unique("it-pub"), .client_id = "it-pub"},
                    registry);
  c.subscribe({topic});
  Seen seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (seen.count.size() < want && std::chrono::steady_clock::now() < deadline) {
    auto m = c.poll(200);
    if (!m) continue;
    const auto seq = std::stoull(kafka::Consumer::header(*m, "venue-seq").value_or("0"));
    ++seen.count[seq];
    seen.by_key[std::string(static_cast<const char*>(m->key_pointer()), m->key_len())].push_back(seq);
    seen.firm = kafka::Consumer::header(*m, "firm").value_or("");
    seen.session = kafka::Consumer::header(*m, "session").value_or("");
    seen.msg_type = kafka::Consumer::header(*m, "msg-type").value_or("");
    const std::string key(static_cast<const char*>(m->key_pointer()), m->key_len());
    const auto tp = kafka::Consumer::header(*m, "traceparent").value_or("");
    char span[17];
    std::snprintf(span, sizeof span, "%016llx", static_cast<unsigned long long>(seq));
    if (!well_formed_traceparent(tp) || tp.substr(36, 16) != span) {
      seen.bad_traceparents.push_back(std::to_string(seq) + ": \"" + tp + "\"");
    } else {
      seen.trace_ids[key].insert(tp.substr(3, 32));
    }
  }
  return seen;
}

void services(const std::string& action) {
  const std::string cmd = venue::test::source_dir() + "/deploy/local/services " + action + " --state-dir " +
                          env("VENUE_SERVICES_DIR") + " --kafka > /dev/null";
  BOOST_REQUIRE_EQUAL(std::system(cmd.c_str()), 0);
}

void check_in_order(const Seen& seen) {
  for (const auto& [key, seqs] : seen.by_key) {
    for (std::size_t i = 1; i < seqs.size(); ++i) {
      BOOST_TEST(seqs[i - 1] < seqs[i], "order " << key << " reordered: " << seqs[i - 1] << " before " << seqs[i]);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_report_arrives_in_order_per_order_with_its_headers_and_a_restart_resumes) {
  TempDir dir;
  const std::string topic = unique("venue.test.reports");
  fg::ReportLog log(dir.path);
  prometheus::Registry registry;
  fg::PublisherSettings ps{.brokers = env("VENUE_KAFKA_BROKERS"),
                           .topic = topic,
                           .client_id = "it-venue",
                           .properties = {},
                           .report_dir = dir.path,
                           .max_in_flight = 1000};
  write_reports(log, 1, 500);
  {
    fg::KafkaPublisher pub(ps, registry);
    pub.start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (pub.acknowledged() < 500 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    BOOST_REQUIRE_EQUAL(pub.acknowledged(), 500U);
    pub.stop();
  }
  BOOST_TEST(fg::KafkaPublisher::read_cursor(dir.path) == 500U);
  // A restart: more reports, a new publisher picks up at the cursor.
  write_reports(log, 501, 300);
  {
    fg::KafkaPublisher pub(ps, registry);
    pub.start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (pub.acknowledged() < 800 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    BOOST_REQUIRE_EQUAL(pub.acknowledged(), 800U);
    pub.stop();
  }
  const auto seen = consume(topic, 800, 60);
  BOOST_REQUIRE_EQUAL(seen.count.size(), 800U);
  BOOST_TEST(seen.count.begin()->first == 1U);
  BOOST_TEST(seen.count.rbegin()->first == 800U);
  for (const auto& [seq, n] : seen.count) BOOST_TEST(n == 1, "venue-seq " << seq << " published " << n << " times");
  check_in_order(seen);
  BOOST_TEST(seen.firm == "ALPHA");
  BOOST_TEST(seen.session == "BRK1");
  BOOST_TEST(seen.msg_type == "8");
  // Every record carries its order's trace: one trace-id per order (so a republished record and every
  // report of the order share it), naming the order in its right half; the span is the record's venue-seq.
  BOOST_TEST(seen.bad_traceparents.empty(), seen.bad_traceparents.size()
                                                << " bad, first: "
                                                << (seen.bad_traceparents.empty() ? "" : seen.bad_traceparents[0]));
  BOOST_TEST(seen.trace_ids.size() == 7U);
  std::set<std::string> all;
  for (const auto& [key, ids] : seen.trace_ids) {
    BOOST_TEST(ids.size() == 1U, "order " << key << " has " << ids.size() << " trace-ids");
    char order[17];
    std::snprintf(order, sizeof order, "%016llx", std::stoull(key));
    BOOST_TEST(ids.begin()->substr(16) == order);
    all.insert(*ids.begin());
  }
  BOOST_TEST(all.size() == 7U, "two orders share a trace");
  BOOST_TEST(fg::report_traceparent(1, 1) != fg::report_traceparent(0, 1), "a report about no order has its own");
}

BOOST_AUTO_TEST_CASE(kafka_down_mid_stream_delays_reports_but_loses_none) {
  TempDir dir;
  const std::string topic = unique("venue.test.outage");
  fg::ReportLog log(dir.path);
  prometheus::Registry registry;
  fg::PublisherSettings ps{.brokers = env("VENUE_KAFKA_BROKERS"),
                           .topic = topic,
                           .client_id = "it-venue2",
                           .properties = {},
                           .report_dir = dir.path,
                           .max_in_flight = 200};
  fg::KafkaPublisher pub(ps, registry);
  pub.start();
  write_reports(log, 1, 300);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (pub.acknowledged() < 300 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  BOOST_REQUIRE_EQUAL(pub.acknowledged(), 300U);

  services("stop");
  // The venue keeps writing reports while Kafka is away: nothing blocks, nothing is acknowledged.
  for (int batch = 0; batch < 10; ++batch) write_reports(log, 301 + batch * 100, 100);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  BOOST_TEST(pub.acknowledged() == 300U);
  services("start");

  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (pub.acknowledged() < 1300 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  BOOST_REQUIRE_EQUAL(pub.acknowledged(), 1300U);
  pub.stop();
  const auto seen = consume(topic, 1300, 90);
  BOOST_REQUIRE_EQUAL(seen.count.size(), 1300U);
  for (const auto& [seq, n] : seen.count) BOOST_TEST(n == 1, "venue-seq " << seq << " published " << n << " times");
  check_in_order(seen);
}
