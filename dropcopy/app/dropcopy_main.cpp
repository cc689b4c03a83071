// build/bin/dropcopy: the drop-copy service (copies of the venue's execution reports to compliance
// officers' read-only FIX sessions, from Kafka).
//
//   dropcopy --config FILE [--check-config]
//   dropcopy --print-config-reference
//
// Exit codes: 0 clean shutdown, 2 bad command line or configuration, 3 start-up or runtime failure.
#include <iostream>

#include "venue/common/log.h"
#include "venue/common/observability.h"
#include "venue/common/shutdown.h"
#include "venue/dropcopy/config.h"
#include "venue/dropcopy/service.h"

namespace dc = venue::dropcopy;

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "dropcopy: " << why << "\n"
            << "usage: dropcopy --config FILE [--check-config]\n"
            << "       dropcopy --print-config-reference\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string file;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config") {
      if (i + 1 >= argc) usage("--config needs a file");
      file = argv[++i];
    } else if (a == "--check-config") {
      check_only = true;
    } else if (a == "--print-config-reference") {
      std::cout << dc::config_reference();
      return 0;
    } else {
      usage("unknown argument \"" + a + "\"");
    }
  }
  if (file.empty()) usage("--config FILE is required");
  dc::Config cfg;
  try {
    cfg = dc::load_config(file);
  } catch (const venue::config::ConfigError& e) {
    std::cerr << "dropcopy: configuration refused:\n" << e.what() << "\n";
    return 2;
  }
  if (check_only) {
    std::cout << "dropcopy: " << file << " is valid (" << cfg.sessions.size() << " sessions)\n";
    return 0;
  }
  venue::log::Level level = venue::log::Level::info;
  venue::log::parse_level(cfg.log_level, level);
  venue::log::init({.component = "dropcopy", .level = level, .output = cfg.log});
  venue::ShutdownSignal::install();
  try {
    std::unique_ptr<venue::Observability> obs;
    if (cfg.metrics_port != 0) obs = std::make_unique<venue::Observability>(cfg.metrics_bind, cfg.metrics_port);
    dc::Service service(cfg, obs ? obs->shared_registry() : std::make_shared<prometheus::Registry>());
    if (obs) {
      obs->add_readiness_check("dropcopy", [&service] { return service.ready(); });
      obs->start();
    }
    service.start();
    service.run();
    if (obs) obs->stop();
  } catch (const std::exception& e) {
    VENUE_LOG_KV(fatal, "dropcopy failed", {{"error", e.what()}});
    venue::log::shutdown();
    std::cerr << "dropcopy: " << e.what() << "\n";
    return 3;
  }
  venue::log::shutdown();
  return 0;
}
