// compliance-demo: a short scripted trading session through the local venue over FIX, so that the local
// stack's audit trail has rows and every surveillance rule an alert to show (deploy/local/up runs it once,
// see deploy/local/demo.txt; compliance/README.md, "The demo data"). Brokers: BRK1 (firm ALPHA, accounts
// ALPHA-1 and ALPHA-2, one beneficial owner in deploy/local/compliance.toml) and LOAD (firm BETA,
// LOAD-1), both on the plain FIX port. Each step waits for the venue's answer; any order left resting is
// cancelled at the end (and at the start: a mass cancel per session, so a second run starts clean).
//
//   build/bin/compliance-demo [--port P] [--symbol S] [--dir DIR]       (the venue on 127.0.0.1)
//
// Exit 0 when every step got its expected report, 1 otherwise (the step and what arrived are printed),
// 2 for a bad command line.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "e2e/support/fix_client.h"
#include "e2e/support/messages.h"

namespace {

using namespace std::chrono_literals;
namespace e2e = venue::e2e;

struct Options {
  std::uint16_t port = 9878;
  std::string symbol = "ACME";
  std::filesystem::path dir = ".local/compliance-demo";
};

int usage(const std::string& why) {
  if (!why.empty()) std::cerr << "compliance-demo: " << why << "\n";
  std::cerr << "usage: compliance-demo [--port P] [--symbol S] [--dir DIR]\n"
               "A scripted trading session through the local venue (BRK1, LOAD) that gives the compliance\n"
               "service a wash trade, layering, an excessive order-to-trade ratio and momentum ignition.\n";
  return 2;
}

class Demo {
 public:
  explicit Demo(const Options& o)
      : o_(o),
        brk1_({.sender = "BRK1",
               .port = o.port,
               .username = "brk1",
               .password = "brk1-secret",
               .reset_seq_num = true,
               .dir = o.dir}),
        load_({.sender = "LOAD",
               .port = o.port,
               .username = "load",
               .password = "load-secret",
               .reset_seq_num = true,
               .dir = o.dir}),
        run_("demo" + std::to_string(std::time(nullptr) % 100000)) {}

  void run() {
    logon(brk1_);
    logon(load_);
    clear();
    step("1. a plain trade: LOAD-1 sells 10 @ 100.00 to ALPHA-1 (no alert)");
    order(load_, "2", "100.00", "10", "LOAD-1", "0");
    order(brk1_, "1", "100.00", "10", "ALPHA-1", "F");

    step("2. wash trade: ALPHA-1 sells 10 @ 100.00 to ALPHA-2 (one beneficial owner, ALPHA)");
    order(brk1_, "2", "100.00", "10", "ALPHA-1", "0");
    order(brk1_, "1", "100.00", "10", "ALPHA-2", "F");

    step(
        "3. layering: LOAD-1 shows 99.90 / 100.10; ALPHA-1 layers three sells of 200 at the touch, ALPHA-2 "
        "lifts LOAD-1's offer, the layers are cancelled at once");
    const auto bid = order(load_, "1", "99.90", "10", "LOAD-1", "0");
    order(load_, "2", "100.10", "10", "LOAD-1", "0");
    std::vector<std::string> layers;
    layers.reserve(3);
    for (const char* px : {"100.10", "100.11", "100.12"})
      layers.push_back(order(brk1_, "2", px, "200", "ALPHA-1", "0"));
    order(brk1_, "1", "100.10", "10", "ALPHA-2", "F");
    for (const auto& id : layers) cancel(brk1_, id, "2", "ALPHA-1");
    cancel(load_, bid, "1", "LOAD-1");

    step("4. order-to-trade: LOAD-1 places 40 bids at 95.00 and cancels them all (80 order messages, 2 fills)");
    std::vector<std::string> bids;
    bids.reserve(40);
    for (int i = 0; i < 40; ++i) bids.push_back(order(load_, "1", "95.00", "1", "LOAD-1", "0"));
    for (const auto& id : bids) cancel(load_, id, "1", "LOAD-1");

    step(
        "5. momentum ignition: ALPHA-2 lifts LOAD-1's offers at 100.20, 100.40, 100.60, then ALPHA-1 sells 15 "
        "into LOAD-1's bid at 100.50");
    for (const char* px : {"100.20", "100.40", "100.60"}) {
      order(load_, "2", px, "5", "LOAD-1", "0");
      order(brk1_, "1", px, "5", "ALPHA-2", "F");
    }
    order(load_, "1", "100.50", "15", "LOAD-1", "0");
    order(brk1_, "2", "100.50", "15", "ALPHA-1", "F");

    clear();
    brk1_.logout();
    load_.logout();
    std::cout << "compliance-demo: done (" << orders_ << " orders, " << cancels_
              << " cancels); see `build/bin/compliance alerts --config deploy/local/compliance.toml`\n";
  }

 private:
  // The venue may still be starting (deploy/local/up starts it just before): tries for 30 s.
  static void logon(e2e::FixClient& c) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (;;) {
      try {
        c.logon(5s);
        return;
      } catch (const std::exception&) {
        if (std::chrono::steady_clock::now() > deadline) throw;
        c.close();
        std::this_thread::sleep_for(1s);
      }
    }
  }

  static void step(const std::string& what) { std::cout << "compliance-demo: " << what << "\n"; }

  std::string next_id() { return run_ + "-" + std::to_string(++n_); }

  std::string order(e2e::FixClient& c, const char* side, const char* px, const char* qty, const char* account,
                    const char* expect) {
    std::string id = next_id();
    c.send(e2e::new_order(
        {.clordid = id, .symbol = o_.symbol, .side = side, .price = px, .qty = qty, .account = account}));
    c.expect(e2e::er(id, expect), 10s);
    ++orders_;
    return id;
  }

  void cancel(e2e::FixClient& c, const std::string& orig, const char* side, const char* account) {
    const std::string id = next_id();
    c.send(e2e::cancel_request(
        {.clordid = id, .orig_clordid = orig, .side = side, .symbol = o_.symbol, .account = account}));
    c.expect(e2e::er(id, "4"), 10s);
    ++cancels_;
  }

  // Cancels whatever either session left resting (an earlier run's orders included).
  void clear() {
    for (auto* c : {&brk1_, &load_}) {
      const std::string id = next_id();
      c->send(e2e::mass_cancel_request(id, "7"));
      c->expect(e2e::of_type("r").with(11, id), 10s);
    }
  }

  Options o_;
  e2e::FixClient brk1_;
  e2e::FixClient load_;
  std::string run_;
  int n_ = 0;
  int orders_ = 0;
  int cancels_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") return usage("");
    if (i + 1 >= args.size()) return usage("unknown option or missing value: " + a);
    const std::string& v = args[++i];
    if (a == "--port") {
      const long p = std::strtol(v.c_str(), nullptr, 10);
      if (p <= 0 || p > 65535) return usage("--port must be 1..65535");
      o.port = static_cast<std::uint16_t>(p);
    } else if (a == "--symbol") {
      o.symbol = v;
    } else if (a == "--dir") {
      o.dir = v;
    } else {
      return usage("unknown option " + a);
    }
  }
  try {
    std::filesystem::create_directories(o.dir);
    Demo d(o);
    d.run();
  } catch (const std::exception& e) {
    std::cerr << "compliance-demo: FAILED: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
