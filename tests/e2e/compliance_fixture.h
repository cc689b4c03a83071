#pragma once
// The compliance end-to-end suite's stack and helpers (compliance_test.cpp, compliance_verify_test.cpp,
// compliance_recovery_test.cpp: one program, one stack started once for all their cases).

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "e2e/support/kafka_broker.h"
#include "e2e/support/shared_stack.h"
#include "e2e/support/suite.h"
#include "venue/common/kafka.h"

using namespace venue::e2e;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace compliance_e2e {

inline void services(const std::string& action) {
  run_command("'" + (source_dir() / "deploy" / "local" / "services").string() + "' " + action + " --state-dir '" +
              env("VENUE_SERVICES_DIR") + "' > /dev/null 2>&1");
}

struct Result {
  int rc = -1;
  std::string out;
};

class Stack {
 public:
  Stack() {
    const std::string tag = std::to_string(::getpid());
    topic_ = "venue.execution-reports.cp-" + tag;
    alerts_topic_ = "venue.compliance-alerts.cp-" + tag;
    KafkaBroker::create_topics({{topic_, 4}, {alerts_topic_, 1}});
    venue_ = std::make_unique<TestVenue>(
        "compliance", "\n[kafka]\nbrokers = \"" + env("VENUE_KAFKA_BROKERS") + "\"\ntopic = \"" + topic_ + "\"\n");
    {  // a fresh schema: earlier runs on the same database must not count
      pqxx::connection c(env("VENUE_PG_URL"));
      pqxx::work tx(c);
      tx.exec("drop schema if exists compliance cascade");
      tx.commit();
    }
    metrics_ = free_port();
    write_config();
    compliance_ =
        std::make_unique<VenueProcess>(dir() / "compliance.toml", dir() / "compliance.log", metrics_, "compliance");
    compliance_->start();
  }
  ~Stack() {
    if (compliance_ && compliance_->running()) compliance_->stop();
  }

  TestVenue& venue() { return *venue_; }
  VenueProcess& compliance() { return *compliance_; }
  const std::filesystem::path& dir() const { return venue_->dir(); }
  const std::string& topic() const { return topic_; }
  const std::string& alerts_topic() const { return alerts_topic_; }
  void keep_files() { venue_->keep_files(); }

  // build/bin/compliance ARGS --config ...: exit code and output (stdout and stderr). config_first:
  // build/bin/compliance --config ... ARGS.
  Result cmd(const std::string& args, bool config_first = false) const {
    const std::string out = (dir() / "cmd.out").string();
    const std::string config = "--config '" + (dir() / "compliance.toml").string() + "'";
    const std::string line = "'" + (bin_dir() / "compliance").string() + "' " +
                             (config_first ? config + " " + args : args + " " + config) + " > '" + out + "' 2>&1";
    Result r;
    const int status = std::system(line.c_str());
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(out);
    r.out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return r;
  }

  double metric(const std::string& series) const {
    return metric_value(compliance_->http("GET", "/metrics").body, series).value_or(-1);
  }

  // The metric once `done` holds of it, or its last value after `timeout`. For what the service reads
  // from PostgreSQL once a second (its heartbeat): on a loaded machine a turn can come late.
  template <class Done>
  double metric_once(const std::string& series, Done done, std::chrono::milliseconds timeout = 20s) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const double v = metric(series);
      if (done(v) || std::chrono::steady_clock::now() >= deadline) return v;
      std::this_thread::sleep_for(100ms);
    }
  }

  void restart_compliance(const std::string& kill_after_rows = "") {
    if (compliance_->running()) BOOST_TEST(compliance_->stop() == 0);
    compliance_->set_environment("VENUE_COMPLIANCE_KILL_AFTER_ROWS", kill_after_rows);
    compliance_->start();
    compliance_->set_environment("VENUE_COMPLIANCE_KILL_AFTER_ROWS", "");
  }

 private:
  void write_config() {
    std::string t =
        "# Written by tests/e2e/compliance_test.cpp.\n[compliance]\nmetrics_port = " + std::to_string(metrics_) + "\n";
    t += "\n[database]\nurl = \"$VENUE_PG_URL\"\n";
    t += "\n[kafka]\nbrokers = \"$VENUE_KAFKA_BROKERS\"\ntopic = \"" + topic_ + "\"\nalerts_topic = \"" +
         alerts_topic_ + "\"\ngroup_id = \"compliance-e2e\"\n";
    // Small batches and a short staging delay: a SIGKILL lands between commits more often, and a gap's
    // records reach the table pending within the test.
    t += "\n[ingest]\nmax_batch = 200\nstage_after_ms = 1000\ncheckpoint_file = \"checkpoints.jsonl\"\n"
         "checkpoint_every_seconds = 1\n";
    t += R"(
[surveillance]
[[surveillance.owner]]
name = "ALPHA-HOUSE"
accounts = ["ALPHA-1", "ALPHA-2"]

[surveillance.spoofing]
min_order_qty = 500
min_orders = 3
max_distance_bps = 50
max_lifetime_ms = 4000
trade_window_ms = 10000

[surveillance.order_to_trade]
window_seconds = 60
min_orders = 20
max_ratio = 10

[surveillance.momentum_ignition]
window_ms = 10000
min_aggressive_orders = 3
min_move_bps = 20
reversal_window_ms = 10000
)";
    std::ofstream(dir() / "compliance.toml") << t;
  }

  std::string topic_;
  std::string alerts_topic_;
  std::unique_ptr<TestVenue> venue_;
  std::uint16_t metrics_ = 0;
  std::unique_ptr<VenueProcess> compliance_;
};

