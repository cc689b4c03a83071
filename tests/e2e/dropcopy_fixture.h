#pragma once
// The drop-copy end-to-end suite's stack and helpers (dropcopy_test.cpp, dropcopy_recovery_test.cpp: one
// program, one stack started once for all their cases).

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "e2e/support/kafka_broker.h"
#include "e2e/support/shared_stack.h"
#include "e2e/support/suite.h"

using namespace venue::e2e;
using namespace std::chrono_literals;

namespace dropcopy_e2e {

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    throw std::runtime_error(std::string(name) + " is not set: run under deploy/local/with-services --kafka");
  }
  return v;
}

// The venue (with Kafka), the dropcopy process and the drop-copy clients of this program.
class Stack {
 public:
  Stack() {
    topic_ = "venue.execution-reports.e2e-" + std::to_string(::getpid());
    // Several partitions, so per-order ordering is not a gift of a single partition.
    KafkaBroker::create_topic(topic_, 4);
    // Over TLS (issue 11, 15): the venue's producer and the drop copy's consumer both reach the broker's
    // TLS listener and check its certificate against the CA deploy/local/services made for it.
    const std::string kafka = "\n[kafka]\nbrokers = \"" + env("VENUE_KAFKA_TLS_BROKERS") +
                              "\"\nsecurity_protocol = \"ssl\"\nssl_ca_file = \"" + env("VENUE_KAFKA_CA_FILE") +
                              "\"\ntopic = \"" + topic_ + "\"\n";
    venue_ = std::make_unique<TestVenue>("dropcopy", kafka);
    dc_port_ = free_port();
    dc_metrics_ = free_port();
    write_dropcopy_config(kafka);
    dropcopy_ =
        std::make_unique<VenueProcess>(dir() / "dropcopy.toml", dir() / "dropcopy.log", dc_metrics_, "dropcopy");
    dropcopy_->start();
  }

  ~Stack() {
    dc_clients_.clear();
    if (dropcopy_ && dropcopy_->running()) dropcopy_->stop();
  }

  TestVenue& venue() { return *venue_; }
  VenueProcess& dropcopy() { return *dropcopy_; }
  const std::filesystem::path& dir() const { return venue_->dir(); }
  std::uint16_t dc_port() const { return dc_port_; }

  // A drop-copy client, logged on.
  FixClient& dc(const std::string& comp_id) {
    auto it = dc_clients_.find(comp_id);
    if (it == dc_clients_.end()) {
      it = dc_clients_.emplace(comp_id, std::make_unique<FixClient>(dc_options(comp_id))).first;
    }
    if (!it->second->logged_on()) {
      it->second->close();
      it->second->logon(20s);
    }
    return *it->second;
  }

  ClientOptions dc_options(const std::string& comp_id) const {
    ClientOptions o;
    o.sender = comp_id;
    o.target = "VENUEDC";
    o.port = dc_port_;
    o.username = comp_id == "DCALPHA" ? "dcalpha" : comp_id == "DCFILLS" ? "dcfills" : "dcacct";
    o.password = kPassword;
    o.dir = dir() / "dc-clients";
    return o;
  }

  // Restarts dropcopy so that it kills itself (SIGKILL) once the batch holding its `copies`-th copy is
  // stored and sent, before the batch's offsets are committed.
  void restart_dropcopy_dying_after(int copies) {
    BOOST_TEST(dropcopy_->stop() == 0);
    dropcopy_->set_environment("VENUE_DROPCOPY_KILL_AFTER_COPIES", std::to_string(copies));
    dropcopy_->start();
    dropcopy_->set_environment("VENUE_DROPCOPY_KILL_AFTER_COPIES", "");
  }

  void expect_dropcopy_killed_itself() {
    BOOST_TEST(dropcopy_->wait_exit(30s) == 128 + SIGKILL, "dropcopy did not kill itself; log:\n"
                                                               << dropcopy_->log_tail());
  }

  // Forgets a drop-copy client and its FIX files, as if the officer started on a new machine.
  void forget_dc(const std::string& comp_id) {
    dc_clients_.erase(comp_id);
    std::filesystem::remove_all(dir() / "dc-clients" / comp_id);
  }

  // Deletes the dropcopy service's store (and cursor) of one session; dropcopy must be stopped.
  void lose_dc_store(const std::string& comp_id) {
    int removed = 0;
    for (const auto& f : std::filesystem::directory_iterator(dir() / "dropcopy" / "fixstore")) {
      if (f.path().filename().string().rfind("FIX.4.4-VENUEDC-" + comp_id + ".", 0) == 0) {
        std::filesystem::remove(f.path());
        ++removed;
      }
    }
    if (removed == 0) throw std::runtime_error("no store files of " + comp_id);
  }

  // A value from dropcopy's /metrics, e.g. metric("dropcopy_copies_delivered_total{session=\"DCFILLS\"}").
  double metric(const std::string& series) const {
    return metric_value(dropcopy_->http("GET", "/metrics").body, series).value_or(-1);
  }

