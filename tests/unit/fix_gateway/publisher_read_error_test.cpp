#define BOOST_TEST_MODULE fix_gateway_publisher_read_error
// The Kafka publisher tails the report log on its own thread. A report log it cannot read for a moment
// (here a segment file without its header) must not stop publishing for good: once the log is readable
// again it goes on reading where it stopped. No broker is needed: what is read is visible in the
// venue_reports_read_seq gauge before Kafka acknowledges anything.
#include <prometheus/registry.h>
#include <unistd.h>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "venue/fix_gateway/kafka_publisher.h"
#include "venue/fix_gateway/report_log.h"

namespace fs = std::filesystem;
namespace fg = venue::fix_gateway;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("venue-publisher-test-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

fg::Report report(std::uint64_t engine_seq) {
  fg::Report r;
  r.shard = 0;
  r.engine_seq = engine_seq;
  r.order_id = engine_seq;
  r.msg_type = '8';
  r.exec_type = '0';
  r.session = "BRK1";
  r.firm = "ALPHA";
  r.account = "ALPHA-1";
  r.payload =
      "8=FIX.4.4\x01"
      "35=8\x01";
  return r;
}

double metric(prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name || family.metric.empty()) continue;
    const auto& m = family.metric.front();
    return family.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  return -1;
}

// Waits up to 10 s for `name` to reach `want`.
bool wait_for(prometheus::Registry& registry, const std::string& name, double want) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (metric(registry, name) >= want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_report_log_read_error_pauses_publishing_and_it_resumes_where_it_stopped) {
  TempDir dir;
  fg::ReportLog log(dir.path);
  for (std::uint64_t i = 1; i <= 10; ++i) {
    auto r = report(i);
    log.append(r);
  }
  log.flush();
  // What a reader saw before segments were created atomically: the next segment's file, no header yet.
  const fs::path bogus = dir.path / "reports-00000000000000000011.log";
  std::ofstream(bogus).put('x');

  prometheus::Registry registry;
  fg::PublisherSettings settings;
  settings.brokers = "127.0.0.1:1";  // nothing listens: nothing is acknowledged, reading goes on
  settings.report_dir = dir.path;
  settings.properties = {{"socket.connection.setup.timeout.ms", "1000"}};
  fg::KafkaPublisher publisher(settings, registry);
  publisher.start();

  BOOST_REQUIRE(wait_for(registry, "venue_reports_read_seq", 10));
  BOOST_REQUIRE(wait_for(registry, "venue_reports_read_errors_total", 1));
  BOOST_TEST(publisher.healthy());

  // The log becomes readable again and grows: the publisher reads on from report 11.
  fs::remove(bogus);
  for (std::uint64_t i = 11; i <= 25; ++i) {
    auto r = report(i);
    log.append(r);
  }
  log.flush();
  BOOST_TEST(wait_for(registry, "venue_reports_read_seq", 25));
  BOOST_TEST(metric(registry, "venue_reports_read_seq") == 25);
  publisher.stop(0);
}
