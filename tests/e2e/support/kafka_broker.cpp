#include "e2e/support/kafka_broker.h"

#include <librdkafka/rdkafka.h>
#include <prometheus/registry.h>
#include <quickfix/Message.h>
#include <quickfix/Values.h>
#include <signal.h>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

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

void KafkaBroker::create_topic(const std::string& name, int partitions) { create_topics({{name, partitions}}); }

namespace {

[[noreturn]] void topic_error(const std::string& what) { throw std::runtime_error("create_topics: " + what); }

// Waits until the broker's metadata shows `name` with `partitions` partitions, each with a leader.
void await_topic(rd_kafka_t* rk, const std::string& name, int partitions) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string last = "no answer";
  while (std::chrono::steady_clock::now() < deadline) {
    rd_kafka_topic_t* topic = rd_kafka_topic_new(rk, name.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, topic, &md, 5000);
    rd_kafka_topic_destroy(topic);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        md->topics[0].partition_cnt == partitions) {
      bool leaders = true;
      for (int p = 0; p < md->topics[0].partition_cnt; ++p)
        leaders = leaders && md->topics[0].partitions[p].leader >= 0;
      rd_kafka_metadata_destroy(md);
      if (leaders) return;
      last = "partitions without a leader";
    } else {
      last = err != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_err2str(err)
             : md->topic_cnt == 1              ? rd_kafka_err2str(md->topics[0].err)
                                               : "no topic in the answer";
      if (md != nullptr) rd_kafka_metadata_destroy(md);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  topic_error("topic " + name + " not ready after 60 s: " + last);
}

}  // namespace

// librdkafka's admin API, in this process: the services script's create-topics starts a JVM per topic
// (about 2 s of CPU each), which, dozens of times over a test run, was a large part of its CPU.
void KafkaBroker::create_topics(const std::vector<std::pair<std::string, int>>& topics) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers().c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    topic_error(err);
  }
  std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err),
                                                              &rd_kafka_destroy);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    topic_error(err);
  }
  std::vector<rd_kafka_NewTopic_t*> specs;
  auto free_specs = [&specs] {
    for (auto* t : specs) rd_kafka_NewTopic_destroy(t);
  };
  for (const auto& [name, partitions] : topics) {
    rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(name.c_str(), partitions, 1, err, sizeof err);
    if (t == nullptr) {
      free_specs();
      topic_error("topic " + name + ": " + err);
    }
    specs.push_back(t);
  }
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(options, 60000, err, sizeof err);
  rd_kafka_AdminOptions_set_operation_timeout(options, 60000, err, sizeof err);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk.get());
  rd_kafka_CreateTopics(rk.get(), specs.data(), specs.size(), options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 90000);
  std::string failure;
  std::vector<bool> created(topics.size(), false);
  if (event == nullptr) {
    failure = "no answer from the broker in 90 s";
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    failure = rd_kafka_event_error_string(event);
  } else {
    std::size_t n = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &n);
    for (std::size_t i = 0; i < n; ++i) {
      const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
      const std::string name = rd_kafka_topic_result_name(results[i]);
      for (std::size_t k = 0; k < topics.size(); ++k) {
        if (topics[k].first == name) created[k] = e == RD_KAFKA_RESP_ERR_NO_ERROR;
      }
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        const char* why = rd_kafka_topic_result_error_string(results[i]);
        failure += "topic " + name + ": " + (why != nullptr ? why : rd_kafka_err2str(e)) + "; ";
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(options);
  free_specs();
  if (!failure.empty()) topic_error(failure);
  // A topic that already existed is taken as it is (as the services script does).
  for (std::size_t k = 0; k < topics.size(); ++k) {
    if (created[k]) await_topic(rk.get(), topics[k].first, topics[k].second);
  }
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
