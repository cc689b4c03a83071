#include "options.h"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "split_commas.h"

namespace venue::fix_gateway::bench {
namespace {

constexpr std::int64_t kMaxSeconds = 86'400;

std::int64_t parse_int(std::string_view name, std::string_view text, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end) {
    throw UsageError(std::string(name) + ": expected an integer, got '" + std::string(text) + "'");
  }
  if (v < min || v > max) {
    throw UsageError(std::string(name) + ": " + std::string(text) + " is out of range [" + std::to_string(min) + ", " +
                     std::to_string(max) + "]");
  }
  return v;
}

Decimal parse_positive_decimal(std::string_view name, std::string_view text) {
  auto d = Decimal::parse(text);
  if (!d) {
    throw UsageError(std::string(name) + ": expected a decimal like 100.00, got '" + std::string(text) + "' (" +
                     std::string(to_string(d.error())) + ")");
  }
  if (d->units() <= 0) throw UsageError(std::string(name) + ": must be greater than zero");
  return *d;
}

// Seconds as a decimal ("0.5"), returned in nanoseconds.
std::int64_t parse_seconds(std::string_view name, std::string_view text, bool allow_zero) {
  auto d = Decimal::parse(text);
  if (!d || d->units() < 0 || d->units() > kMaxSeconds * Decimal::kOne) {
    throw UsageError(std::string(name) + ": expected seconds between 0 and " + std::to_string(kMaxSeconds) + ", got '" +
                     std::string(text) + "'");
  }
  if (!allow_zero && d->units() == 0) throw UsageError(std::string(name) + ": must be greater than zero");
  return d->units() * (1'000'000'000 / Decimal::kOne);
}

// Number of decimals needed to write `d` exactly (0..8).
int decimals_of(Decimal d) {
  std::int64_t frac = d.units() % Decimal::kOne;
  if (frac < 0) frac = -frac;
  int n = Decimal::kScale;
  if (frac == 0) return 0;
  while (frac % 10 == 0) {
    frac /= 10;
    --n;
  }
  return n;
}

void check_comp_id(std::string_view name, std::string_view id) {
  if (id.empty()) throw UsageError(std::string(name) + ": empty CompID");
  for (char c : id) {
    if (c <= ' ' || c == '=' || c > '~') {
      throw UsageError(std::string(name) + ": '" + std::string(id) + "' has a character FIX does not allow here");
    }
  }
}

void check_text(std::string_view name, std::string_view text) {
  if (text.empty()) throw UsageError(std::string(name) + ": empty value");
  for (char c : text) {
    if (c == '\x01') throw UsageError(std::string(name) + ": contains SOH");
  }
}

}  // namespace

std::string format_fixed(Decimal value, int decimals) {
  std::int64_t units = value.units();
  std::string out;
  if (units < 0) {
    out.push_back('-');
    units = -units;
  }
  out += std::to_string(units / Decimal::kOne);
  if (decimals > 0) {
    std::string frac = std::to_string(units % Decimal::kOne);
    frac.insert(0, static_cast<std::size_t>(Decimal::kScale) - frac.size(), '0');
    out.push_back('.');
    out.append(frac, 0, static_cast<std::size_t>(decimals));
  }
  return out;
}

std::string load_usage() {
  return R"(usage: fixload [options]
A FIX 4.4 order-entry load and latency client. Sends NewOrderSingle messages over one or more
sessions and measures NewOrderSingle -> first ExecutionReport. Result on stdout (one line),
progress and diagnostics on stderr. Exit 0 when errors=0, 1 when errors>0, 2 for bad options.

Connection and session
  --host H                 acceptor host (default 127.0.0.1)
  --port P                 acceptor port (default 5001)
  --sender S               SenderCompID (default LOAD). With --sessions M > 1: a comma list of M
                           CompIDs is used as given; a single name gets 1..M appended (LOAD1, LOAD2...)
  --target T               TargetCompID (default VENUE)
  --username U             Username(553) on Logon (not sent when absent)
  --password W             Password(554) on Logon (not sent when absent)
  --sessions M             number of sessions (default 1); orders go round-robin over them
  --heartbeat-seconds S    HeartBtInt(108) (default 30)
  --reset                  send ResetSeqNumFlag(141)=Y on Logon: both sides start at 1. Without it
                           the run starts at MsgSeqNum 1 and accepts the acceptor's numbers as they
                           come, so repeated runs against a persistent acceptor need --reset
  --connect-timeout S      seconds for TCP connect, TLS handshake and Logon (default 5)
  --tls                    TLS (OpenSSL) to the acceptor, verifying its certificate and host name
  --tls-ca FILE            CA bundle (PEM) for --tls (default: the system's)
  --tls-no-verify          do not verify the acceptor's certificate (tests with self-signed ones)

Orders
  --orders N               number of NewOrderSingle messages (default 10000)
  --mix cross|rest         cross (default): buy, sell, buy, sell... all at --price, so every second
                           order trades with the one before (ack + fill). rest: never crosses; buys at
                           price - k*tick, sells at price + k*tick, k = 1..levels round-robin
  --levels L               price levels per side for --mix rest (default 10)
  --symbol SYM             Symbol(55) (default ACME)
  --account ACC            Account(1) (default: each session's SenderCompID)
  --contra-account ACC     trades between two accounts instead of one (--mix cross): the pair of
                           orders 2p and 2p+1 buys on --account's account and sells on ACC for even p,
                           the other way round for odd p, so each account's position stays within one
                           order's quantity and no trade is a wash trade
  --price P                Price(44) as a decimal (default 100.00)
  --tick T                 price step for --mix rest (default 0.01)
  --qty Q                  OrderQty(38), an integer (default 100)

Pacing and waiting
  --rate R|max             R orders/s on an absolute schedule, or max (default): as fast as the
                           in-flight window allows
  --inflight K             most orders awaiting their first report at once (default 1); with
                           --threads T each thread gets ceil(K/T)
  --timeout-seconds S      an order unanswered this long counts as a timeout; if nothing at all was
                           answered for this long the run stops waiting (default 10)
  --threads T              worker threads (default 1); each owns sessions/T sessions (T must divide M)
  --busy-poll              never block in poll(): lower latency, but a full core
  --spin-us U              with --rate: sleep until U microseconds before a send, then spin (default 50)
  --progress-seconds S     progress line on stderr every S seconds (default 1, 0 = none)
  --run-id ID              ClOrdID prefix (default: random); ClOrdIDs are ID-<order number>
  --help                   this text

Output (stdout, one line):
  orders=<n> seconds=<s> orders_per_sec=<x> p50_us=<a> p99_us=<b> p999_us=<c> rejects=<r> errors=<e>
)";
}

std::optional<LoadOptions> parse_load_options(int argc, char** argv) {
  LoadOptions o;
  std::string sender = "LOAD";
  std::optional<Decimal> price;
  std::optional<Decimal> tick;

  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_inline_value = false;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline_value = true;
    }
    auto flag = [&]() {
      if (has_inline_value) throw UsageError(std::string(arg) + " takes no value");
    };
    auto next = [&]() -> std::string_view {
      if (has_inline_value) return value;
      if (i + 1 >= argc) throw UsageError(std::string(arg) + " needs a value");
      return argv[++i];
    };

    if (arg == "--help" || arg == "-h") {
      return std::nullopt;
    } else if (arg == "--host") {
      o.host = next();
      if (o.host.empty()) throw UsageError("--host: empty");
    } else if (arg == "--port") {
      o.port = static_cast<std::uint16_t>(parse_int(arg, next(), 1, 65535));
    } else if (arg == "--sender") {
      sender = next();
    } else if (arg == "--target") {
      o.target = next();
      check_comp_id(arg, o.target);
    } else if (arg == "--username") {
      o.username = std::string(next());
      check_text(arg, *o.username);
    } else if (arg == "--password") {
      o.password = std::string(next());
      check_text(arg, *o.password);
    } else if (arg == "--account") {
      o.account = next();
      check_text(arg, o.account);
    } else if (arg == "--contra-account") {
      o.contra_account = next();
      check_text(arg, o.contra_account);
    } else if (arg == "--symbol") {
      o.symbol = next();
      check_text(arg, o.symbol);
    } else if (arg == "--price") {
      price = parse_positive_decimal(arg, next());
    } else if (arg == "--tick") {
      tick = parse_positive_decimal(arg, next());
    } else if (arg == "--qty") {
      o.qty = parse_int(arg, next(), 1, 1'000'000'000'000);
    } else if (arg == "--orders") {
      o.orders = parse_int(arg, next(), 1, 1'000'000'000);
    } else if (arg == "--rate") {
      auto v = next();
      if (v != "max" && (v.empty() || v.find_first_not_of("0123456789") != std::string_view::npos)) {
        throw UsageError("--rate: expected max or orders per second, got '" + std::string(v) + "'");
      }
      o.rate_per_sec = v == "max" ? 0 : parse_int(arg, v, 1, 100'000'000);
    } else if (arg == "--inflight") {
      o.inflight = parse_int(arg, next(), 1, 1'000'000);
    } else if (arg == "--mix") {
      auto v = next();
      if (v == "cross") {
        o.mix = Mix::kCross;
      } else if (v == "rest") {
        o.mix = Mix::kRest;
      } else {
        throw UsageError("--mix: expected cross or rest, got '" + std::string(v) + "'");
      }
    } else if (arg == "--levels") {
      o.levels = static_cast<int>(parse_int(arg, next(), 1, 10'000));
    } else if (arg == "--sessions") {
      o.sessions = static_cast<int>(parse_int(arg, next(), 1, 1000));
    } else if (arg == "--threads") {
      o.threads = static_cast<int>(parse_int(arg, next(), 1, 64));
    } else if (arg == "--heartbeat-seconds") {
      o.heartbeat_seconds = static_cast<int>(parse_int(arg, next(), 1, 3600));
    } else if (arg == "--timeout-seconds") {
      o.timeout_ns = parse_seconds(arg, next(), false);
    } else if (arg == "--connect-timeout") {
      o.connect_timeout_ns = parse_seconds(arg, next(), false);
    } else if (arg == "--progress-seconds") {
      o.progress_ns = parse_seconds(arg, next(), true);
    } else if (arg == "--spin-us") {
      o.spin_ns = parse_int(arg, next(), 0, 1'000'000) * 1000;
    } else if (arg == "--busy-poll") {
      flag();
      o.busy_poll = true;
    } else if (arg == "--reset") {
      flag();
      o.reset = true;
    } else if (arg == "--tls") {
      flag();
      o.tls = true;
    } else if (arg == "--tls-no-verify") {
      flag();
      o.tls_verify = false;
    } else if (arg == "--tls-ca") {
      o.tls_ca_file = next();
    } else if (arg == "--run-id") {
      o.run_id = next();
      check_comp_id(arg, o.run_id);
      if (o.run_id.size() > 20) throw UsageError("--run-id: at most 20 characters");
    } else {
      throw UsageError("unknown option '" + std::string(argv[i]) + "'");
    }
  }

  // SenderCompIDs: an explicit comma list, or the name with 1..M appended.
  if (sender.find(',') != std::string::npos) {
    o.senders = split_commas(sender);
    if (static_cast<int>(o.senders.size()) != o.sessions) {
      if (o.sessions == 1) {
        o.sessions = static_cast<int>(o.senders.size());
      } else {
        throw UsageError("--sender lists " + std::to_string(o.senders.size()) + " CompIDs but --sessions is " +
                         std::to_string(o.sessions));
      }
    }
  } else if (o.sessions == 1) {
    o.senders = {sender};
  } else {
    for (int s = 1; s <= o.sessions; ++s) o.senders.push_back(sender + std::to_string(s));
  }
  for (const auto& s : o.senders) check_comp_id("--sender", s);

  if (o.sessions % o.threads != 0) {
    throw UsageError("--threads " + std::to_string(o.threads) + " must divide --sessions " +
                     std::to_string(o.sessions));
  }
  if (o.tls_ca_file.size() > 0 && !o.tls) throw UsageError("--tls-ca needs --tls");
  if (!o.tls_verify && !o.tls) throw UsageError("--tls-no-verify needs --tls");

  if (price) o.price = *price;
  if (tick) o.tick = *tick;
  o.price_decimals = std::max({2, decimals_of(o.price), decimals_of(o.tick)});
  if (o.mix == Mix::kRest) {
    // The lowest buy must stay above zero.
    const __int128 lowest = static_cast<__int128>(o.price.units()) -
                            static_cast<__int128>(o.levels) * static_cast<__int128>(o.tick.units());
    if (lowest <= 0) {
      throw UsageError("--mix rest: price - levels*tick must stay above zero (lower --levels or --tick)");
    }
    const __int128 highest = static_cast<__int128>(o.price.units()) +
                             static_cast<__int128>(o.levels) * static_cast<__int128>(o.tick.units());
    if (highest > static_cast<__int128>(INT64_MAX)) throw UsageError("--mix rest: price + levels*tick overflows");
  }
  return o;
}

}  // namespace venue::fix_gateway::bench
