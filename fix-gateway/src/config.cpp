#include "venue/fix_gateway/config.h"

#include "venue/common/kafka_config.h"

#include <arpa/inet.h>

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "venue/fix_session/auth.h"
#include "venue/fix_session/fix_text.h"

namespace venue::fix_gateway {

namespace cfg = venue::config;

namespace {

void read_limits(cfg::Table& t, RiskLimits& l, const RiskLimits& defaults) {
  l.max_order_qty_lots = t.integer("max_order_qty", "Largest order quantity in lots; 0: no limit",
                                   defaults.max_order_qty_lots, {0, 1'000'000'000'000});
  auto notional = t.optional_decimal("max_order_notional",
                                     "Largest notional of one order (price x quantity), currency units", true);
  l.max_order_notional = notional ? notional : defaults.max_order_notional;
  auto credit = t.optional_decimal(
      "credit_limit", "Largest open notional of the account's live orders (both sides), currency units", true);
  l.credit_limit = credit ? credit : defaults.credit_limit;
}

}  // namespace

namespace {

constexpr const char* kIdHelp =
    "Stable number the journal and the identity log store for it, unique among its kind; never change or reuse "
    "it while live orders hold it (spec/venue-config.md, Ids)";

bool valid_comp_id(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    if (c <= ' ' || c == '=' || c == '\x7f') return false;
  }
  return true;
}

bool valid_user_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char ch : s) {
    if (std::isalnum(static_cast<unsigned char>(ch)) == 0 && ch != '.' && ch != '_' && ch != '-' && ch != '@')
      return false;
  }
  return true;
}

