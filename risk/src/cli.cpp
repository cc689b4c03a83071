// build/bin/risk's command line: the service (`risk [serve] --config FILE`) and the officers' commands.
// Over ~600 lines because every command's help text lives beside its code, where it cannot drift.
#include "venue/risk/cli.h"

#include <librdkafka/rdkafkacpp.h>
#include <pwd.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "venue/common/kafka.h"
#include "venue/common/log.h"
#include "venue/common/observability.h"
#include "venue/common/shutdown.h"
#include "venue/risk/config.h"
#include "venue/risk/instruments.h"
#include "venue/risk/service.h"
#include "venue/risk/store.h"
#include "venue/risk/views.h"

namespace venue::risk {

namespace {

using nlohmann::json;

struct CliError {
  int exit_code;
  std::string text;  // starts with the code
};

[[noreturn]] void fail(int exit_code, const std::string& text) { throw CliError{exit_code, text}; }

struct Spec {
  std::string usage;                 // first line(s) of --help
  std::string help;                  // the rest
  std::set<std::string> with_value;  // --name VALUE
  std::set<std::string> flags;       // --name
};

const std::map<std::string, Spec>& specs() {
  static const std::map<std::string, Spec> s{
      {"serve",
       {"risk [serve] --config FILE [--check-config]",
        "Runs the risk service: reads venue.execution-reports, keeps positions, checks limits, sends block and\n"
        "kill-switch commands, serves /metrics /healthz /readyz /positions /exposure /status /limits on its\n"
        "metrics port. Stops cleanly on SIGTERM or SIGINT. --check-config only checks the file.",
        {"config"},
        {"check-config"}}},
      {"positions",
       {"risk positions [--firm F] [--account A] [--by account|firm] [--format csv|json] [--snapshot]",
        "Positions and P&L per account and instrument (--by firm: per firm and instrument), with a header line:\n"
        "account, firm, symbol, bought_qty, sold_qty, net_qty, bought_notional, sold_notional, avg_cost,\n"
        "realized_pnl, unrealized_pnl, mark_price. Read from the running service (GET /positions), so the\n"
        "figures are the ones its limits are checked against; --snapshot reads the state last written to\n"
        "PostgreSQL instead (when the service is down). Default format: csv.",
        {"config", "url", "firm", "account", "by", "format"},
        {"snapshot"}}},
      {"exposure",
       {"risk exposure [--firm F] [--account A] [--format csv|json]",
        "Per account and per firm: realized, unrealized and total P&L, gross and net exposure, open order\n"
        "exposure, traded notional today. From the running service (GET /exposure).",
        {"config", "url", "firm", "account", "format"},
        {}}},
      {"status",
       {"risk status [--format text|json]",
        "The service's health (what /readyz checks), consumer lag, the last venue-seq applied, what waits to be\n"
        "written to PostgreSQL, usage of every limit (warning level reached, breached), blocks in force and\n"
        "commands not answered yet. From the running service (GET /status).",
        {"config", "url", "format"},
        {}}},
      {"limits",
       {"risk limits list [--firm F] [--account A] [--format table|csv|json]\n"
        "risk limits set (--account A | --firm F) --limit TYPE [--symbol S] --value V [--by NAME] [--note TEXT]\n"
        "risk limits delete (--account A | --firm F) --limit TYPE [--symbol S] [--by NAME] [--note TEXT]\n"
        "risk limits history [--firm F | --account A] [--last N] [--format table|csv|json]",
        "Limits live in PostgreSQL; every change is recorded with who (--by, default the login name) and when,\n"
        "and the running service applies it within about a second. TYPE: max_net_position (a quantity; --symbol\n"
        "for one instrument, none for each instrument), gross_exposure, open_order_exposure,\n"
        "daily_traded_notional, max_loss (money). An account's breach blocks the account; a firm's breach\n"
        "kills the whole firm (spec/risk.md).",
        {"config", "firm", "account", "limit", "symbol", "value", "by", "note", "last", "format"},
        {}}},
      {"release",
       {"risk release (--firm F | --account A [--firm F]) --reason TEXT [--by NAME] [--wait SECONDS]",
        "Asks the venue to lift a block (release_account) or a firm's kill switch (release_firm): publishes the\n"
        "command on venue.risk-control for the operator (--by, default the login name), recorded in PostgreSQL\n"
        "with who and when first, then waits up to --wait seconds (default 10; 0: do not wait) for the venue's\n"
        "answer. Exit 0 when applied, 1 when refused, stale or not answered in time. Orders the block cancelled\n"
        "are not restored.",
        {"config", "firm", "account", "reason", "by", "wait"},
        {}}},
      {"alerts",
       {"risk alerts [--firm F] [--last N] [--format table|csv|json]",
        "The latest warnings and breaches (newest first), as published on venue.risk-alerts.",
        {"config", "firm", "last", "format"},
        {}}},
      {"commands",
       {"risk commands [--firm F] [--last N] [--format table|csv|json]",
        "Commands sent to the venue (the service's blocks and kill switches, releases) with the venue's answer.",
        {"config", "firm", "last", "format"},
        {}}},
  };
  return s;
}

std::string general_help() {
  std::string out = "risk: positions, exposure and P&L, limits and the automatic kill switch (risk/README.md)\n\n";
  for (const auto& [name, spec] : specs()) out += "  " + spec.usage.substr(0, spec.usage.find('\n')) + "\n";
  out +=
      "  risk --print-config-reference\n\nCommon options: --config FILE (else $RISK_CONFIG, else "
      "deploy/local/risk.toml), --url URL (the service; else its metrics port from the configuration).\n"
      "`risk COMMAND --help` explains a command. Exit codes: 0 done, 1 not done (see the message), 2 bad "
      "arguments, 3 service, PostgreSQL or Kafka unreachable.\n";
  return out;
}

struct Args {
  std::string command;
  std::string sub;
  std::map<std::string, std::string> opts;
  std::set<std::string> flags;
  std::string get(const std::string& k) const {
    auto it = opts.find(k);
    return it == opts.end() ? std::string() : it->second;
  }
  bool has(const std::string& k) const { return opts.count(k) != 0; }
};

Args parse_args(int argc, char** argv) {
  Args a;
  int i = 1;
  if (i < argc && argv[i][0] != '-') a.command = argv[i++];
  if (a.command.empty()) a.command = "serve";
  auto spec = specs().find(a.command);
  if (spec == specs().end()) fail(2, "E201 unknown command \"" + a.command + "\" (risk help lists them)");
  if (a.command == "limits") {
    if (i < argc && argv[i][0] != '-') a.sub = argv[i++];
    if (a.sub.empty() && !(i < argc && std::string(argv[i]) == "--help")) {
      fail(2, "E201 risk limits needs list, set, delete or history");
    }
    if (!a.sub.empty() && a.sub != "list" && a.sub != "set" && a.sub != "delete" && a.sub != "history") {
      fail(2, "E201 unknown limits command \"" + a.sub + "\" (list, set, delete or history)");
    }
  }
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      a.flags.insert("help");
      continue;
    }
    if (arg.rfind("--", 0) != 0) fail(2, "E202 unexpected argument \"" + arg + "\" (risk " + a.command + " --help)");
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (spec->second.flags.count(name) != 0) {
      if (has_value) fail(2, "E202 --" + name + " takes no value");
      a.flags.insert(name);
    } else if (spec->second.with_value.count(name) != 0) {
      if (!has_value) {
        if (i + 1 >= argc) fail(2, "E203 --" + name + " needs a value");
        value = argv[++i];
      }
      a.opts[name] = value;
    } else {
      fail(2, "E202 unknown option --" + name + " for risk " + a.command + " (risk " + a.command + " --help)");
    }
  }
  return a;
}

