// build/bin/compliance: the compliance service and the officers' commands (compliance --help).
//
//   compliance --config FILE [--check-config]       the service (also: compliance run --config FILE)
//   compliance verify|export|alerts|status|gaps ...  commands (commands.h)
//   compliance --print-config-reference
//
// Exit codes of the service: 0 clean shutdown, 2 bad command line or configuration, 3 start-up or runtime
// failure (a database newer than this binary, Kafka refusing the configuration).
#include <iostream>

#include "venue/common/log.h"
#include "venue/common/observability.h"
#include "venue/common/shutdown.h"
#include "venue/compliance/commands.h"
#include "venue/compliance/config.h"
#include "venue/compliance/service.h"

namespace cp = venue::compliance;

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "compliance: CMP002: " << why << "\n" << cp::usage_text();
  std::exit(2);
}

int serve(const std::vector<std::string>& args) {
  std::string file;
  bool check_only = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config") {
      if (i + 1 >= args.size()) usage("--config needs a file");
      file = args[++i];
    } else if (args[i] == "--check-config") {
      check_only = true;
    } else {
      usage("unknown argument \"" + args[i] + "\"");
    }
  }
  if (file.empty()) usage("--config FILE is required");
  cp::Config cfg;
  try {
    cfg = cp::load_config(file);
  } catch (const venue::config::ConfigError& e) {
    std::cerr << "compliance: CMP006: configuration refused:\n" << e.what() << "\n";
    return 2;
  }
  if (check_only) {
    std::cout << "compliance: " << file << " is valid\n";
    return 0;
  }
  venue::log::Level level = venue::log::Level::info;
  venue::log::parse_level(cfg.log_level, level);
  venue::log::init({.component = "compliance", .level = level, .output = cfg.log});
  venue::ShutdownSignal::install();
  try {
    std::unique_ptr<venue::Observability> obs;
    if (cfg.metrics_port != 0) obs = std::make_unique<venue::Observability>(cfg.metrics_bind, cfg.metrics_port);
    cp::Service service(cfg, obs ? obs->shared_registry() : std::make_shared<prometheus::Registry>());
    if (obs) {
      obs->add_readiness_check("database", [&service] { return service.ready(); });
      obs->start();
    }
    service.run();
    if (obs) obs->stop();
  } catch (const std::exception& e) {
    VENUE_LOG_KV(fatal, "compliance failed", {{"error", e.what()}});
    venue::log::shutdown();
    std::cerr << "compliance: " << e.what() << "\n";
    return 3;
  }
  venue::log::shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << cp::usage_text();
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--print-config-reference") {
    std::cout << cp::config_reference();
    return 0;
  }
  if (args[0] == "run") return serve({args.begin() + 1, args.end()});
  // `compliance --config FILE status` (or --db URL) is read as `compliance status --config FILE`: officers
  // keep the configuration in a shell variable in front of the command.
  if ((args[0] == "--config" || args[0] == "--db") && args.size() >= 3) {
    for (const char* command : {"verify", "export", "alerts", "status", "gaps"}) {
      if (args[2] == command) {
        std::vector<std::string> moved{args[2], args[0], args[1]};
        moved.insert(moved.end(), args.begin() + 3, args.end());
        return cp::run_command(moved, std::cout, std::cerr);
      }
    }
  }
  if (args[0].rfind("--", 0) == 0) return serve(args);
  return cp::run_command(args, std::cout, std::cerr);
}
