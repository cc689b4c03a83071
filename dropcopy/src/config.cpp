#include "venue/dropcopy/config.h"

#include <cstdlib>

#include "venue/fix_session/auth.h"
#include "venue/fix_session/fix_text.h"

namespace venue::dropcopy {

namespace cfg = venue::config;

void read_config(cfg::Table& root, Config& c, const std::filesystem::path& base) {
  auto d = root.table("dropcopy", "The drop-copy service: its FIX identity, listeners, files and observability");
  c.comp_id = d.string("comp_id", "SenderCompID(49) of the drop-copy sessions", "VENUEDC");
  c.fix_port =
      static_cast<std::uint16_t>(d.integer("fix_port", "TCP port of the plain FIX listener", 9880, {1, 65535}));
  c.tls_port =
      static_cast<std::uint16_t>(d.integer("tls_port", "TCP port of the TLS FIX listener; 0: none", 0, {0, 65535}));
  c.tls_certificate = cfg::resolve_path(base, d.string("tls_certificate", "PEM certificate of the TLS listener", ""));
  c.tls_private_key = cfg::resolve_path(base, d.string("tls_private_key", "PEM private key of the TLS listener", ""));
  if (c.tls_port != 0 && (c.tls_certificate.empty() || c.tls_private_key.empty())) {
    d.fail("tls_port", "a TLS listener needs tls_certificate and tls_private_key");
  }
  c.store_dir = cfg::resolve_path(
      base, d.string("store_dir", "Folder of the FIX message stores (QuickFIX FileStore's files, one set per session)",
                     cfg::kRequired));
  c.data_dictionary =
      cfg::resolve_path(base, d.string("data_dictionary", "The venue's FIX 4.4 data dictionary", cfg::kRequired));
  c.session_start_time = d.string("session_start_time", "UTC time a session day starts (sequence reset)", "00:00:00");
  c.session_end_time =
      d.string("session_end_time", "UTC time a session day ends; equal to the start: 24 hours", "00:00:00");
  for (const auto* key : {"session_start_time", "session_end_time"}) {
    const auto& v = std::string(key) == "session_start_time" ? c.session_start_time : c.session_end_time;
    if (!fix_session::valid_time_of_day(v)) d.fail(key, "must be a time HH:MM:SS");
  }
  c.durable = d.choice("sync",
                       "write: the stores, cursors and copied venue-seqs are in the kernel before a copy leaves and "
                       "its offset is committed (survives a crash of the process, not of the machine); fdatasync: "
                       "also on disk, so a power cut loses no copy whose offset Kafka has",
                       {"write", "fdatasync"}, "write") == "fdatasync";
  c.metrics_bind = d.string("metrics_bind", "Address of /metrics, /healthz and /readyz", "127.0.0.1");
  c.metrics_port = static_cast<std::uint16_t>(d.integer("metrics_port", "Port of /metrics; 0: none", 0, {0, 65535}));
  c.log_level =
      d.choice("log_level", "Least severe log level written", {"trace", "debug", "info", "warning", "error"}, "info");

  c.log = log::read_log_output(root, base);

  auto k = root.table("kafka", "Where the reports come from");
  venue::kafka::read_connection(k, c.kafka, base);
  c.topic = k.string("topic", "Topic of the venue's execution reports", "venue.execution-reports");
  c.group_id =
      k.string("group_id", "Consumer group; every drop-copy instance needs all partitions, so each has its own group",
               "dropcopy");
  c.client_id = k.string("client_id", "Kafka client.id", "dropcopy");
  c.max_batch = k.integer("max_batch", "Reports copied between two offset commits", 1000, {1, 100'000});
  c.session_timeout_ms = k.integer("session_timeout_ms",
                                   "The consumer group's session: how long Kafka waits for a silent drop copy (its "
                                   "process gone, or Kafka unreachable) before it takes the member out of the "
                                   "group; within the brokers' group.min/max.session.timeout.ms",
                                   45'000, {6'000, 1'800'000});
  c.catch_up_hours = k.integer("catch_up_hours",
                               "A session with an empty store and no cursor (new, or its files lost) first gets "
                               "the reports in its scope of this many hours back, as far as the topic holds them; "
                               "0: none",
                               24, {0, 24 * 366});

  for (auto& s : root.tables("session", "A drop-copy session (read-only FIX)", true)) {
    SessionConfig sc;
    sc.sender_comp_id = s.string("sender_comp_id", "The client's SenderCompID(49)", cfg::kRequired);
    sc.username = s.string("username", "Username(553) the Logon must carry", cfg::kRequired);
    sc.password_hash =
        s.string("password_hash", "Salted hash of Password(554) (build/bin/venue-passwd)", cfg::kRequired);
    std::string why;
    if (!sc.password_hash.empty() && !fix_session::valid_password_hash(sc.password_hash, &why))
      s.fail("password_hash", why);
    sc.tls = s.choice("transport", "Which listener the session must use", {"plain", "tls"}, "plain") == "tls";
    if (sc.tls && c.tls_port == 0) s.fail("transport", "tls needs [dropcopy] tls_port");
    sc.allow_from = s.strings("allow_from", "Source addresses allowed to log on (IPv4 CIDR); empty: any");
    for (const auto& a : sc.allow_from) {
      if (!fix_session::parse_cidr(a)) s.fail("allow_from", "\"" + a + "\" is not an IPv4 address or CIDR block");
    }
    const auto scope = s.choice("scope", "Which reports the session gets", {"all", "firms", "accounts"}, "all");
    sc.scope = scope == "firms" ? Scope::kFirms : scope == "accounts" ? Scope::kAccounts : Scope::kAll;
    sc.firms = s.strings("firms", "Firms whose reports the session gets (scope \"firms\")");
    sc.accounts = s.strings("accounts", "Accounts whose reports the session gets (scope \"accounts\")");
    if (sc.scope == Scope::kFirms && sc.firms.empty()) s.fail("firms", "scope \"firms\" needs at least one firm");
    if (sc.scope == Scope::kAccounts && sc.accounts.empty())
      s.fail("accounts", "scope \"accounts\" needs at least one account");
    sc.level = s.choice("level", "all: every ExecutionReport; fills: trades only", {"all", "fills"}, "all") == "fills"
                   ? Level::kFills
                   : Level::kAll;
    sc.heartbeat_seconds_max = s.integer("max_heartbeat_seconds", "Largest HeartBtInt(108) accepted", 120, {1, 3600});
    for (const auto& other : c.sessions) {
      if (other.sender_comp_id == sc.sender_comp_id) s.fail("sender_comp_id", "is used by another session");
    }
    c.sessions.push_back(std::move(sc));
  }
}

Config parse_config(const std::string& text, const std::string& name, const std::filesystem::path& base_dir) {
  return cfg::parse<Config>(read_config, text, name, base_dir);
}

Config load_config(const std::filesystem::path& file) { return cfg::load<Config>(read_config, file); }

std::string config_reference() { return cfg::reference<Config>(read_config); }

}  // namespace venue::dropcopy