std::filesystem::path config_path(const Args& a) {
  if (a.has("config")) return a.get("config");
  if (const char* env = std::getenv("RISK_CONFIG"); env != nullptr && *env != '\0') return env;
  if (std::filesystem::exists("deploy/local/risk.toml")) return "deploy/local/risk.toml";
  fail(2, "E205 no configuration: give --config FILE (or set RISK_CONFIG)");
}

Config cli_config(const Args& a) {
  try {
    return load_config(config_path(a), true);
  } catch (const config::ConfigError& e) {
    fail(2, std::string("E301 configuration refused:\n") + e.what());
  }
}

std::string choose(const Args& a, const std::string& key, std::initializer_list<const char*> allowed) {
  std::string v = a.get(key);
  if (v.empty()) return *allowed.begin();
  for (const char* ok : allowed) {
    if (v == ok) return v;
  }
  std::string list;
  for (const char* ok : allowed) list += std::string(list.empty() ? "" : ", ") + ok;
  fail(2, "E204 --" + key + " must be one of " + list + ", not \"" + v + "\"");
}

std::string operator_name(const Args& a) {
  if (a.has("by")) {
    auto by = a.get("by");
    if (by.empty() || by.size() > 64) fail(2, "E204 --by must be 1 to 64 characters");
    return by;
  }
  if (const char* u = std::getenv("USER"); u != nullptr && *u != '\0') return u;
  if (const passwd* pw = getpwuid(getuid())) return pw->pw_name;
  return "unknown";
}

