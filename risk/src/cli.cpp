// build/bin/risk's command line: the service (`risk [serve] --config FILE`) and the officers' commands.
// Here: the commands' help texts, the argument parser, the helpers the commands share (cli_internal.h),
// serve and the dispatch; the commands over the service's views in cli_views.cpp, those over limits,
// releases, alerts and commands in cli_limits.cpp.
#include "venue/risk/cli.h"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cli_internal.h"
#include "venue/common/log.h"
#include "venue/common/observability.h"
#include "venue/common/shutdown.h"
#include "venue/risk/config.h"
#include "venue/risk/instruments.h"
#include "venue/risk/service.h"
#include "venue/risk/views.h"

namespace venue::risk {

using cli_detail::alerts;
using cli_detail::Args;
using cli_detail::CliError;
using cli_detail::commands;
using cli_detail::config_path;
using cli_detail::exposure;
using cli_detail::fail;
using cli_detail::limits;
using cli_detail::positions;
using cli_detail::release;
using cli_detail::status;

namespace {

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
  log::init({.component = "risk", .level = level, .output = cfg.log});
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

}  // namespace

namespace cli_detail {

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

}  // namespace cli_detail

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
