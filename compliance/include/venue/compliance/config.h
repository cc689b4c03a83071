#pragma once
// The compliance service's configuration (one TOML file; every key in spec/compliance-config.md,
// generated from read_config): where the reports come from, the database, how rows are batched, and
// the surveillance rules with their thresholds. The officers' commands read the same file for the
// database URL and the Kafka group.
//
// Thread rules: plain values.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "venue/common/config.h"
#include "venue/common/kafka_config.h"

namespace venue::compliance {

// Accounts with one beneficial owner (wash trades across them count as wash trades).
struct OwnerGroup {
  std::string name;
  std::vector<std::string> accounts;
};

struct WashTradeRule {
  bool enabled = true;
};

struct SpoofingRule {
  bool enabled = true;
  std::int64_t min_order_qty = 1000;    // an order at least this large is "large"
  std::int64_t min_orders = 3;          // or this many orders on one side ("layering")
  std::int64_t max_distance_bps = 50;   // placed within this distance of the touch
  std::int64_t max_lifetime_ms = 5000;  // cancelled within this long of being placed
  std::int64_t trade_window_ms = 10000;
};

struct OrderToTradeRule {
  bool enabled = true;
  std::int64_t window_seconds = 300;
  std::int64_t min_orders = 50;
  std::int64_t max_ratio = 20;
};

struct MomentumIgnitionRule {
  bool enabled = true;
  std::int64_t window_ms = 10000;
  std::int64_t min_aggressive_orders = 3;
  std::int64_t min_move_bps = 30;
  std::int64_t reversal_window_ms = 30000;
};

struct SurveillanceConfig {
  std::vector<OwnerGroup> owners;
  WashTradeRule wash_trade;
  SpoofingRule spoofing;
  OrderToTradeRule order_to_trade;
  MomentumIgnitionRule momentum_ignition;
  // How far back (report time) the rules' state is rebuilt from the audit trail after a restart.
  std::int64_t replay_seconds() const;
};

struct Config {
  std::string metrics_bind = "127.0.0.1";
  std::uint16_t metrics_port = 0;
  std::string log_level = "info";
  std::string log_file;

  std::string db_url;

  kafka::Connection kafka;  // brokers and transport security (venue/common/kafka_config.h)
  std::string brokers;      // kafka.brokers
  std::string topic = "venue.execution-reports";
  std::string group_id = "compliance";
  std::string client_id = "compliance";
  std::string alerts_topic = "venue.compliance-alerts";

  std::int64_t max_batch = 10000;
  std::int64_t max_batch_wait_ms = 50;
  std::int64_t stage_after_ms = 5000;
  std::int64_t max_buffered = 200000;
  std::int64_t partitions_ahead_days = 3;
  std::int64_t retry_backoff_max_ms = 5000;
  std::filesystem::path checkpoint_file;
  std::int64_t checkpoint_every_seconds = 60;

  SurveillanceConfig surveillance;
};

void read_config(config::Table& root, Config& out, const std::filesystem::path& base_dir);
Config load_config(const std::filesystem::path& file);
Config parse_config(const std::string& text, const std::string& name, const std::filesystem::path& base_dir);
std::string config_reference();

}  // namespace venue::compliance
