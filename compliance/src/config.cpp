#include "venue/compliance/config.h"

#include <algorithm>
#include <cstdlib>
#include <set>

namespace venue::compliance {

namespace cfg = venue::config;

std::int64_t SurveillanceConfig::replay_seconds() const {
  std::int64_t ms = 60'000;
  ms = std::max(ms, spoofing.trade_window_ms + spoofing.max_lifetime_ms);
  ms = std::max(ms, order_to_trade.window_seconds * 1000);
  ms = std::max(ms, momentum_ignition.window_ms + momentum_ignition.reversal_window_ms);
  return ms / 1000 + 60;
}

void read_config(cfg::Table& root, Config& c, const std::filesystem::path& base) {
  if (auto s = root.optional_table("compliance", "The service's observability")) {
    c.metrics_bind = s->string("metrics_bind", "Address of /metrics, /healthz and /readyz", "127.0.0.1");
    c.metrics_port = static_cast<std::uint16_t>(s->integer("metrics_port", "Port of /metrics; 0: none", 0, {0, 65535}));
    c.log_level = s->choice("log_level", "Least severe log level written",
                            {"trace", "debug", "info", "warning", "error"}, "info");
  }

  c.log = log::read_log_output(root, base);

  auto d = root.table("database", "The PostgreSQL database of the audit trail (schema compliance)");
  c.db_url = d.string("url", "libpq connection URI; \"$NAME\" reads environment variable NAME", cfg::kRequired);
  c.db_url = cfg::from_environment(d, "url", c.db_url);

  auto k = root.table("kafka", "Where the reports come from and where alerts go");
  venue::kafka::read_connection(k, c.kafka, base);  // brokers, TLS, SASL (venue/common/kafka_config.h)
  c.brokers = c.kafka.brokers;
  c.topic = k.string("topic", "Topic of the venue's execution reports", "venue.execution-reports");
  c.group_id = k.string("group_id", "Consumer group of the compliance service", "compliance");
  c.client_id = k.string("client_id", "Kafka client.id", "compliance");
  c.alerts_topic =
      k.string("alerts_topic", "Topic the surveillance alerts are published to", "venue.compliance-alerts");

  if (auto i = root.optional_table("ingest", "How reports are written to the audit trail")) {
    c.max_batch = i->integer("max_batch", "Reports read per batch (one PostgreSQL transaction)", 10000, {1, 100'000});
    c.max_batch_wait_ms =
        i->integer("max_batch_wait_ms", "Longest a batch waits to fill before it is written", 50, {0, 10'000});
    c.stage_after_ms = i->integer("stage_after_ms",
                                  "Reports held back by a gap in venue-seq are moved from memory to the table pending "
                                  "after this long (their Kafka offsets can then be committed)",
                                  5000, {0, 3'600'000});
    c.max_buffered = i->integer("max_buffered", "Most reports held in memory behind a gap before they are staged",
                                200'000, {1, 10'000'000});
    c.partitions_ahead_days =
        i->integer("partitions_ahead_days", "Daily partitions of the audit table created ahead of today", 3, {0, 366});
    c.retry_backoff_max_ms = i->integer(
        "retry_backoff_max_ms", "Longest wait between attempts while PostgreSQL is unreachable", 5000, {100, 600'000});
    c.checkpoint_file = cfg::resolve_path(
        base,
        i->string("checkpoint_file",
                  "File the chain's head (venue-seq, row hash) is appended to, to be kept away from the database: "
                  "`compliance verify --checkpoints FILE` proves the chain was not rewritten; empty: none",
                  ""));
    c.checkpoint_every_seconds =
        i->integer("checkpoint_every_seconds", "How often a checkpoint is appended", 60, {1, 86'400});
  }

  auto& sv = c.surveillance;
  auto r_opt = root.optional_table("surveillance", "Rules evaluated as reports arrive (spec/compliance.md)");
  if (!r_opt) return;
  auto& r = *r_opt;
  std::set<std::string> grouped;
  for (auto& o : r.tables("owner", "Accounts with one beneficial owner", false)) {
    OwnerGroup g;
    g.name = o.string("name", "The owner's name (shown in alerts)", cfg::kRequired);
    g.accounts = o.strings("accounts", "Its accounts (Account(1) values)");
    if (g.accounts.empty()) o.fail("accounts", "an owner needs at least one account");
    for (const auto& a : g.accounts) {
      if (!grouped.insert(a).second) o.fail("accounts", "account " + a + " is in two owner groups");
    }
    sv.owners.push_back(std::move(g));
  }
  if (auto w = r.optional_table("wash_trade", "Wash trades: one beneficial owner on both sides of a trade")) {
    sv.wash_trade.enabled = w->boolean("enabled", "Evaluate the rule", true);
  }
  if (auto p = r.optional_table("spoofing", "Spoofing and layering")) {
    auto& x = sv.spoofing;
    x.enabled = p->boolean("enabled", "Evaluate the rule", true);
    x.min_order_qty = p->integer("min_order_qty", "An order of at least this quantity is large", 1000, {1, 1LL << 50});
    x.min_orders = p->integer("min_orders", "Or at least this many orders on one side (layering)", 3, {1, 10'000});
    x.max_distance_bps =
        p->integer("max_distance_bps", "Placed within this many basis points of the touch", 50, {0, 10'000});
    x.max_lifetime_ms =
        p->integer("max_lifetime_ms", "Cancelled within this many milliseconds of placement", 5000, {1, 3'600'000});
    x.trade_window_ms = p->integer("trade_window_ms",
                                   "Orders cancelled within this window count together; the owner's trade on the "
                                   "other side must fall between the first placement and the cancel",
                                   10000, {1, 3'600'000});
  }
  if (auto o = r.optional_table("order_to_trade", "Excessive order-to-trade ratio per account and instrument")) {
    auto& x = sv.order_to_trade;
    x.enabled = o->boolean("enabled", "Evaluate the rule", true);
    x.window_seconds = o->integer("window_seconds", "Sliding window", 300, {1, 86'400});
    x.min_orders = o->integer("min_orders", "Fewer order messages in the window never fire", 50, {1, 10'000'000});
    x.max_ratio = o->integer("max_ratio", "Fires when order messages >= max_ratio x max(fills, 1)", 20, {1, 1'000'000});
  }
  if (auto m = r.optional_table("momentum_ignition",
                                "Momentum ignition: aggressive orders move the price, then the "
                                "same owner trades the other way")) {
    auto& x = sv.momentum_ignition;
    x.enabled = m->boolean("enabled", "Evaluate the rule", true);
    x.window_ms = m->integer("window_ms", "The aggressive orders fall within this window", 10000, {1, 3'600'000});
    x.min_aggressive_orders =
        m->integer("min_aggressive_orders", "At least this many aggressive orders on one side", 3, {1, 10'000});
    x.min_move_bps =
        m->integer("min_move_bps", "Moving the last trade price at least this many basis points", 30, {1, 100'000});
    x.reversal_window_ms =
        m->integer("reversal_window_ms", "The trade on the other side follows within this long", 30000, {1, 3'600'000});
  }
}

Config parse_config(const std::string& text, const std::string& name, const std::filesystem::path& base_dir) {
  return cfg::parse<Config>(read_config, text, name, base_dir);
}

Config load_config(const std::filesystem::path& file) { return cfg::load<Config>(read_config, file); }

std::string config_reference() { return cfg::reference<Config>(read_config); }

}  // namespace venue::compliance
