#pragma once
// The drop-copy service's configuration (one TOML file; every key in spec/dropcopy-config.md, generated
// from read_config): its FIX listener and identity, the Kafka topic it copies from, and the drop-copy
// sessions with their credentials, scope and level.
//
// Thread rules: plain values.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "venue/common/config.h"
#include "venue/common/kafka_config.h"
#include "venue/common/log_config.h"

namespace venue::dropcopy {

enum class Scope : std::uint8_t { kAll, kFirms, kAccounts };
enum class Level : std::uint8_t { kAll, kFills };

struct SessionConfig {
  std::string sender_comp_id;  // the client's CompID
  std::string username;
  std::string password_hash;
  bool tls = false;
  std::vector<std::string> allow_from;
  Scope scope = Scope::kAll;
  std::vector<std::string> firms;     // scope "firms"
  std::vector<std::string> accounts;  // scope "accounts"
  Level level = Level::kAll;
  std::int64_t heartbeat_seconds_max = 120;
};

struct Config {
  std::string comp_id = "VENUEDC";
  std::uint16_t fix_port = 9880;
  std::uint16_t tls_port = 0;
  std::filesystem::path tls_certificate;
  std::filesystem::path tls_private_key;
  std::filesystem::path store_dir;
  std::filesystem::path data_dictionary;
  std::string session_start_time = "00:00:00";
  std::string session_end_time = "00:00:00";
  // sync = "fdatasync": every file written before a copy leaves or an offset is committed is synced to
  // disk first (the stores, by VenueStoreFactory's durable mode; the cursors and the seen file, and
  // their folder after the rename).
  bool durable = false;
  std::string metrics_bind = "127.0.0.1";
  std::uint16_t metrics_port = 0;
  std::string log_level = "info";
  log::LogOutput log;       // [log]
  kafka::Connection kafka;  // brokers and transport security (venue/common/kafka_config.h)
  std::string topic = "venue.execution-reports";
  std::string group_id = "dropcopy";
  std::string client_id = "dropcopy";
  std::int64_t max_batch = 1000;
  std::int64_t session_timeout_ms = 45'000;  // the group session (librdkafka's session.timeout.ms)
  // A session with no copies to go by (new, or its store and cursor lost) is caught up with this many
  // hours of reports, as far as the topic still holds them.
  std::int64_t catch_up_hours = 24;
  std::vector<SessionConfig> sessions;
};

void read_config(config::Table& root, Config& out, const std::filesystem::path& base_dir);
Config load_config(const std::filesystem::path& file);
Config parse_config(const std::string& text, const std::string& name, const std::filesystem::path& base_dir);
std::string config_reference();

}  // namespace venue::dropcopy
