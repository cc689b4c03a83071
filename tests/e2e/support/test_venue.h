#pragma once
// The venue every end-to-end suite runs against: a temporary folder with a self-signed TLS certificate,
// an instrument file and a venue configuration (firms, accounts and sessions with different settings, see
// test_venue.cpp), the real venue process on free ports, and the broker sessions the tests drive.
//
//   TestVenue& v = suite_venue();                    // started on first use, one per test program
//   FixClient& brk1 = v.client("BRK1");              // logged on (once), shared by the suite's tests
//   std::string sym = v.symbol();                    // an instrument no other test of the suite touches
//   brk1.send(new_order({.clordid = v.id("buy"), .symbol = sym, ...}));
//
// The sessions (SenderCompID; username is the lower-case CompID, password kPassword):
//   BRK1  firm ALPHA, accounts ALPHA-1 ALPHA-2 RISK-1, cancel_on_disconnect "day", extended_fields
//   BRK2  firm BETA,  accounts BETA-1 BETA-2,          cancel_on_disconnect "all", extended_fields
//   BRK3  firm GAMMA, accounts GAMMA-1 KILL-1,         cancel_on_disconnect "off"
//   TLS1  firm BETA,  account BETA-1, transport "tls"
//   WATCH firm ALPHA, role "read_only"
//   THROT firm BETA,  account BETA-2, 5 orders/s, burst 5, logged out after 2 s throttled
//   FAR   firm ALPHA, allow_from 10.0.0.0/8 (loopback may not log on)
//   RAW   firm ALPHA, accounts ALPHA-1 ALPHA-2 (driven by the raw client only)
//   LOCK  firm ALPHA  (the failed-logon lockout test)
//   KF    firm DELTA, account DELTA-1 (the firm kill switch)
//   HB    firm ALPHA, max_heartbeat_seconds 30
//   BACK  firm ALPHA  (a QuickFIX broker logging on again after a refused logon)
//   STD   firm BETA,  accounts BETA-1 BETA-2 (standard FIX 4.4 fields only: the interoperability test)
//   RST   firm ALPHA, account ALPHA-1, reset_on_logon
// Accounts: RISK-1 has max_order_qty 100, max_order_notional 5000, credit_limit 12000; [risk]
// price_collar_bps is 2000 (20 %).
// Instruments: S001..S150 (tick 0.01, lot 1, reference 100.00, band +/-10 % static, qty 1..100000);
// LOT100 (tick 0.05, lot 100, reference 25.00, band 5 %); MINMAX (qty 10..1000 lots); NOREF (no reference
// price, no band); NOREFB (band 5 % around the last trade, no reference price yet).
//
// Thread rules: the test's thread.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "e2e/support/fix_client.h"
#include "e2e/support/venue_process.h"

namespace venue::e2e {

inline constexpr const char* kPassword = "e2e-secret";

class TestVenue {
 public:
  // `extra_toml` is appended to the venue's configuration (e.g. a [kafka] table).
  explicit TestVenue(const std::string& name, std::string extra_toml = {});
  ~TestVenue();
  TestVenue(const TestVenue&) = delete;
  TestVenue& operator=(const TestVenue&) = delete;

  std::uint16_t fix_port() const { return fix_port_; }
  std::uint16_t tls_port() const { return tls_port_; }
  std::uint16_t metrics_port() const { return metrics_port_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  VenueProcess& process() { return *process_; }

  // The shared client of a session, logged on if it is not.
  FixClient& client(const std::string& comp_id);
  // The shared client without logging it on.
  FixClient& client_object(const std::string& comp_id);
  ClientOptions options(const std::string& comp_id) const;

  // A pool instrument no test has used yet.
  std::string symbol();
  // A ClOrdID unique in this program run.
  std::string id(const std::string& hint = "o");

  // Admin API.
  nlohmann::json sessions() const;
  nlohmann::json session(const std::string& comp_id) const;
  HttpResponse kill_switch(const std::string& key, const std::string& value, bool release = false) const;
  HttpResponse trading_status(const std::string& symbol, const std::string& status) const;

  // Logs every client out, stops the venue with SIGTERM and returns its exit code (printing the log tail
  // when it is not 0).
  int stop();
  // Starts the venue again on the same files (after stop()).
  void start();

  // How the configuration lists its entries, for the tests of stable identities (ids never change; only
  // where entries stand and which are there).
  struct Layout {
    bool reversed = false;        // firms, accounts and sessions in the opposite order
    std::string drop_session;     // a session left out (its SenderCompID)
    bool insert_session = false;  // a new session (NEWCO, firm ALPHA, id 999) listed before all others
    std::string end_of_day_time;  // [engine] end_of_day_time; empty: none
  };
  // Rewrites venue.toml (the venue reads it at its next start()).
  void write_config(const Layout& layout);
  // Keeps the folder (logs, stores) after the run.
  void keep_files() { dir_.keep(); }

 private:
  void write_files();
  std::string password_hash_;

  TempDir dir_;
  std::string extra_toml_;
  std::uint16_t fix_port_ = 0;
  std::uint16_t tls_port_ = 0;
  std::uint16_t metrics_port_ = 0;
  std::unique_ptr<VenueProcess> process_;
  std::map<std::string, std::unique_ptr<FixClient>> clients_;
  int next_symbol_ = 1;
  int next_id_ = 1;
};

// The test program's venue: started on first call (see e2e/support/suite.h for its end).
TestVenue& suite_venue();
bool suite_venue_started();
// Destroys the program's venue (stopping it if needed); keeps its folder when asked.
void release_suite_venue(bool keep_files);

}  // namespace venue::e2e
