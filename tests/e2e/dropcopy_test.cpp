#define BOOST_TEST_MODULE e2e_dropcopy
// Drop copy end to end, as a compliance officer lives through it: the real venue publishes its
// execution reports to the real Kafka broker, the real `dropcopy` process copies them to FIX drop-copy
// sessions, and QuickFIX initiators play the brokers and the compliance officers. Then the venue, Kafka
// and dropcopy fail at awkward moments, and every copy must still arrive: nothing missing, nothing
// duplicated unless the venue marked its resend (PossResend(97)), the reports of each order in the order the broker
// got them.
//
// Needs Kafka: run under deploy/local/with-services (ci/test does), which sets VENUE_KAFKA_TLS_BROKERS,
// VENUE_KAFKA_CA_FILE and VENUE_SERVICES_DIR (to stop and start the broker). Every report goes through
// the broker's TLS listener: the venue publishes and the drop copy consumes with security_protocol "ssl".
//
// Drop-copy sessions (target VENUEDC):
//   DCALPHA  scope firms ["ALPHA"], every ExecutionReport
//   DCFILLS  scope all, fills only
//   DCACCT   scope accounts ["BETA-2"]
// Brokers (tests/e2e/support/test_venue.h): BRK1 is firm ALPHA, BRK2 firm BETA, BRK3 firm GAMMA.
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