inline Stack& stack() { return shared_stack<Stack>(); }
using StackFixture = SharedStackFixture<Stack>;

inline bool is_app(const FIX::Message& m) {
  const auto t = msg_type(m);
  return t == "8" || t == "9" || t == "r" || t == "j";
}

// Every report the brokers got on `symbol` (ExecutionReports; cancel rejects matched by `clordids`).
inline std::vector<FIX::Message> reports_on(const std::string& symbol, const std::set<std::string>& clordids = {}) {
  std::vector<FIX::Message> out;
  for (const char* comp : {"BRK1", "BRK2", "BRK3"}) {
    for (const auto& m : stack().venue().client_object(comp).all([&](const FIX::Message& m) {
           return is_app(m) && (field(m, FIX::FIELD::Symbol) == symbol ||
                                (msg_type(m) == "9" && clordids.contains(field(m, FIX::FIELD::ClOrdID))));
         })) {
      out.push_back(m);
    }
  }
  return out;
}

// The test's own connection, opened again after PostgreSQL was restarted.
inline pqxx::connection& db() {
  static std::unique_ptr<pqxx::connection> c;
  try {
    if (c) {
      pqxx::nontransaction tx(*c);
      tx.exec("select 1");
      return *c;
    }
  } catch (const pqxx::broken_connection&) {
    c.reset();
  }
  c = std::make_unique<pqxx::connection>(env("VENUE_PG_URL"));
  return *c;
}

inline std::uint64_t head_seq() {
  pqxx::nontransaction tx(db());
  return tx.exec1("select venue_seq from compliance.chain_head")[0].as<std::uint64_t>();
}

// The venue's last venue-seq Kafka acknowledged without gaps (venue_reports_published_seq).
inline std::uint64_t venue_published_seq() {
  const auto body = stack().venue().process().http("GET", "/metrics").body;
  return static_cast<std::uint64_t>(metric_value(body, "venue_reports_published_seq").value_or(0));
}

// Brings the venue's venue-seqs up to the chain's head. A case that produces records straight to the
// topic, above the venue's venue-seqs, leaves the head past the venue's own: compliance would skip the
// venue's next reports up to there as duplicates (a venue-seq at or below the head), and a case trading
// after it would find them nowhere. Resting orders on an instrument of their own (GAMMA-1 buys 1 @
// 90.00: one report each, no trade) use those venue-seqs up, whatever ran before.
inline void venue_up_to_chain_head(std::chrono::milliseconds timeout = 60s) {
  TestVenue& v = stack().venue();
  const std::string sym = v.symbol();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::uint64_t head = head_seq();
    const std::uint64_t published = venue_published_seq();
    if (published >= head) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      BOOST_FAIL("the venue's venue-seq " << published << " stayed below the chain's head " << head);
    }
    BOOST_TEST_MESSAGE("the chain's head " << head << " is past the venue's venue-seq " << published << ": "
                                           << head - published << " resting orders on " << sym);
    for (std::uint64_t i = published; i < head; ++i) {
      const std::string id = v.id("fill-up");
      v.client("BRK3").send(
          new_order({.clordid = id, .symbol = sym, .side = kBuy, .price = "90.00", .qty = "1", .account = "GAMMA-1"}));
      v.client("BRK3").expect(er(id, "0"), 10s);
    }
    // Kafka acknowledges them shortly after the brokers got them.
    for (int i = 0; i < 100 && venue_published_seq() < head; ++i) std::this_thread::sleep_for(100ms);
  }
}