int last_n(const Args& a) {
  if (!a.has("last")) return 50;
  const auto v = a.get("last");
  char* end = nullptr;
  const long n = std::strtol(v.c_str(), &end, 10);
  if (end == v.c_str() || *end != '\0' || n < 1 || n > 100000) fail(2, "E204 --last must be 1 to 100000");
  return static_cast<int>(n);
}

// --- the service over HTTP ---------------------------------------------------------------------------

std::string http_get(const Config& cfg, const Args& a, const std::string& target) {
  std::string host = cfg.metrics_bind == "0.0.0.0" ? "127.0.0.1" : cfg.metrics_bind;
  std::string port = std::to_string(cfg.metrics_port);
  if (a.has("url")) {
    std::string url = a.get("url");
    if (url.rfind("http://", 0) == 0) url = url.substr(7);
    while (!url.empty() && url.back() == '/') url.pop_back();
    const auto colon = url.rfind(':');
    if (colon == std::string::npos) fail(2, "E204 --url must be http://HOST:PORT");
    host = url.substr(0, colon);
    port = url.substr(colon + 1);
  } else if (cfg.metrics_port == 0) {
    fail(2, "E205 the configuration has no [risk] metrics_port: give --url http://HOST:PORT");
  }
  namespace beast = boost::beast;
  namespace http = beast::http;
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    stream.connect(resolver.resolve(host, port));
    http::request<http::string_body> req{http::verb::get, target, 11};
    req.set(http::field::host, host);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    beast::error_code ec;
    stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    if (res.result_int() == 400) fail(2, "E204 the service refused the request: " + res.body());
    if (res.result_int() != 200) {
      fail(3, "E302 the risk service answered " + std::to_string(res.result_int()) + ": " + res.body());
    }
    return res.body();
  } catch (const boost::system::system_error& e) {
    fail(3, "E302 the risk service at " + host + ":" + port + " is not reachable (" + e.what() +
                "); `risk positions --snapshot` reads what PostgreSQL holds");
  }
}

std::string query(const Args& a, std::initializer_list<const char*> keys) {
  std::string q;
  for (const char* k : keys) {
    if (!a.has(k)) continue;
    std::string v;
    for (unsigned char c : a.get(k)) {
      if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.') {
        v += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        v += buf;
      }
    }
    q += (q.empty() ? "?" : "&") + std::string(k) + "=" + v;
  }
  return q;
}

// --- PostgreSQL ----------------------------------------------------------------------------------------

