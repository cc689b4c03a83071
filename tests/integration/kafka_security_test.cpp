#define BOOST_TEST_MODULE kafka_security
// SASL over TLS against the real broker, configured the way an operator writes a process's [kafka]
// table (venue/common/kafka_config.h) and going through the same Producer and Consumer every venue
// process uses. Run under deploy/local/with-services --kafka (ci/test does): it sets
// VENUE_KAFKA_SASL_BROKERS, VENUE_KAFKA_SASL_USERNAME, VENUE_KAFKA_SASL_PASSWORD and VENUE_KAFKA_CA_FILE
// (the broker's SASL_SSL listener, PLAIN and SCRAM-SHA-512, deploy/local/services).
#include <prometheus/registry.h>
#include <stdlib.h>  // NOLINT(modernize-deprecated-headers): setenv

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <random>
#include <string>
#include <thread>

#include "venue/common/kafka.h"
#include "venue/common/kafka_config.h"

namespace cfg = venue::config;
namespace kafka = venue::kafka;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    throw std::runtime_error(std::string(name) + " is not set: run under deploy/local/with-services --kafka");
  }
  return v;
}

std::string unique(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(rd());
}

// The [kafka] table an operator would write for the broker's SASL_SSL listener; the password is only
// ever named ("$NAME"), as the reader demands.
kafka::Connection sasl_connection(const std::string& mechanism, const std::string& password_variable) {
  kafka::Connection c;
  const std::string text = "[kafka]\nbrokers = \"" + env("VENUE_KAFKA_SASL_BROKERS") +
                           "\"\nsecurity_protocol = \"sasl_ssl\"\nssl_ca_file = \"" + env("VENUE_KAFKA_CA_FILE") +
                           "\"\nsasl_mechanism = \"" + mechanism + "\"\nsasl_username = \"" +
                           env("VENUE_KAFKA_SASL_USERNAME") + "\"\nsasl_password = \"$" + password_variable + "\"\n";
  cfg::load(text, "kafka_security_test.toml", [&](cfg::Table& root) {
    auto k = root.table("kafka", "Kafka");
    kafka::read_connection(k, c, ".");
  });
  return c;
}

double value(prometheus::Registry& registry, const std::string& name) {
  double sum = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) sum += m.counter.value;
  }
  return sum;
}

