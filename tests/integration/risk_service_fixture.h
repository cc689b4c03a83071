#pragma once
// The risk service integration suite's harness and helpers (risk_service_test.cpp,
// risk_service_recovery_test.cpp: one program, one risk process started once for all their cases).

#include <sys/wait.h>
#include <pqxx/pqxx>

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "e2e/support/kafka_broker.h"
#include "e2e/support/venue_process.h"
#include "unit/risk/reports.h"
#include "venue/common/kafka.h"
#include "venue/risk/book.h"
#include "venue/risk/messages.h"
#include "venue/risk/views.h"

namespace vr = venue::risk;
namespace e2e = venue::e2e;
using nlohmann::json;
using namespace std::chrono_literals;

namespace risk_service_it {

// TransactTime(60) of now: the day's traded notional counts today's fills.
inline std::string now_transact() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H:%M:%S.000", &tm);
  return buf;
}

class Harness {
 public:
  Harness() : dir_("risk-it") {
    const std::string tag = std::to_string(::getpid());
    reports_ = "risk-it-" + tag + ".reports";
    control_ = "risk-it-" + tag + ".control";
    acks_ = "risk-it-" + tag + ".acks";
    alerts_ = "risk-it-" + tag + ".alerts";
    schema_ = "risk_it_" + tag;
    e2e::KafkaBroker::create_topics({{reports_, 4}, {control_, 1}, {acks_, 1}, {alerts_, 1}});
    metrics_port_ = e2e::free_port();
    builder_.transact = now_transact();
    write_config();
    producer_ = std::make_unique<venue::kafka::Producer>(
        venue::kafka::ProducerSettings{.brokers = e2e::env("VENUE_KAFKA_BROKERS"), .client_id = "risk-it"}, registry_,
        nullptr);
    risk_ = std::make_unique<e2e::VenueProcess>(config(), dir_.path() / "risk.log", metrics_port_, "risk");
    risk_->start(60s);
  }
  ~Harness() {
    if (risk_ && risk_->running()) risk_->stop();
  }

  std::filesystem::path config() const { return dir_.path() / "risk.toml"; }
  e2e::VenueProcess& risk() { return *risk_; }
  vr::test::Reports& reports() { return builder_; }
  void keep() { dir_.keep(); }
  const std::filesystem::path& dir() const { return dir_.path(); }

