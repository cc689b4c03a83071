#include "e2e/support/kafka_broker.h"

#include <prometheus/registry.h>
#include <quickfix/Message.h>
#include <quickfix/Values.h>
#include <signal.h>
#include <fstream>
#include <stdexcept>

#include "e2e/support/messages.h"
#include "e2e/support/venue_process.h"
#include "venue/common/kafka.h"

namespace venue::e2e {

std::string required_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    throw std::runtime_error(std::string(name) + " is not set: run under deploy/local/with-services --kafka");
  }
  return v;
}

std::string KafkaBroker::brokers() { return required_env("VENUE_KAFKA_BROKERS"); }
std::string KafkaBroker::sasl_ssl_brokers() { return required_env("VENUE_KAFKA_SASL_BROKERS"); }
std::string KafkaBroker::ca_file() { return required_env("VENUE_KAFKA_CA_FILE"); }
std::string KafkaBroker::sasl_username() { return required_env("VENUE_KAFKA_SASL_USERNAME"); }
std::string KafkaBroker::sasl_password() { return required_env("VENUE_KAFKA_SASL_PASSWORD"); }

void KafkaBroker::service(const std::string& action) {
  run_command("'" + (source_dir() / "deploy" / "local" / "services").string() + "' " + action + " --state-dir '" +
              required_env("VENUE_SERVICES_DIR") + "' --kafka > /dev/null 2>&1");
}

void KafkaBroker::create_topic(const std::string& name, int partitions) {
  service("create-topics " + name + ":" + std::to_string(partitions));
}

int KafkaBroker::pid() {
  std::ifstream in(std::filesystem::path(required_env("VENUE_SERVICES_DIR")) / "pids" / "kafka.pid");
  int pid = 0;
  if (!(in >> pid) || pid <= 0) throw std::runtime_error("no Kafka pid file in VENUE_SERVICES_DIR");
  return pid;
}

KafkaFreeze::KafkaFreeze() : pid_(KafkaBroker::pid()) {
  if (::kill(pid_, SIGSTOP) != 0) throw std::runtime_error("cannot SIGSTOP the Kafka broker");
}

KafkaFreeze::~KafkaFreeze() { thaw(); }

void KafkaFreeze::thaw() {
  if (!frozen_) return;
  frozen_ = false;
  ::kill(pid_, SIGCONT);
}

std::string report_payload(const TestReport& r) {
  const std::string seq = std::to_string(r.venue_seq);
  FIX::Message m;
  auto& h = m.getHeader();
  h.setField(FIX::FIELD::BeginString, "FIX.4.4");
  h.setField(FIX::FIELD::MsgType, "8");
  h.setField(FIX::FIELD::SenderCompID, "VENUE");
  h.setField(FIX::FIELD::TargetCompID, r.target.empty() ? r.session : r.target);
  h.setField(FIX::FIELD::MsgSeqNum, seq);
  h.setField(FIX::FIELD::SendingTime, utc_timestamp_from_now(0));
  if (r.poss_resend) h.setField(FIX::FIELD::PossResend, "Y");
  const bool fill = r.exec_type == "F";
  m.setField(FIX::FIELD::Account, r.payload_account.empty() ? r.account : r.payload_account);
  m.setField(FIX::FIELD::OrderID, "O" + seq);
  m.setField(FIX::FIELD::ExecID, "E" + seq);
  m.setField(FIX::FIELD::ClOrdID, "C" + seq);
  m.setField(FIX::FIELD::ExecType, r.exec_type);
  m.setField(FIX::FIELD::OrdStatus, fill ? "2" : "0");
  m.setField(FIX::FIELD::Symbol, "S001");
  m.setField(FIX::FIELD::Side, "1");
  m.setField(FIX::FIELD::OrderQty, "1");
  m.setField(FIX::FIELD::Price, "100.00");
  m.setField(FIX::FIELD::LeavesQty, fill ? "0" : "1");
  m.setField(FIX::FIELD::CumQty, fill ? "1" : "0");
  m.setField(FIX::FIELD::AvgPx, fill ? "100.00" : "0");
  if (fill) {
    m.setField(FIX::FIELD::LastQty, "1");
    m.setField(FIX::FIELD::LastPx, "100.00");
  }
  m.setField(FIX::FIELD::TransactTime, utc_timestamp_from_now(0));
  return m.toString();
}

ReportProducer::ReportProducer(const std::string& brokers, std::string topic,
                               std::vector<std::pair<std::string, std::string>> properties)
    : topic_(std::move(topic)), registry_(std::make_shared<prometheus::Registry>()) {
  properties.emplace_back("linger.ms", "0");
  producer_ = std::make_unique<kafka::Producer>(
      kafka::ProducerSettings{.brokers = brokers, .client_id = "e2e-reports", .properties = std::move(properties)},
      *registry_, nullptr);
}

ReportProducer::~ReportProducer() = default;

void ReportProducer::send_async(const TestReport& r) {
  const std::vector<kafka::Header> headers{{"venue-seq", std::to_string(r.venue_seq)},
                                           {"shard", "0"},
                                           {"engine-seq", std::to_string(r.venue_seq)},
                                           {"msg-type", "8"},
                                           {"exec-type", r.exec_type},
                                           {"session", r.session},
                                           {"firm", r.firm},
                                           {"account", r.account}};
  const std::string key = "O" + std::to_string(r.venue_seq);
  for (int i = 0; i < 1000; ++i) {
    const auto e = producer_->produce(topic_, key, report_payload(r), headers, nullptr, r.partition);
    if (e == kafka::Enqueue::kOk) return;
    if (e == kafka::Enqueue::kError) break;
    producer_->poll(10);
  }
  throw std::runtime_error("could not produce venue-seq " + std::to_string(r.venue_seq));
}

void ReportProducer::send(const TestReport& r) {
  send_async(r);
  if (!producer_->flush(20'000)) {
    throw std::runtime_error("Kafka did not acknowledge venue-seq " + std::to_string(r.venue_seq) + " in 20 s");
  }
}

}  // namespace venue::e2e