// Produces `count` records on a fresh topic through `c` and reads them back with a consumer of the same
// connection; returns how many came back.
int roundtrip(const kafka::Connection& c, int count) {
  prometheus::Registry registry;
  const auto topic = unique("venue.test.sasl");
  int delivered = 0;
  {
    kafka::Producer producer({.brokers = c.brokers, .client_id = "it-sasl-producer", .properties = c.properties()},
                             registry, [&](const kafka::Delivery& d) { delivered += d.ok ? 1 : 0; });
    for (int i = 0; i < count; ++i) {
      BOOST_REQUIRE(producer.produce(topic, "k", "r-" + std::to_string(i), {{"venue-seq", std::to_string(i)}}) ==
                    kafka::Enqueue::kOk);
    }
    BOOST_REQUIRE(producer.flush(30'000));
  }
  BOOST_REQUIRE_EQUAL(delivered, count);
  kafka::Consumer consumer({.brokers = c.brokers,
                            .group_id = unique("it-sasl"),
                            .client_id = "it-sasl-consumer",
                            .properties = c.properties({{"auto.offset.reset", "earliest"}})},
                           registry);
  consumer.subscribe({topic});
  int got = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (got < count && std::chrono::steady_clock::now() < deadline) {
    if (auto m = consumer.poll(200)) {
      BOOST_TEST(std::string(static_cast<const char*>(m->payload()), m->len()) == "r-" + std::to_string(got));
      ++got;
    }
  }
  consumer.close();
  return got;
}

}  // namespace

BOOST_AUTO_TEST_CASE(records_go_through_the_brokers_sasl_listener_over_tls_with_plain) {
  ::setenv("KAFKA_SECURITY_TEST_PASSWORD", env("VENUE_KAFKA_SASL_PASSWORD").c_str(), 1);
  const auto c = sasl_connection("PLAIN", "KAFKA_SECURITY_TEST_PASSWORD");
  BOOST_TEST(roundtrip(c, 50) == 50);
}

BOOST_AUTO_TEST_CASE(a_wrong_password_is_refused_counted_and_nothing_is_delivered_or_dropped) {
  ::setenv("KAFKA_SECURITY_TEST_WRONG", "not-the-password", 1);
  const auto c = sasl_connection("PLAIN", "KAFKA_SECURITY_TEST_WRONG");
  prometheus::Registry registry;
  int delivered = 0;
  int failed = 0;
  kafka::Producer producer({.brokers = c.brokers, .client_id = "it-sasl-wrong", .properties = c.properties()}, registry,
                           [&](const kafka::Delivery& d) { (d.ok ? delivered : failed) += 1; });
  BOOST_REQUIRE(producer.produce(unique("venue.test.sasl-wrong"), "k", "v", {}) == kafka::Enqueue::kOk);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);  // a loaded machine: seen over 20 s
  while (value(registry, "venue_kafka_client_errors_total") < 1 && std::chrono::steady_clock::now() < deadline) {
    producer.poll(100);
  }
  // What an operator sees: the client error counter (and its log line, "kafka client error"); the record
  // is neither delivered nor given up (message.timeout.ms 0: the venue never drops a report).
  BOOST_TEST(value(registry, "venue_kafka_client_errors_total") >= 1);
  BOOST_TEST(delivered == 0);
  BOOST_TEST(failed == 0);
  // outstanding() is librdkafka's out queue: the record, and any error event not yet served by a poll.
  BOOST_TEST(producer.outstanding() >= 1);
}

// SCRAM: the broker (Kafka 4.x) checks the client's final nonce strictly (RFC 5802); librdkafka before
// 2.6.1 repeats the client nonce there and is refused, whatever the password (librdkafka PR 4895).
// Debian 12 ships 2.0.2: this case states what this build does, so that the day the library is new
// enough it fails and the limitation written in spec/venue-config.md is lifted.
BOOST_AUTO_TEST_CASE(scram_works_exactly_when_the_linked_librdkafka_can_talk_to_this_broker) {
  ::setenv("KAFKA_SECURITY_TEST_PASSWORD", env("VENUE_KAFKA_SASL_PASSWORD").c_str(), 1);
  const auto c = sasl_connection("SCRAM-SHA-512", "KAFKA_SECURITY_TEST_PASSWORD");
  const bool fixed_library = RdKafka::version() >= 0x020601ff;
  BOOST_TEST_MESSAGE("librdkafka " << RdKafka::version_str() << ": SCRAM against Kafka 4.x expected to "
                                   << (fixed_library ? "work" : "be refused"));
  if (fixed_library) {
    BOOST_TEST(roundtrip(c, 10) == 10);
    return;
  }
  prometheus::Registry registry;
  int delivered = 0;
  int failed = 0;
  kafka::Producer producer({.brokers = c.brokers, .client_id = "it-scram", .properties = c.properties()}, registry,
                           [&](const kafka::Delivery& d) { (d.ok ? delivered : failed) += 1; });
  BOOST_REQUIRE(producer.produce(unique("venue.test.scram"), "k", "v", {}) == kafka::Enqueue::kOk);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);  // a loaded machine: seen over 20 s
  while (value(registry, "venue_kafka_client_errors_total") < 1 && std::chrono::steady_clock::now() < deadline) {
    producer.poll(100);
  }
  BOOST_TEST(value(registry, "venue_kafka_client_errors_total") >= 1);
  BOOST_TEST(delivered == 0);
  BOOST_TEST(failed == 0);
  BOOST_TEST(producer.outstanding() >= 1);  // the record (and maybe an error event not yet polled)
}
