#define BOOST_TEST_MODULE kafka_group_consumer
// venue::kafka::GroupConsumer (dropcopy's DC007, compliance's CMP030) against librdkafka's in-process mock
// cluster: a consumer that librdkafka declares failed for good is replaced, the new one reads on from the
// group's committed offset and commits again once it has joined. The fatal error is injected with
// rd_kafka_test_fatal_error(), which librdkafka provides for exactly this: the real one (FENCED_INSTANCE_ID
// after Kafka was away for about the group session) takes a broker outage of ~45 s to provoke, as
// tests/e2e/dropcopy_records_test.cpp does once.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>

#include "venue/common/kafka.h"

namespace kafka = venue::kafka;

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Cluster {
  prometheus::Registry registry;
  std::unique_ptr<kafka::Producer> producer;
  std::string bootstraps;
  int made = 0;  // consumers made by factory()

  Cluster() {
    producer = std::make_unique<kafka::Producer>(kafka::ProducerSettings{.brokers = "",
                                                                         .client_id = "group-consumer-test",
                                                                         .properties = {{"test.mock.num.brokers", "1"}},
                                                                         .close_timeout_ms = 2000},
                                                 registry, nullptr);
    rd_kafka_mock_cluster_t* cluster = rd_kafka_handle_mock_cluster(producer->handle().c_ptr());
    BOOST_REQUIRE(cluster != nullptr);
    BOOST_REQUIRE(rd_kafka_mock_topic_create(cluster, "reports", 1, 1) == RD_KAFKA_RESP_ERR_NO_ERROR);
    bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);
    for (int i = 0; i < 3; ++i) {
      BOOST_REQUIRE(producer->produce("reports", "k", "report " + std::to_string(i), {}) == kafka::Enqueue::kOk);
    }
    BOOST_REQUIRE(producer->flush(10000));
  }

  kafka::GroupConsumer::Factory factory() {
    return [this] {
      ++made;
      auto c = std::make_unique<kafka::Consumer>(
          kafka::ConsumerSettings{.brokers = bootstraps,
                                  .group_id = "compliance",
                                  .client_id = "compliance",
                                  .properties = {{"group.instance.id", "compliance/compliance"},
                                                 {"auto.offset.reset", "earliest"},
                                                 {"session.timeout.ms", "3000"},
                                                 {"heartbeat.interval.ms", "200"},
                                                 {"max.poll.interval.ms", "4000"}}},
          registry);
      c->subscribe({"reports"});
      return c;
    };
  }
};

// The next record's offset, polling for up to 30 s (-1 when none came).
std::int64_t next_offset(kafka::GroupConsumer& c) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto m = c->poll(100)) return m->offset();
  }
  return -1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_consumer_failed_for_good_is_replaced_and_the_new_one_reads_on_and_commits) {
  Cluster k;
  kafka::GroupConsumer c("CMP030", k.factory());
  c.start();
  BOOST_REQUIRE_EQUAL(next_offset(c), 0);
  BOOST_REQUIRE(c.may_commit(now_ns()));
  BOOST_REQUIRE(c->commit({{"reports", 0, 1}}));
  BOOST_TEST(!c.replace_if_failed(now_ns()));  // a healthy consumer is kept
  BOOST_TEST(k.made == 1);

  BOOST_REQUIRE(rd_kafka_test_fatal_error(c->handle().c_ptr(), RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID,
                                          "injected by the test") == RD_KAFKA_RESP_ERR_NO_ERROR);
  BOOST_TEST(!c->commit({{"reports", 0, 2}}));  // what the service saw, for ever, before the fix

  BOOST_TEST(c.replace_if_failed(now_ns()));
  BOOST_TEST(c.replacements() == 1U);
  BOOST_TEST(k.made == 2);
  std::string why;
  BOOST_TEST(c->handle().fatal_error(why) == RdKafka::ERR_NO_ERROR);
  BOOST_TEST(!c.may_commit(now_ns()));  // not joined yet: a commit now would be fenced again
  // The new consumer starts at the committed offset: record 1 again, then 2.
  BOOST_TEST(next_offset(c) == 1);
  BOOST_TEST(next_offset(c) == 2);
  BOOST_TEST(c.may_commit(now_ns()));
  BOOST_TEST(c->commit({{"reports", 0, 3}}));
  BOOST_TEST(!c.replace_if_failed(now_ns()));
  BOOST_TEST(c->committed("reports", {0}, 5000).at(0).next_offset == 3);
}

BOOST_AUTO_TEST_CASE(after_a_replacement_commits_wait_for_the_join_at_most_the_join_timeout) {
  prometheus::Registry registry;
  kafka::GroupConsumer c(
      "CMP030",
      [&] {
        // No broker listens there: this consumer never joins.
        auto k = std::make_unique<kafka::Consumer>(
            kafka::ConsumerSettings{.brokers = "127.0.0.1:1", .group_id = "g", .client_id = "c"}, registry);
        k->subscribe({"reports"});
        return k;
      },
      /*join_timeout_ns=*/1'000'000'000);
  c.start();
  BOOST_TEST(c.may_commit(0));  // never replaced: nothing to wait for
  BOOST_REQUIRE(rd_kafka_test_fatal_error(c->handle().c_ptr(), RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID,
                                          "injected by the test") == RD_KAFKA_RESP_ERR_NO_ERROR);
  const std::int64_t t = 5'000'000'000;
  BOOST_TEST(c.replace_if_failed(t));
  BOOST_TEST(!c.may_commit(t));
  BOOST_TEST(!c.may_commit(t + 999'999'999));
  BOOST_TEST(c.may_commit(t + 1'000'000'000));  // gave up waiting: commits go ahead (and fail if fenced)
  BOOST_TEST(c.may_commit(t + 1'000'000'001));
}
