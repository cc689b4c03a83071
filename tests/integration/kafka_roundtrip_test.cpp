#define BOOST_TEST_MODULE kafka_roundtrip
// A producer and a consumer through the real Kafka broker that deploy/local/services starts.
// Run under deploy/local/with-services (ci/test does), which sets VENUE_KAFKA_BROKERS.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <random>

#include "venue/common/kafka.h"

namespace kafka = venue::kafka;

namespace {

std::string brokers() {
  const char* b = std::getenv("VENUE_KAFKA_BROKERS");
  if (b == nullptr || *b == '\0') {
    throw std::runtime_error("VENUE_KAFKA_BROKERS is not set: run under deploy/local/with-services --kafka");
  }
  return b;
}

std::string unique(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(rd());
}

}  // namespace

BOOST_AUTO_TEST_CASE(messages_produced_arrive_in_order_with_their_keys_and_headers) {
  prometheus::Registry registry;
  const auto topic = unique("venue.test.roundtrip");
  constexpr int kCount = 200;
  int delivered_ok = 0;
  {
    kafka::Producer producer({.brokers = brokers(), .client_id = "it-producer"}, registry,
                             [&](const kafka::Delivery& d) { delivered_ok += d.ok ? 1 : 0; });
    for (int i = 0; i < kCount; ++i) {
      BOOST_REQUIRE(producer.produce(topic, "order-1", "er-" + std::to_string(i), {{"venue-seq", std::to_string(i)}}) ==
                    kafka::Enqueue::kOk);
    }
    BOOST_REQUIRE(producer.flush(30'000));
  }
  BOOST_REQUIRE_EQUAL(delivered_ok, kCount);

  kafka::Consumer consumer({.brokers = brokers(), .group_id = unique("it-group"), .client_id = "it-consumer"},
                           registry);
  consumer.subscribe({topic});
  std::vector<std::string> got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::unique_ptr<RdKafka::Message> last;
  while (static_cast<int>(got.size()) < kCount && std::chrono::steady_clock::now() < deadline) {
    auto m = consumer.poll(200);
    if (!m) continue;
    BOOST_TEST(std::string(static_cast<const char*>(m->key_pointer()), m->key_len()) == "order-1");
    BOOST_TEST(kafka::Consumer::header(*m, "venue-seq").value_or("") == std::to_string(got.size()));
    got.emplace_back(static_cast<const char*>(m->payload()), m->len());
    last = std::move(m);
  }
  BOOST_REQUIRE_EQUAL(got.size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) BOOST_TEST(got[static_cast<std::size_t>(i)] == "er-" + std::to_string(i));
  BOOST_TEST(consumer.commit(*last));
}

BOOST_AUTO_TEST_CASE(a_consumer_group_resumes_after_its_committed_offset) {
  prometheus::Registry registry;
  const auto topic = unique("venue.test.resume");
  const auto group = unique("it-resume");
  {
    kafka::Producer producer({.brokers = brokers(), .client_id = "it-producer2"}, registry, nullptr);
    for (int i = 0; i < 10; ++i)
      BOOST_REQUIRE(producer.produce(topic, "k", std::to_string(i), {}) == kafka::Enqueue::kOk);
    BOOST_REQUIRE(producer.flush(30'000));
  }
  auto read_n = [&](int n) {
    kafka::Consumer c({.brokers = brokers(), .group_id = group, .client_id = "it-resume"}, registry);
    c.subscribe({topic});
    std::vector<std::string> out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (static_cast<int>(out.size()) < n && std::chrono::steady_clock::now() < deadline) {
      if (auto m = c.poll(200)) {
        out.emplace_back(static_cast<const char*>(m->payload()), m->len());
        BOOST_REQUIRE(c.commit(*m));
      }
    }
    c.close();
    return out;
  };
  auto first = read_n(4);
  BOOST_REQUIRE_EQUAL(first.size(), 4U);
  BOOST_TEST(first.back() == "3");
  auto rest = read_n(6);
  BOOST_REQUIRE_EQUAL(rest.size(), 6U);
  BOOST_TEST(rest.front() == "4");
  BOOST_TEST(rest.back() == "9");
}
