#pragma once
// The Kafka broker of deploy/local/with-services, as the end-to-end tests use it: its addresses (plain,
// and TLS with SASL when the services script opened that listener), its topics, stopping, starting and
// freezing it (SIGSTOP: connections stay open and every request hangs, as in a long GC pause or a network
// partition), and execution-report records written by the test itself, so a test decides exactly which
// venue-seq lands on which partition when.
//
//   KafkaBroker::create_topic("dc-records-123", 2);
//   ReportProducer p(KafkaBroker::brokers(), "dc-records-123");
//   p.send({.venue_seq = 80, .partition = 1});
//   {
//     KafkaFreeze frozen;   // SIGSTOP now, SIGCONT when it goes out of scope (or thaw())
//     ...
//   }
//
// Needs VENUE_KAFKA_BROKERS and VENUE_SERVICES_DIR (deploy/local/with-services --kafka sets them).
//
// Thread rules: the test's thread; a ReportProducer from one thread.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace venue::kafka {
class Producer;
}
namespace prometheus {
class Registry;
}

namespace venue::e2e {

// Environment variable `name`; throws when it is not set.
std::string required_env(const char* name);

struct KafkaBroker {
  // The plain listener (VENUE_KAFKA_BROKERS).
  static std::string brokers();
  // The TLS listener that also asks for SASL (VENUE_KAFKA_SASL_BROKERS), its CA file and a user
  // of each mechanism the broker accepts (SCRAM-SHA-512 and PLAIN): see deploy/local/services.
  static std::string sasl_ssl_brokers();
  static std::string ca_file();
  static std::string sasl_username();
  static std::string sasl_password();
  // deploy/local/services ACTION --state-dir $VENUE_SERVICES_DIR --kafka ("stop", "start").
  static void service(const std::string& action);
  // Creates the topics (name, partitions; replication 1) that do not exist yet, and returns when the
  // broker's metadata shows each new one with a leader for every partition. Throws on failure.
  static void create_topics(const std::vector<std::pair<std::string, int>>& topics);
  static void create_topic(const std::string& name, int partitions);
  // The broker's process id (its pid file).
  static int pid();
};

// SIGSTOP to the broker at construction, SIGCONT at thaw() or destruction.
class KafkaFreeze {
 public:
  KafkaFreeze();
  ~KafkaFreeze();
  KafkaFreeze(const KafkaFreeze&) = delete;
  KafkaFreeze& operator=(const KafkaFreeze&) = delete;
  void thaw();

 private:
  int pid_;
  bool frozen_ = true;
};

// One record of venue.execution-reports as the venue writes it (spec/kafka-topics.md): the headers and
// an ExecutionReport. By default a fill of ALPHA-1 sent to BRK1 (firm ALPHA); `payload_account` and
// `target` let the message disagree with its headers.
struct TestReport {
  std::uint64_t venue_seq = 0;
  std::int32_t partition = 0;
  std::string session = "BRK1";
  std::string firm = "ALPHA";
  std::string account = "ALPHA-1";
  std::string payload_account;  // Account(1) in the message; empty: `account`
  std::string target;           // TargetCompID(56) in the message; empty: `session`
  std::string exec_type = "F";
  bool poss_resend = false;
};

// The FIX text of the report's ExecutionReport (ExecID "E<venue_seq>", OrderID "O<venue_seq>").
std::string report_payload(const TestReport& r);

class ReportProducer {
 public:
  // `properties`: extra librdkafka properties (TLS, SASL).
  ReportProducer(const std::string& brokers, std::string topic,
                 std::vector<std::pair<std::string, std::string>> properties = {});
  ~ReportProducer();
  ReportProducer(const ReportProducer&) = delete;
  ReportProducer& operator=(const ReportProducer&) = delete;
  // Produces the record and waits until the broker acknowledged it (throws after 20 s). The same
  // TestReport sent twice is the venue publishing a report again under its venue-seq.
  void send(const TestReport& r);
  // Produces without waiting (for a load that must keep going while the broker is frozen).
  void send_async(const TestReport& r);

 private:
  std::string topic_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<kafka::Producer> producer_;
};

}  // namespace venue::e2e
