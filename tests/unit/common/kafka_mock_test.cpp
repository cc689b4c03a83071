#define BOOST_TEST_MODULE kafka_mock
// The Kafka wrapper against librdkafka's in-process mock cluster, with injected broker errors. The real
// broker is exercised by tests/integration/kafka_roundtrip_test.cpp.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <prometheus/text_serializer.h>
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "venue/common/kafka.h"

namespace kafka = venue::kafka;

// The Kafka protocol ApiKey of Produce requests (rdkafka_protocol.h, which Debian does not install).
constexpr std::int16_t kProduceApiKey = 0;

namespace {

double metric(prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    double total = 0;
    for (const auto& m : family.metric) total += m.counter.value;
    return total;
  }
  return -1;
}

struct MockCluster {
  prometheus::Registry registry;
  std::vector<kafka::Delivery> deliveries;
  std::unique_ptr<kafka::Producer> producer;
  rd_kafka_mock_cluster_t* cluster = nullptr;

  MockCluster() {
    producer = std::make_unique<kafka::Producer>(
        kafka::ProducerSettings{.brokers = "",
                                .client_id = "mock-test",
                                .properties = {{"test.mock.num.brokers", "3"}, {"retry.backoff.ms", "10"}},
                                .close_timeout_ms = 2000},
        registry, [this](const kafka::Delivery& d) { deliveries.push_back(d); });
    cluster = rd_kafka_handle_mock_cluster(producer->handle().c_ptr());
    BOOST_REQUIRE(cluster != nullptr);
    BOOST_REQUIRE(rd_kafka_mock_topic_create(cluster, "orders", 1, 3) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  void wait_for(std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (deliveries.size() < n && std::chrono::steady_clock::now() < deadline) producer->poll(50);
    BOOST_REQUIRE_EQUAL(deliveries.size(), n);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_message_is_delivered_and_counted) {
  MockCluster m;
  int tag = 7;
  BOOST_REQUIRE(m.producer->produce("orders", "k1", "payload", {{"venue-seq", "1"}}, &tag) == kafka::Enqueue::kOk);
  m.wait_for(1);
  BOOST_TEST(m.deliveries[0].ok);
  BOOST_TEST(m.deliveries[0].opaque == &tag);
  BOOST_TEST(m.deliveries[0].offset == 0);
  BOOST_TEST(metric(m.registry, "venue_kafka_delivered_total") == 1.0);
  BOOST_TEST(metric(m.registry, "venue_kafka_delivery_errors_total") == 0.0);
}

BOOST_AUTO_TEST_CASE(a_transient_broker_error_is_retried_and_the_message_still_arrives_once) {
  MockCluster m;
  rd_kafka_mock_push_request_errors(m.cluster, kProduceApiKey, 2, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                    RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  BOOST_REQUIRE(m.producer->produce("orders", "k1", "first", {}) == kafka::Enqueue::kOk);
  m.wait_for(1);
  BOOST_TEST(m.deliveries[0].ok);
  BOOST_TEST(m.deliveries[0].offset == 0);  // exactly one copy was written: the idempotent producer de-duplicated
  BOOST_TEST(metric(m.registry, "venue_kafka_delivery_errors_total") == 0.0);
}

BOOST_AUTO_TEST_CASE(a_permanent_broker_error_is_reported_to_the_caller_and_counted) {
  MockCluster m;
  rd_kafka_mock_push_request_errors(m.cluster, kProduceApiKey, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  int tag = 1;
  BOOST_REQUIRE(m.producer->produce("orders", "k1", "too big", {}, &tag) == kafka::Enqueue::kOk);
  m.wait_for(1);
  BOOST_TEST(!m.deliveries[0].ok);
  BOOST_TEST(!m.deliveries[0].error.empty());
  BOOST_TEST(m.deliveries[0].opaque == &tag);
  BOOST_TEST(metric(m.registry, "venue_kafka_delivery_errors_total") == 1.0);
}

BOOST_AUTO_TEST_CASE(a_bad_property_is_refused_at_construction) {
  prometheus::Registry registry;
  BOOST_CHECK_THROW(kafka::Producer({.brokers = "127.0.0.1:1", .client_id = "x", .properties = {{"acks", "banana"}}},
                                    registry, nullptr),
                    kafka::KafkaError);
}