template <class Fn>
auto with_db(const Config& cfg, Fn fn) {
  if (cfg.database_url.empty()) fail(2, "E205 [database] url is empty (is VENUE_PG_URL set? source .local/env)");
  try {
    pqxx::connection conn(cfg.database_url);
    pqxx::work tx(conn);
    use_schema(tx, cfg.schema);
    if constexpr (std::is_void_v<decltype(fn(tx))>) {
      fn(tx);
      tx.commit();
    } else {
      auto r = fn(tx);
      tx.commit();
      return r;
    }
  } catch (const pqxx::broken_connection& e) {
    fail(3, std::string("E303 PostgreSQL is not reachable: ") + e.what());
  } catch (const pqxx::undefined_table&) {
    fail(3, "E303 the risk schema \"" + cfg.schema + "\" does not exist yet: start the service once");
  } catch (const pqxx::sql_error& e) {
    fail(3, std::string("E303 PostgreSQL refused: ") + e.what());
  }
}

// Rows printed as an aligned table, CSV or JSON objects.
void print_rows(const std::string& format, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  if (format == "json") {
    json out = json::array();
    for (const auto& r : rows) {
      json o = json::object();
      for (std::size_t i = 0; i < header.size(); ++i) o[header[i]] = r[i];
      out.push_back(o);
    }
    std::cout << out.dump(1) << "\n";
    return;
  }
  if (format == "csv") {
    for (std::size_t i = 0; i < header.size(); ++i) std::cout << (i ? "," : "") << csv_field(header[i]);
    std::cout << "\n";
    for (const auto& r : rows) {
      for (std::size_t i = 0; i < r.size(); ++i) std::cout << (i ? "," : "") << csv_field(r[i]);
      std::cout << "\n";
    }
    return;
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& r) {
    std::string s;
    for (std::size_t i = 0; i < r.size(); ++i) {
      s += r[i];
      if (i + 1 < r.size()) s += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::cout << s << "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
}

Limit limit_from_args(const Args& a, bool need_value) {
  Limit l;
  const bool account = a.has("account");
  const bool firm = a.has("firm");
  if (account == firm) fail(2, "E206 give exactly one of --account and --firm");
  l.scope = account ? Scope::kAccount : Scope::kFirm;
  l.entity = account ? a.get("account") : a.get("firm");
  if (!a.has("limit")) fail(2, "E205 --limit TYPE is required");
  const auto type = parse_limit_type(a.get("limit"));
  if (!type) {
    fail(2, "E204 --limit \"" + a.get("limit") +
                "\" is not one of max_net_position, gross_exposure, open_order_exposure, daily_traded_notional, "
                "max_loss");
  }
  l.type = *type;
  l.symbol = a.get("symbol");
  if (need_value) {
    if (!a.has("value")) fail(2, "E205 --value V is required");
    std::string why;
    const auto v = parse_limit_value(a.get("value"), &why);
    if (!v) fail(2, "E204 --value \"" + a.get("value") + "\" " + why);
    l.value = *v;
  } else if (a.has("value")) {
    fail(2, "E202 --value is not taken by delete");
  } else {
    l.value = Amount::of(Decimal::from_units(Decimal::kOne));
  }
  if (const auto problem = check_limit(l); !problem.empty()) fail(2, "E204 " + problem);
  return l;
}

// --- commands -------------------------------------------------------------------------------------------

int serve(const Args& a) {
  if (!a.has("config") && !std::getenv("RISK_CONFIG")) fail(2, "E205 risk serve needs --config FILE");
  Config cfg;
  try {
    cfg = load_config(config_path(a));
  } catch (const config::ConfigError& e) {
    fail(2, std::string("E301 configuration refused:\n") + e.what());
  }
  if (a.flags.count("check-config") != 0) {
    try {
      load_reference_prices(cfg.instruments);
    } catch (const std::exception& e) {
      fail(2, std::string("E301 ") + e.what());
    }
    std::cout << "risk: " << config_path(a).string() << " is valid (" << cfg.seed_limits.size() << " limits to seed)\n";
    return 0;
  }
  log::Level level = log::Level::info;
  log::parse_level(cfg.log_level, level);
  log::init({.component = "risk", .level = level, .file = cfg.log_file});
  ShutdownSignal::install();
  int code = 0;
  try {
    std::unique_ptr<Observability> obs;
    if (cfg.metrics_port != 0) obs = std::make_unique<Observability>(cfg.metrics_bind, cfg.metrics_port);
    Service service(cfg, obs ? obs->shared_registry() : std::make_shared<prometheus::Registry>());
    if (obs) {
      service.add_routes(obs->http());
      obs->add_readiness_check("risk", [&service] { return service.ready(); });
      obs->start();
    }
    service.run();
    if (obs) obs->stop();
  } catch (const std::exception& e) {
    VENUE_LOG_KV(fatal, "risk failed", {{"error", e.what()}});
    std::cerr << "risk: " << e.what() << "\n";
    code = 3;
  }
  log::shutdown();
  return code;
}

int positions(const Args& a) {
  const Config cfg = cli_config(a);
  const auto format = choose(a, "format", {"csv", "json"});
  const auto by = choose(a, "by", {"account", "firm"});
  if (by == "firm" && a.has("account")) fail(2, "E206 --by firm takes --firm, not --account");
  if (a.flags.count("snapshot") == 0) {
    std::string q = query(a, {"firm", "account", "by", "format"});
    if (!a.has("format")) q += (q.empty() ? "?" : "&") + std::string("format=csv");
    std::cout << http_get(cfg, a, "/positions" + q);
    return 0;
  }
  const auto refs = load_reference_prices(cfg.instruments);
  const auto state = with_db(cfg, [](pqxx::work& tx) { return load_state(tx); });
  Book book(BookSettings{refs, cfg.day_start_offset_ns});
  book.set_now(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
                   .count());
  for (const auto& b : state.baselines) book.restore_baseline(b);
  for (auto f : state.fills) book.restore_fill(std::move(f));
  for (const auto& o : state.orders) book.restore_order(o);
  for (const auto& m : state.marks) book.restore_mark(m);
  book.finish_restore();
  const auto rows = by == "firm" ? book.firm_positions(a.get("firm")) : book.positions(a.get("firm"), a.get("account"));
  std::cout << (format == "json" ? positions_json(rows) : positions_csv(rows));
  return 0;
}

int exposure(const Args& a) {
  const Config cfg = cli_config(a);
  choose(a, "format", {"csv", "json"});
  std::string q = query(a, {"firm", "account", "format"});
  if (!a.has("format")) q += (q.empty() ? "?" : "&") + std::string("format=csv");
  std::cout << http_get(cfg, a, "/exposure" + q);
  return 0;
}

int status(const Args& a) {
  const Config cfg = cli_config(a);
  const auto format = choose(a, "format", {"text", "json"});
  const std::string body = http_get(cfg, a, "/status");
  if (format == "json") {
    std::cout << body;
    return 0;
  }
  const json s = json::parse(body);
  std::cout << "ready: " << (s.value("ready", false) ? "yes" : "NO") << " (";
  bool first = true;
  for (const auto& [k, v] : s["checks"].items()) {
    std::cout << (first ? "" : ", ") << k << " " << (v.get<bool>() ? "ok" : "FAILING");
    first = false;
  }
  std::cout << ")\nlast venue-seq applied: " << s["last_venue_seq"] << ", held back: " << s["records_held"]
            << ", gaps skipped: " << s["gaps_skipped"] << "\nconsumer lag: " << s["lag"]["total"] << " records";
  for (const auto& [p, n] : s["lag"]["partitions"].items()) std::cout << " [p" << p << " " << n << "]";
  std::cout << "\nunwritten fills: " << s["unwritten_fills"]
            << ", last write to PostgreSQL: " << s["last_write"].get<std::string>()
            << (s.value("reading_paused", false) ? " (READING PAUSED)" : "") << "\npositions: " << s["positions"]
            << ", live orders: " << s["live_orders"] << ", fills kept: " << s["fills_kept"]
            << ", limits version: " << s["limits_version"] << "\n\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& u : s["limit_usage"]) {
    rows.push_back({u["scope"], u["entity"], u["limit"], u["symbol"], u["usage"], u["limit_value"],
                    u["usage_percent"].get<std::string>() + "%",
                    u["warning_level"].get<int>() > 0 ? std::to_string(u["warning_level"].get<int>()) + "%" : "-",
                    u["breached"].get<bool>() ? "BREACHED" : "-"});
  }
  print_rows("table", {"scope", "entity", "limit", "symbol", "usage", "limit", "used", "warned", "breach"}, rows);
  std::cout << "\nblocks in force:";
  if (s["blocks"].empty()) std::cout << " none";
  std::cout << "\n";
  for (const auto& b : s["blocks"]) {
    std::cout << "  " << b["scope"].get<std::string>() << " "
              << (b["scope"] == "firm" ? b["firm"].get<std::string>() : b["account"].get<std::string>()) << " since "
              << b["applied_at"].get<std::string>() << " (" << b["command_id"].get<std::string>() << ", "
              << b["orders_cancelled"] << " orders cancelled)\n";
  }
  if (!s["unanswered_commands"].empty()) {
    std::cout << "commands not answered by the venue yet:";
    for (const auto& id : s["unanswered_commands"]) std::cout << " " << id.get<std::string>();
    std::cout << "\n";
  }
  return 0;
}

int limits(const Args& a) {
  const Config cfg = cli_config(a);
  if (a.sub == "set" || a.sub == "delete") {
    for (const char* k : {"last", "format"}) {
      if (a.has(k)) fail(2, std::string("E202 --") + k + " is not taken by limits " + a.sub);
    }
    const Limit l = limit_from_args(a, a.sub == "set");
    const auto by = operator_name(a);
    const auto note = a.get("note");
    const std::string what = std::string(to_string(l.scope)) + " " + l.entity + " " + std::string(to_string(l.type)) +
                             (l.symbol.empty() ? "" : " " + l.symbol);
    if (a.sub == "set") {
      const auto old = with_db(cfg, [&](pqxx::work& tx) { return set_limit(tx, l, by, note); });
      std::cout << "limit set: " << what << " = " << l.value.to_string()
                << (old ? " (was " + old->to_string() + ")" : " (new)") << ", by " << by << "\n";
    } else {
      const bool existed = with_db(cfg, [&](pqxx::work& tx) { return delete_limit(tx, l, by, note); });
      if (!existed) fail(1, "E102 no such limit: " + what);
      std::cout << "limit deleted: " << what << ", by " << by << "\n";
    }
    return 0;
  }
  for (const char* k : {"limit", "symbol", "value", "by", "note"}) {
    if (a.has(k)) fail(2, std::string("E202 --") + k + " is not taken by limits " + a.sub);
  }
  const auto format = choose(a, "format", {"table", "csv", "json"});
  std::vector<std::vector<std::string>> rows;
  if (a.sub == "list") {
    if (a.has("last")) fail(2, "E202 --last is not taken by limits list");
    for (const auto& r : with_db(cfg, [](pqxx::work& tx) { return read_limits(tx); })) {
      const auto& l = r.limit;
      if (a.has("firm") && !(l.scope == Scope::kFirm && l.entity == a.get("firm"))) continue;
      if (a.has("account") && !(l.scope == Scope::kAccount && l.entity == a.get("account"))) continue;
      rows.push_back({std::string(to_string(l.scope)), l.entity, std::string(to_string(l.type)), l.symbol,
                      l.value.to_string(), r.updated_at, r.updated_by});
    }
    print_rows(format, {"scope", "entity", "limit", "symbol", "value", "updated_at", "updated_by"}, rows);
    return 0;
  }
  if (a.has("firm") && a.has("account")) fail(2, "E206 give --firm or --account, not both");
  const std::string entity = a.has("firm") ? a.get("firm") : a.get("account");
  const int n = last_n(a);
  for (const auto& c : with_db(cfg, [&](pqxx::work& tx) { return limit_history(tx, entity, n); })) {
    rows.push_back({std::to_string(c.id), c.at, c.by, c.action, std::string(to_string(c.limit.scope)), c.limit.entity,
                    std::string(to_string(c.limit.type)), c.limit.symbol,
                    c.old_value.empty() ? "" : Amount::parse(c.old_value).value_or(Amount()).to_string(),
                    c.new_value.empty() ? "" : Amount::parse(c.new_value).value_or(Amount()).to_string(), c.note});
  }
  print_rows(format, {"change", "at", "by", "action", "scope", "entity", "limit", "symbol", "old", "new", "note"},
             rows);
  return 0;
}

int release(const Args& a) {
  const Config cfg = cli_config(a);
  if (!a.has("firm") && !a.has("account")) fail(2, "E205 give --firm F (kill switch) or --account A (block)");
  if (!a.has("reason") || a.get("reason").empty()) fail(2, "E205 --reason TEXT is required (it is recorded)");
  int wait_s = 10;
  if (a.has("wait")) {
    char* end = nullptr;
    const long w = std::strtol(a.get("wait").c_str(), &end, 10);
    if (end == a.get("wait").c_str() || *end != '\0' || w < 0 || w > 3600) fail(2, "E204 --wait must be 0 to 3600");
    wait_s = static_cast<int>(w);
  }
  const Scope scope = a.has("account") ? Scope::kAccount : Scope::kFirm;
  std::string firm = a.get("firm");
  const std::string account = a.get("account");
  if (scope == Scope::kAccount && firm.empty()) {
    firm = with_db(cfg, [&](pqxx::work& tx) {
      const auto r = tx.exec("select firm from (select firm from fills where account = " + tx.quote(account) +
                             " union select firm from baselines where account = " + tx.quote(account) +
                             " union select firm from orders where account = " + tx.quote(account) + ") f limit 1");
      return r.empty() ? std::string() : std::string(r[0][0].c_str());
    });
    if (firm.empty()) fail(2, "E205 the firm of account " + account + " is not known here: give --firm F");
  }
  if (cfg.brokers.empty()) fail(2, "E205 [kafka] brokers is empty (is VENUE_KAFKA_BROKERS set? source .local/env)");
  const auto now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const Command c = release_command(scope, firm, account, operator_name(a), a.get("reason"), now_ns);
  // Who and when are recorded before anything is sent.
  with_db(cfg, [&](pqxx::work& tx) { record_command(tx, c); });
  prometheus::Registry registry;
  std::unique_ptr<kafka::Consumer> acks;
  try {
    if (wait_s > 0) {
      acks = std::make_unique<kafka::Consumer>(kafka::ConsumerSettings{.brokers = cfg.brokers,
                                                                       .group_id = "risk-cli",
                                                                       .client_id = "risk-cli",
                                                                       .properties = cfg.kafka.properties()},
                                               registry);
      const auto parts = acks->partitions(cfg.acks_topic, 5000);
      auto from = acks->offsets_for_time(cfg.acks_topic, parts, now_ns / 1'000'000 - 1000, 5000);
      for (auto& p : from) {
        if (p.next_offset == kafka::Consumer::kNoOffset) p.next_offset = RdKafka::Topic::OFFSET_END;
      }
      acks->assign(from);
    }
    kafka::Producer producer({.brokers = cfg.brokers, .client_id = "risk-cli", .properties = cfg.kafka.properties()},
                             registry, nullptr);
    if (producer.produce(cfg.control_topic, firm, command_json(c), {}) != kafka::Enqueue::kOk ||
        !producer.flush(10'000)) {
      fail(3, "E304 the release could not be published to " + cfg.control_topic + " (Kafka unreachable?)");
    }
  } catch (const kafka::KafkaError& e) {
    fail(3, std::string("E304 Kafka: ") + e.what());
  }
  with_db(cfg, [&](pqxx::work& tx) { mark_published(tx, c.id); });
  std::cout << "release published: " << c.id << " (" << c.action << " " << (account.empty() ? firm : account) << ", by "
            << c.issuer << ")\n";
  if (wait_s == 0) return 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = acks->poll(100);
    if (!m) continue;
    auto ack = parse_ack(std::string_view(static_cast<const char*>(m->payload()), m->len()), nullptr);
    if (!ack || ack->command_id != c.id) continue;
    std::cout << "venue: " << ack->result << (ack->reason.empty() ? "" : " (" + ack->reason + ")")
              << (ack->applied_ns > 0 ? " at " + iso_time_ms(ack->applied_ns) : "") << "\n";
    return ack->result == "applied" || ack->result == "duplicate" ? 0 : 1;
  }
  fail(1, "E101 no answer from the venue within " + std::to_string(wait_s) + " s: the release is on " +
              cfg.control_topic + " and applies when the venue reads it");
}

int alerts(const Args& a) {
  const Config cfg = cli_config(a);
  const auto format = choose(a, "format", {"table", "csv", "json"});
  const int n = last_n(a);
  std::vector<std::vector<std::string>> rows;
  for (const auto& x : with_db(cfg, [&](pqxx::work& tx) { return list_alerts(tx, a.get("firm"), n); })) {
    rows.push_back({x.at, x.kind, x.scope, x.firm, x.account, x.limit, x.symbol, std::to_string(x.level), x.usage,
                    x.limit_value, x.command_id, x.id});
  }
  print_rows(format,
             {"at", "kind", "scope", "firm", "account", "limit", "symbol", "level", "usage", "limit_value",
              "command_id", "id"},
             rows);
  return 0;
}

int commands(const Args& a) {
  const Config cfg = cli_config(a);
  const auto format = choose(a, "format", {"table", "csv", "json"});
  const int n = last_n(a);
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : with_db(cfg, [&](pqxx::work& tx) { return list_commands(tx, a.get("firm"), n); })) {
    const auto& c = r.command;
    rows.push_back({iso_time_ms(c.issued_ns), c.issuer, c.action, c.firm, c.account, r.published_at,
                    r.ack ? r.ack->result : "", r.ack && r.ack->applied_ns > 0 ? iso_time_ms(r.ack->applied_ns) : "",
                    r.ack ? std::to_string(r.ack->orders_cancelled) : "", c.id, c.reason});
  }
  print_rows(format,
             {"issued_at", "issuer", "action", "firm", "account", "published_at", "answer", "applied_at",
              "orders_cancelled", "id", "reason"},
             rows);
  return 0;
}

}  // namespace

