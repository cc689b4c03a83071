#include "venue/risk/config.h"

#include <charconv>
#include <cstdlib>
#include <set>

namespace venue::risk {

namespace cfg = venue::config;

namespace {

bool parse_int(std::string_view s, int& out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "HH:MM:SS" as nanoseconds after midnight; -1 when malformed.
std::int64_t time_of_day_ns(const std::string& s) {
  int h = 0;
  int m = 0;
  int sec = 0;
  if (s.size() != 8 || s[2] != ':' || s[5] != ':' || !parse_int(s.substr(0, 2), h) || !parse_int(s.substr(3, 2), m) ||
      !parse_int(s.substr(6, 2), sec) || h > 23 || m > 59 || sec > 59) {
    return -1;
  }
  return ((h * 60LL + m) * 60 + sec) * 1'000'000'000LL;
}

}  // namespace

void read_config(cfg::Table& root, Config& c, const std::filesystem::path& base, bool lenient) {
  auto r = root.table("risk", "The risk service: instruments, warning levels, timing and observability");
  c.metrics_bind =
      r.string("metrics_bind", "Address of /metrics, /healthz, /readyz, /positions and /status", "127.0.0.1");
  c.metrics_port = static_cast<std::uint16_t>(
      r.integer("metrics_port", "Port of the HTTP endpoints (the CLI's `positions` and `status` read it); 0: none", 0,
                {0, 65535}));
  c.log_level =
      r.choice("log_level", "Least severe log level written", {"trace", "debug", "info", "warning", "error"}, "info");
  c.instruments = cfg::resolve_path(
      base, r.string("instruments",
                     "The venue's instrument file (spec/reference-data.md): reference prices mark positions before "
                     "an instrument's first trade",
                     cfg::kRequired));
  const auto levels =
      r.string("warning_levels", "Usage levels that warn, in percent of the limit, comma-separated", "50,75,90");
  c.warning_levels.clear();
  std::set<int> seen;
  std::size_t at = 0;
  while (at <= levels.size()) {
    const auto comma = levels.find(',', at);
    std::string part = levels.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    while (!part.empty() && part.front() == ' ') part.erase(part.begin());
    while (!part.empty() && part.back() == ' ') part.pop_back();
    int v = 0;
    if (!parse_int(part, v) || v < 1 || v > 99) {
      r.fail("warning_levels", "\"" + part + "\" is not a whole percent between 1 and 99");
    } else if (!seen.insert(v).second) {
      r.fail("warning_levels", std::to_string(v) + " is listed twice");
    } else {
      c.warning_levels.push_back(v);
    }
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  c.warning_rearm_points = static_cast<int>(
      r.integer("warning_rearm_points",
                "A warning level (and a breach) is armed again once usage falls this many percentage points below it",
                2, {0, 50}));
  const auto day_start =
      r.string("trading_day_start", "UTC time a trading day starts (HH:MM:SS): traded notional today counts from here",
               "00:00:00");
  c.day_start_offset_ns = time_of_day_ns(day_start);
  if (c.day_start_offset_ns < 0) {
    r.fail("trading_day_start", "must be a time HH:MM:SS");
    c.day_start_offset_ns = 0;
  }
  c.keep_fill_days = static_cast<int>(r.integer(
      "keep_fill_days",
      "Trading days of fills kept one by one (today included): busts and repeats are recognised within them; older "
      "fills are folded into the positions",
      2, {1, 366}));
  c.flush_interval_ms = static_cast<int>(
      r.integer("flush_interval_ms", "How often the state is written to PostgreSQL (with the Kafka offsets it covers)",
                200, {10, 60'000}));
  c.limits_poll_ms = static_cast<int>(
      r.integer("limits_poll_ms", "How often PostgreSQL is asked whether the limits changed", 500, {50, 60'000}));
  c.gap_timeout_ms = static_cast<int>(
      r.integer("gap_timeout_ms",
                "How long a missing venue-seq holds later reports back once every partition has been read to its end",
                1000, {10, 600'000}));
  c.max_gap_wait_ms = static_cast<int>(r.integer(
      "max_gap_wait_ms", "How long a missing venue-seq holds later reports back in any case", 10'000, {10, 3'600'000}));
  c.max_unwritten_fills = r.integer(
      "max_unwritten_fills", "Fills held in memory while PostgreSQL cannot be written before reading from Kafka pauses",
      1'000'000, {1000, 100'000'000});
  c.enforce =
      r.boolean("enforce", "Send block and kill-switch commands on a breach; false: alerts only (a dry run)", true);

  auto k = root.table("kafka", "Topics and the consumer group");
  venue::kafka::read_connection(k, c.kafka, base, lenient);  // brokers, TLS, SASL (venue/common/kafka_config.h)
  c.brokers = c.kafka.brokers;
  c.reports_topic = k.string("reports_topic", "The venue's execution reports", "venue.execution-reports");
  c.control_topic = k.string("control_topic", "Where block and kill-switch commands go", "venue.risk-control");
  c.acks_topic = k.string("acks_topic", "The venue's answers to the commands", "venue.risk-control-acks");
  c.alerts_topic = k.string("alerts_topic", "Where warnings and breaches go (spec/risk.md)", "venue.risk-alerts");
  c.group_id = k.string("group_id",
                        "Consumer group (offsets are kept in PostgreSQL with the state; the group's commits only "
                        "show the lag to Kafka's tools)",
                        "risk");
  c.client_id = k.string("client_id", "Kafka client.id", "risk");
  c.start_from_end =
      k.choice("start_from",
               "Where a new database starts reading the reports: the oldest record kept, or the next one produced",
               {"beginning", "end"}, "beginning") == "end";

  c.log = log::read_log_output(root, base);
  auto d = root.table("database", "PostgreSQL: limits, state snapshots, alerts, commands");
  c.database_url = cfg::from_environment(
      d, "url", d.string("url", "libpq connection URI; \"$NAME\" reads environment variable NAME", cfg::kRequired),
      lenient);
  c.schema = d.string("schema", "The schema the service owns and migrates (spec/sql/risk/)", "risk");
  if (c.schema.empty() || c.schema.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    d.fail("schema", "must be lower-case letters, digits and _");
  }

  for (auto& t : root.tables("limit",
                             "A limit set at start when PostgreSQL has none for the same account or firm, limit and "
                             "symbol (an officer's later change is kept)",
                             false)) {
    Limit l;
    const auto account = t.string("account", "The account it limits (give account or firm)", "");
    const auto firm = t.string("firm", "The firm it limits (give account or firm)", "");
    if (account.empty() == firm.empty()) t.fail("account", "give exactly one of account and firm");
    l.scope = firm.empty() ? Scope::kAccount : Scope::kFirm;
    l.entity = firm.empty() ? account : firm;
    const auto type = t.choice(
        "limit", "What is limited (spec/risk.md)",
        {"max_net_position", "gross_exposure", "open_order_exposure", "daily_traded_notional", "max_loss"}, "max_loss");
    l.type = parse_limit_type(type).value_or(LimitType::kMaxLoss);
    l.symbol = t.string("symbol", "max_net_position only: the instrument; empty: each instrument", "");
    const auto value = t.string("value", "The limit, a decimal string: quantity or money", cfg::kRequired);
    std::string why;
    if (auto v = parse_limit_value(value, &why)) {
      l.value = *v;
    } else if (!value.empty()) {
      t.fail("value", "\"" + value + "\" " + why);
    }
    if (auto problem = check_limit(l); !problem.empty() && !l.entity.empty() && !value.empty())
      t.fail("symbol", problem);
    c.seed_limits.push_back(std::move(l));
  }
}

namespace {
// The reader with unset environment variables refused (everything but the CLI's lenient load).
void read_strict(cfg::Table& root, Config& c, const std::filesystem::path& base) { read_config(root, c, base, false); }
}  // namespace

Config parse_config(const std::string& text, const std::string& name, const std::filesystem::path& base_dir) {
  return cfg::parse<Config>(read_strict, text, name, base_dir);
}

Config load_config(const std::filesystem::path& file, bool lenient_environment) {
  return cfg::load<Config>([&](cfg::Table& t, Config& c,
                               const std::filesystem::path& base) { read_config(t, c, base, lenient_environment); },
                           file);
}

std::string config_reference() { return cfg::reference<Config>(read_strict); }

}  // namespace venue::risk