  // Puts a record on the reports topic, on the given partition (the venue spreads one account's orders
  // over all of them).
  void send(const vr::test::Reports::Raw& r, int partition) {
    std::vector<venue::kafka::Header> h;
    h.reserve(r.headers.size());
    for (const auto& [k, v] : r.headers) h.push_back({k, v});
    BOOST_REQUIRE(producer_->produce(reports_, "k", r.payload, h, nullptr, partition) == venue::kafka::Enqueue::kOk);
    BOOST_REQUIRE(producer_->flush(10'000));
    sent_.push_back(r);
  }
  // The same without waiting for Kafka's acknowledgement (a backlog); flush() waits for all of them.
  void send_unflushed(const vr::test::Reports::Raw& r, int partition) {
    std::vector<venue::kafka::Header> h;
    h.reserve(r.headers.size());
    for (const auto& [k, v] : r.headers) h.push_back({k, v});
    for (;;) {
      const auto e = producer_->produce(reports_, "k", r.payload, h, nullptr, partition);
      if (e == venue::kafka::Enqueue::kOk) break;
      BOOST_REQUIRE(e == venue::kafka::Enqueue::kQueueFull);
      BOOST_REQUIRE(producer_->flush(10'000));
    }
    sent_.push_back(r);
  }
  void flush() { BOOST_REQUIRE(producer_->flush(60'000)); }
  void send_raw(const std::string& payload, const std::vector<venue::kafka::Header>& headers, int partition) {
    BOOST_REQUIRE(producer_->produce(reports_, "k", payload, headers, nullptr, partition) ==
                  venue::kafka::Enqueue::kOk);
    BOOST_REQUIRE(producer_->flush(10'000));
  }
  void produce(const std::string& topic, const std::string& value) {
    BOOST_REQUIRE(producer_->produce(topic, "k", value, {}) == venue::kafka::Enqueue::kOk);
    BOOST_REQUIRE(producer_->flush(10'000));
  }
  // Every record sent so far, as the reference calculation applies them.
  const std::vector<vr::test::Reports::Raw>& sent() const { return sent_; }

  json status() const { return json::parse(risk_->http("GET", "/status").body); }
  // Waits until the service has applied every record up to venue-seq `seq` and holds none back.
  void wait_applied(std::uint64_t seq, std::chrono::milliseconds timeout = 20s) const {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      const auto r = risk_->http("GET", "/status");
      if (r.status == 200) {
        const auto s = json::parse(r.body);
        if (s["last_venue_seq"].get<std::uint64_t>() >= seq && s["records_held"].get<int>() == 0) return;
      }
      std::this_thread::sleep_for(20ms);
    }
    throw std::runtime_error("risk did not apply venue-seq " + std::to_string(seq) + "; log:\n" + risk_->log_tail());
  }
  // The CLI against this service.
  e2e::CommandResult cli(const std::string& args) const {
    return e2e::run_merged("'" + (e2e::bin_dir() / "risk").string() + "' " + args + " --config '" + config().string() +
                           "'");
  }
  double metric(const std::string& series) const {
    return e2e::metric_value(risk_->http("GET", "/metrics").body, series).value_or(0);
  }
  // Every record of a topic, as JSON values: everything up to the topic's end as Kafka reports it when
  // called. (Reading until nothing came for a while returned nothing at all when the broker or this
  // machine was slow to serve the first fetch: a new consumer connects, looks up the leader and the
  // offsets first, and a loaded machine made that longer than the quiet time.)
  std::vector<json> read(const std::string& topic) const {
    venue::kafka::Consumer c(
        {.brokers = e2e::env("VENUE_KAFKA_BROKERS"), .group_id = "risk-it-reader", .client_id = "risk-it-reader"},
        registry_);
    std::map<std::int32_t, std::int64_t> end;
    std::vector<venue::kafka::Consumer::Position> from;
    for (const auto p : c.partitions(topic, 30'000)) {
      std::int64_t low = 0;
      std::int64_t high = 0;
      const auto err = c.handle().query_watermark_offsets(topic, p, &low, &high, 30'000);
      if (err != RdKafka::ERR_NO_ERROR)
        throw std::runtime_error("no end offset of " + topic + ": " + RdKafka::err2str(err));
      if (high > low) end[p] = high;
      from.push_back({topic, p, RdKafka::Topic::OFFSET_BEGINNING});
    }
    std::vector<json> out;
    if (end.empty()) return out;
    c.assign(from);
    const auto until = std::chrono::steady_clock::now() + 60s;
    while (!end.empty()) {
      if (std::chrono::steady_clock::now() > until) throw std::runtime_error("could not read " + topic + " to its end");
      auto m = c.poll(100);
      if (!m) continue;
      auto it = end.find(m->partition());
      if (it == end.end() || m->offset() >= it->second) continue;
      out.push_back(json::parse(std::string(static_cast<const char*>(m->payload()), m->len())));
      if (m->offset() + 1 >= it->second) end.erase(it);
    }
    return out;
  }
  const std::string& control() const { return control_; }
  const std::string& acks() const { return acks_; }
  const std::string& alerts() const { return alerts_; }
  pqxx::result sql(const std::string& query) const {
    pqxx::connection c(e2e::env("VENUE_PG_URL"));
    pqxx::work tx(c);
    tx.exec("set local search_path to " + schema_);
    auto r = tx.exec(query);
    tx.commit();
    return r;
  }
  void pg(const std::string& action) const {
    e2e::run_command("'" + (e2e::source_dir() / "deploy/local/services").string() + "' " + action + " --state-dir '" +
                     e2e::env("VENUE_SERVICES_DIR") + "' --pg > /dev/null 2>&1");
  }

 private:
  void write_config() {
    std::ofstream(dir_.path() / "instruments.toml")
        << "[[instrument]]\nid = 1\nsymbol = \"ACME\"\ntick_size = \"0.01\"\nlot_size = \"1\"\nreference_price = "
           "\"100.00\"\n\n[[instrument]]\nid = 2\nsymbol = \"GLOBX\"\ntick_size = \"0.05\"\nlot_size = "
           "\"100\"\nreference_price = \"25.00\"\n";
    std::ofstream(config()) << "# Written by tests/integration/risk_service_test.cpp.\n[risk]\nmetrics_port = "
                            << metrics_port_
                            << "\ninstruments = \"instruments.toml\"\nflush_interval_ms = 50\nlimits_poll_ms = "
                               "100\ngap_timeout_ms = 300\nmax_gap_wait_ms = 3000\n[kafka]\nbrokers = "
                               "\"$VENUE_KAFKA_BROKERS\"\nreports_topic = \""
                            << reports_ << "\"\ncontrol_topic = \"" << control_ << "\"\nacks_topic = \"" << acks_
                            << "\"\nalerts_topic = \"" << alerts_ << "\"\ngroup_id = \"risk-it-" << ::getpid()
                            << "\"\n[database]\nurl = \"$VENUE_PG_URL\"\nschema = \"" << schema_ << "\"\n";
  }

  e2e::TempDir dir_;
  std::string reports_, control_, acks_, alerts_, schema_;
  std::uint16_t metrics_port_ = 0;
  mutable prometheus::Registry registry_;
  std::unique_ptr<venue::kafka::Producer> producer_;
  std::unique_ptr<e2e::VenueProcess> risk_;
  vr::test::Reports builder_;
  std::vector<vr::test::Reports::Raw> sent_;
};

inline std::unique_ptr<Harness>& harness_ptr() {
  static std::unique_ptr<Harness> h;
  return h;
}
inline Harness& harness() {
  auto& h = harness_ptr();
  if (!h) h = std::make_unique<Harness>();
  return *h;
}

struct HarnessFixture {
  HarnessFixture() = default;
  HarnessFixture(const HarnessFixture&) = delete;
  HarnessFixture& operator=(const HarnessFixture&) = delete;
  ~HarnessFixture() {
    auto& h = harness_ptr();
    if (!h) return;
    namespace ut = boost::unit_test;
    if (!ut::results_collector.results(ut::framework::master_test_suite().p_id).passed() || std::getenv("E2E_KEEP")) {
      h->keep();
      std::fprintf(stderr, "risk-it: files kept in %s\n", h->dir().c_str());
    }
    h.reset();
  }
};

// The positions CSV of some accounts, from the reference calculation over every record sent.
inline std::string expected_csv(const std::set<std::string>& accounts) {
  vr::Book book(
      vr::BookSettings{{{"ACME", *venue::Decimal::parse("100")}, {"GLOBX", *venue::Decimal::parse("25")}}, 0});
  book.set_now(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
                   .count());
  std::vector<vr::test::Reports::Raw> in_order = harness().sent();
  std::stable_sort(in_order.begin(), in_order.end(),
                   [](const auto& a, const auto& b) { return a.venue_seq < b.venue_seq; });
  std::set<std::uint64_t> seen;
  for (const auto& r : in_order) {
    if (!seen.insert(r.venue_seq).second) continue;
    std::string why;
    book.apply(*venue::fix_session::read_report_record(r.payload, r.headers, &why));
  }
  std::vector<vr::PositionRow> rows;
  for (const auto& row : book.positions("", "")) {
    if (accounts.count(row.account) != 0) rows.push_back(row);
  }
  return vr::positions_csv(rows);
}

}  // namespace risk_service_it

using namespace risk_service_it;
