// build/bin/venue: the venue process. FIX 4.4 order entry, the matching engines, metrics and the
// admin API.
//
//   venue --config FILE                 run
//   venue --config FILE --check-config  validate the configuration (and the files it names) and exit
//   venue --print-config-reference      every configuration key, as Markdown
//
// Exit codes: 0 clean shutdown, 2 bad command line or configuration, 3 start-up or runtime failure.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "venue/common/log.h"
#include "venue/common/observability.h"
#include "venue/common/shutdown.h"
#include "venue/fix_gateway/config.h"
#include "venue/fix_gateway/gateway.h"
#include "venue/matcher/reference_data.h"

namespace fg = venue::fix_gateway;

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "venue: " << why << "\n"
            << "usage: venue --config FILE [--check-config]\n"
            << "       venue --print-config-reference\n";
  std::exit(2);
}

venue::HttpResponse json(int status, const nlohmann::json& body) { return venue::json_response(status, body.dump()); }

void add_admin_routes(venue::HttpServer& http, fg::Gateway& gateway) {
  http.route("GET", "/admin/sessions", [&gateway](const venue::HttpRequest&) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : gateway.admin_sessions()) {
      out.push_back({{"sender_comp_id", s.sender_comp_id},
                     {"firm", s.firm},
                     {"role", s.role},
                     {"logged_on", s.logged_on},
                     {"peer", s.peer},
                     {"next_in_seq", s.next_in},
                     {"next_out_seq", s.next_out},
                     {"throttle_refused", s.throttle_refused},
                     {"live_orders", s.live_orders}});
    }
    return json(200, out);
  });
  auto body_of = [](const venue::HttpRequest& r, nlohmann::json& out, std::string& error) {
    try {
      out = nlohmann::json::parse(r.body);
      if (!out.is_object()) {
        error = "the body must be a JSON object";
        return false;
      }
      return true;
    } catch (const nlohmann::json::exception& e) {
      error = std::string("the body is not JSON: ") + e.what();
      return false;
    }
  };
  http.route("POST", "/admin/kill-switch", [&gateway, body_of](const venue::HttpRequest& r) {
    nlohmann::json b;
    std::string error;
    if (!body_of(r, b, error)) return json(400, {{"error", error}});
    const std::string firm = b.value("firm", "");
    const std::string account = b.value("account", "");
    const bool release = b.value("release", false);
    if (firm.empty() == account.empty()) return json(400, {{"error", "give exactly one of \"firm\" or \"account\""}});
    const auto result = gateway.admin_kill_switch(firm, account, release);
    VENUE_LOG_KV(
        warning, "admin: kill switch",
        {{"firm", firm}, {"account", account}, {"release", release}, {"from", r.remote_address}, {"ok", result.ok}});
    return json(result.ok ? 200 : 400, {{"ok", result.ok}, {"message", result.message}});
  });
  http.route("POST", "/admin/trading-status", [&gateway, body_of](const venue::HttpRequest& r) {
    nlohmann::json b;
    std::string error;
    if (!body_of(r, b, error)) return json(400, {{"error", error}});
    const std::string symbol = b.value("symbol", "");
    const std::string status = b.value("status", "");
    const auto result = gateway.admin_trading_status(symbol, status);
    VENUE_LOG_KV(warning, "admin: trading status",
                 {{"symbol", symbol}, {"status", status}, {"from", r.remote_address}, {"ok", result.ok}});
    return json(result.ok ? 200 : 400, {{"ok", result.ok}, {"message", result.message}});
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_file;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config") {
      if (i + 1 >= argc) usage("--config needs a file");
      config_file = argv[++i];
    } else if (a == "--check-config") {
      check_only = true;
    } else if (a == "--print-config-reference") {
      std::cout << fg::config_reference();
      return 0;
    } else if (a == "-h" || a == "--help") {
      usage("help");
    } else {
      usage("unknown argument \"" + a + "\"");
    }
  }
  if (config_file.empty()) usage("--config FILE is required");

  fg::GatewayConfig cfg;
  try {
    cfg = fg::load_config(config_file);
    // The instrument file is part of the configuration: check it now too.
    venue::matcher::load_reference_data(cfg.engine.instruments_file);
  } catch (const venue::config::ConfigError& e) {
    std::cerr << "venue: configuration refused:\n" << e.what() << "\n";
    return 2;
  }
  if (check_only) {
    std::cout << "venue: " << config_file << " is valid (" << cfg.sessions.size() << " sessions, "
              << cfg.accounts.size() << " accounts)\n";
    return 0;
  }

  venue::log::Level level = venue::log::Level::info;
  venue::log::parse_level(cfg.log_level, level);
  venue::log::init({.component = "venue", .level = level, .file = cfg.log_file});
  venue::ShutdownSignal::install();

  try {
    std::unique_ptr<venue::Observability> obs;
    if (cfg.metrics_port != 0) obs = std::make_unique<venue::Observability>(cfg.metrics_bind, cfg.metrics_port);
    fg::Gateway gateway(cfg, obs ? obs->shared_registry() : std::make_shared<prometheus::Registry>());
    if (obs) {
      obs->add_readiness_check("gateway", [&gateway] { return gateway.ready(); });
      add_admin_routes(obs->http(), gateway);
      obs->start();
    }
    gateway.start();
    gateway.run();
    if (obs) obs->stop();
  } catch (const std::exception& e) {
    VENUE_LOG_KV(fatal, "venue failed", {{"error", e.what()}});
    venue::log::shutdown();
    std::cerr << "venue: " << e.what() << "\n";
    return 3;
  }
  venue::log::shutdown();
  return 0;
}
