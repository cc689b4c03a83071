#pragma once
// The risk service's configuration (TOML). Every key is documented by the reader itself; the reference
// is spec/risk-config.md (written by `risk --print-config-reference`, checked by a unit test).
//
//   auto cfg = venue::risk::load_config("deploy/local/risk.toml");   // throws config::ConfigError
//
// Thread rules: plain values.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "venue/common/config.h"
#include "venue/common/kafka_config.h"
#include "venue/risk/limits.h"

namespace venue::risk {

struct Config {
  // [risk]
  std::string metrics_bind = "127.0.0.1";
  std::uint16_t metrics_port = 0;
  std::string log_level = "info";
  std::string log_file;
  std::filesystem::path instruments;
  std::vector<int> warning_levels{50, 75, 90};
  int warning_rearm_points = 2;
  std::int64_t day_start_offset_ns = 0;
  int keep_fill_days = 2;
  int flush_interval_ms = 200;
  int limits_poll_ms = 500;
  int gap_timeout_ms = 1000;
  int max_gap_wait_ms = 10'000;
  std::int64_t max_unwritten_fills = 1'000'000;
  bool enforce = true;
  // [kafka]
  kafka::Connection kafka;  // brokers and transport security (venue/common/kafka_config.h)
  std::string brokers;      // kafka.brokers
  std::string reports_topic = "venue.execution-reports";
  std::string control_topic = "venue.risk-control";
  std::string acks_topic = "venue.risk-control-acks";
  std::string alerts_topic = "venue.risk-alerts";
  std::string group_id = "risk";
  std::string client_id = "risk";
  bool start_from_end = false;
  // [database]
  std::string database_url;
  std::string schema = "risk";
  // [[limit]]: limits set at start when PostgreSQL has none for that key (an officer's change is kept).
  std::vector<Limit> seed_limits;
};

// `lenient_environment`: a "$NAME" whose variable is not set reads as "" instead of failing (the CLI's
// commands that do not need that value still work; those that do say so).
void read_config(config::Table& root, Config& c, const std::filesystem::path& base_dir,
                 bool lenient_environment = false);
Config parse_config(const std::string& text, const std::string& name, const std::filesystem::path& base_dir);
Config load_config(const std::filesystem::path& file, bool lenient_environment = false);
std::string config_reference();

}  // namespace venue::risk