  // What dropcopy says of its reading (records read, lag per partition, copies per session), for a
  // failure message: a copy that never came is then either not read or not copied.
  std::string reading() const {
    const auto body = dropcopy_->http("GET", "/metrics").body;
    std::string out;
    std::size_t at = 0;
    while (at < body.size()) {
      std::size_t end = body.find('\n', at);
      if (end == std::string::npos) end = body.size();
      const std::string line = body.substr(at, end - at);
      for (const char* name :
           {"dropcopy_reports_consumed_total", "dropcopy_consumer_lag{", "dropcopy_copies_delivered_total{"}) {
        if (line.rfind(name, 0) == 0) out += "  " + line + "\n";
      }
      at = end + 1;
    }
    return out;
  }

  void keep_files() { venue_->keep_files(); }

 private:
  void write_dropcopy_config(const std::string& kafka) {
    std::string hash = run_command("echo '" + std::string(kPassword) + "' | '" + (bin_dir() / "venue-passwd").string() +
                                   "' --iterations 1000");
    while (!hash.empty() && (hash.back() == '\n' || hash.back() == '\r')) hash.pop_back();
    std::string t = "# Written by tests/e2e/dropcopy_test.cpp.\n[dropcopy]\ncomp_id = \"VENUEDC\"\n";
    t += "fix_port = " + std::to_string(dc_port_) + "\nmetrics_port = " + std::to_string(dc_metrics_) + "\n";
    t += "store_dir = \"dropcopy/fixstore\"\n";
    t += "data_dictionary = \"" + (source_dir() / "spec" / "fix" / "VENUE-FIX44.xml").string() + "\"\n";
    // Small batches: a SIGKILL lands between a store and a commit more often. A group of its own per run
    // (like the topic): a static member that comes back subscribed to another topic keeps the partitions
    // it had (the broker does not rebalance for it), so a second run on the same broker got no copies.
    t += kafka + "group_id = \"dropcopy-e2e-" + std::to_string(::getpid()) + "\"\nmax_batch = 50\n";
    auto session = [&](const char* comp, const char* user, const std::string& extra) {
      t += "\n[[session]]\nsender_comp_id = \"" + std::string(comp) + "\"\nusername = \"" + user +
           "\"\npassword_hash = \"" + hash + "\"\n" + extra;
    };
    session("DCALPHA", "dcalpha", "scope = \"firms\"\nfirms = [\"ALPHA\"]\n");
    session("DCFILLS", "dcfills", "scope = \"all\"\nlevel = \"fills\"\n");
    session("DCACCT", "dcacct", "scope = \"accounts\"\naccounts = [\"BETA-2\"]\n");
    std::ofstream(dir() / "dropcopy.toml") << t;
  }

  std::string topic_;
  std::unique_ptr<TestVenue> venue_;
  std::uint16_t dc_port_ = 0;
  std::uint16_t dc_metrics_ = 0;
  std::unique_ptr<VenueProcess> dropcopy_;
  std::map<std::string, std::unique_ptr<FixClient>> dc_clients_;
};

inline Stack& stack() { return shared_stack<Stack>(); }
using StackFixture = SharedStackFixture<Stack>;

inline bool is_report(const FIX::Message& m) { return msg_type(m) == "8"; }
// A report the venue sent again (after a crash) carries PossResend(97)=Y; such a copy may repeat an
// ExecID. PossDupFlag(43)=Y does not excuse a repeat: QuickFIX hands a FIX resend to the application
// only when it fills a gap, so a message seen twice at this level was stored twice.
inline bool marked(const FIX::Message& m) { return find_field(m, FIX::FIELD::PossResend) == "Y"; }

// The ExecutionReports a client got for a symbol, in arrival order.
inline std::vector<FIX::Message> reports(const FixClient& c, const std::string& symbol) {
  return c.all([&](const FIX::Message& m) { return is_report(m) && field(m, FIX::FIELD::Symbol) == symbol; });
}

inline std::set<std::string> exec_ids(const std::vector<FIX::Message>& ms) {
  std::set<std::string> out;
  for (const auto& m : ms) out.insert(field(m, FIX::FIELD::ExecID));
  return out;
}