int run_cli(int argc, char** argv) {
  try {
    if (argc >= 2) {
      const std::string first = argv[1];
      if (first == "help" || first == "--help" || first == "-h") {
        if (argc >= 3 && specs().count(argv[2]) != 0) {
          const auto& s = specs().at(argv[2]);
          std::cout << "usage: " << s.usage << "\n\n" << s.help << "\n";
        } else {
          std::cout << general_help();
        }
        return 0;
      }
      if (first == "--print-config-reference") {
        std::cout << config_reference();
        return 0;
      }
    }
    const Args a = parse_args(argc, argv);
    if (a.flags.count("help") != 0) {
      const auto& s = specs().at(a.command);
      std::cout << "usage: " << s.usage << "\n\n" << s.help << "\n";
      return 0;
    }
    if (a.command == "serve") return serve(a);
    if (a.command == "positions") return positions(a);
    if (a.command == "exposure") return exposure(a);
    if (a.command == "status") return status(a);
    if (a.command == "limits") return limits(a);
    if (a.command == "release") return release(a);
    if (a.command == "alerts") return alerts(a);
    if (a.command == "commands") return commands(a);
    fail(2, "E201 unknown command \"" + a.command + "\"");
  } catch (const CliError& e) {
    std::cerr << "risk: " << e.text << "\n";
    return e.exit_code;
  } catch (const std::exception& e) {
    std::cerr << "risk: E300 " << e.what() << "\n";
    return 3;
  }
}

}  // namespace venue::risk
