#pragma once
// fixload's command line: what a run does (where to connect, as whom, which orders, how fast) and how
// it waits. parse_load_options() checks everything up front so that a run never starts with a value it
// would have to reject half-way; bad input is a UsageError with a message meant for the person typing.
//
// Thread rules: plain values, built once by main and then only read.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "venue/common/fixed_point.h"

namespace venue::fix_gateway::bench {

enum class Mix : std::uint8_t { kCross, kRest };

struct LoadOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5001;
  // One SenderCompID per session (resolved from --sender and --sessions).
  std::vector<std::string> senders;
  std::string target = "VENUE";
  std::optional<std::string> username;
  std::optional<std::string> password;
  // Account(1); empty means "each session's SenderCompID".
  std::string account;
  // --contra-account: the account of every other order's side (see --help); empty: none.
  std::string contra_account;
  std::string symbol = "ACME";
  Decimal price = Decimal::from_units(100 * Decimal::kOne);
  Decimal tick = Decimal::from_units(Decimal::kOne / 100);
  // Decimals written in Price(44): the larger of --price's and --tick's, at least 2.
  int price_decimals = 2;
  std::int64_t qty = 100;
  std::int64_t orders = 10000;
  std::int64_t rate_per_sec = 0;  // 0 = as fast as the in-flight window allows
  std::int64_t inflight = 1;
  Mix mix = Mix::kCross;
  int levels = 10;  // price levels per side for --mix rest
  int sessions = 1;
  int threads = 1;
  int heartbeat_seconds = 30;
  std::int64_t timeout_ns = 10'000'000'000;
  std::int64_t connect_timeout_ns = 5'000'000'000;
  std::int64_t progress_ns = 1'000'000'000;  // 0 = no progress lines
  std::int64_t spin_ns = 50'000;             // --rate: spin this long before a scheduled send
  bool busy_poll = false;
  bool reset = false;
  bool tls = false;
  bool tls_verify = true;
  std::string tls_ca_file;
  std::string run_id;  // ClOrdID prefix; generated when empty
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Returns nullopt when --help was asked for (the caller prints load_usage()). Throws UsageError.
std::optional<LoadOptions> parse_load_options(int argc, char** argv);

std::string load_usage();

// Writes `value` with exactly `decimals` fractional digits ("100.00"); `value` must have no more.
std::string format_fixed(Decimal value, int decimals);

}  // namespace venue::fix_gateway::bench