// Waits until `c` holds copies of every ExecID in `want` (for `symbol`); false on timeout.
inline bool wait_for_copies(const FixClient& c, const std::string& symbol, const std::set<std::string>& want,
                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto have = exec_ids(reports(c, symbol));
    if (std::includes(have.begin(), have.end(), want.begin(), want.end())) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// The ExecIDs of each order (OrderID), first arrival only, in arrival order.
inline std::map<std::string, std::vector<std::string>> per_order(const std::vector<FIX::Message>& ms) {
  std::map<std::string, std::vector<std::string>> out;
  std::set<std::string> seen;
  for (const auto& m : ms) {
    const auto exec_id = field(m, FIX::FIELD::ExecID);
    if (!seen.insert(exec_id).second) continue;
    out[field(m, FIX::FIELD::OrderID)].push_back(exec_id);
  }
  return out;
}

// What the drop copy must show: every report the brokers got (`expected`) is there, each copy marked
// as a copy, nothing else is there, nothing is there twice unless the venue itself sent it again
// (PossResend), and each order's reports are in the broker's order.
inline void check_copies(const std::vector<FIX::Message>& copies, const std::vector<FIX::Message>& expected) {
  const auto want = exec_ids(expected);
  const auto have = exec_ids(copies);
  std::vector<std::string> missing;
  std::vector<std::string> extra;
  std::set_difference(want.begin(), want.end(), have.begin(), have.end(), std::back_inserter(missing));
  std::set_difference(have.begin(), have.end(), want.begin(), want.end(), std::back_inserter(extra));
  BOOST_TEST(missing.empty(), missing.size() << " reports missing from the drop copy, e.g. ExecID "
                                             << (missing.empty() ? "" : missing.front()));
  BOOST_TEST(extra.empty(),
             extra.size() << " copies of reports not in scope, e.g. ExecID " << (extra.empty() ? "" : extra.front()));
  std::map<std::string, int> unmarked;
  std::set<std::string> venue_seqs;
  for (const auto& m : copies) {
    BOOST_TEST_CONTEXT(printable(m)) {
      BOOST_TEST(field(m, 797) == "Y");
      BOOST_TEST(!field(m, 8001).empty());
    }
    if (!marked(m)) ++unmarked[field(m, FIX::FIELD::ExecID)];
    // Every report the venue sent has its own VenueSequence: seen twice, it was copied twice.
    const bool fresh = venue_seqs.insert(field(m, 8001)).second;
    BOOST_TEST(fresh, "VenueSequence " << field(m, 8001) << " copied twice: " << printable(m));
  }
  for (const auto& [exec_id, n] : unmarked) {
    BOOST_TEST(n == 1, "ExecID " << exec_id << " arrived " << n << " times without PossResend");
  }
  BOOST_TEST(per_order(copies) == per_order(expected), "the reports of some order arrived in another order");
}

// Fields a copy must carry exactly as the broker got them.
inline constexpr int kBodyTags[] = {37, 17, 11, 41, 150, 39, 1, 55, 54, 38, 44, 32, 31, 14, 151, 6, 60};

// `pairs` crossing pairs on `symbol`: BRK2 sells 1 @ 100.00 (BETA-1), BRK1 buys 1 @ 100.00 (ALPHA-1),
// sent without waiting for answers. Returns the ClOrdIDs of BRK1's buys.
inline std::vector<std::string> cross(const std::string& symbol, int pairs, const std::string& tag) {
  TestVenue& v = stack().venue();
  FixClient& brk1 = v.client("BRK1");
  FixClient& brk2 = v.client("BRK2");
  std::vector<std::string> buys;
  for (int i = 0; i < pairs; ++i) {
    brk2.send(new_order({.clordid = v.id(tag + "-s"),
                         .symbol = symbol,
                         .side = kSell,
                         .price = "100.00",
                         .qty = "1",
                         .account = "BETA-1"}));
    buys.push_back(v.id(tag + "-b"));
    brk1.send(new_order(
        {.clordid = buys.back(), .symbol = symbol, .side = kBuy, .price = "100.00", .qty = "1", .account = "ALPHA-1"}));
  }
  return buys;
}

// Waits until BRK1 got a fill for every one of `buys`.
inline void expect_all_filled(const std::vector<std::string>& buys, std::chrono::milliseconds timeout) {
  FixClient& brk1 = stack().venue().client_object("BRK1");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::set<std::string> want(buys.begin(), buys.end());
  while (std::chrono::steady_clock::now() < deadline) {
    std::set<std::string> filled;
    for (const auto& m : brk1.all([](const FIX::Message& m) { return is_report(m) && field(m, 150) == "F"; })) {
      filled.insert(field(m, FIX::FIELD::ClOrdID));
    }
    if (std::includes(filled.begin(), filled.end(), want.begin(), want.end())) return;
    std::this_thread::sleep_for(50ms);
  }
  BOOST_FAIL("BRK1 did not get a fill for each of its " << buys.size() << " buys in time; last messages:\n"
                                                        << brk1.recent());
}

// Every fill (both sides) the brokers got on `symbol`.
inline std::vector<FIX::Message> fills_of(TestVenue& v, const std::string& symbol) {
  std::vector<FIX::Message> out;
  for (const char* comp : {"BRK1", "BRK2"}) {
    for (const auto& m : reports(v.client_object(comp), symbol)) {
      if (field(m, 150) == "F") out.push_back(m);
    }
  }
  return out;
}

}  // namespace dropcopy_e2e

using namespace dropcopy_e2e;