// Waits until every ExecID of `reports` has an audit row; false on timeout.
inline bool wait_chained(const std::vector<FIX::Message>& reports, std::chrono::milliseconds timeout) {
  std::set<std::string> want;
  for (const auto& m : reports) {
    if (msg_type(m) == "8") want.insert(field(m, FIX::FIELD::ExecID));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::set<std::string> have;
    {
      pqxx::nontransaction tx(db());
      for (const auto& r : tx.exec("select exec_id from compliance.audit where exec_id is not null")) {
        have.insert(r[0].as<std::string>());
      }
    }
    if (std::includes(have.begin(), have.end(), want.begin(), want.end())) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// The chain's head once it equals the venue's published venue-seq: the venue idle, every report of it
// chained. Records produced straight to the topic take the venue-seqs after it.
inline std::uint64_t idle_chain_head() {
  for (int i = 0; i < 100 && venue_published_seq() != head_seq(); ++i) std::this_thread::sleep_for(100ms);
  const std::uint64_t h = head_seq();
  BOOST_TEST_REQUIRE(venue_published_seq() == h, "the venue's venue-seq is not the chain's head " << h);
  return h;
}

// The FIX fields of a raw message (first occurrence of each tag).
inline std::map<int, std::string> fields_of(const std::string& raw) {
  std::map<int, std::string> out;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    const auto eq = raw.find('=', pos);
    const auto end = raw.find('\x01', eq);
    if (eq == std::string::npos || end == std::string::npos) break;
    out.emplace(std::stoi(raw.substr(pos, eq - pos)), raw.substr(eq + 1, end - eq - 1));
    pos = end + 1;
  }
  return out;
}

inline Json export_audit(const std::string& extra = "") {
  const auto r = stack().cmd("export --kind audit --from 2000-01-01 --to 2100-01-01 --format json " + extra);
  BOOST_TEST_REQUIRE(r.rc == 0, r.out);
  return Json::parse(r.out);
}

// `pairs` crossing pairs on `symbol`: BRK2 sells 1 @ 100.00 (BETA-1), BRK1 buys 1 (ALPHA-1).
inline void cross(const std::string& symbol, int pairs) {
  TestVenue& v = stack().venue();
  for (int i = 0; i < pairs; ++i) {
    v.client("BRK2").send(new_order(
        {.clordid = v.id("s"), .symbol = symbol, .side = kSell, .price = "100.00", .qty = "1", .account = "BETA-1"}));
    v.client("BRK1").send(new_order(
        {.clordid = v.id("b"), .symbol = symbol, .side = kBuy, .price = "100.00", .qty = "1", .account = "ALPHA-1"}));
  }
}

// Waits until the brokers got `n` fills on `symbol`.
inline void expect_fills(const std::string& symbol, std::size_t n, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::size_t fills = 0;
    for (const auto& m : reports_on(symbol)) fills += field(m, 150) == "F" ? 1 : 0;
    if (fills >= n) return;
    std::this_thread::sleep_for(50ms);
  }
  BOOST_FAIL("the brokers did not get " << n << " fills on " << symbol);
}

// Every report on `symbol` is exactly one audit row (by ExecID), none twice, and the chain is intact.
inline void check_complete(const std::string& symbol) {
  const auto reports = reports_on(symbol);
  BOOST_TEST_REQUIRE(wait_chained(reports, 60s), "not every report of " << symbol << " reached the audit trail");
  std::map<std::string, int> rows;
  pqxx::nontransaction tx(db());
  for (const auto& r : tx.exec_params("select exec_id from compliance.audit where symbol = $1", symbol)) {
    ++rows[r[0].as<std::string>()];
  }
  std::set<std::string> want;
  for (const auto& m : reports) want.insert(field(m, FIX::FIELD::ExecID));
  BOOST_TEST(rows.size() == want.size(),
             symbol << ": " << rows.size() << " ExecIDs stored, " << want.size() << " reports received");
  for (const auto& [id, n] : rows) {
    BOOST_TEST(n == 1, "ExecID " << id << " stored " << n << " times");
    BOOST_TEST(want.contains(id), "ExecID " << id << " stored but no broker received it");
  }
  const auto v = stack().cmd("verify");
  BOOST_TEST(v.rc == 0, v.out);
}

inline Json alerts_of(const std::string& symbol) {
  const auto r = stack().cmd("alerts list --state all --format json");
  BOOST_TEST_REQUIRE(r.rc == 0, r.out);
  Json out = Json::array();
  for (const auto& a : Json::parse(r.out)) {
    if (a["symbol"] == symbol) out.push_back(a);
  }
  return out;
}

inline std::set<std::string> evidence_ids(const Json& alert) {
  std::set<std::string> out;
  for (const auto& e : alert["evidence"]) out.insert(e["exec_id"].get<std::string>());
  return out;
}