void read_operator_api(cfg::Table& root, GatewayConfig& c, const std::filesystem::path& base) {
  auto t = root.optional_table("operator_api",
                               "The operator API and console (spec/operator-api.md); absent: none. A port of its own");
  if (!t) return;
  auto& o = c.operator_api;
  o.bind = t->string("bind",
                     "Address the operator API listens on (IPv4 or IPv6); keep it on loopback or a "
                     "management network",
                     "127.0.0.1");
  o.port = static_cast<std::uint16_t>(
      t->integer("port", "TCP port of the operator API and console; 0: none", cfg::kRequired, {0, 65535}));
  o.tls_certificate =
      cfg::resolve_path(base, t->string("tls_certificate", "PEM certificate (chain): HTTPS only; empty: HTTP", ""));
  o.tls_private_key = cfg::resolve_path(base, t->string("tls_private_key", "PEM private key of tls_certificate", ""));
  if (o.tls_certificate.empty() != o.tls_private_key.empty()) {
    t->fail("tls_certificate", "tls_certificate and tls_private_key go together");
  }
  o.token_ttl_seconds = t->integer("token_ttl_seconds",
                                   "A login's bearer token expires this long after it was issued (a login may ask "
                                   "for less)",
                                   8 * 3600, {10, 7 * 24 * 3600});
  o.request_timeout_ms = t->integer("request_timeout_ms",
                                    "How long a request waits for the gateway thread; a request that waited longer "
                                    "is answered 503 and its work is dropped, never done later",
                                    3000, {100, 60'000});
  const auto audit =
      t->string("audit_log", "The operator audit log (JSON lines, kept); empty: <state_dir>/operator-audit.jsonl", "");
  o.audit_log = audit.empty() ? c.state_dir / "operator-audit.jsonl" : cfg::resolve_path(base, audit);
  o.allowed_origins = t->strings("allowed_origins",
                                 "Origins (scheme://host:port) allowed besides the API's own, e.g. a reverse proxy's "
                                 "address; every other Origin is refused");
  o.allowed_hosts = t->strings("allowed_hosts",
                               "Host header values (host or host:port) accepted besides the bind address, "
                               "localhost and 127.0.0.1; every other Host is refused (DNS rebinding)");
  std::set<std::string> names;
  for (auto& u : t->tables("user", "An operator who may log in to the API and console", false)) {
    OperatorUser user;
    user.name = u.string("name", "Login name", cfg::kRequired);
    if (!valid_user_name(user.name)) u.fail("name", "must be 1 to 64 letters, digits or . _ - @");
    if (!names.insert(user.name).second) u.fail("name", "is used by another [[operator_api.user]]");
    user.role = u.choice("role", "viewer: sees everything, changes nothing; operator: may also act",
                         {"viewer", "operator"}, "viewer") == "operator"
                    ? OperatorRole::kOperator
                    : OperatorRole::kViewer;
    user.password_hash =
        u.string("password_hash", "Salted hash of the password (build/bin/venue-passwd makes one)", cfg::kRequired);
    std::string why;
    if (!user.password_hash.empty() && !fix_session::valid_password_hash(user.password_hash, &why))
      u.fail("password_hash", why);
    o.users.push_back(std::move(user));
  }
  if (o.port != 0 && o.users.empty()) t->fail("user", "an operator API needs at least one [[operator_api.user]]");
  if (o.port != 0 && (o.port == c.metrics_port || o.port == c.listen.fix_port || o.port == c.listen.tls_port)) {
    t->fail("port", "must differ from the metrics and FIX ports");
  }
}

}  // namespace

const AccountConfig* GatewayConfig::account(std::string_view name) const {
  for (const auto& a : accounts) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

const AccountConfig* GatewayConfig::account(AccountId id) const {
  for (const auto& a : accounts) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

const FirmConfig* GatewayConfig::firm(FirmId id) const {
  for (const auto& f : firms) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

const FirmConfig* GatewayConfig::firm(std::string_view name) const {
  for (const auto& f : firms) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const SessionConfig* GatewayConfig::session_by_comp_id(std::string_view sender_comp_id) const {
  for (const auto& s : sessions) {
    if (s.sender_comp_id == sender_comp_id) return &s;
  }
  return nullptr;
}

void read_config(cfg::Table& root, GatewayConfig& c, const std::filesystem::path& base) {
  auto venue = root.table("venue", "The venue process: its FIX identity, listeners, files and observability");
  c.comp_id = venue.string("comp_id", "The venue's SenderCompID(49) on every session", "VENUE");
  if (!valid_comp_id(c.comp_id)) venue.fail("comp_id", "must be 1 to 32 printable characters without spaces or '='");
  c.listen.fix_port = static_cast<std::uint16_t>(
      venue.integer("fix_port", "TCP port of the plain FIX listener (IPv4)", 9878, {1, 65535}));
  const auto ipv4 = [&](const char* key, const char* doc) {
    std::string a = venue.string(key, doc, "0.0.0.0");
    in_addr parsed{};
    if (::inet_pton(AF_INET, a.c_str(), &parsed) != 1) venue.fail(key, "\"" + a + "\" is not an IPv4 address");
    return a;
  };
  c.listen.fix_address = ipv4("fix_address",
                              "IPv4 address the plain FIX listener binds: 0.0.0.0 every interface, 127.0.0.1 this "
                              "machine only, or one interface's address");
  c.listen.tls_address = ipv4("tls_address", "IPv4 address the TLS FIX listener binds (as fix_address)");
  c.listen.tls_port =
      static_cast<std::uint16_t>(venue.integer("tls_port", "TCP port of the TLS FIX listener; 0: none", 0, {0, 65535}));
  c.listen.tls_certificate =
      cfg::resolve_path(base, venue.string("tls_certificate", "PEM certificate (chain) of the TLS listener", ""));
  c.listen.tls_private_key =
      cfg::resolve_path(base, venue.string("tls_private_key", "PEM private key of the TLS listener", ""));
  if (c.listen.tls_port != 0 && (c.listen.tls_certificate.empty() || c.listen.tls_private_key.empty())) {
    venue.fail("tls_port", "a TLS listener needs tls_certificate and tls_private_key");
  }
  if (c.listen.tls_port != 0 && c.listen.tls_port == c.listen.fix_port) {
    venue.fail("tls_port", "must differ from fix_port");
  }
  c.store_dir = cfg::resolve_path(
      base,
      venue.string("store_dir", "Folder of the FIX message stores (QuickFIX FileStore's files, one set per session)",
                   cfg::kRequired));
  c.state_dir =
      cfg::resolve_path(base, venue.string("state_dir", "Folder of the gateway's order-identity log", cfg::kRequired));
  c.report_dir =
      venue.string("report_dir", "Folder of the report log (what Kafka gets); empty: <state_dir>/reports", "");
  c.report_dir = c.report_dir.empty() ? c.state_dir / "reports" : cfg::resolve_path(base, c.report_dir.string());
  c.data_dictionary = cfg::resolve_path(
      base, venue.string("data_dictionary", "The venue's FIX 4.4 data dictionary (spec/fix/)", cfg::kRequired));
  c.session_start_time = venue.string(
      "session_start_time", "UTC time (HH:MM:SS) a FIX session day starts; sequence numbers reset then", "00:00:00");
  c.session_end_time = venue.string(
      "session_end_time", "UTC time (HH:MM:SS) a FIX session day ends; equal to the start: 24 hours", "00:00:00");
  for (const auto* key : {"session_start_time", "session_end_time"}) {
    const std::string& v = std::string(key) == "session_start_time" ? c.session_start_time : c.session_end_time;
    if (!fix_session::valid_time_of_day(v)) venue.fail(key, "must be a time HH:MM:SS");
  }
  c.metrics_bind = venue.string("metrics_bind", "Address of the metrics, health and admin HTTP endpoint", "127.0.0.1");
  c.metrics_port = static_cast<std::uint16_t>(
      venue.integer("metrics_port", "Port of /metrics, /healthz, /readyz and /admin/...; 0: none", 0, {0, 65535}));
  c.poll_spin_us = venue.integer("poll_spin_us",
                                 "Microseconds the main loop keeps polling without waiting after handing commands to "
                                 "an engine or taking its answers; then it waits in the kernel until woken",
                                 50, {0, 10'000});
  c.poll_yield_us = venue.integer("poll_yield_us",
                                  "Microseconds the main loop then keeps polling with sched_yield() between polls "
                                  "before it waits in the kernel (0: wait at once; a wait costs a wake-up of tens of "
                                  "microseconds on the next message, yielding takes CPU from other processes)",
                                  0, {0, 1'000'000});
  c.await_yield_us = venue.integer(
      "await_yield_us",
      "Microseconds the main loop at most keeps polling, with sched_yield() between polls, while an engine holds "
      "commands it has not answered yet, instead of waiting in the kernel (the answer is taken without a "
      "wake-up; costs CPU only while orders are at the engine; 0: wait at once)",
      0, {0, 100'000});
  c.direct_fix = venue.boolean(
      "direct_fix",
      "Order messages (D, F, G) that are plainly in order are taken straight from their text, and reports are sent "
      "from theirs, instead of through QuickFIX's message objects (the same checks, the same bytes; anything "
      "unusual still goes through QuickFIX). false: every message through QuickFIX",
      true);
  c.cpu = static_cast<int>(
      venue.integer("cpu",
                    "Core the main (FIX) thread is pinned to; -1: not pinned. The engine's core suits a paced venue "
                    "without cores of its own: hand-offs then wake no idle core",
                    -1, {-1, 1023}));
  c.realtime_priority = static_cast<int>(venue.integer(
      "realtime_priority",
      "1-99: the main (FIX) thread runs under the real-time policy SCHED_FIFO at this priority, so it is on a core "
      "as soon as an order arrives, ahead of every ordinary process (threads it starts later run normally); needs "
      "root or CAP_SYS_NICE, else a warning and normal scheduling. With poll_spin_us it keeps its core busy: give "
      "it a core of its own (cpu). 0: normal scheduling",
      0, {0, 99}));
  c.log_level = venue.choice("log_level", "Least severe log level written",
                             {"trace", "debug", "info", "warning", "error"}, "info");

  if (auto k = root.optional_table("kafka", "Publishing of every report to Kafka (absent: not published)")) {
    KafkaConfig kc;
    venue::kafka::read_connection(*k, kc.connection, base);  // brokers, TLS, SASL (venue/common/kafka_config.h)
    kc.brokers = kc.connection.brokers;
    kc.topic = k->string("topic", "Topic of the execution reports (spec/kafka-topics.md)", "venue.execution-reports");
    kc.client_id = k->string("client_id", "Kafka client.id of the venue's producer", "venue");
    kc.max_in_flight = k->integer("max_in_flight",
                                  "Reports held in memory while Kafka has not acknowledged them; the rest wait on disk",
                                  100'000, {1, 10'000'000});
    kc.linger_ms = k->integer("linger_ms",
                              "How long the producer gathers reports into one request (librdkafka linger.ms): larger "
                              "batches cost the broker less CPU, each report waits up to this long",
                              3, {0, 1000});
    kc.risk_control_topic = k->string(
        "risk_control_topic",
        "Topic of the risk service's block and release commands the venue enforces (spec/kafka-topics.md); empty: "
        "none are read",
        "venue.risk-control");
    kc.risk_control_acks_topic = k->string(
        "risk_control_acks_topic", "Topic the venue answers each risk-control command on", "venue.risk-control-acks");
    kc.risk_control_group =
        k->string("risk_control_group", "Consumer group of the venue's risk-control consumer", "venue-risk-control");
    c.kafka = kc;
  }

  read_operator_api(root, c, base);
  c.log = log::read_log_output(root, base);

  auto risk = root.table("risk", "Pre-trade risk checks and the defaults of every account's limits");
  c.price_collar_bps = risk.integer(
      "price_collar_bps", "Refuse limit prices further than this from the last trade (else reference) price; 0: off", 0,
      {0, 100'000});
  read_limits(risk, c.default_limits, RiskLimits{});

  auto engine = root.table("engine", "The matching engine: instruments, journal, threads");
  c.engine.instruments_file = cfg::resolve_path(
      base, engine.string("instruments", "Instrument reference data file (spec/reference-data.md)", cfg::kRequired));
  c.engine.journal_dir = cfg::resolve_path(
      base, engine.string("journal_dir", "Folder of the engine journal and snapshots", cfg::kRequired));
  c.engine.sync =
      engine.choice("sync",
                    "write: the journal and the gateway's files are in the kernel before what depends on them "
                    "leaves (survives a crash of the process, not a power cut); fdatasync: also on disk: the "
                    "journal, identity log, FIX stores and report log survive a power cut (spec/recovery.md)",
                    {"write", "fdatasync"}, "write") == "fdatasync"
          ? matcher::SyncPolicy::kFdatasync
          : matcher::SyncPolicy::kWrite;
  c.engine.inline_engine =
      engine.choice("thread",
                    "own: each engine runs on a thread of its own (pinned with [[engine.shard]] cpu), handed commands "
                    "and answering through rings; gateway: no engine thread, the gateway (FIX) thread applies the "
                    "commands itself right after taking them (no hand-off or wake-up between threads: for machines "
                    "without a core to spare for each engine; idle, spin_us and yield_us then do not apply)",
                    {"own", "gateway"}, "own") == "gateway";
  const auto idle = engine.choice("idle",
                                  "How an idle engine thread waits: spin (lowest latency, burns a core), "
                                  "yield, backoff (spins, then parks)",
                                  {"spin", "yield", "backoff"}, "backoff");
  c.engine.idle = idle == "spin"    ? matcher::IdleMode::kBusySpin
                  : idle == "yield" ? matcher::IdleMode::kYield
                                    : matcher::IdleMode::kBackoff;
  c.engine.spin_us = engine.integer("spin_us",
                                    "idle = backoff: microseconds an engine with nothing to do spins before it parks "
                                    "(longer: faster answers to the next command, more CPU taken from other work)",
                                    50, {0, 10'000});
  c.engine.yield_us = engine.integer("yield_us",
                                     "idle = backoff: microseconds it then keeps polling with sched_yield() between "
                                     "polls before it parks (0: park at once; parking costs a wake-up of tens of "
                                     "microseconds on the next command, yielding takes CPU from other processes)",
                                     0, {0, 1'000'000});
  c.engine.stp_scope =
      engine.choice("stp_scope", "Self-trade prevention identity", {"account", "firm"}, "account") == "firm"
          ? matcher::StpScope::kFirm
          : matcher::StpScope::kAccount;
  c.engine.post_only =
      engine.choice("post_only", "A post-only order that would take liquidity is rejected or cancelled",
                    {"reject", "cancel"}, "reject") == "cancel"
          ? matcher::PostOnlyPolicy::kCancel
          : matcher::PostOnlyPolicy::kReject;
  c.engine.snapshot_every = static_cast<std::uint64_t>(
      engine.integer("snapshot_every", "Commands between snapshots (bounds replay time at start); 0: at shutdown only",
                     1'000'000, {0, 1'000'000'000'000}));
  c.engine.reserve_orders = static_cast<std::uint32_t>(engine.integer(
      "reserve_orders",
      "Live orders the venue takes its memory for at start (each engine's order pool, price levels and index, the "
      "gateway's maps of orders), so that orders up to this many fault no page in and grow no table on the order "
      "path (about 300 bytes an order); past it everything grows on demand. 0: nothing reserved",
      0, {0, 100'000'000}));
  c.engine.reserve_trades = static_cast<std::uint32_t>(engine.integer(
      "reserve_trades",
      "Trades of a day the venue takes its memory for at start (each engine's trade records and the final views of "
      "the orders that traded, kept for busts), so that the day's trades up to this many fault no page in on the "
      "order path (about 150 bytes a trade); past it that memory is taken 2 MB at a time as trades come, each time "
      "a pause of a few milliseconds on the order path on a virtual machine. 0: nothing reserved",
      0, {0, 100'000'000}));
  c.engine.end_of_day_time = engine.string(
      "end_of_day_time", "UTC time (HH:MM:SS) Day orders expire every day; empty: they expire only by operations", "");
  if (!c.engine.end_of_day_time.empty() && !fix_session::valid_time_of_day(c.engine.end_of_day_time)) {
    engine.fail("end_of_day_time", "must be a time HH:MM:SS or empty");
  }
  const auto cpu = engine.integer("cpu", "Core the engine thread is pinned to (single-shard setups); -1: not pinned",
                                  -1, {-1, 1023});
  for (auto& s :
       engine.tables("shard", "Instrument shards, each on its own pinned engine thread; none: one shard", false)) {
    ShardConfig sc;
    sc.id = static_cast<std::uint16_t>(
        s.integer("id", "Shard number, 0..255, unique (it is part of every venue id)", cfg::kRequired, {0, 255}));
    sc.cpu = static_cast<int>(s.integer("cpu", "Core of the shard's engine thread; -1: not pinned", -1, {-1, 1023}));
    sc.symbols = s.strings("symbols", "Symbols this shard trades (every instrument belongs to exactly one shard)");
    c.engine.shards.push_back(std::move(sc));
  }
  if (c.engine.shards.empty()) c.engine.shards.push_back(ShardConfig{0, static_cast<int>(cpu), {}});

  std::set<std::string> names;
  // Firms, accounts and sessions carry explicit ids: the journal (every order's owner) and the identity
  // log store them, so they must not depend on where an entry stands in the file.
  auto id_of = [&](cfg::Table& t, const char* kind) {
    const auto id = static_cast<std::uint32_t>(t.integer("id", kIdHelp, cfg::kRequired, {1, 1'000'000}));
    if (id != 0 && !names.insert(std::string(kind) + "#" + std::to_string(id)).second) {
      t.fail("id", std::string("is used by another [[") + kind + "]]");
    }
    return id;
  };
  for (auto& f : root.tables("firm", "A member firm", true)) {
    FirmConfig fc;
    fc.id = FirmId(id_of(f, "firm"));
    fc.name = f.string("name", "Firm name as operations and drop copy know it", cfg::kRequired);
    if (!names.insert("firm:" + fc.name).second) f.fail("name", "is used by another firm");
    c.firms.push_back(std::move(fc));
  }
  auto firm_id = [&](const std::string& name) -> FirmId {
    for (const auto& f : c.firms) {
      if (f.name == name) return f.id;
    }
    return FirmId();
  };

  for (auto& a : root.tables("account", "A trading account of a firm, with its limits", true)) {
    AccountConfig ac;
    ac.id = AccountId(id_of(a, "account"));
    ac.name = a.string("name", "Account(1) value brokers send; unique", cfg::kRequired);
    const auto firm_name = a.string("firm", "The firm the account belongs to", cfg::kRequired);
    ac.firm = firm_id(firm_name);
    if (!ac.firm.valid()) a.fail("firm", "names no [[firm]]");
    if (ac.name.empty() || ac.name.size() > 32 || ac.name.find('\x01') != std::string::npos) {
      a.fail("name", "must be 1 to 32 characters");
    }
    if (!names.insert("account:" + ac.name).second) a.fail("name", "is used by another account");
    read_limits(a, ac.limits, c.default_limits);
    c.accounts.push_back(std::move(ac));
  }

  for (auto& s : root.tables("session", "A FIX session a broker (or a read-only client) logs on to", true)) {
    SessionConfig sc;
    read_session(s, c, sc);
    if (!names.insert("session#" + std::to_string(sc.id.value())).second)
      s.fail("id", "is used by another [[session]]");
    if (!names.insert("session:" + sc.sender_comp_id).second) s.fail("sender_comp_id", "is used by another session");
    c.sessions.push_back(std::move(sc));
  }
}

void read_session(cfg::Table& s, const GatewayConfig& c, SessionConfig& sc) {
  sc.id = SessionId(static_cast<std::uint32_t>(s.integer("id", kIdHelp, cfg::kRequired, {1, 1'000'000})));
  sc.sender_comp_id = s.string("sender_comp_id", "The client's SenderCompID(49)", cfg::kRequired);
  if (!valid_comp_id(sc.sender_comp_id))
    s.fail("sender_comp_id", "must be 1 to 32 printable characters without spaces or '='");
  if (sc.sender_comp_id == c.comp_id) s.fail("sender_comp_id", "must differ from the venue's comp_id");
  const auto firm_name = s.string("firm", "The firm the session trades for", cfg::kRequired);
  const FirmConfig* firm = c.firm(firm_name);
  sc.firm = firm != nullptr ? firm->id : FirmId();
  if (!sc.firm.valid()) s.fail("firm", "names no [[firm]]");
  sc.role = s.choice("role", "order_entry: may trade; read_only: logs on, application messages refused",
                     {"order_entry", "read_only"}, "order_entry") == "read_only"
                ? SessionRole::kReadOnly
                : SessionRole::kOrderEntry;
  sc.username = s.string("username", "Username(553) the Logon must carry", cfg::kRequired);
  sc.password_hash =
      s.string("password_hash", "Salted hash of Password(554) (build/bin/venue-passwd makes one)", cfg::kRequired);
  std::string why;
  if (!sc.password_hash.empty() && !fix_session::valid_password_hash(sc.password_hash, &why))
    s.fail("password_hash", why);
  sc.transport = s.choice("transport", "Which listener the session must connect to", {"plain", "tls"}, "plain") == "tls"
                     ? Transport::kTls
                     : Transport::kPlain;
  if (sc.transport == Transport::kTls && c.listen.tls_port == 0) s.fail("transport", "tls needs [venue] tls_port");
  sc.allow_from = s.strings("allow_from", "Source addresses allowed to log on (IPv4 CIDR); empty: any");
  for (const auto& cidr : sc.allow_from) {
    if (!fix_session::parse_cidr(cidr)) s.fail("allow_from", "\"" + cidr + "\" is not an IPv4 address or CIDR block");
  }
  for (const auto& name : s.strings("accounts",
                                    "Accounts the session may trade for (its firm's); the first is the "
                                    "default when Account(1) is absent")) {
    const AccountConfig* a = c.account(name);
    if (a == nullptr) {
      s.fail("accounts", "\"" + name + "\" names no [[account]]");
    } else if (a->firm != sc.firm) {
      s.fail("accounts", "\"" + name + "\" belongs to another firm");
    } else {
      sc.accounts.push_back(a->id);
    }
  }
  if (sc.role == SessionRole::kOrderEntry && sc.accounts.empty()) {
    s.fail("accounts", "an order-entry session needs at least one account");
  }
  const auto cod = s.choice("cancel_on_disconnect", "Cancel the session's orders when it logs out or disconnects",
                            {"off", "day", "all"}, "off");
  sc.cancel_on_disconnect = cod == "all"   ? CancelOnDisconnect::kAll
                            : cod == "day" ? CancelOnDisconnect::kDayOnly
                                           : CancelOnDisconnect::kOff;
  const auto stp = s.choice("self_trade_prevention", "Mode applied when an order carries no tag 8000",
                            {"none", "cancel_newest", "cancel_oldest", "cancel_both", "decrement_and_cancel"}, "none");
  sc.default_stp = stp == "cancel_newest"          ? StpMode::kCancelNewest
                   : stp == "cancel_oldest"        ? StpMode::kCancelOldest
                   : stp == "cancel_both"          ? StpMode::kCancelBoth
                   : stp == "decrement_and_cancel" ? StpMode::kDecrementAndCancel
                                                   : StpMode::kNone;
  sc.throttle.orders_per_second =
      s.integer("orders_per_second", "New orders and replaces per second; 0: unlimited", 0, {0, 10'000'000});
  sc.throttle.burst = s.integer("burst", "Orders allowed at once above the rate (bucket depth); 0: one second's worth",
                                0, {0, 10'000'000});
  sc.throttle.cancels_per_second =
      s.integer("cancels_per_second", "Cancels and status requests per second; 0: twice orders_per_second (headroom)",
                0, {0, 10'000'000});
  sc.throttle.logout_after_seconds = s.integer(
      "throttle_logout_after_seconds",
      "Seconds of continuous refusals (each within 1 s of the last) before the session is logged out", 5, {1, 3600});
  sc.heartbeat_seconds_max =
      s.integer("max_heartbeat_seconds", "Largest HeartBtInt(108) accepted at logon", 120, {1, 3600});
  sc.extended_fields = s.boolean("extended_fields",
                                 "ExecutionReports also carry TrdMatchID(880) and tag 8000, which FIX 4.4 does not "
                                 "list for them; false: only standard FIX 4.4 fields (a stock FIX 4.4 dictionary "
                                 "accepts every report)",
                                 false);
  sc.reset_on_logon = s.boolean("reset_on_logon",
                                "Both sides start again at sequence number 1 on every Logon, whether or not it "
                                "carries ResetSeqNumFlag(141)=Y (earlier reports can no longer be resent)",
                                false);
  sc.enabled =
      s.boolean("enabled", "false: every Logon is refused until an operator enables the session (operator API)", true);
}

GatewayConfig parse_config(const std::string& text, const std::string& name, const std::filesystem::path& base_dir) {
  return cfg::parse<GatewayConfig>(read_config, text, name, base_dir);
}

GatewayConfig load_config(const std::filesystem::path& file) { return cfg::load<GatewayConfig>(read_config, file); }

std::string config_reference() { return cfg::reference<GatewayConfig>(read_config); }

}  // namespace venue::fix_gateway
