// build/bin/venue: the venue process. FIX 4.4 order entry, the matching engines, metrics (/metrics,
// /healthz, /readyz on [venue] metrics_port) and the operator API with its console on a port of its own
// ([operator_api], spec/operator-api.md).
//
//   venue --config FILE                 run
//   venue --config FILE --check-config  validate the configuration (and the files it names) and exit
//   venue --print-config-reference      every configuration key, as Markdown
//
// Exit codes: 0 clean shutdown, 2 bad command line or configuration, 3 start-up or runtime failure.
#include <atomic>
#include <cstdio>
#include <iostream>
#include <string>

#include "venue/common/log.h"
#include "venue/common/observability.h"
#include "venue/common/shutdown.h"
#include "venue/fix_gateway/config.h"
#include "venue/fix_gateway/gateway.h"
#include "venue/fix_gateway/operator_routes.h"
#include "venue/matcher/reference_data.h"

namespace fg = venue::fix_gateway;

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "venue: " << why << "\n"
            << "usage: venue --config FILE [--check-config]\n"
            << "       venue --print-config-reference\n";
  std::exit(2);
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
    // The instrument file is part of the configuration: check it now too, and the sessions operators
    // changed at runtime (<state_dir>/sessions.toml), which the gateway applies at start.
    venue::matcher::load_reference_data(cfg.engine.instruments_file);
    fg::GatewayConfig with_changes = cfg;
    fg::apply_session_changes(with_changes, fg::read_session_changes(with_changes));
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
    const auto registry = obs ? obs->shared_registry() : std::make_shared<prometheus::Registry>();
    fg::Gateway gateway(cfg, registry);
    // Ready means every server answers: the operator API starts after the gateway's recovery, so
    // /readyz waits for it too (a runbook step run at "ready" must not meet a refused connection).
    std::atomic<bool> api_listening{cfg.operator_api.port == 0};
    if (obs) {
      obs->add_readiness_check("gateway", [&gateway] { return gateway.ready(); });
      obs->add_readiness_check("operator_api", [&api_listening] { return api_listening.load(); });
      obs->start();
    }
    gateway.start();
    std::unique_ptr<venue::operator_api::Server> api;
    if (cfg.operator_api.port != 0) {
      api = std::make_unique<venue::operator_api::Server>(fg::operator_api_settings(cfg), *registry);
      fg::add_operator_routes(*api, gateway);
      api->start();
      api_listening = true;
    }
    gateway.run();
    if (api) api->stop();
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