inline std::string exec_id_of(const std::string& comp, const std::string& clordid, const std::string& exec_type) {
  return field(stack().venue().client_object(comp).expect(er(clordid, exec_type)), FIX::FIELD::ExecID);
}

// The ExecIDs of one wash trade's two fills.
struct WashFills {
  std::string sell;
  std::string buy;
};

// `n` wash trades of the case's own on `symbol`, an instrument of its own: ALPHA-1 sells 1 @ 100.00 to
// ALPHA-2 (one owner), each raising one wash_trade alert; their reports chained. Earlier cases may have put
// the chain's head past the venue's venue-seqs: the venue is brought up to it first.
inline std::vector<WashFills> wash_trades(const std::string& symbol, int n) {
  venue_up_to_chain_head();
  TestVenue& v = stack().venue();
  std::vector<std::pair<std::string, std::string>> orders;
  for (int i = 0; i < n; ++i) {
    orders.emplace_back(v.id("ws"), v.id("wb"));
    v.client("BRK1").send(new_order({.clordid = orders.back().first,
                                     .symbol = symbol,
                                     .side = kSell,
                                     .price = "100.00",
                                     .qty = "1",
                                     .account = "ALPHA-1"}));
    v.client("BRK1").send(new_order({.clordid = orders.back().second,
                                     .symbol = symbol,
                                     .side = kBuy,
                                     .price = "100.00",
                                     .qty = "1",
                                     .account = "ALPHA-2"}));
  }
  std::vector<WashFills> out;
  out.reserve(orders.size());
  for (const auto& [sell, buy] : orders) out.push_back({exec_id_of("BRK1", sell, "F"), exec_id_of("BRK1", buy, "F")});
  BOOST_TEST_REQUIRE(wait_chained(reports_on(symbol), 30s), "the wash trades' reports did not reach the audit trail");
  return out;
}

// The alerts on `symbol` once there are `n`, or those there are after `timeout`. An alert is stored in the
// same transaction as the fill that raised it: it comes right after its fill is chained.
inline Json alerts_once(const std::string& symbol, std::size_t n, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    Json alerts = alerts_of(symbol);
    if (alerts.size() >= n || std::chrono::steady_clock::now() >= deadline) return alerts;
    std::this_thread::sleep_for(100ms);
  }
}

// n wash trades on `symbol` (wash_trades) and their alerts, required to be exactly n wash_trade alerts
// whose evidence is exactly those trades' fills.
inline void wash_alerts(const std::string& symbol, std::size_t n) {
  std::set<std::string> wash_fills;
  for (const auto& t : wash_trades(symbol, n)) wash_fills.insert({t.sell, t.buy});
  const Json mine = alerts_once(symbol, n);
  BOOST_TEST_REQUIRE(mine.size() == n, mine.dump());
  std::set<std::string> evidence;
  for (const auto& a : mine) {
    BOOST_TEST(a["rule"] == "wash_trade", a.dump());
    for (const auto& id : evidence_ids(a)) evidence.insert(id);
  }
  BOOST_TEST((evidence == wash_fills), mine.dump());
}

// A raw FIX message's body: what lies between BodyLength(9) and CheckSum(10).
inline std::string body_of(const std::string& raw) {
  const std::string body = raw.substr(raw.find('\x01', raw.find("9=")) + 1);
  return body.substr(0, body.rfind("10="));
}

// A FIX 4.4 message around a body, with its BodyLength and CheckSum made right.
inline std::string framed(const std::string& body) {
  std::string msg =
      "8=FIX.4.4\x01"
      "9=" +
      std::to_string(body.size()) + "\x01" + body;
  unsigned sum = 0;
  for (const unsigned char ch : msg) sum += ch;
  char cs[16];
  std::snprintf(cs, sizeof cs, "10=%03u\x01", sum % 256);
  return msg + cs;
}

// A stored report sent again with PossResend(97)=Y (BodyLength and CheckSum made right).
inline std::string poss_resend_of(const std::string& raw) {
  std::string body = body_of(raw);
  const auto at = body.find(
      "\x01"
      "52=");
  body.insert(at + 1, "97=Y\x01");
  return framed(body);
}

// The running service's view of what it holds (compliance.service_state, rewritten about once a second).
inline Json service_state() {
  pqxx::nontransaction tx(db());
  const auto r = tx.exec("select state::text from compliance.service_state");
  return r.empty() ? Json::object() : Json::parse(r[0][0].as<std::string>());
}

}  // namespace compliance_e2e

using namespace compliance_e2e;