namespace {

std::string env(const char* name) {
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

Stack& stack() { return shared_stack<Stack>(); }
using StackFixture = SharedStackFixture<Stack>;

bool is_report(const FIX::Message& m) { return msg_type(m) == "8"; }
// A report the venue sent again (after a crash) carries PossResend(97)=Y; such a copy may repeat an
// ExecID. PossDupFlag(43)=Y does not excuse a repeat: QuickFIX hands a FIX resend to the application
// only when it fills a gap, so a message seen twice at this level was stored twice.
bool marked(const FIX::Message& m) { return find_field(m, FIX::FIELD::PossResend) == "Y"; }

// The ExecutionReports a client got for a symbol, in arrival order.
std::vector<FIX::Message> reports(const FixClient& c, const std::string& symbol) {
  return c.all([&](const FIX::Message& m) { return is_report(m) && field(m, FIX::FIELD::Symbol) == symbol; });
}

std::set<std::string> exec_ids(const std::vector<FIX::Message>& ms) {
  std::set<std::string> out;
  for (const auto& m : ms) out.insert(field(m, FIX::FIELD::ExecID));
  return out;
}

// Waits until `c` holds copies of every ExecID in `want` (for `symbol`); false on timeout.
bool wait_for_copies(const FixClient& c, const std::string& symbol, const std::set<std::string>& want,
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
std::map<std::string, std::vector<std::string>> per_order(const std::vector<FIX::Message>& ms) {
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
void check_copies(const std::vector<FIX::Message>& copies, const std::vector<FIX::Message>& expected) {
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
constexpr int kBodyTags[] = {37, 17, 11, 41, 150, 39, 1, 55, 54, 38, 44, 32, 31, 14, 151, 6, 60};

// `pairs` crossing pairs on `symbol`: BRK2 sells 1 @ 100.00 (BETA-1), BRK1 buys 1 @ 100.00 (ALPHA-1),
// sent without waiting for answers. Returns the ClOrdIDs of BRK1's buys.
std::vector<std::string> cross(const std::string& symbol, int pairs, const std::string& tag) {
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
void expect_all_filled(const std::vector<std::string>& buys, std::chrono::milliseconds timeout) {
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
std::vector<FIX::Message> fills_of(TestVenue& v, const std::string& symbol) {
  std::vector<FIX::Message> out;
  for (const char* comp : {"BRK1", "BRK2"}) {
    for (const auto& m : reports(v.client_object(comp), symbol)) {
      if (field(m, 150) == "F") out.push_back(m);
    }
  }
  return out;
}

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(StackFixture);

BOOST_AUTO_TEST_SUITE(dropcopy)

BOOST_AUTO_TEST_CASE(each_session_gets_exactly_its_scope_in_order) {
  Stack& s = stack();
  TestVenue& v = s.venue();
  FixClient& alpha = s.dc("DCALPHA");
  FixClient& fills = s.dc("DCFILLS");
  FixClient& acct = s.dc("DCACCT");
  FixClient& brk1 = v.client("BRK1");
  FixClient& brk2 = v.client("BRK2");
  FixClient& brk3 = v.client("BRK3");
  const std::string sym = v.symbol();

  // A day of one instrument: resting orders, partial and full fills on both sides, a replace, a cancel,
  // a refused order, and trading between two other firms.
  const std::string sell = v.id("sell");
  brk2.send(
      new_order({.clordid = sell, .symbol = sym, .side = kSell, .price = "100.00", .qty = "30", .account = "BETA-1"}));
  brk2.expect(er(sell, "0"));
  const std::string buy = v.id("buy");
  brk1.send(
      new_order({.clordid = buy, .symbol = sym, .side = kBuy, .price = "100.00", .qty = "10", .account = "ALPHA-1"}));
  brk1.expect(er(buy, "F"));
  const std::string rest = v.id("rest");
  brk1.send(
      new_order({.clordid = rest, .symbol = sym, .side = kBuy, .price = "99.00", .qty = "20", .account = "ALPHA-2"}));
  brk1.expect(er(rest, "0"));
  const std::string moved = v.id("moved");
  brk1.send(replace_request({.clordid = moved,
                             .orig_clordid = rest,
                             .symbol = sym,
                             .side = kBuy,
                             .price = "100.00",
                             .qty = "25",
                             .account = "ALPHA-2"}));
  brk1.expect(er(moved, "5"));
  brk1.expect(er(moved, "F"));  // it crossed the rest of the sell
  const std::string big = v.id("big");
  brk1.send(
      new_order({.clordid = big, .symbol = sym, .side = kBuy, .price = "98.00", .qty = "5", .account = "ALPHA-1"}));
  brk1.expect(er(big, "0"));
  const std::string gone = v.id("gone");
  brk1.send(cancel_request({.clordid = gone, .orig_clordid = big, .side = kBuy, .symbol = sym, .account = "ALPHA-1"}));
  brk1.expect(er(gone, "4"));
  const std::string bad = v.id("bad");
  brk1.send(
      new_order({.clordid = bad, .symbol = sym, .side = kBuy, .price = "100.001", .qty = "1", .account = "ALPHA-1"}));
  brk1.expect(er(bad, "8"));
  const std::string b2 = v.id("beta2");
  brk2.send(
      new_order({.clordid = b2, .symbol = sym, .side = kSell, .price = "101.00", .qty = "7", .account = "BETA-2"}));
  brk2.expect(er(b2, "0"));
  const std::string g = v.id("gamma");
  brk3.send(
      new_order({.clordid = g, .symbol = sym, .side = kBuy, .price = "101.00", .qty = "7", .account = "GAMMA-1"}));
  brk3.expect(er(g, "F"));
  brk2.expect(er(b2, "F"));

  const auto brk1_reports = reports(brk1, sym);
  const auto brk2_reports = reports(brk2, sym);
  const auto brk3_reports = reports(brk3, sym);
  // The first copies after the stack's start: on a loaded machine the broker, started a moment ago,
  // can take several seconds to answer the drop copy's first requests (seen in CI: 11 s, then half the
  // partitions later still), so this waits longer than a copy normally takes.
  BOOST_TEST_REQUIRE(wait_for_copies(alpha, sym, exec_ids(brk1_reports), 60s), "DCALPHA:\n"
                                                                                   << alpha.recent()
                                                                                   << "dropcopy's reading:\n"
                                                                                   << s.reading());

  // DCALPHA: every report of firm ALPHA (BRK1), each exactly as BRK1 got it, nothing of BETA or GAMMA.
  BOOST_TEST(alpha.none_within(of_type("8").with(FIX::FIELD::Account, "BETA-1"), 500ms));
  const auto alpha_copies = reports(alpha, sym);
  check_copies(alpha_copies, brk1_reports);
  std::map<std::string, const FIX::Message*> by_exec_id;
  for (const auto& m : brk1_reports) by_exec_id[field(m, FIX::FIELD::ExecID)] = &m;
  for (const auto& copy : alpha_copies) {
    const auto it = by_exec_id.find(field(copy, FIX::FIELD::ExecID));
    if (it == by_exec_id.end()) continue;
    for (int tag : kBodyTags) {
      BOOST_TEST((find_field(copy, tag) == find_field(*it->second, tag)),
                 "tag " << tag << " differs: copy " << printable(copy) << " vs broker's " << printable(*it->second));
    }
  }

  // DCFILLS: the fills of every firm, and nothing else.
  std::vector<FIX::Message> all_fills;
  for (const auto* rs : {&brk1_reports, &brk2_reports, &brk3_reports}) {
    for (const auto& m : *rs) {
      if (field(m, 150) == "F") all_fills.push_back(m);
    }
  }
  BOOST_TEST(all_fills.size() == 6u);  // three trades (10, 20 and 7), a fill for each side of each
  BOOST_TEST_REQUIRE(wait_for_copies(fills, sym, exec_ids(all_fills), 60s), "DCFILLS:\n"
                                                                                << fills.recent()
                                                                                << "dropcopy's reading:\n"
                                                                                << s.reading());
  BOOST_TEST(fills.none_within(of_type("8").with(150, "0"), 300ms));
  check_copies(reports(fills, sym), all_fills);

  // DCACCT: account BETA-2 only (its ack and its fill).
  std::vector<FIX::Message> beta2;
  for (const auto& m : brk2_reports) {
    if (field(m, FIX::FIELD::Account) == "BETA-2") beta2.push_back(m);
  }
  BOOST_TEST(beta2.size() == 2u);
  BOOST_TEST_REQUIRE(wait_for_copies(acct, sym, exec_ids(beta2), 20s), "DCACCT:\n" << acct.recent());
  check_copies(reports(acct, sym), beta2);
}

BOOST_AUTO_TEST_CASE(a_drop_copy_client_cannot_enter_orders) {
  FixClient& alpha = stack().dc("DCALPHA");
  const std::size_t from = alpha.count();
  alpha.send(new_order({.clordid = "dc-order", .symbol = "S001", .side = kBuy, .price = "100.00", .qty = "1"}));
  const auto reject = alpha.expect(of_type("j"), 5s, from);
  check_business_reject(reject, 2001);
}

BOOST_AUTO_TEST_CASE(a_wrong_password_is_refused) {
  ClientOptions o = stack().dc_options("DCACCT");
  o.sender = "DCACCT";
  o.password = "not-the-password";
  o.dir = stack().dir() / "dc-clients-bad";
  FixClient intruder(o);
  intruder.connect();
  BOOST_TEST(!intruder.wait_logged_on(2s), "a Logon with a wrong password was accepted");
}

BOOST_AUTO_TEST_CASE(dropcopy_killed_mid_stream_loses_nothing) {
  Stack& s = stack();
  TestVenue& v = s.venue();
  const std::string sym = v.symbol();
  std::vector<std::string> buys;

  // 1. SIGKILL from outside once copies are flowing; started again while the load goes on.
  FixClient& alpha = s.dc("DCALPHA");
  std::thread load([&] { buys = cross(sym, 400, "kill-dc"); });
  const auto flowing = [&] { return reports(alpha, sym).size() >= 100; };
  // Up to 60 s: a drop copy whose first Kafka connection fails (seen in CI: the TLS metadata request
  // timed out once, "Kafka not reachable: the copies wait") reads 13 s after its start; 10 s was too
  // short for that, and the drop copy's own behaviour (wait, then copy everything) is what is tested.
  for (int i = 0; i < 2400 && !flowing(); ++i) std::this_thread::sleep_for(25ms);
  BOOST_TEST(flowing(), "copies did not start flowing");
  ::kill(s.dropcopy().pid(), SIGKILL);
  BOOST_TEST(s.dropcopy().stop() == 128 + SIGKILL);
  load.join();
  s.dropcopy().start();
  alpha.wait_logged_out(5s);

  // 2. It dies after a batch is stored and sent, before its offsets are committed. After the restart
  // those records are read again and must not be copied a second time.
  s.dc("DCALPHA");
  s.restart_dropcopy_dying_after(175);
  const auto more = cross(sym, 300, "kill-dc2");
  buys.insert(buys.end(), more.begin(), more.end());
  s.expect_dropcopy_killed_itself();
  s.dropcopy().start();
  alpha.wait_logged_out(5s);

  FixClient& again = s.dc("DCALPHA");  // logs on again; the FIX resend fills its gap
  expect_all_filled(buys, 30s);
  const auto brk1_reports = reports(v.client_object("BRK1"), sym);
  BOOST_TEST(brk1_reports.size() == 1400u);  // an ack and a fill for each of 700 buys
  BOOST_TEST_REQUIRE(wait_for_copies(again, sym, exec_ids(brk1_reports), 30s), "DCALPHA:\n" << again.recent());
  check_copies(reports(again, sym), brk1_reports);
  // The fills-only session too.
  FixClient& fills = s.dc("DCFILLS");
  const auto all_fills = fills_of(v, sym);
  BOOST_TEST_REQUIRE(wait_for_copies(fills, sym, exec_ids(all_fills), 30s));
  check_copies(reports(fills, sym), all_fills);
}

BOOST_AUTO_TEST_CASE(kafka_down_mid_load_every_report_arrives_once) {
  Stack& s = stack();
  TestVenue& v = s.venue();
  FixClient& alpha = s.dc("DCALPHA");
  FixClient& brk1 = v.client("BRK1");
  const std::string sym = v.symbol();
  auto first = cross(sym, 100, "kafka-a");
  expect_all_filled(first, 20s);
  KafkaBroker::service("stop");
  // The venue keeps trading while Kafka is down.
  auto second = cross(sym, 200, "kafka-b");
  expect_all_filled(second, 20s);
  KafkaBroker::service("start");
  auto third = cross(sym, 100, "kafka-c");
  expect_all_filled(third, 30s);
  const auto brk1_reports = reports(brk1, sym);
  BOOST_TEST(brk1_reports.size() == 800u);
  BOOST_TEST_REQUIRE(wait_for_copies(alpha, sym, exec_ids(brk1_reports), 60s), "DCALPHA:\n" << alpha.recent());
  const auto copies = reports(alpha, sym);
  check_copies(copies, brk1_reports);
  // Nothing failed but Kafka: every report exactly once, none marked as a resend.
  BOOST_TEST(copies.size() == brk1_reports.size());
  for (const auto& m : copies) BOOST_TEST(!marked(m), printable(m));
}

BOOST_AUTO_TEST_CASE(venue_restarts_resume_publishing_without_gap_or_unmarked_duplicate) {
  Stack& s = stack();
  TestVenue& v = s.venue();
  FixClient& alpha = s.dc("DCALPHA");
  const std::string sym = v.symbol();
  auto before = cross(sym, 100, "restart-a");
  expect_all_filled(before, 20s);
  // A clean stop (SIGTERM) and restart.
  BOOST_TEST(v.stop() == 0);
  v.start();
  auto after = cross(sym, 100, "restart-b");
  expect_all_filled(after, 20s);
  // A crash (SIGKILL) right after a burst, while reports are still being published.
  auto burst = cross(sym, 200, "crash");
  std::this_thread::sleep_for(30ms);
  ::kill(v.process().pid(), SIGKILL);
  BOOST_TEST(v.process().stop() == 128 + SIGKILL);
  for (const char* comp : {"BRK1", "BRK2"}) v.client_object(comp).close();
  v.start();
  v.client("BRK1");  // log on again: each side resends what the other missed
  v.client("BRK2");
  expect_all_filled(burst, 30s);
  expect_all_filled(after, 1s);
  // A crash while Kafka is down: the reports not yet published wait in the report log, and the
  // restarted venue publishes them from its persisted cursor once Kafka is back.
  KafkaBroker::service("stop");
  auto unpublished = cross(sym, 100, "restart-c");
  expect_all_filled(unpublished, 20s);
  ::kill(v.process().pid(), SIGKILL);
  BOOST_TEST(v.process().stop() == 128 + SIGKILL);
  for (const char* comp : {"BRK1", "BRK2"}) v.client_object(comp).close();
  v.start();
  auto later = cross(sym, 50, "restart-d");
  expect_all_filled(later, 20s);
  KafkaBroker::service("start");
  const auto brk1_reports = reports(v.client_object("BRK1"), sym);
  BOOST_TEST_REQUIRE(wait_for_copies(alpha, sym, exec_ids(brk1_reports), 60s), "DCALPHA:\n" << alpha.recent());
  check_copies(reports(alpha, sym), brk1_reports);
  // VenueSequence grows along each order across both restarts: the publish cursor resumed where it
  // was, it did not start over (that would copy old reports again, which check_copies refuses).
  std::map<std::string, std::uint64_t> last;
  for (const auto& m : reports(alpha, sym)) {
    if (marked(m)) continue;
    const auto seq = std::stoull(field(m, 8001));
    auto& prev = last[field(m, FIX::FIELD::OrderID)];
    BOOST_TEST(seq > prev, "VenueSequence went back within an order: " << printable(m));
    prev = seq;
  }
}

BOOST_AUTO_TEST_CASE(copies_read_again_after_a_crash_are_recognised_behind_many_logons) {
  // The service recognises copies it stored but never committed by reading its stores back. Logons,
  // Logouts and heartbeats take sequence numbers without being stored; many of them after such copies
  // must not hide the copies from that read-back.
  Stack& s = stack();
  TestVenue& v = s.venue();
  FixClient& alpha = s.dc("DCALPHA");
  s.restart_dropcopy_dying_after(120);
  const std::string sym = v.symbol();
  auto buys = cross(sym, 150, "many-logons");
  s.expect_dropcopy_killed_itself();
  expect_all_filled(buys, 30s);
  // Back without Kafka (nothing is read or committed), while the officer logs on and off 150 times.
  KafkaBroker::service("stop");
  s.dropcopy().start();
  alpha.wait_logged_out(5s);
  for (int i = 0; i < 150; ++i) {
    alpha.close();
    alpha.logon(10s);
    alpha.logout();
  }
  BOOST_TEST(s.dropcopy().stop() == 0);
  KafkaBroker::service("start");
  s.dropcopy().start();
  alpha.close();
  alpha.logon(20s);
  const auto brk1_reports = reports(v.client_object("BRK1"), sym);
  BOOST_TEST(brk1_reports.size() == 300u);
  BOOST_TEST_REQUIRE(wait_for_copies(alpha, sym, exec_ids(brk1_reports), 30s), "DCALPHA:\n" << alpha.recent());
  check_copies(reports(alpha, sym), brk1_reports);
}

BOOST_AUTO_TEST_CASE(a_session_whose_store_was_lost_is_caught_up_from_kafka) {
  Stack& s = stack();
  TestVenue& v = s.venue();
  const std::string sym = v.symbol();
  auto before = cross(sym, 30, "lost-a");
  expect_all_filled(before, 20s);
  FixClient& alpha = s.dc("DCALPHA");
  BOOST_TEST_REQUIRE(wait_for_copies(alpha, sym, exec_ids(reports(v.client_object("BRK1"), sym)), 20s));

  // The disk of dropcopy loses DCALPHA's store while it is stopped; the officer starts afresh too. The
  // group's offsets are past every one of those reports, so only Kafka still has them.
  BOOST_TEST(s.dropcopy().stop() == 0);
  s.lose_dc_store("DCALPHA");
  s.forget_dc("DCALPHA");
  // Another session's cursor is damaged: the service says so and checks that store against Kafka.
  std::ofstream(s.dir() / "dropcopy" / "fixstore" / "FIX.4.4-VENUEDC-DCACCT.cursor") << "stored=lots\n";
  auto while_down = cross(sym, 20, "lost-b");
  expect_all_filled(while_down, 20s);
  s.dropcopy().start();

  FixClient& fresh = s.dc("DCALPHA");
  const auto brk1_reports = reports(v.client_object("BRK1"), sym);
  BOOST_TEST(brk1_reports.size() == 100u);
  BOOST_TEST_REQUIRE(wait_for_copies(fresh, sym, exec_ids(brk1_reports), 30s), "DCALPHA:\n" << fresh.recent());
  check_copies(reports(fresh, sym), brk1_reports);
  // The copies made before the loss came back from Kafka, marked as possibly sent before.
  const std::set<std::string> lost_orders(before.begin(), before.end());
  int marked_copies = 0;
  for (const auto& m : reports(fresh, sym)) {
    if (!lost_orders.contains(field(m, FIX::FIELD::ClOrdID))) continue;
    BOOST_TEST(marked(m), printable(m));
    ++marked_copies;
  }
  BOOST_TEST(marked_copies == 60);
  BOOST_TEST(s.metric("dropcopy_copies_caught_up_total{session=\"DCALPHA\"}") >= 60);
  std::ifstream log(s.dropcopy().log_file());
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  BOOST_TEST(text.find("DC001 drop-copy cursor file unreadable") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_client_that_resets_on_logon_gets_what_it_missed_and_nothing_it_had) {
  Stack& s = stack();
  TestVenue& v = s.venue();
  s.dc("DCFILLS").logout();
  ClientOptions o = s.dc_options("DCFILLS");
  o.reset_seq_num = true;  // ResetSeqNumFlag=Y on every Logon: a FIX resend can never fill its gaps
  o.dir = s.dir() / "dc-clients-reset";
  FixClient fills(o);
  fills.logon(20s);

  // Online: it gets the fills as they happen.
  const std::string seen = v.symbol();
  auto online = cross(seen, 20, "reset-a");
  expect_all_filled(online, 20s);
  BOOST_TEST_REQUIRE(wait_for_copies(fills, seen, exec_ids(fills_of(v, seen)), 20s));
  fills.logout();

  // Offline: the fills are stored for it, then its Logon resets the sequence numbers (and the store).
  const std::string missed = v.symbol();
  const double delivered_before = s.metric("dropcopy_copies_delivered_total{session=\"DCFILLS\"}");
  auto offline = cross(missed, 30, "reset-b");
  expect_all_filled(offline, 20s);
  for (int i = 0; i < 200 && s.metric("dropcopy_copies_delivered_total{session=\"DCFILLS\"}") < delivered_before + 60;
       ++i) {
    std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST_REQUIRE(s.metric("dropcopy_copies_delivered_total{session=\"DCFILLS\"}") >= delivered_before + 60,
                     "dropcopy did not store the fills while the client was away");
  BOOST_TEST(s.metric("dropcopy_session_copies_waiting{session=\"DCFILLS\"}") >= 60);
  const std::size_t from = fills.count();
  fills.close();
  fills.logon(20s);
  const auto want = fills_of(v, missed);
  BOOST_TEST(want.size() == 60u);
  BOOST_TEST_REQUIRE(wait_for_copies(fills, missed, exec_ids(want), 30s), "DCFILLS:\n" << fills.recent());
  check_copies(reports(fills, missed), want);
  BOOST_TEST(s.metric("dropcopy_session_copies_waiting{session=\"DCFILLS\"}") == 0);
  // What it was sent before going away does not come again.
  BOOST_TEST(fills.none_within(of_type("8").with(FIX::FIELD::Symbol, seen), 500ms, from));
  fills.logout();
}

BOOST_AUTO_TEST_CASE(a_resetting_client_loses_nothing_when_dropcopy_dies_mid_batch) {
  Stack& s = stack();
  TestVenue& v = s.venue();
  s.dc("DCALPHA").logout();
  ClientOptions o = s.dc_options("DCALPHA");
  o.reset_seq_num = true;
  o.dir = s.dir() / "dc-clients-reset-alpha";
  FixClient alpha(o);

  // dropcopy dies after storing and sending a batch whose offsets it never committed.
  s.restart_dropcopy_dying_after(150);
  alpha.logon(20s);
  const std::string sym = v.symbol();
  auto buys = cross(sym, 200, "kill-reset");
  s.expect_dropcopy_killed_itself();
  expect_all_filled(buys, 30s);
  // It comes back while Kafka is away, so the client's Logon (ResetSeqNumFlag=Y again: no FIX resend can
  // fill the gap) is in before the copies it had stored but not committed are read again.
  KafkaBroker::service("stop");
  s.dropcopy().start();
  alpha.wait_logged_out(5s);
  alpha.close();
  alpha.logon(20s);
  KafkaBroker::service("start");

  const auto brk1_reports = reports(v.client_object("BRK1"), sym);
  BOOST_TEST(brk1_reports.size() == 400u);
  BOOST_TEST_REQUIRE(wait_for_copies(alpha, sym, exec_ids(brk1_reports), 30s), "DCALPHA:\n" << alpha.recent());
  const auto copies = reports(alpha, sym);
  // Everything, nothing else; a copy seen twice is marked PossResend (the client may have had it before
  // the crash), and each order's reports arrived (first time) in the broker's order.
  BOOST_TEST(exec_ids(copies) == exec_ids(brk1_reports));
  std::map<std::string, int> unmarked;
  for (const auto& m : copies) {
    if (!marked(m)) ++unmarked[field(m, FIX::FIELD::ExecID)];
  }
  for (const auto& [exec_id, n] : unmarked)
    BOOST_TEST(n == 1, "ExecID " << exec_id << " arrived " << n << " times unmarked");
  BOOST_TEST(per_order(copies) == per_order(brk1_reports), "the reports of some order arrived in another order");
  alpha.logout();
}

BOOST_AUTO_TEST_SUITE_END()
