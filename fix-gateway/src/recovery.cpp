// Shard set-up and recovery (gateway thread, before the loop starts). Instruments are placed on their
// engine shards; each shard's journal is recovered in two steps (up to what the report log shows was
// reported, silently; the rest through the live path, so reports a crash swallowed are sent with
// PossResend=Y and published); the order identities (ClOrdIDs and other FIX-only fields) are restored
// from the identity log so every live order still answers to its ClOrdID; then the FIX sessions and
// listeners are set up. The whole protocol, in the order things happen: spec/recovery.md.
#include <algorithm>
#include <map>
#include <set>

#include "gateway_impl.h"
#include "venue/common/log.h"
#include "venue/fix_session/session_settings.h"
#include "venue/matcher/reference_data.h"

namespace venue::fix_gateway {

namespace m = venue::matcher;

std::uint64_t Gateway::Impl::reports_for(std::uint16_t shard_id) {
  if (!reports) {
    reports = std::make_unique<ReportLog>(cfg.report_dir);
    reports->set_durable(power_safe());
  }
  return reports->fresh() ? UINT64_MAX : reports->reported_up_to(shard_id);
}

void Gateway::Impl::start() {
  // Sessions operators added, changed or removed at runtime (<state_dir>/sessions.toml) count from the start.
  session_changes = read_session_changes(cfg);
  std::vector<std::string> notes;
  apply_session_changes(cfg, session_changes, &notes);
  for (const auto& n : notes) VENUE_LOG_KV(warning, "configuration: session changed at runtime", {{"note", n}});
  start_cfg = cfg;
  place_instruments_and_recover_shards();
  check_owners_configured();
  build_fix();
  restore_orders();
  replay_unreported();
  read_back_instruments();

  for (auto& s : shards) {
    s->output_waker().set_notify([](void* a) { static_cast<fix_session::VenueAcceptor*>(a)->wake(); }, acceptor.get());
    s->start();
  }
  restore_blocks();
  end_of_day_if_due();  // one missed while the venue was down runs before any broker can send
  if (cfg.kafka) {
    PublisherSettings ps;
    ps.brokers = cfg.kafka->brokers;
    ps.properties = cfg.kafka->connection.properties();
    ps.topic = cfg.kafka->topic;
    ps.client_id = cfg.kafka->client_id;
    ps.report_dir = cfg.report_dir;
    ps.max_in_flight = static_cast<std::size_t>(cfg.kafka->max_in_flight);
    ps.readable_through = &reports->readable();
    ps.properties.emplace_back("linger.ms", std::to_string(cfg.kafka->linger_ms));
    publisher = std::make_unique<KafkaPublisher>(ps, *registry);
    publisher->start();
  }
  acceptor->poll(0);  // opens the listeners
  is_ready = true;
  VENUE_LOG_KV(info, "venue ready",
               {{"fix_port", acceptor->plain_port()},
                {"tls_port", acceptor->tls_port()},
                {"sessions", sessions.size()},
                {"instruments", instruments.size()}});
}

void Gateway::Impl::place_instruments_and_recover_shards() {
  auto specs = m::load_reference_data(cfg.engine.instruments_file);
  std::vector<std::vector<m::InstrumentSpec>> per_shard(cfg.engine.shards.size());
  for (auto& s : specs) {
    std::size_t shard = 0;
    bool placed = cfg.engine.shards.size() == 1 && cfg.engine.shards[0].symbols.empty();
    for (std::size_t i = 0; i < cfg.engine.shards.size() && !placed; ++i) {
      for (const auto& sym : cfg.engine.shards[i].symbols) {
        if (sym == s.symbol) {
          shard = i;
          placed = true;
        }
      }
    }
    if (!placed) throw std::runtime_error("instrument " + s.symbol + " is in no [[engine.shard]]");
    instruments.add(s, shard);
    per_shard[shard].push_back(s);
  }
  for (std::size_t i = 0; i < cfg.engine.shards.size(); ++i) {
    const auto& sc = cfg.engine.shards[i];
    m::ShardSettings ss;
    ss.engine.shard = sc.id;
    ss.engine.stp_scope = cfg.engine.stp_scope;
    ss.engine.post_only_policy = cfg.engine.post_only;
    ss.engine.reserve_orders = cfg.engine.reserve_orders;
    ss.engine.reserve_trades = cfg.engine.reserve_trades;
    ss.instruments = per_shard[i];
    ss.cpu = sc.cpu;
    ss.inline_engine = cfg.engine.inline_engine;
    ss.idle = cfg.engine.idle;
    ss.backoff_spins = static_cast<std::uint32_t>(cfg.engine.spin_us * 40);  // a pause: ~25 ns
    ss.backoff_yields = static_cast<std::uint32_t>(cfg.engine.yield_us);     // a yield: ~1 us
    ss.journal = m::JournalSettings{cfg.engine.journal_dir / ("shard-" + std::to_string(sc.id)), sc.id, cfg.engine.sync,
                                    256ULL << 20};
    ss.snapshot_every = cfg.engine.snapshot_every;
    // Up to the last engine seq already reported; the rest is replayed through the gateway below. A new
    // report log knows nothing of what was reported: then nothing is reported again.
    const std::uint64_t reported = reports_for(sc.id);
    const m::ShardSettings keep = ss;
    auto shard = std::make_unique<m::Shard>(std::move(ss));
    m::RecoveryInfo info;
    try {
      info = shard->recover(reported);
    } catch (const m::JournalError& e) {
      if (reported == UINT64_MAX) throw;
      // The journal no longer reaches back that far (pruned behind snapshots): recover fully; what
      // was not reported in that stretch cannot be reported again.
      VENUE_LOG_KV(error, "cannot report again what the journal no longer holds",
                   {{"shard", sc.id}, {"reported_up_to", reported}, {"error", e.what()}});
      shard = std::make_unique<m::Shard>(keep);
      info = shard->recover();
    }
    for (const auto& note : info.notes) VENUE_LOG_KV(warning, "snapshot skipped", {{"shard", sc.id}, {"note", note}});
    VENUE_LOG_KV(info, "engine recovered",
                 {{"shard", sc.id},
                  {"snapshot_seq", info.snapshot_seq},
                  {"replayed", info.replayed},
                  {"last_seq", info.last_seq},
                  {"checkpoints_verified", info.checkpoints_verified},
                  {"torn_tail_bytes", info.truncated_bytes}});
    shards.push_back(std::move(shard));
    shard_gauges.push_back(metrics.shard(sc.id));
  }
}

// The kill switch's blocks come back from <state_dir>/blocks.json. A block whose firm or account still has
// live orders (its cancels had not reached the journal before a crash) cancels them again.
void Gateway::Impl::restore_blocks() {
  blocks = std::make_unique<BlockBook>(cfg.state_dir);
  for (const auto& [id, b] : blocks->firms()) {
    if (cfg.firm(FirmId(id)) == nullptr) {
      VENUE_LOG_KV(warning, "a blocked firm is no longer in the configuration", {{"firm_id", id}, {"name", b.name}});
    }
    risk.block(FirmId(id), true, b.reason);
  }
  for (const auto& [id, b] : blocks->accounts()) {
    if (cfg.account(AccountId(id)) == nullptr) {
      VENUE_LOG_KV(warning, "a blocked account is no longer in the configuration",
                   {{"account_id", id}, {"name", b.name}});
    }
    risk.block(AccountId(id), true, b.reason);
  }
  std::set<std::uint32_t> firms_with_orders, accounts_with_orders;
  for (const auto& [key, o] : orders.orders()) {
    accounts_with_orders.insert(o.account.value());
    if (const AccountConfig* a = cfg.account(o.account)) firms_with_orders.insert(a->firm.value());
  }
  for (const auto& [id, b] : blocks->firms()) {
    if (firms_with_orders.contains(id)) cancel_in_scope(FirmId(id), AccountId(), b.reason);
  }
  for (const auto& [id, b] : blocks->accounts()) {
    if (accounts_with_orders.contains(id)) {
      if (const AccountConfig* a = cfg.account(AccountId(id))) cancel_in_scope(a->firm, AccountId(id), b.reason);
    }
  }
  if (!blocks->firms().empty() || !blocks->accounts().empty()) {
    VENUE_LOG_KV(warning, "trading blocks restored",
                 {{"firms", blocks->firms().size()}, {"accounts", blocks->accounts().size()}});
  }
}

// Every live order the journals brought back must still have its session, account and firm in the
// configuration, under the same ids (the journal stores ids, not names): otherwise its reports would go
// nowhere, or to another broker. A configuration that dropped or renumbered an entry is refused with what
// to do.
void Gateway::Impl::check_owners_configured() {
  std::map<std::string, std::size_t> problems;  // what is wrong -> how many live orders
  for (auto& shard : shards) {
    shard->engine().for_each_order([&](const m::OrderView& v) {
      const auto& o = v.owner;
      const bool has_session = std::any_of(cfg.sessions.begin(), cfg.sessions.end(),
                                           [&](const SessionConfig& sc) { return sc.id == o.session; });
      if (!has_session) ++problems["[[session]] with id = " + std::to_string(o.session.value()) + " is missing"];
      const AccountConfig* a = cfg.account(o.account);
      if (a == nullptr) {
        ++problems["[[account]] with id = " + std::to_string(o.account.value()) + " is missing"];
      } else if (a->firm != o.firm) {
        ++problems["[[account]] " + a->name + " (id " + std::to_string(a->id.value()) + ") belongs to firm id " +
                   std::to_string(a->firm.value()) + " in the configuration, but to firm id " +
                   std::to_string(o.firm.value()) + " in the journal"];
      }
      if (cfg.firm(o.firm) == nullptr)
        ++problems["[[firm]] with id = " + std::to_string(o.firm.value()) + " is missing"];
    });
  }
  if (problems.empty()) return;
  std::string text = "the configuration does not match the live orders in the journal:";
  for (const auto& [what, count] : problems) text += " " + what + " (" + std::to_string(count) + " live orders);";
  text +=
      " put the entries back with the same ids (the journal and the identity log store ids, not names), or start "
      "from the configuration the orders were entered under and cancel them (kill switch or mass cancel) before "
      "removing the entries";
  throw std::runtime_error(text);
}

void Gateway::Impl::build_fix() {
  std::filesystem::create_directories(cfg.store_dir);
  fix_settings = std::make_unique<FIX::SessionSettings>();
  fix_settings->set(fix_session::acceptor_defaults({.comp_id = cfg.comp_id,
                                                    .session_start_time = cfg.session_start_time,
                                                    .session_end_time = cfg.session_end_time,
                                                    .data_dictionary = cfg.data_dictionary,
                                                    .store_dir = cfg.store_dir,
                                                    .validate_field_order = true}));
  for (const auto& sc : cfg.sessions) {
    fix_session::add_session(*fix_settings, cfg.comp_id, sc.sender_comp_id, {.reset_on_logon = sc.reset_on_logon});
  }
  store_factory = std::make_unique<fix_session::VenueStoreFactory>(cfg.store_dir.string());
  store_factory->set_durable(power_safe());
  log_factory = std::make_unique<fix_session::JsonLogFactory>();
  fix_session::AcceptorSettings as;
  as.plain_port = cfg.listen.fix_port;
  as.tls_port = cfg.listen.tls_port;
  as.plain_address = cfg.listen.fix_address;
  as.tls_address = cfg.listen.tls_address;
  as.tls_certificate = cfg.listen.tls_certificate.string();
  as.tls_private_key = cfg.listen.tls_private_key.string();
  as.comp_id = cfg.comp_id;
  as.supported_app_types = {"D", "F", "G", "H", "q"};
  if (cfg.direct_fix) as.direct_app_types = {"D", "F", "G"};
  acceptor =
      std::make_unique<fix_session::VenueAcceptor>(*this, *store_factory, *fix_settings, *log_factory, as, logon);
  acceptor_metrics = std::make_unique<fix_session::AcceptorMetrics>(*registry, "venue");
  for (const auto& sc : cfg.sessions) open_session(sc);  // admin_sessions.cpp: also for sessions added later
}

// After a restart: every live order in the engines gets its FIX identity back from the log.
void Gateway::Impl::restore_orders() {
  identities = std::make_unique<IdentityLog>(cfg.state_dir);
  identities->set_durable(power_safe());
  if (identities->damaged_records() > 0) {
    VENUE_LOG_KV(error, "identity log: damaged records skipped at start (their orders will be reported as unknown)",
                 {{"damaged_records", identities->damaged_records()}});
  }
  if (identities->torn_bytes() > 0) {
    VENUE_LOG_KV(warning, "identity log: a torn last record ignored (a crash cut its write short)",
                 {{"bytes", identities->torn_bytes()}});
  }
  std::uint64_t max_ref = 0;
  for (const auto& [ref, id] : identities->loaded()) max_ref = std::max(max_ref, ref);
  for (auto& shard : shards) {
    shard->engine().for_each_order([&](const m::OrderView& v) {
      max_ref = std::max(max_ref, v.client_ref);
      adopt(v);
    });
  }
  orders.set_next_ref(max_ref + 1);
  metrics.live_orders->Set(static_cast<double>(orders.size()));
  VENUE_LOG_KV(info, "order identities restored", {{"live_orders", orders.size()}, {"next_ref", max_ref + 1}});
}

// Rebuilds the gateway's record of an order the engine knows, from the identity log. Null when the
// identity is missing (the order can then only be cancelled by operations).
Order* Gateway::Impl::adopt(const m::OrderView& v) {
  const auto& loaded = identities->loaded();
  auto it = loaded.find(v.client_ref);
  if (it == loaded.end()) {
    VENUE_LOG_KV(error, "order without an identity: it can only be cancelled by operations",
                 {{"order_id", v.id.value()}, {"client_ref", v.client_ref}});
    return nullptr;
  }
  const Identity& idn = it->second;
  const auto inst = instruments.find(v.instrument);
  Session* s = session(SessionId(idn.session));
  if (s == nullptr || !inst) return nullptr;
  Order o = order_from_engine(v, *inst);
  o.key = v.client_ref;
  o.session = SessionId(idn.session);
  o.account = AccountId(idn.account);
  o.clordid = idn.clordid;
  o.expire_text = idn.expire_time;
  o.capacity = idn.capacity;
  o.stp = idn.stp;
  o.post_only = idn.post_only;
  track(o, v);
  o.open_units =
      PreTradeRisk::notional_units(instruments[o.instrument], v.leaves_qty.count(), o.price != 0 ? o.price : o.stop);
  risk.add_open(o.account, o.open_units);
  s->orders.live[o.clordid] = o.key;
  return &orders.add(std::move(o));
}

// A cancel, replace, status or mass-cancel request: in flight, or (replaying after a crash) rebuilt
// from the identity log.
Request* Gateway::Impl::request_for(std::uint64_t ref, OrderId order) {
  if (Request* r = orders.request(ref)) return r;
  if (!replaying_) return nullptr;
  const auto& loaded = identities->loaded();
  auto id = loaded.find(ref);
  if (id == loaded.end() || session(SessionId(id->second.session)) == nullptr) return nullptr;
  Request r;
  r.kind = static_cast<char>(id->second.kind);
  r.session = SessionId(id->second.session);
  r.clordid = id->second.clordid;
  r.orig_clordid = id->second.orig_clordid;
  r.pending_reports = 1;
  r.mass_type = r.kind == 'q' ? '7' : 0;
  if (Order* o = orders.by_id(order)) r.order_key = o->key;
  return &orders.add_request(ref, std::move(r));
}

// Events the engine journaled but the venue never reported (it stopped before it could): replayed
// through the gateway now, so the brokers get them (PossResend=Y) and so does Kafka.
void Gateway::Impl::replay_unreported() {
  replaying_ = true;
  std::uint64_t replayed = 0;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    event_shard_ = i;
    const auto info = shards[i]->finish_recovery(this);
    replayed += info.replayed;
    // Every journaled command has now been reported in full.
    reports->mark_reported(cfg.engine.shards[i].id, info.last_seq);
    flush_outbox();
  }
  event_shard_ = kNoShard;
  replaying_ = false;
  reports->flush();
  // The identity log keeps only what live orders need from now on.
  std::set<std::uint64_t> live_refs;
  for (const auto& [key, o] : orders.orders()) live_refs.insert(o.ref);
  identities->compact([&](const Identity& id) { return live_refs.contains(id.ref); });
  orders.requests().clear();
  if (replayed > 0) VENUE_LOG_KV(warning, "reported journaled events again after a restart", {{"commands", replayed}});
}

// The engine's state of each instrument after its recovery: the journal's halts, resumes and closes and
// its last trade, part of which the gateway never saw as events (the journal up to what was reported is
// replayed silently). The gateway refuses orders and values them from its own copy, so the copy is the
// engine's, not the instrument file's. Before the engine threads start: they own the engines after.
void Gateway::Impl::read_back_instruments() {
  for (auto& shard : shards) {
    shard->engine().for_each_instrument([&](const m::InstrumentState& st) {
      const auto i = instruments.find(st.id);
      if (!i) return;
      Instrument& in = instruments[*i];
      if (in.status != st.status) {
        VENUE_LOG_KV(info, "trading status from the journal",
                     {{"symbol", in.spec.symbol}, {"status", std::string(to_string(st.status))}});
      }
      in.status = st.status;
      in.last_trade = st.last_trade.count();
    });
  }
}

}  // namespace venue::fix_gateway
