#include "venue/fix_gateway/gateway.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <sched.h>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <set>
#include <unordered_map>

#include "venue/common/log.h"
#include "venue/common/shutdown.h"
#include "venue/fix_gateway/identity_log.h"
#include "venue/fix_gateway/kafka_publisher.h"
#include "venue/fix_gateway/report_log.h"
#include "venue/fix_gateway/throttle.h"
#include "venue/fix_session/acceptor.h"
#include "venue/fix_session/auth.h"
#include "venue/fix_session/fix_text.h"
#include "venue/fix_session/json_log.h"
#include "venue/fix_session/message_store.h"
#include "venue/matcher/reference_data.h"
#include "venue/matcher/shard.h"

namespace venue::fix_gateway {

namespace m = venue::matcher;
using fix_session::AcceptorMetrics;
using fix_session::AcceptorSettings;
using fix_session::address_allowed;
using fix_session::Cidr;
using fix_session::get_field;
using fix_session::JsonLogFactory;
using fix_session::LogonGate;
using fix_session::parse_cidr;
using fix_session::parse_utc_timestamp;
using fix_session::utc_timestamp;
using fix_session::VenueAcceptor;
using fix_session::VenueStoreFactory;

namespace {

constexpr std::size_t kMaxClOrdIDLength = 64;

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

char ord_status(m::OrderState s) {
  switch (s) {
    case m::OrderState::kNew: return '0';
    case m::OrderState::kPartiallyFilled: return '1';
    case m::OrderState::kFilled: return '2';
    case m::OrderState::kCancelled: return '4';
    case m::OrderState::kExpired: return 'C';
    case m::OrderState::kRejected: return '8';
  }
  return '0';
}

std::string cancel_text(m::CancelReason r) {
  switch (r) {
    case m::CancelReason::kUser: return "cancelled on request";
    case m::CancelReason::kIocRemainder:
      return "cancelled: immediate-or-cancel remainder (or market order beyond the book or band)";
    case m::CancelReason::kFokUnfilled: return "cancelled: fill-or-kill could not fill in full";
    case m::CancelReason::kMinQtyUnmet: return "cancelled: MinQty could not be filled at once";
    case m::CancelReason::kSelfTrade: return "cancelled: self-trade prevention";
    case m::CancelReason::kPostOnly: return "cancelled: post-only order would have taken liquidity";
    case m::CancelReason::kMassCancel: return "cancelled: mass cancel";
    case m::CancelReason::kKillSwitch: return "cancelled: kill switch";
    case m::CancelReason::kDisconnect: return "cancelled: cancel on disconnect";
    case m::CancelReason::kOperator: return "cancelled by operations";
    case m::CancelReason::kReplacedToZero: return "done: replaced to the filled quantity";
  }
  return "cancelled";
}

std::string code_text(RejectCode code, const std::string& detail = {}) {
  const RejectInfo* info = reject_info(code);
  std::string t = std::to_string(static_cast<int>(code)) + " " + (info ? std::string(info->name) : "Unknown");
  if (info != nullptr) t += ": " + std::string(info->text);
  if (!detail.empty()) t += " (" + detail + ")";
  return t;
}

int ord_rej_reason(RejectCode code) {
  const RejectInfo* info = reject_info(code);
  return info != nullptr && info->ord_rej_reason >= 0 ? info->ord_rej_reason : 99;
}

int cxl_rej_reason(RejectCode code) {
  const RejectInfo* info = reject_info(code);
  return info != nullptr && info->cxl_rej_reason >= 0 ? info->cxl_rej_reason : 99;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------

struct Gateway::Impl final : FIX::Application, m::EventListener, LogonGate {
  // ----- configuration and wiring -----
  GatewayConfig cfg;
  std::shared_ptr<prometheus::Registry> registry;

  struct Instrument {
    m::InstrumentSpec spec;
    std::size_t shard = 0;
    TradingStatus status = TradingStatus::kOpen;
    std::int64_t last_trade = 0;     // ticks; 0: none
    std::size_t price_decimals = 0;  // the tick size's decimals: prices are written with at least these
  };
  std::vector<Instrument> instruments;
  std::unordered_map<std::string, std::size_t> instrument_by_symbol;
  std::unordered_map<std::uint32_t, std::size_t> instrument_by_id;

  std::vector<std::unique_ptr<m::Shard>> shards;

  std::unique_ptr<FIX::SessionSettings> fix_settings;
  std::unique_ptr<VenueStoreFactory> store_factory;
  std::unique_ptr<JsonLogFactory> log_factory;
  std::unique_ptr<VenueAcceptor> acceptor;
  std::unique_ptr<AcceptorMetrics> acceptor_metrics;
  std::unique_ptr<IdentityLog> identities;

  // ----- sessions -----
  struct Session {
    const SessionConfig* cfg = nullptr;
    FIX::SessionID id;
    FIX::Session* fix = nullptr;
    SessionThrottle throttle;
    std::unordered_map<std::string, std::uint64_t> clordids;  // ClOrdID of a live order -> order key
    // Orders of this session that ended recently, by their last ClOrdID: a cancel or replace of one is
    // answered "too late" with its final status rather than "unknown". The oldest are forgotten first.
    struct Ended {
      std::uint64_t order_id = 0;
      char status = 0;
      AccountId account;
    };
    std::unordered_map<std::string, Ended> ended;
    std::deque<std::string> ended_fifo;
    bool logged_on = false;
    std::vector<Cidr> allow;
    std::uint64_t failed_logons = 0;
    std::int64_t locked_until_ns = 0;
    prometheus::Counter* msgs_in = nullptr;
    prometheus::Counter* rejects = nullptr;
    prometheus::Counter* throttled = nullptr;
    prometheus::Counter* logons_ok = nullptr;
    prometheus::Counter* logons_refused = nullptr;
  };
  std::vector<Session> sessions;  // by SessionId - 1
  std::map<FIX::SessionID, std::size_t> session_index;

  // ----- orders -----
  // An order from its NewOrderSingle to its end. Its key is the client_ref of the NewOrderSingle.
  struct Order {
    std::uint64_t key = 0;
    std::uint64_t ref = 0;  // current client_ref (changes with each replace)
    OrderId id;             // invalid until the engine accepts it
    SessionId session;
    AccountId account;
    std::size_t instrument = 0;
    Side side{};
    OrdType type{};
    TimeInForce tif{};
    std::string clordid;
    std::string expire_text;
    char capacity = 0;
    char stp = 0;
    bool post_only = false;
    std::int64_t price = 0;  // ticks
    std::int64_t stop = 0;
    std::int64_t qty = 0;  // lots
    std::int64_t display = 0;
    std::int64_t min_qty = 0;
    __int128 open_units = 0;  // this order's part of its account's open notional (Decimal units)
    std::vector<std::function<void(Order&)>> deferred;  // requests waiting for the engine's ack
  };
  std::unordered_map<std::uint64_t, Order> orders;          // by key
  std::unordered_map<std::uint64_t, std::uint64_t> key_of;  // OrderId value -> key

  // A cancel, replace, status or mass-cancel request in flight, by its client_ref.
  struct Request {
    char kind = 0;  // 'F', 'G', 'H', 'q'
    std::size_t session = 0;
    std::string clordid;
    std::string orig_clordid;
    std::uint64_t order_key = 0;
    std::string status_req_id;
    char mass_type = 0;
    std::string symbol;
    char side = 0;
    // replace: the new values (applied when the engine confirms)
    std::int64_t price = 0, stop = 0, qty = 0, display = 0;
    __int128 open_units = 0;
    // mass cancel: one report per shard is awaited; the orders they cancelled add up
    std::size_t pending_reports = 0;
    std::uint64_t affected = 0;
  };
  std::unordered_map<std::uint64_t, Request> requests;

  // The last OrdStatus of orders that ended recently, for cancel rejects that arrive too late.
  std::unordered_map<std::uint64_t, char> final_status;  // OrderId value -> OrdStatus
  std::deque<std::uint64_t> final_order;
  static constexpr std::size_t kFinalStatusKept = 100'000;
  static constexpr std::size_t kEndedKeptPerSession = 100'000;

  std::unordered_map<std::uint32_t, __int128> open_units_by_account;
  std::set<std::uint32_t> blocked_firms;
  std::set<std::uint32_t> blocked_accounts;

  std::uint64_t next_ref = 1;
  std::uint64_t local_exec = 0;
  std::string local_exec_prefix;

  // Commands waiting for the identity log write that must precede them.
  struct Pending {
    std::size_t shard;
    m::Command command;
  };
  std::vector<Pending> outbox;

  // ----- admin queue (other threads -> gateway thread) -----
  std::mutex admin_mutex;
  std::deque<std::function<void()>> admin_jobs;

  // Reports: the log every sent message goes to, and its Kafka publisher (absent without [kafka]).
  std::unique_ptr<ReportLog> reports;
  std::unique_ptr<KafkaPublisher> publisher;
  static constexpr std::size_t kNoShard = SIZE_MAX;
  std::size_t event_shard_ = kNoShard;  // the shard whose events are being handled
  std::uint64_t event_seq_ = 0;         // the engine seq of the event being handled
  bool replaying_ = false;              // handling events replayed from the journal after a crash

  std::atomic<bool> stop_requested{false};
  std::atomic<bool> is_ready{false};

  // ----- metrics -----
  prometheus::Counter* orders_submitted = nullptr;
  prometheus::Counter* engine_refused = nullptr;
  prometheus::Family<prometheus::Counter>* reject_family = nullptr;
  std::map<int, prometheus::Counter*> reject_by_code;
  prometheus::Family<prometheus::Counter>* report_family = nullptr;
  std::map<char, prometheus::Counter*> reports_by_exec_type;
  prometheus::Gauge* live_orders_gauge = nullptr;
  prometheus::Gauge* logged_on_gauge = nullptr;
  struct ShardGauges {
    prometheus::Gauge* commands;
    prometheus::Gauge* journal_bytes;
    prometheus::Gauge* spilled;
    prometheus::Gauge* refused;
    prometheus::Gauge* live;
  };
  std::vector<ShardGauges> shard_gauges;

  // =================================================================================================
  // Set-up

  Impl(GatewayConfig c, std::shared_ptr<prometheus::Registry> r) : cfg(std::move(c)), registry(std::move(r)) {
    local_exec_prefix = "G" + std::to_string(wall_ns() / 1'000'000) + "-";
    auto& reg = *registry;
    orders_submitted = &prometheus::BuildCounter()
                            .Name("venue_orders_submitted_total")
                            .Help("New orders handed to the engine")
                            .Register(reg)
                            .Add({});
    engine_refused = &prometheus::BuildCounter()
                          .Name("venue_engine_submit_refused_total")
                          .Help("Commands the engine could not take (queue full or engine down)")
                          .Register(reg)
                          .Add({});
    reject_family =
        &prometheus::BuildCounter().Name("venue_rejects_total").Help("Refusals sent, by reject code").Register(reg);
    report_family = &prometheus::BuildCounter()
                         .Name("venue_execution_reports_total")
                         .Help("ExecutionReports sent, by ExecType")
                         .Register(reg);
    live_orders_gauge = &prometheus::BuildGauge().Name("venue_live_orders").Help("Live orders").Register(reg).Add({});
    logged_on_gauge =
        &prometheus::BuildGauge().Name("venue_sessions_logged_on").Help("FIX sessions logged on").Register(reg).Add({});
  }

  prometheus::Counter& reject_counter(RejectCode code) {
    auto it = reject_by_code.find(static_cast<int>(code));
    if (it != reject_by_code.end()) return *it->second;
    auto& c =
        reject_family->Add({{"code", std::to_string(static_cast<int>(code))}, {"name", std::string(to_string(code))}});
    reject_by_code[static_cast<int>(code)] = &c;
    return c;
  }

  void count_report(char exec_type) {
    auto it = reports_by_exec_type.find(exec_type);
    if (it == reports_by_exec_type.end()) {
      it = reports_by_exec_type.emplace(exec_type, &report_family->Add({{"exec_type", std::string(1, exec_type)}}))
               .first;
    }
    it->second->Increment();
  }

  std::uint64_t reports_for(std::uint16_t shard_id) {
    if (!reports) reports = std::make_unique<ReportLog>(cfg.report_dir);
    return reports->fresh() ? UINT64_MAX : reports->reported_up_to(shard_id);
  }

  // The engines' output wakers call into the acceptor: they stop before it is destroyed.
  ~Impl() override {
    for (auto& s : shards) s->stop();
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void start() {
    // Instruments and shards.
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
      Instrument in;
      in.spec = s;
      in.shard = shard;
      in.status = s.status;
      const std::string tick = s.tick_size.to_string();
      if (const auto point = tick.find('.'); point != std::string::npos) in.price_decimals = tick.size() - point - 1;
      instrument_by_symbol[s.symbol] = instruments.size();
      instrument_by_id[s.id.value()] = instruments.size();
      instruments.push_back(in);
      per_shard[shard].push_back(s);
    }
    for (std::size_t i = 0; i < cfg.engine.shards.size(); ++i) {
      const auto& sc = cfg.engine.shards[i];
      m::ShardSettings ss;
      ss.engine.shard = sc.id;
      ss.engine.stp_scope = cfg.engine.stp_scope;
      ss.engine.post_only_policy = cfg.engine.post_only;
      ss.instruments = per_shard[i];
      ss.cpu = sc.cpu;
      ss.idle = cfg.engine.idle;
      ss.backoff_spins = static_cast<std::uint32_t>(cfg.engine.spin_us * 40);  // a pause: ~25 ns
      ss.backoff_yields = static_cast<std::uint32_t>(cfg.engine.yield_us);     // a yield: ~1 us
      ss.journal = m::JournalSettings{cfg.engine.journal_dir / ("shard-" + std::to_string(sc.id)), sc.id,
                                      cfg.engine.sync, 256ULL << 20};
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
      auto gauge = [&](const char* name, const char* help) {
        return &prometheus::BuildGauge().Name(name).Help(help).Register(*registry).Add(
            {{"shard", std::to_string(sc.id)}});
      };
      shard_gauges.push_back(ShardGauges{gauge("venue_engine_commands", "Commands the engine applied"),
                                         gauge("venue_engine_journal_bytes", "Bytes written to the journal"),
                                         gauge("venue_engine_events_spilled", "Events that waited for ring space"),
                                         gauge("venue_engine_submit_refused", "Commands the engine ring refused"),
                                         gauge("venue_engine_live_orders", "Live orders in the engine")});
    }

    build_fix();
    restore_orders();
    replay_unreported();

    for (auto& s : shards) {
      s->output_waker().set_notify([](void* a) { static_cast<VenueAcceptor*>(a)->wake(); }, acceptor.get());
      s->start();
    }
    if (cfg.kafka) {
      PublisherSettings ps;
      ps.brokers = cfg.kafka->brokers;
      ps.topic = cfg.kafka->topic;
      ps.client_id = cfg.kafka->client_id;
      ps.report_dir = cfg.report_dir;
      ps.max_in_flight = static_cast<std::size_t>(cfg.kafka->max_in_flight);
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

  void build_fix() {
    std::filesystem::create_directories(cfg.store_dir);
    fix_settings = std::make_unique<FIX::SessionSettings>();
    FIX::Dictionary defaults;
    defaults.setString("ConnectionType", "acceptor");
    defaults.setString("BeginString", "FIX.4.4");
    defaults.setString("SenderCompID", cfg.comp_id);
    defaults.setString("StartTime", cfg.session_start_time);
    defaults.setString("EndTime", cfg.session_end_time);
    defaults.setString("UseDataDictionary", "Y");
    defaults.setString("DataDictionary", cfg.data_dictionary.string());
    defaults.setString("ValidateUserDefinedFields", "Y");
    defaults.setString("AllowUnknownMsgFields", "N");
    defaults.setString("ValidateFieldsHaveValues", "Y");
    defaults.setString("ValidateFieldsOutOfOrder", "N");
    defaults.setString("PersistMessages", "Y");
    defaults.setString("FileStorePath", cfg.store_dir.string());
    defaults.setString("ResetOnLogon", "N");
    defaults.setString("ResetOnLogout", "N");
    defaults.setString("ResetOnDisconnect", "N");
    defaults.setString("RefreshOnLogon", "N");
    defaults.setString("CheckLatency", "Y");
    defaults.setString("MaxLatency", "120");
    defaults.setString("TimeStampPrecision", "3");
    fix_settings->set(defaults);
    sessions.resize(cfg.sessions.size());
    auto& reg = *registry;
    auto& in_family = prometheus::BuildCounter()
                          .Name("venue_fix_messages_in_total")
                          .Help("Application messages received")
                          .Register(reg);
    auto& rej_family =
        prometheus::BuildCounter().Name("venue_session_rejects_total").Help("Refusals sent to a session").Register(reg);
    auto& thr_family = prometheus::BuildCounter()
                           .Name("venue_throttle_refused_total")
                           .Help("Messages refused by the session throttle")
                           .Register(reg);
    auto& logon_family = prometheus::BuildCounter().Name("venue_logons_total").Help("Logons, by result").Register(reg);
    for (std::size_t i = 0; i < cfg.sessions.size(); ++i) {
      const auto& sc = cfg.sessions[i];
      FIX::SessionID id("FIX.4.4", cfg.comp_id, sc.sender_comp_id);
      FIX::Dictionary d;
      d.setString("TargetCompID", sc.sender_comp_id);
      fix_settings->set(id, d);
      Session& s = sessions[i];
      s.cfg = &sc;
      s.id = id;
      s.throttle = SessionThrottle(sc.throttle.orders_per_second, sc.throttle.burst, sc.throttle.cancels_per_second,
                                   sc.throttle.logout_after_seconds);
      for (const auto& c : sc.allow_from) {
        if (auto cidr = parse_cidr(c)) s.allow.push_back(*cidr);
      }
      const std::map<std::string, std::string> labels{{"session", sc.sender_comp_id}};
      s.msgs_in = &in_family.Add(labels);
      s.rejects = &rej_family.Add(labels);
      s.throttled = &thr_family.Add(labels);
      s.logons_ok = &logon_family.Add({{"session", sc.sender_comp_id}, {"result", "ok"}});
      s.logons_refused = &logon_family.Add({{"session", sc.sender_comp_id}, {"result", "refused"}});
      session_index[id] = i;
    }
    store_factory = std::make_unique<VenueStoreFactory>(cfg.store_dir.string());
    log_factory = std::make_unique<JsonLogFactory>();
    AcceptorSettings as;
    as.plain_port = cfg.listen.fix_port;
    as.tls_port = cfg.listen.tls_port;
    as.tls_certificate = cfg.listen.tls_certificate.string();
    as.tls_private_key = cfg.listen.tls_private_key.string();
    as.comp_id = cfg.comp_id;
    as.supported_app_types = {"D", "F", "G", "H", "q"};
    acceptor = std::make_unique<VenueAcceptor>(*this, *store_factory, *fix_settings, *log_factory, as, *this);
    acceptor_metrics = std::make_unique<AcceptorMetrics>(*registry, "venue");
    for (auto& s : sessions) s.fix = acceptor->getSession(s.id);
  }

  // After a restart: every live order in the engines gets its FIX identity back from the log.
  void restore_orders() {
    identities = std::make_unique<IdentityLog>(cfg.state_dir);
    std::uint64_t max_ref = 0;
    for (const auto& [ref, id] : identities->loaded()) max_ref = std::max(max_ref, ref);
    for (auto& shard : shards) {
      shard->engine().for_each_order([&](const m::OrderView& v) {
        max_ref = std::max(max_ref, v.client_ref);
        adopt(v);
      });
    }
    next_ref = max_ref + 1;
    live_orders_gauge->Set(static_cast<double>(orders.size()));
    VENUE_LOG_KV(info, "order identities restored", {{"live_orders", orders.size()}, {"next_ref", next_ref}});
  }

  // Rebuilds the gateway's record of an order the engine knows, from the identity log. Null when the
  // identity is missing (the order can then only be cancelled by operations).
  Order* adopt(const m::OrderView& v) {
    const auto& loaded = identities->loaded();
    auto it = loaded.find(v.client_ref);
    if (it == loaded.end()) {
      VENUE_LOG_KV(error, "order without an identity: it can only be cancelled by operations",
                   {{"order_id", v.id.value()}, {"client_ref", v.client_ref}});
      return nullptr;
    }
    const Identity& idn = it->second;
    auto inst = instrument_by_id.find(v.instrument.value());
    if (idn.session == 0 || idn.session > sessions.size() || inst == instrument_by_id.end()) return nullptr;
    Order o;
    o.key = v.client_ref;
    o.ref = v.client_ref;
    o.id = v.id;
    o.session = SessionId(idn.session);
    o.account = AccountId(idn.account);
    o.instrument = inst->second;
    o.side = v.side;
    o.type = v.type;
    o.tif = v.tif;
    o.clordid = idn.clordid;
    o.expire_text = idn.expire_time;
    o.capacity = idn.capacity;
    o.stp = idn.stp;
    o.post_only = idn.post_only;
    o.price = v.price.count();
    o.stop = v.stop_price.count();
    o.qty = v.qty.count();
    o.display = v.display_qty.count();
    o.open_units = open_units(instruments[o.instrument], v.leaves_qty.count(), o.price != 0 ? o.price : o.stop);
    open_units_by_account[o.account.value()] += o.open_units;
    sessions[idn.session - 1].clordids[o.clordid] = o.key;
    if (v.id.valid()) key_of[v.id.value()] = o.key;
    const std::uint64_t key = o.key;
    return &orders.emplace(key, std::move(o)).first->second;
  }

  // A cancel, replace, status or mass-cancel request: in flight, or (replaying after a crash) rebuilt
  // from the identity log.
  Request* request_for(std::uint64_t ref, OrderId order) {
    auto it = requests.find(ref);
    if (it != requests.end()) return &it->second;
    if (!replaying_) return nullptr;
    const auto& loaded = identities->loaded();
    auto id = loaded.find(ref);
    if (id == loaded.end() || id->second.session == 0 || id->second.session > sessions.size()) return nullptr;
    Request r;
    r.kind = static_cast<char>(id->second.kind);
    r.session = id->second.session - 1;
    r.clordid = id->second.clordid;
    r.orig_clordid = id->second.orig_clordid;
    r.pending_reports = 1;
    r.mass_type = r.kind == 'q' ? '7' : 0;
    if (Order* o = order_by_id(order)) r.order_key = o->key;
    return &requests.emplace(ref, std::move(r)).first->second;
  }

  // Events the engine journaled but the venue never reported (it stopped before it could): replayed
  // through the gateway now, so the brokers get them (PossResend=Y) and so does Kafka.
  void replay_unreported() {
    replaying_ = true;
    std::uint64_t replayed = 0;
    for (std::size_t i = 0; i < shards.size(); ++i) {
      event_shard_ = i;
      const auto info = shards[i]->finish_recovery(this);
      replayed += info.replayed;
      flush_outbox();
    }
    event_shard_ = kNoShard;
    replaying_ = false;
    reports->flush();
    // The identity log keeps only what live orders need from now on.
    std::set<std::uint64_t> live_refs;
    for (const auto& [key, o] : orders) live_refs.insert(o.ref);
    identities->compact([&](const Identity& id) { return live_refs.contains(id.ref); });
    requests.clear();
    if (replayed > 0)
      VENUE_LOG_KV(warning, "reported journaled events again after a restart", {{"commands", replayed}});
  }

  // =================================================================================================
  // The loop

  bool handed_over = false;  // commands went to an engine since the last look: answers are coming
  void run() {
    std::int64_t idle_since = 0;
    std::int64_t next_metrics = 0;
    while (!stop_requested.load(std::memory_order_relaxed) && !ShutdownSignal::requested()) {
      run_admin_jobs();
      bool busy = false;
      for (std::size_t i = 0; i < shards.size(); ++i) {
        event_shard_ = i;
        if (shards[i]->poll(*this, 512) > 0) busy = true;
        event_shard_ = kNoShard;
        if (shards[i]->failed()) {
          VENUE_LOG_KV(fatal, "engine stopped: the venue shuts down",
                       {{"shard", shards[i]->shard()}, {"error", shards[i]->failure()}});
          stop_requested = true;
        }
      }
      flush_outbox();
      flush_reports();
      acceptor->flush();
      const std::int64_t now = steady_ns();
      if (busy || handed_over) idle_since = now;
      handed_over = false;
      // After handing commands to an engine or taking its answers: poll without waiting for
      // [venue] poll_spin_us (answers usually follow within microseconds), then poll and yield the CPU
      // between polls for poll_yield_us (the next message is taken without a wake-up, which costs tens
      // of microseconds here), then wait in the kernel for network input, admin requests, an engine (its
      // output waker writes the acceptor's eventfd while this thread waits) or at most 2 ms (timers).
      const std::int64_t quiet = now - idle_since;
      if (busy || quiet < cfg.poll_spin_us * 1000) {
        acceptor->poll(0.0);
      } else if (quiet < (cfg.poll_spin_us + cfg.poll_yield_us) * 1000) {
        sched_yield();
        acceptor->poll(0.0);
      } else {
        bool answers = false;
        for (auto& sh : shards) {
          sh->output_waker().announce();
          answers = answers || sh->has_output();
        }
        acceptor->poll(answers ? 0.0 : 0.002);
        for (auto& sh : shards) sh->output_waker().retire();
      }
      flush_outbox();
      flush_reports();
      if (now >= next_metrics) {
        next_metrics = now + 1'000'000'000;
        publish_metrics();
        end_of_day_if_due();
      }
      if (ShutdownSignal::take_reopen_request()) log::reopen();
    }
    shutdown();
  }

  // Day orders expire once a day at [engine] end_of_day_time (UTC).
  std::int64_t last_eod_day = -1;
  void end_of_day_if_due() {
    if (cfg.engine.end_of_day_time.empty()) return;
    const std::int64_t now = wall_ns() / 1'000'000'000;
    const std::int64_t day = now / 86'400;
    const auto& t = cfg.engine.end_of_day_time;
    const std::int64_t at =
        std::stoi(t.substr(0, 2)) * 3600 + std::stoi(t.substr(3, 2)) * 60 + std::stoi(t.substr(6, 2));
    if (last_eod_day < 0) last_eod_day = now % 86'400 >= at ? day : day - 1;  // not at start-up for a past time
    if (day > last_eod_day && now % 86'400 >= at) {
      last_eod_day = day;
      VENUE_LOG(info) << "end of day: Day orders expire";
      for (std::size_t i = 0; i < shards.size(); ++i) submit(i, m::Command::make(m::EndOfDayCmd{InstrumentId()}));
      flush_outbox();
    }
  }

  void flush_reports() {
    // The FIX stores first: a report in the report log counts as reported after a crash, so it must be
    // in the broker's store (resendable) by then.
    store_factory->flush_all();
    try {
      reports->flush();
    } catch (const std::exception& e) {
      VENUE_LOG_KV(fatal, "report log write failed: the venue stops", {{"error", e.what()}});
      stop_requested = true;
    }
  }

  void publish_metrics() {
    if (publisher) reports->prune(publisher->acknowledged());
    for (std::size_t i = 0; i < shards.size(); ++i) {
      const auto& st = shards[i]->stats();
      shard_gauges[i].commands->Set(static_cast<double>(st.commands.load()));
      shard_gauges[i].journal_bytes->Set(static_cast<double>(st.journal_bytes.load()));
      shard_gauges[i].spilled->Set(static_cast<double>(st.spilled.load()));
      shard_gauges[i].refused->Set(static_cast<double>(st.submit_refused.load()));
      shard_gauges[i].live->Set(static_cast<double>(st.live_orders.load()));
    }
    live_orders_gauge->Set(static_cast<double>(orders.size()));
    if (acceptor_metrics && acceptor) acceptor_metrics->update(acceptor->counters());
    std::size_t on = 0;
    for (const auto& s : sessions) on += s.logged_on ? 1 : 0;
    logged_on_gauge->Set(static_cast<double>(on));
  }

  void shutdown() {
    VENUE_LOG(info) << "venue shutting down: logging sessions out";
    is_ready = false;
    for (auto& s : sessions) {
      if (s.fix != nullptr && s.fix->isLoggedOn()) s.fix->logout("venue shutting down");
    }
    // Let the Logouts go out and be answered (at most 2 s).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < deadline) {
      bool any = false;
      for (auto& s : sessions) any = any || (s.fix != nullptr && s.fix->isLoggedOn());
      if (!any) break;
      acceptor->poll(0.01);
      for (auto& sh : shards) sh->poll(*this, 512);
      acceptor->flush();
    }
    acceptor->stop(true);
    for (std::size_t i = 0; i < shards.size(); ++i) {
      shards[i]->stop();
      event_shard_ = i;
      while (shards[i]->poll(*this, 512) > 0) {
      }
      event_shard_ = kNoShard;
    }
    flush_reports();
    if (publisher) publisher->stop(3000);
    try {
      identities->flush();
    } catch (const std::exception& e) {
      VENUE_LOG_KV(error, "identity log flush failed at shutdown", {{"error", e.what()}});
    }
    VENUE_LOG(info) << "venue stopped";
  }

  void run_admin_jobs() {
    std::deque<std::function<void()>> jobs;
    {
      std::lock_guard lock(admin_mutex);
      jobs.swap(admin_jobs);
    }
    for (auto& j : jobs) j();
  }

  template <class R>
  R on_gateway_thread(std::function<R()> fn, R timeout_value) {
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(fn));
    auto fut = task->get_future();
    {
      std::lock_guard lock(admin_mutex);
      admin_jobs.emplace_back([task] { (*task)(); });
    }
    if (acceptor) acceptor->wake();
    if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready) return timeout_value;
    return fut.get();
  }

  // Commands leave after the identities they need are in the log.
  void flush_outbox() {
    if (outbox.empty()) return;
    handed_over = true;
    // The incoming sequence numbers of the messages behind these commands are written first: after a
    // crash, the broker's resend of an order the engine took is below the expected number and dropped.
    store_factory->flush_all();
    try {
      identities->flush();
    } catch (const std::exception& e) {
      VENUE_LOG_KV(fatal, "identity log write failed: the venue stops taking orders", {{"error", e.what()}});
      stop_requested = true;
      for (auto& p : outbox) engine_unavailable(p.command);
      outbox.clear();
      return;
    }
    auto list = std::move(outbox);
    outbox.clear();
    for (auto& p : list) {
      if (!shards[p.shard]->submit(p.command)) {
        engine_refused->Increment();
        engine_unavailable(p.command);
      }
    }
  }

  void submit(std::size_t shard, const m::Command& c) { outbox.push_back(Pending{shard, c}); }

  // A command the engine could not take: refuse what it carried.
  void engine_unavailable(const m::Command& c) {
    switch (c.type) {
      case m::CommandType::kNewOrder: {
        auto it = orders.find(c.new_order.client_ref);
        if (it == orders.end()) return;
        Order o = std::move(it->second);
        orders.erase(it);
        release(o);
        Session& s = sessions[o.session.value() - 1];
        s.clordids.erase(o.clordid);
        send_reject_er(s, o, RejectCode::kVenueBusy, "");
        return;
      }
      case m::CommandType::kCancel:
      case m::CommandType::kReplace:
      case m::CommandType::kStatus: {
        const std::uint64_t ref = c.type == m::CommandType::kCancel    ? c.cancel.client_ref
                                  : c.type == m::CommandType::kReplace ? c.replace.client_ref
                                                                       : c.status.client_ref;
        auto it = requests.find(ref);
        if (it == requests.end()) return;
        Request r = std::move(it->second);
        requests.erase(it);
        Session& s = sessions[r.session];
        if (r.kind == 'G') s.clordids.erase(r.clordid);
        auto ot = orders.find(r.order_key);
        send_cancel_reject(s, r.clordid, r.orig_clordid, ot != orders.end() ? &ot->second : nullptr, r.kind == 'G',
                           RejectCode::kVenueBusy, "");
        return;
      }
      default: VENUE_LOG_KV(error, "engine refused a command", {{"type", static_cast<int>(c.type)}}); return;
    }
  }

  // =================================================================================================
  // LogonGate

  Verdict admit(const FIX::SessionID& id, std::string_view address, bool tls, std::string_view username,
                bool has_password) override {
    auto it = session_index.find(id);
    if (it == session_index.end()) return {false, "unknown session", {}};
    Session& s = sessions[it->second];
    const auto now = steady_ns();
    if (s.locked_until_ns > now) return {false, "too many failed logons: try again later", {}};
    if (!address_allowed(s.allow, address))
      return {false, "logon from " + std::string(address) + " is not allowed", {}};
    if (tls != (s.cfg->transport == Transport::kTls)) {
      return {
          false, tls ? "this session must connect to the plain listener" : "this session must connect over TLS", {}};
    }
    if (username.empty() || !has_password) return {false, "Logon must carry Username(553) and Password(554)", {}};
    if (username != s.cfg->username) return {false, "authentication failed: wrong Username(553) or Password(554)", {}};
    return {true, {}, s.cfg->password_hash};
  }

  void refused(const FIX::SessionID* id, std::string_view address, std::string_view reason) override {
    if (id == nullptr) return;
    auto it = session_index.find(*id);
    if (it == session_index.end()) return;
    Session& s = sessions[it->second];
    s.logons_refused->Increment();
    if (reason.find("authentication failed") != std::string_view::npos) {
      // Five failures in a row lock the session for a minute (guards the password against guessing).
      if (++s.failed_logons >= 5) {
        s.locked_until_ns = steady_ns() + 60'000'000'000;
        s.failed_logons = 0;
        VENUE_LOG_KV(warning, "session locked after repeated failed logons",
                     {{"session", s.cfg->sender_comp_id}, {"peer", std::string(address)}});
      }
    }
  }

  void authenticated(const FIX::SessionID& id, std::string_view address, bool tls) override {
    auto it = session_index.find(id);
    if (it == session_index.end()) return;
    Session& s = sessions[it->second];
    s.failed_logons = 0;
    VENUE_LOG_KV(info, "logon authenticated",
                 {{"session", s.cfg->sender_comp_id}, {"peer", std::string(address)}, {"tls", tls}});
  }

  // =================================================================================================
  // FIX::Application

  Session* session_of(const FIX::SessionID& id) {
    auto it = session_index.find(id);
    return it == session_index.end() ? nullptr : &sessions[it->second];
  }

  void onCreate(const FIX::SessionID&) override {}

  void onLogon(const FIX::SessionID& id) override {
    Session* s = session_of(id);
    if (s == nullptr) return;
    s->logged_on = true;
    s->throttle.reset_streak();
    s->logons_ok->Increment();
    VENUE_LOG_KV(info, "session logged on", {{"session", s->cfg->sender_comp_id}});
  }

  void onLogout(const FIX::SessionID& id) override {
    Session* s = session_of(id);
    if (s == nullptr) return;
    const bool was = s->logged_on;
    s->logged_on = false;
    // Session::logout() (throttle, shutdown) disables the session; it may log on again afterwards.
    if (s->fix != nullptr && !stop_requested && !ShutdownSignal::requested()) s->fix->logon();
    if (!was) return;
    VENUE_LOG_KV(info, "session logged out", {{"session", s->cfg->sender_comp_id}});
    if (s->cfg->cancel_on_disconnect != CancelOnDisconnect::kOff && !stop_requested && !ShutdownSignal::requested()) {
      for (std::size_t shard = 0; shard < shards.size(); ++shard) {
        m::MassCancelCmd mc{};
        mc.client_ref = 0;
        mc.session = s->cfg->id;
        mc.reason = m::CancelReason::kDisconnect;
        mc.tif_mask = s->cfg->cancel_on_disconnect == CancelOnDisconnect::kDayOnly ? m::tif_bit(TimeInForce::kDay) : 0;
        submit(shard, m::Command::make(mc));
      }
    }
  }

  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}

  void toApp(FIX::Message&, const FIX::SessionID&) QF_THROW(FIX::DoNotSend) override {}

  void fromAdmin(const FIX::Message& msg, const FIX::SessionID& id)
      QF_THROW(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    if (msg.getHeader().getField(FIX::FIELD::MsgType) != "A") return;
    Session* s = session_of(id);
    if (s == nullptr) throw FIX::RejectLogon("unknown session");
    // The acceptor checked the credentials before the Logon got here; check that it still says the same.
    if (get_field(msg, 553).value_or("") != s->cfg->username) throw FIX::RejectLogon("Username(553) mismatch");
    const auto hb = get_field(msg, 108);
    long heartbeat = -1;
    if (hb) std::from_chars(hb->data(), hb->data() + hb->size(), heartbeat);
    if (heartbeat < 1 || heartbeat > s->cfg->heartbeat_seconds_max) {
      throw FIX::RejectLogon("HeartBtInt(108) must be between 1 and " + std::to_string(s->cfg->heartbeat_seconds_max));
    }
  }

  void fromApp(const FIX::Message& msg, const FIX::SessionID& id)
      QF_THROW(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
               FIX::UnsupportedMessageType) override {
    Session* s = session_of(id);
    if (s == nullptr) return;
    s->msgs_in->Increment();
    const std::string type = msg.getHeader().getField(FIX::FIELD::MsgType);
    if (s->cfg->role == SessionRole::kReadOnly) {
      send_business_reject(*s, msg, RejectCode::kNotAuthorized);
      return;
    }
    if (type == "D") {
      new_order(*s, msg);
    } else if (type == "F") {
      cancel_request(*s, msg);
    } else if (type == "G") {
      replace_request(*s, msg);
    } else if (type == "H") {
      status_request(*s, msg);
    } else if (type == "q") {
      mass_cancel_request(*s, msg);
    } else {
      throw FIX::UnsupportedMessageType();
    }
  }

  // =================================================================================================
  // Inbound: NewOrderSingle

  // Parses a decimal field into instrument units (ticks or lots). Returns a code on failure.
  static RejectCode units(const std::optional<std::string>& text, Decimal unit, RejectCode off_unit,
                          std::int64_t& out) {
    if (!text) return RejectCode::kConditionalFieldMissing;
    auto d = Decimal::parse(*text);
    if (!d) return RejectCode::kInvalidNumber;
    if (d->units() % unit.units() != 0) return off_unit;
    out = d->units() / unit.units();
    return RejectCode::kNone;
  }

  __int128 open_units(const Instrument& in, std::int64_t lots, std::int64_t ticks) const {
    if (ticks <= 0 || lots <= 0) return 0;
    return static_cast<__int128>(ticks) * in.spec.tick_size.units() * lots * in.spec.lot_size.units() / Decimal::kOne;
  }

  // The price a market order's notional is judged at: the last trade, else the reference price.
  std::int64_t judging_price(const Instrument& in) const {
    return in.last_trade > 0 ? in.last_trade : in.spec.reference_price.count();
  }

  RejectCode risk_check(const Session& s, const AccountConfig& acct, const Instrument& in, OrdType type,
                        std::int64_t price, std::int64_t stop, std::int64_t qty_lots, __int128 previous_units,
                        std::string& detail, __int128& units_out) {
    if (blocked_firms.contains(acct.firm.value()) || blocked_firms.contains(s.cfg->firm.value()) ||
        blocked_accounts.contains(acct.id.value())) {
      return RejectCode::kKillSwitchActive;
    }
    if (acct.limits.max_order_qty_lots > 0 && qty_lots > acct.limits.max_order_qty_lots) {
      detail = "limit " + std::to_string(acct.limits.max_order_qty_lots) + " lots";
      return RejectCode::kMaxOrderQtyExceeded;
    }
    const std::int64_t at = type == OrdType::kLimit || type == OrdType::kStopLimit ? price
                            : type == OrdType::kStop                               ? stop
                                                                                   : judging_price(in);
    units_out = open_units(in, qty_lots, at);
    if (acct.limits.max_order_notional && at > 0 && units_out > acct.limits.max_order_notional->units()) {
      detail = "limit " + acct.limits.max_order_notional->to_string();
      return RejectCode::kMaxNotionalExceeded;
    }
    if (cfg.price_collar_bps > 0 && (type == OrdType::kLimit || type == OrdType::kStopLimit)) {
      const std::int64_t ref = judging_price(in);
      if (ref > 0) {
        const __int128 diff = price > ref ? price - ref : ref - price;
        if (diff * 10'000 > static_cast<__int128>(ref) * cfg.price_collar_bps) {
          detail = "collar " + std::to_string(cfg.price_collar_bps) + " bps around " +
                   to_decimal(Price(ref), in.spec.tick_size).value().to_string();
          return RejectCode::kPriceCollar;
        }
      }
    }
    if (acct.limits.credit_limit) {
      auto it = open_units_by_account.find(acct.id.value());
      const __int128 open = it == open_units_by_account.end() ? 0 : it->second;
      if (open - previous_units + units_out > acct.limits.credit_limit->units()) {
        detail = "limit " + acct.limits.credit_limit->to_string();
        return RejectCode::kCreditLimitExceeded;
      }
    }
    return RejectCode::kNone;
  }

  void new_order(Session& s, const FIX::Message& msg) {
    Order o;
    o.session = s.cfg->id;
    o.clordid = msg.getField(FIX::FIELD::ClOrdID);
    const auto side_text = msg.getField(FIX::FIELD::Side);
    o.side = side_text == "1" ? Side::kBuy : Side::kSell;
    o.type = static_cast<OrdType>(msg.getField(FIX::FIELD::OrdType)[0] - '0');
    const auto tif_text = get_field(msg, FIX::FIELD::TimeInForce).value_or("0");
    o.tif = static_cast<TimeInForce>(tif_text[0] - '0');
    o.capacity = get_field(msg, FIX::FIELD::OrderCapacity).value_or(std::string(1, '\0'))[0];
    o.post_only = get_field(msg, FIX::FIELD::ExecInst).value_or("") == "6";
    o.stp = get_field(msg, 8000).value_or(std::string(1, '\0'))[0];
    const auto symbol = get_field(msg, FIX::FIELD::Symbol);
    const auto account_text = get_field(msg, FIX::FIELD::Account);

    auto refuse = [&](RejectCode code, const std::string& detail) {
      send_reject_er(s, o, code, detail, symbol.value_or(""), account_text.value_or(""), &msg);
    };

    if (o.clordid.size() > kMaxClOrdIDLength) return refuse(RejectCode::kClOrdIDTooLong, "");
    if (s.clordids.contains(o.clordid)) return refuse(RejectCode::kDuplicateClOrdID, "");
    const auto now = steady_ns();
    const auto verdict = s.throttle.order(now);
    if (verdict != SessionThrottle::Verdict::kPass) {
      s.throttled->Increment();
      refuse(RejectCode::kThrottleExceeded, std::to_string(s.cfg->throttle.orders_per_second) + " orders/s");
      if (verdict == SessionThrottle::Verdict::kRefuseAndLogout) throttle_logout(s);
      return;
    }
    const AccountConfig* acct = nullptr;
    if (account_text) {
      acct = cfg.account(*account_text);
    } else if (!s.cfg->accounts.empty()) {
      acct = cfg.account(s.cfg->accounts.front());
    }
    if (acct == nullptr ||
        std::find(s.cfg->accounts.begin(), s.cfg->accounts.end(), acct->id) == s.cfg->accounts.end()) {
      return refuse(RejectCode::kAccountNotPermitted, "");
    }
    o.account = acct->id;
    if (!symbol) return refuse(RejectCode::kConditionalFieldMissing, "Symbol(55)");
    auto inst_it = instrument_by_symbol.find(*symbol);
    if (inst_it == instrument_by_symbol.end()) return refuse(RejectCode::kUnknownInstrument, *symbol);
    o.instrument = inst_it->second;
    const Instrument& in = instruments[o.instrument];
    if (in.status == TradingStatus::kHalted) return refuse(RejectCode::kInstrumentHalted, "");
    if (in.status == TradingStatus::kClosed) return refuse(RejectCode::kInstrumentClosed, "");

    RejectCode code =
        units(get_field(msg, FIX::FIELD::OrderQty), in.spec.lot_size, RejectCode::kQtyNotLotMultiple, o.qty);
    if (code != RejectCode::kNone) return refuse(code, "OrderQty(38)");
    const bool priced = o.type == OrdType::kLimit || o.type == OrdType::kStopLimit;
    const bool stop = o.type == OrdType::kStop || o.type == OrdType::kStopLimit;
    const auto price_text = get_field(msg, FIX::FIELD::Price);
    if (priced) {
      code = units(price_text, in.spec.tick_size, RejectCode::kPriceNotOnTick, o.price);
      if (code != RejectCode::kNone) return refuse(code, "Price(44)");
    } else if (price_text) {
      return refuse(RejectCode::kUnsupportedValue, "Price(44) on a market or stop order");
    }
    const auto stop_text = get_field(msg, FIX::FIELD::StopPx);
    if (stop) {
      code = units(stop_text, in.spec.tick_size, RejectCode::kPriceNotOnTick, o.stop);
      if (code != RejectCode::kNone) return refuse(code, "StopPx(99)");
    } else if (stop_text) {
      return refuse(RejectCode::kUnsupportedValue, "StopPx(99) on an order that is not a stop");
    }
    if (auto f = get_field(msg, FIX::FIELD::MaxFloor)) {
      code = units(f, in.spec.lot_size, RejectCode::kQtyNotLotMultiple, o.display);
      if (code != RejectCode::kNone) return refuse(code, "MaxFloor(111)");
    }
    if (auto f = get_field(msg, FIX::FIELD::MinQty)) {
      code = units(f, in.spec.lot_size, RejectCode::kQtyNotLotMultiple, o.min_qty);
      if (code != RejectCode::kNone) return refuse(code, "MinQty(110)");
    }
    std::int64_t expire_ns = 0;
    if (auto f = get_field(msg, FIX::FIELD::ExpireTime)) {
      auto t = parse_utc_timestamp(*f);
      if (!t) return refuse(RejectCode::kUnsupportedValue, "ExpireTime(126) is not a UTCTimestamp");
      expire_ns = *t;
      o.expire_text = *f;
    }
    if (o.tif == TimeInForce::kGtd && expire_ns == 0)
      return refuse(RejectCode::kConditionalFieldMissing, "ExpireTime(126)");
    std::string detail;
    code = risk_check(s, *acct, in, o.type, o.price, o.stop, o.qty, 0, detail, o.open_units);
    if (code != RejectCode::kNone) return refuse(code, detail);

    o.key = next_ref++;
    o.ref = o.key;
    m::NewOrderCmd n{};
    n.client_ref = o.ref;
    n.instrument = in.spec.id;
    n.owner = m::Owner{s.cfg->id, acct->firm, acct->id};
    n.side = o.side;
    n.type = o.type;
    n.tif = o.tif;
    n.stp = stp_mode(o.stp, s.cfg->default_stp);
    n.post_only = o.post_only;
    n.price = Price(o.price);
    n.stop_price = Price(o.stop);
    n.qty = Qty(o.qty);
    n.display_qty = Qty(o.display);
    n.min_qty = Qty(o.min_qty);
    n.expire_time_ns = expire_ns;
    identities->append(Identity{
        o.ref, 'D', s.cfg->id.value(), acct->id.value(), o.capacity, o.stp, o.post_only, o.clordid, {}, o.expire_text});
    s.clordids[o.clordid] = o.key;
    open_units_by_account[o.account.value()] += o.open_units;
    const std::size_t shard = in.shard;
    orders.emplace(o.key, std::move(o));
    orders_submitted->Increment();
    submit(shard, m::Command::make(n));
  }

  static StpMode stp_mode(char tag, StpMode fallback) {
    switch (tag) {
      case 'N': return StpMode::kCancelNewest;
      case 'O': return StpMode::kCancelOldest;
      case 'B': return StpMode::kCancelBoth;
      case 'D': return StpMode::kDecrementAndCancel;
      default: return fallback;
    }
  }

  void throttle_logout(Session& s) {
    VENUE_LOG_KV(warning, "session logged out for sustained throttle excess", {{"session", s.cfg->sender_comp_id}});
    if (s.fix != nullptr) {
      s.fix->logout("throttle exceeded continuously for " + std::to_string(s.cfg->throttle.logout_after_seconds) +
                    " seconds");
    }
  }

  // =================================================================================================
  // Inbound: cancel, replace, status, mass cancel

  // The live order an OrigClOrdID names, or nullptr with the code.
  // The live order a cancel or replace names by OrigClOrdID(41) (and OrderID(37), Side(54), Symbol(55)
  // when given). A replace that names it but changes Side or Symbol is refused as such (2013).
  Order* find_order(Session& s, const FIX::Message& msg, RejectCode& code, bool replace = false) {
    const auto& orig = msg.getField(FIX::FIELD::OrigClOrdID);
    auto it = s.clordids.find(orig);
    if (it == s.clordids.end()) {
      code = RejectCode::kUnknownClOrdID;
      return nullptr;
    }
    auto ot = orders.find(it->second);
    if (ot == orders.end()) {
      code = RejectCode::kUnknownClOrdID;
      return nullptr;
    }
    Order& o = ot->second;
    if (auto oid = get_field(msg, FIX::FIELD::OrderID);
        oid && (!o.id.valid() || *oid != std::to_string(o.id.value()))) {
      code = RejectCode::kOrderIDMismatch;
      return nullptr;
    }
    const std::string& side = msg.getField(FIX::FIELD::Side);
    const bool side_differs = side != std::string(1, static_cast<char>('0' + static_cast<int>(o.side)));
    const auto sym = get_field(msg, FIX::FIELD::Symbol);
    const bool symbol_differs = sym && *sym != instruments[o.instrument].spec.symbol;
    if (side_differs || symbol_differs) {
      code = replace ? RejectCode::kReplaceChangesImmutable : RejectCode::kUnknownClOrdID;
      return nullptr;
    }
    return &o;
  }

  void cancel_request(Session& s, const FIX::Message& msg) {
    const std::string& clordid = msg.getField(FIX::FIELD::ClOrdID);
    const std::string& orig = msg.getField(FIX::FIELD::OrigClOrdID);
    RejectCode code = RejectCode::kNone;
    if (clordid.size() > kMaxClOrdIDLength) {
      send_cancel_reject(s, clordid, orig, nullptr, false, RejectCode::kClOrdIDTooLong, "");
      return;
    }
    const auto verdict = s.throttle.cancel(steady_ns());
    if (verdict != SessionThrottle::Verdict::kPass) {
      s.throttled->Increment();
      send_cancel_reject(s, clordid, orig, nullptr, false, RejectCode::kThrottleExceeded, "");
      if (verdict == SessionThrottle::Verdict::kRefuseAndLogout) throttle_logout(s);
      return;
    }
    Order* o = find_order(s, msg, code);
    if (o == nullptr) {
      refuse_missing_order(s, clordid, orig, false, code);
      return;
    }
    if (s.clordids.contains(clordid)) {
      send_cancel_reject(s, clordid, orig, o, false, RejectCode::kDuplicateClOrdID, "");
      return;
    }
    const std::uint64_t ref = next_ref++;
    Request r;
    r.kind = 'F';
    r.session = s.cfg->id.value() - 1;
    r.clordid = clordid;
    r.orig_clordid = orig;
    r.order_key = o->key;
    requests.emplace(ref, std::move(r));
    identities->append(Identity{ref, 'F', s.cfg->id.value(), o->account.value(), 0, 0, false, clordid, orig, {}});
    const FirmId firm = s.cfg->firm;
    const std::size_t shard = instruments[o->instrument].shard;
    when_acked(*o, [this, ref, firm, shard](Order& ord) {
      submit(shard, m::Command::make(m::CancelCmd{ref, ord.id, firm, m::CancelReason::kUser}));
    });
  }

  // Runs `fn` now if the engine already acknowledged the order, else when it does.
  void when_acked(Order& o, std::function<void(Order&)> fn) {
    if (o.id.valid()) {
      fn(o);
    } else {
      o.deferred.push_back(std::move(fn));
    }
  }

  void replace_request(Session& s, const FIX::Message& msg) {
    const std::string& clordid = msg.getField(FIX::FIELD::ClOrdID);
    const std::string& orig = msg.getField(FIX::FIELD::OrigClOrdID);
    RejectCode code = RejectCode::kNone;
    if (clordid.size() > kMaxClOrdIDLength) {
      send_cancel_reject(s, clordid, orig, nullptr, true, RejectCode::kClOrdIDTooLong, "");
      return;
    }
    const auto verdict = s.throttle.order(steady_ns());
    if (verdict != SessionThrottle::Verdict::kPass) {
      s.throttled->Increment();
      send_cancel_reject(s, clordid, orig, nullptr, true, RejectCode::kThrottleExceeded, "");
      if (verdict == SessionThrottle::Verdict::kRefuseAndLogout) throttle_logout(s);
      return;
    }
    Order* o = find_order(s, msg, code, true);
    if (o == nullptr) {
      refuse_missing_order(s, clordid, orig, true, code);
      return;
    }
    auto refuse = [&](RejectCode c, const std::string& detail) {
      send_cancel_reject(s, clordid, orig, o, true, c, detail);
    };
    if (s.clordids.contains(clordid)) return refuse(RejectCode::kDuplicateClOrdID, "");
    const Instrument& in = instruments[o->instrument];
    const AccountConfig* acct = cfg.account(o->account);
    const OrdType type = static_cast<OrdType>(msg.getField(FIX::FIELD::OrdType)[0] - '0');
    const TimeInForce tif = static_cast<TimeInForce>(get_field(msg, FIX::FIELD::TimeInForce).value_or("0")[0] - '0');
    const auto account_text = get_field(msg, FIX::FIELD::Account);
    if (type != o->type || tif != o->tif || (account_text && acct != nullptr && *account_text != acct->name) ||
        get_field(msg, FIX::FIELD::ExpireTime).value_or(o->expire_text) != o->expire_text) {
      return refuse(RejectCode::kReplaceChangesImmutable, "");
    }
    Request r;
    r.kind = 'G';
    r.session = s.cfg->id.value() - 1;
    r.clordid = clordid;
    r.orig_clordid = orig;
    r.order_key = o->key;
    code = units(get_field(msg, FIX::FIELD::OrderQty), in.spec.lot_size, RejectCode::kQtyNotLotMultiple, r.qty);
    if (code != RejectCode::kNone) return refuse(code, "OrderQty(38)");
    const bool priced = type == OrdType::kLimit || type == OrdType::kStopLimit;
    const bool stop = type == OrdType::kStop || type == OrdType::kStopLimit;
    if (priced) {
      code = units(get_field(msg, FIX::FIELD::Price), in.spec.tick_size, RejectCode::kPriceNotOnTick, r.price);
      if (code != RejectCode::kNone) return refuse(code, "Price(44)");
    }
    if (stop) {
      code = units(get_field(msg, FIX::FIELD::StopPx), in.spec.tick_size, RejectCode::kPriceNotOnTick, r.stop);
      if (code != RejectCode::kNone) return refuse(code, "StopPx(99)");
    }
    if (auto f = get_field(msg, FIX::FIELD::MaxFloor)) {
      code = units(f, in.spec.lot_size, RejectCode::kQtyNotLotMultiple, r.display);
      if (code != RejectCode::kNone) return refuse(code, "MaxFloor(111)");
    }
    if (acct == nullptr) return refuse(RejectCode::kAccountNotPermitted, "");
    std::string detail;
    code = risk_check(s, *acct, in, type, r.price, r.stop, r.qty, o->open_units, detail, r.open_units);
    if (code != RejectCode::kNone) return refuse(code, detail);
    const std::uint64_t ref = next_ref++;
    identities->append(Identity{ref, 'G', s.cfg->id.value(), o->account.value(), o->capacity, o->stp, o->post_only,
                                clordid, orig, o->expire_text});
    s.clordids[clordid] = o->key;  // reserved while pending, so it cannot be used twice
    const std::int64_t price = r.price, stop_px = r.stop, qty = r.qty, display = r.display;
    requests.emplace(ref, std::move(r));
    const FirmId firm = s.cfg->firm;
    const std::size_t shard = in.shard;
    when_acked(*o, [this, ref, firm, shard, price, stop_px, qty, display](Order& ord) {
      submit(shard,
             m::Command::make(m::ReplaceCmd{ref, ord.id, firm, Price(price), Price(stop_px), Qty(qty), Qty(display)}));
    });
  }

  void status_request(Session& s, const FIX::Message& msg) {
    const std::string& clordid = msg.getField(FIX::FIELD::ClOrdID);
    const auto req_id = get_field(msg, FIX::FIELD::OrdStatusReqID).value_or("");
    const auto verdict = s.throttle.cancel(steady_ns());
    if (verdict != SessionThrottle::Verdict::kPass) {
      s.throttled->Increment();
      send_unknown_status(s, msg, req_id, RejectCode::kThrottleExceeded);
      if (verdict == SessionThrottle::Verdict::kRefuseAndLogout) throttle_logout(s);
      return;
    }
    auto it = s.clordids.find(clordid);
    if (it == s.clordids.end() || !orders.contains(it->second)) {
      send_unknown_status(s, msg, req_id, RejectCode::kUnknownClOrdID);
      return;
    }
    Order& o = orders.at(it->second);
    const std::uint64_t ref = next_ref++;
    Request r;
    r.kind = 'H';
    r.session = s.cfg->id.value() - 1;
    r.clordid = clordid;
    r.order_key = o.key;
    r.status_req_id = req_id;
    requests.emplace(ref, std::move(r));
    const FirmId firm = s.cfg->firm;
    const std::size_t shard = instruments[o.instrument].shard;
    when_acked(o, [this, ref, firm, shard](Order& ord) {
      submit(shard, m::Command::make(m::StatusCmd{ref, ord.id, firm}));
    });
  }

  void mass_cancel_request(Session& s, const FIX::Message& msg) {
    const std::string& clordid = msg.getField(FIX::FIELD::ClOrdID);
    const char type = msg.getField(FIX::FIELD::MassCancelRequestType)[0];
    const auto symbol = get_field(msg, FIX::FIELD::Symbol);
    const auto side = get_field(msg, FIX::FIELD::Side);
    const auto account_text = get_field(msg, FIX::FIELD::Account);
    auto refuse = [&](RejectCode code, int reason, const std::string& detail) {
      send_mass_cancel_report(s, clordid, type, '0', reason, 0, symbol, side, code, detail);
    };
    const auto verdict = s.throttle.cancel(steady_ns());
    if (verdict != SessionThrottle::Verdict::kPass) {
      s.throttled->Increment();
      refuse(RejectCode::kThrottleExceeded, 0, "");
      if (verdict == SessionThrottle::Verdict::kRefuseAndLogout) throttle_logout(s);
      return;
    }
    m::MassCancelCmd mc{};
    mc.session = s.cfg->id;
    mc.reason = m::CancelReason::kMassCancel;
    if (side) mc.side = static_cast<std::uint8_t>((*side)[0] - '0');
    if (account_text) {
      const AccountConfig* a = cfg.account(*account_text);
      if (a == nullptr || std::find(s.cfg->accounts.begin(), s.cfg->accounts.end(), a->id) == s.cfg->accounts.end()) {
        return refuse(RejectCode::kAccountNotPermitted, 0, "");
      }
      mc.account = a->id;
    }
    std::vector<std::size_t> target_shards;
    if (type == '1') {
      if (!symbol) return refuse(RejectCode::kConditionalFieldMissing, 1, "Symbol(55)");
      auto it = instrument_by_symbol.find(*symbol);
      if (it == instrument_by_symbol.end()) return refuse(RejectCode::kUnknownInstrument, 1, *symbol);
      mc.instrument = instruments[it->second].spec.id;
      target_shards.push_back(instruments[it->second].shard);
    } else {
      for (std::size_t i = 0; i < shards.size(); ++i) target_shards.push_back(i);
    }
    const std::uint64_t ref = next_ref++;
    Request r;
    r.kind = 'q';
    r.session = s.cfg->id.value() - 1;
    r.clordid = clordid;
    r.mass_type = type;
    r.symbol = symbol.value_or("");
    r.side = side ? (*side)[0] : 0;
    r.pending_reports = target_shards.size();
    requests.emplace(ref, std::move(r));
    identities->append(Identity{ref, 'q', s.cfg->id.value(), mc.account.value(), 0, 0, false, clordid, {}, {}});
    mc.client_ref = ref;
    for (auto shard : target_shards) submit(shard, m::Command::make(mc));
  }

  // =================================================================================================
  // Outbound builders

  FIX::Message execution_report(const Order& o, char exec_type, char status, const std::string& exec_id,
                                std::int64_t now_ns) {
    const Instrument& in = instruments[o.instrument];
    FIX::Message er;
    er.getHeader().setField(FIX::FIELD::MsgType, "8");
    er.setField(FIX::FIELD::OrderID, o.id.valid() ? std::to_string(o.id.value()) : "NONE");
    er.setField(FIX::FIELD::ExecID, exec_id);
    er.setField(FIX::FIELD::ClOrdID, o.clordid);
    er.setField(FIX::FIELD::ExecType, std::string(1, exec_type));
    er.setField(FIX::FIELD::OrdStatus, std::string(1, status));
    if (const AccountConfig* a = cfg.account(o.account)) er.setField(FIX::FIELD::Account, a->name);
    er.setField(FIX::FIELD::Symbol, in.spec.symbol);
    er.setField(FIX::FIELD::Side, std::string(1, static_cast<char>('0' + static_cast<int>(o.side))));
    er.setField(FIX::FIELD::OrdType, std::string(1, static_cast<char>('0' + static_cast<int>(o.type))));
    if (o.price != 0) er.setField(FIX::FIELD::Price, ticks_text(in, o.price));
    if (o.stop != 0) er.setField(FIX::FIELD::StopPx, ticks_text(in, o.stop));
    er.setField(FIX::FIELD::TimeInForce, std::string(1, static_cast<char>('0' + static_cast<int>(o.tif))));
    if (!o.expire_text.empty()) er.setField(FIX::FIELD::ExpireTime, o.expire_text);
    if (o.post_only) er.setField(FIX::FIELD::ExecInst, "6");
    if (o.display > 0) er.setField(FIX::FIELD::MaxFloor, lots_text(in, o.display));
    if (o.capacity != 0) er.setField(FIX::FIELD::OrderCapacity, std::string(1, o.capacity));
    if (o.stp != 0) er.setField(8000, std::string(1, o.stp));
    er.setField(FIX::FIELD::TransactTime, utc_timestamp(now_ns));
    return er;
  }

  void set_quantities(FIX::Message& er, const Order& o, const m::OrderView& v) {
    const Instrument& in = instruments[o.instrument];
    er.setField(FIX::FIELD::OrderQty, lots_text(in, v.qty.count()));
    er.setField(FIX::FIELD::LeavesQty, lots_text(in, v.leaves_qty.count()));
    er.setField(FIX::FIELD::CumQty, lots_text(in, v.cum_qty.count()));
    auto avg = average_price(v.cum_value, v.cum_qty, in.spec.tick_size);
    er.setField(FIX::FIELD::AvgPx, avg ? avg->to_string() : "0");
  }

  // A price as brokers write it: with the tick size's decimals ("101.50" for a 0.01 tick), more only
  // when the value has them.
  static std::string ticks_text(const Instrument& in, std::int64_t ticks) {
    auto d = to_decimal(Price(ticks), in.spec.tick_size);
    std::string text = d ? d->to_string() : "0";
    if (in.price_decimals == 0) return text;
    auto point = text.find('.');
    if (point == std::string::npos) {
      point = text.size();
      text.push_back('.');
    }
    const std::size_t have = text.size() - point - 1;
    if (have < in.price_decimals) text.append(in.price_decimals - have, '0');
    return text;
  }
  static std::string lots_text(const Instrument& in, std::int64_t lots) {
    auto d = to_decimal(Qty(lots), in.spec.lot_size);
    return d ? d->to_string() : "0";
  }

  // Sends to the broker's session (stored there for resend) and records the message in the report log
  // (for Kafka). Reports made again while replaying the journal after a crash carry PossResend(97)=Y.
  void send(Session& s, FIX::Message& msg) {
    if (s.fix == nullptr) return;
    if (replaying_) msg.getHeader().setField(FIX::FIELD::PossResend, "Y");
    try {
      s.fix->send(msg);
    } catch (const std::exception& e) {
      VENUE_LOG_KV(error, "sending to a session failed", {{"session", s.cfg->sender_comp_id}, {"error", e.what()}});
    }
    Report r;
    if (event_shard_ != kNoShard) {
      r.shard = static_cast<std::uint16_t>(cfg.engine.shards[event_shard_].id);
      r.engine_seq = event_seq_;
    }
    const auto order_id = get_field(msg, FIX::FIELD::OrderID).value_or("");
    r.order_id = std::strtoull(order_id.c_str(), nullptr, 10);
    r.msg_type = msg.getHeader().getField(FIX::FIELD::MsgType)[0];
    r.exec_type = get_field(msg, FIX::FIELD::ExecType).value_or(std::string(1, '\0'))[0];
    r.session = s.cfg->sender_comp_id;
    if (const FirmConfig* f = cfg.firm(s.cfg->firm)) r.firm = f->name;
    r.account = get_field(msg, FIX::FIELD::Account).value_or("");
    r.payload = msg.toString();
    reports->append(r);
  }

  void count_reject(Session& s, RejectCode code) {
    s.rejects->Increment();
    reject_counter(code).Increment();
  }

  // An order refused before or by the engine: ExecutionReport 150=8.
  void send_reject_er(Session& s, const Order& o, RejectCode code, const std::string& detail,
                      const std::string& symbol = {}, const std::string& account = {},
                      const FIX::Message* request = nullptr) {
    count_reject(s, code);
    FIX::Message er;
    er.getHeader().setField(FIX::FIELD::MsgType, "8");
    er.setField(FIX::FIELD::OrderID, o.id.valid() ? std::to_string(o.id.value()) : "NONE");
    er.setField(FIX::FIELD::ExecID, local_exec_prefix + std::to_string(++local_exec));
    er.setField(FIX::FIELD::ClOrdID, o.clordid);
    er.setField(FIX::FIELD::ExecType, "8");
    er.setField(FIX::FIELD::OrdStatus, "8");
    er.setField(FIX::FIELD::OrdRejReason, std::to_string(ord_rej_reason(code)));
    if (request != nullptr) {
      // Echo what the broker sent, as sent.
      for (int tag : {FIX::FIELD::Account, FIX::FIELD::Symbol, FIX::FIELD::Side, FIX::FIELD::OrderQty,
                      FIX::FIELD::OrdType, FIX::FIELD::Price, FIX::FIELD::StopPx, FIX::FIELD::TimeInForce,
                      FIX::FIELD::ExpireTime, FIX::FIELD::OrderCapacity}) {
        if (auto v = get_field(*request, tag)) er.setField(tag, *v);
      }
    } else {
      if (!account.empty()) er.setField(FIX::FIELD::Account, account);
      if (!symbol.empty()) er.setField(FIX::FIELD::Symbol, symbol);
      er.setField(FIX::FIELD::Side, std::string(1, static_cast<char>('0' + static_cast<int>(o.side))));
      if (o.instrument < instruments.size() && !symbol.empty()) {
        const Instrument& in = instruments[o.instrument];
        er.setField(FIX::FIELD::OrderQty, lots_text(in, o.qty));
        if (o.price != 0) er.setField(FIX::FIELD::Price, ticks_text(in, o.price));
      }
    }
    if (!er.isSetField(FIX::FIELD::Side)) er.setField(FIX::FIELD::Side, "1");
    er.setField(FIX::FIELD::LeavesQty, "0");
    er.setField(FIX::FIELD::CumQty, "0");
    er.setField(FIX::FIELD::AvgPx, "0");
    er.setField(FIX::FIELD::TransactTime, utc_timestamp(wall_ns()));
    er.setField(FIX::FIELD::Text, code_text(code, detail));
    count_report('8');
    send(s, er);
  }

  // A cancel or replace whose OrigClOrdID names no live order: if it names an order of the session that
  // has ended, "too late" (1051) with that order's final status; otherwise `code`.
  void refuse_missing_order(Session& s, const std::string& clordid, const std::string& orig, bool replace,
                            RejectCode code) {
    if (code == RejectCode::kUnknownClOrdID) {
      if (auto it = s.ended.find(orig); it != s.ended.end()) {
        send_cancel_reject(s, clordid, orig, nullptr, replace, RejectCode::kOrderNotActive, "", it->second.status,
                           &it->second);
        return;
      }
    }
    send_cancel_reject(s, clordid, orig, nullptr, replace, code, "");
  }

  void send_cancel_reject(Session& s, const std::string& clordid, const std::string& orig, const Order* o, bool replace,
                          RejectCode code, const std::string& detail, char status = 0,
                          const Session::Ended* ended = nullptr) {
    count_reject(s, code);
    FIX::Message r;
    r.getHeader().setField(FIX::FIELD::MsgType, "9");
    std::string order_id = "NONE";
    if (o != nullptr && o->id.valid()) order_id = std::to_string(o->id.value());
    if (ended != nullptr) order_id = std::to_string(ended->order_id);
    r.setField(FIX::FIELD::OrderID, order_id);
    r.setField(FIX::FIELD::ClOrdID, clordid);
    r.setField(FIX::FIELD::OrigClOrdID, orig);
    r.setField(FIX::FIELD::OrdStatus, std::string(1, status != 0 ? status : (o != nullptr ? '0' : '8')));
    const AccountId account = o != nullptr ? o->account : ended != nullptr ? ended->account : AccountId{};
    if (account.valid()) {
      if (const AccountConfig* a = cfg.account(account)) r.setField(FIX::FIELD::Account, a->name);
    }
    r.setField(FIX::FIELD::CxlRejResponseTo, replace ? "2" : "1");
    r.setField(FIX::FIELD::CxlRejReason, std::to_string(cxl_rej_reason(code)));
    r.setField(FIX::FIELD::TransactTime, utc_timestamp(wall_ns()));
    r.setField(FIX::FIELD::Text, code_text(code, detail));
    send(s, r);
  }

  void send_business_reject(Session& s, const FIX::Message& msg, RejectCode code) {
    count_reject(s, code);
    FIX::Message r;
    r.getHeader().setField(FIX::FIELD::MsgType, "j");
    r.setField(FIX::FIELD::RefSeqNum, msg.getHeader().getField(FIX::FIELD::MsgSeqNum));
    r.setField(FIX::FIELD::RefMsgType, msg.getHeader().getField(FIX::FIELD::MsgType));
    if (auto id = get_field(msg, FIX::FIELD::ClOrdID)) r.setField(FIX::FIELD::BusinessRejectRefID, *id);
    const RejectInfo* info = reject_info(code);
    r.setField(FIX::FIELD::BusinessRejectReason,
               std::to_string(info != nullptr && info->business_reject_reason >= 0 ? info->business_reject_reason : 0));
    r.setField(FIX::FIELD::Text, code_text(code));
    send(s, r);
  }

  // Status of an order the session does not have live: 150=I, 39=8, 103=5 (FIX 4.4's answer).
  void send_unknown_status(Session& s, const FIX::Message& msg, const std::string& req_id, RejectCode code) {
    count_reject(s, code);
    FIX::Message er;
    er.getHeader().setField(FIX::FIELD::MsgType, "8");
    er.setField(FIX::FIELD::OrderID, get_field(msg, FIX::FIELD::OrderID).value_or("NONE"));
    er.setField(FIX::FIELD::ExecID, local_exec_prefix + std::to_string(++local_exec));
    er.setField(FIX::FIELD::ClOrdID, msg.getField(FIX::FIELD::ClOrdID));
    if (!req_id.empty()) er.setField(FIX::FIELD::OrdStatusReqID, req_id);
    er.setField(FIX::FIELD::ExecType, "I");
    er.setField(FIX::FIELD::OrdStatus, "8");
    er.setField(FIX::FIELD::OrdRejReason, "5");
    er.setField(FIX::FIELD::Side, msg.getField(FIX::FIELD::Side));
    if (auto sym = get_field(msg, FIX::FIELD::Symbol)) er.setField(FIX::FIELD::Symbol, *sym);
    er.setField(FIX::FIELD::LeavesQty, "0");
    er.setField(FIX::FIELD::CumQty, "0");
    er.setField(FIX::FIELD::AvgPx, "0");
    er.setField(FIX::FIELD::Text, code_text(code));
    count_report('I');
    send(s, er);
  }

  void send_mass_cancel_report(Session& s, const std::string& clordid, char type, char response, int reject_reason,
                               std::uint64_t affected, const std::optional<std::string>& symbol,
                               const std::optional<std::string>& side, RejectCode code, const std::string& detail) {
    if (response == '0') count_reject(s, code);
    FIX::Message r;
    r.getHeader().setField(FIX::FIELD::MsgType, "r");
    r.setField(FIX::FIELD::ClOrdID, clordid);
    r.setField(FIX::FIELD::OrderID, local_exec_prefix + "MC" + std::to_string(++local_exec));
    r.setField(FIX::FIELD::MassCancelRequestType, std::string(1, type));
    r.setField(FIX::FIELD::MassCancelResponse, std::string(1, response));
    if (response == '0') {
      r.setField(FIX::FIELD::MassCancelRejectReason, std::to_string(reject_reason));
      r.setField(FIX::FIELD::Text, code_text(code, detail));
    } else {
      r.setField(FIX::FIELD::TotalAffectedOrders, std::to_string(affected));
    }
    if (symbol) r.setField(FIX::FIELD::Symbol, *symbol);
    if (side) r.setField(FIX::FIELD::Side, *side);
    r.setField(FIX::FIELD::TransactTime, utc_timestamp(wall_ns()));
    send(s, r);
  }

  // =================================================================================================
  // Engine events -> FIX

  Order* order_by_id(OrderId id) {
    auto k = key_of.find(id.value());
    if (k == key_of.end()) return nullptr;
    auto it = orders.find(k->second);
    return it == orders.end() ? nullptr : &it->second;
  }

  void set_open(Order& o, const m::OrderView& v) {
    const __int128 now_units = v.leaves_qty.count() > 0 ? open_units(instruments[o.instrument], v.leaves_qty.count(),
                                                                     o.price != 0 ? o.price : o.stop)
                                                        : 0;
    open_units_by_account[o.account.value()] += now_units - o.open_units;
    o.open_units = now_units;
  }

  void release(Order& o) {
    open_units_by_account[o.account.value()] -= o.open_units;
    o.open_units = 0;
  }

  // The order is over: forget it (keeping its final status for a while).
  void finish(Order& o, char status = 0) {
    release(o);
    if (o.id.valid() && status != 0) {
      final_status[o.id.value()] = status;
      final_order.push_back(o.id.value());
      if (final_order.size() > kFinalStatusKept) {
        final_status.erase(final_order.front());
        final_order.pop_front();
      }
    }
    Session& s = sessions[o.session.value() - 1];
    auto it = s.clordids.find(o.clordid);
    if (it != s.clordids.end() && it->second == o.key) s.clordids.erase(it);
    if (o.id.valid() && status != 0) {
      if (s.ended.insert_or_assign(o.clordid, Session::Ended{o.id.value(), status, o.account}).second) {
        s.ended_fifo.push_back(o.clordid);
        if (s.ended_fifo.size() > kEndedKeptPerSession) {
          s.ended.erase(s.ended_fifo.front());
          s.ended_fifo.pop_front();
        }
      }
    }
    if (o.id.valid()) key_of.erase(o.id.value());
    orders.erase(o.key);
  }

  // The gateway's record of the order an event is about; while replaying after a crash, rebuilt.
  Order* order_for(const m::OrderView& v) {
    if (Order* o = order_by_id(v.id)) return o;
    auto it = orders.find(v.client_ref);
    if (it != orders.end()) return &it->second;
    return replaying_ ? adopt(v) : nullptr;
  }

  void on_accepted(const m::AcceptedEvent& e) override {
    event_seq_ = e.header.seq;
    Order* op = order_for(e.order);
    if (op == nullptr) return;
    Order& o = *op;
    o.id = e.order.id;
    key_of[o.id.value()] = o.key;
    Session& s = sessions[o.session.value() - 1];
    FIX::Message er =
        execution_report(o, '0', ord_status(e.order.state), std::to_string(e.exec_id.value()), e.header.now_ns);
    set_quantities(er, o, e.order);
    count_report('0');
    send(s, er);
    auto deferred = std::move(o.deferred);
    o.deferred.clear();
    for (auto& fn : deferred) fn(o);
  }

  void on_rejected(const m::RejectedEvent& e) override {
    event_seq_ = e.header.seq;
    Order* op = order_for(e.order);
    if (op == nullptr) return;
    Order& o = *op;
    o.id = e.order.id;
    Session& s = sessions[o.session.value() - 1];
    count_reject(s, e.code);
    FIX::Message er = execution_report(o, '8', '8', std::to_string(e.exec_id.value()), e.header.now_ns);
    set_quantities(er, o, e.order);
    er.setField(FIX::FIELD::LeavesQty, "0");
    er.setField(FIX::FIELD::OrdRejReason, std::to_string(ord_rej_reason(e.code)));
    er.setField(FIX::FIELD::Text, code_text(e.code));
    count_report('8');
    send(s, er);
    // Requests that waited for the ack are refused.
    o.deferred.clear();
    o.id = OrderId();
    for (auto& r : requests) {
      if (r.second.order_key == o.key && r.second.kind != 'q') {
        send_cancel_reject(sessions[r.second.session], r.second.clordid, r.second.orig_clordid, nullptr,
                           r.second.kind == 'G', RejectCode::kOrderNotActive, "", '8');
        if (r.second.kind == 'G') sessions[r.second.session].clordids.erase(r.second.clordid);
      }
    }
    std::erase_if(requests, [&](const auto& kv) { return kv.second.order_key == o.key && kv.second.kind != 'q'; });
    finish(o);
  }

  void on_trade(const m::TradeEvent& e) override {
    event_seq_ = e.header.seq;
    instruments[instrument_by_id[e.instrument.value()]].last_trade = e.price.count();
    for (const m::Fill* f : {&e.aggressor, &e.resting}) {
      Order* o = order_for(f->order);
      if (o == nullptr) continue;
      Session& s = sessions[o->session.value() - 1];
      FIX::Message er =
          execution_report(*o, 'F', ord_status(f->order.state), std::to_string(f->exec_id.value()), e.header.now_ns);
      set_quantities(er, *o, f->order);
      const Instrument& in = instruments[o->instrument];
      er.setField(FIX::FIELD::LastQty, lots_text(in, e.qty.count()));
      er.setField(FIX::FIELD::LastPx, ticks_text(in, e.price.count()));
      er.setField(FIX::FIELD::TrdMatchID, std::to_string(e.trade_id.value()));
      er.setField(FIX::FIELD::LastLiquidityInd, f == &e.aggressor ? "2" : "1");
      count_report('F');
      send(s, er);
      set_open(*o, f->order);
      if (f->order.leaves_qty.count() == 0) finish(*o, '2');
    }
  }

  void on_cancelled(const m::CancelledEvent& e) override {
    event_seq_ = e.header.seq;
    Order* o = order_for(e.order);
    if (o == nullptr) return;
    Session& s = sessions[o->session.value() - 1];
    FIX::Message er = execution_report(*o, '4', '4', std::to_string(e.exec_id.value()), e.header.now_ns);
    set_quantities(er, *o, e.order);
    er.setField(FIX::FIELD::Text, cancel_text(e.reason));
    if (e.reason == m::CancelReason::kUser) {
      if (Request* rq = request_for(e.request_ref, e.order.id)) {
        er.setField(FIX::FIELD::ClOrdID, rq->clordid);
        er.setField(FIX::FIELD::OrigClOrdID, o->clordid);
        requests.erase(e.request_ref);
      }
    }
    count_report('4');
    send(s, er);
    finish(*o, '4');
  }

  void on_expired(const m::ExpiredEvent& e) override {
    event_seq_ = e.header.seq;
    Order* o = order_for(e.order);
    if (o == nullptr) return;
    Session& s = sessions[o->session.value() - 1];
    FIX::Message er = execution_report(*o, 'C', 'C', std::to_string(e.exec_id.value()), e.header.now_ns);
    set_quantities(er, *o, e.order);
    er.setField(FIX::FIELD::Text, o->tif == TimeInForce::kGtd ? "expired: ExpireTime reached" : "expired: end of day");
    count_report('C');
    send(s, er);
    finish(*o, 'C');
  }

  void on_replaced(const m::ReplacedEvent& e) override {
    event_seq_ = e.header.seq;
    Order* o = order_for(e.order);
    if (o == nullptr) return;
    Session& s = sessions[o->session.value() - 1];
    const std::string previous = o->clordid;
    if (Request* rq = request_for(e.order.client_ref, e.order.id)) {
      // The replace takes effect: the order answers to the new ClOrdID from now on.
      s.clordids.erase(o->clordid);
      o->clordid = rq->clordid;
      s.clordids[o->clordid] = o->key;
      requests.erase(e.order.client_ref);
    }
    o->price = e.order.price.count();
    o->stop = e.order.stop_price.count();
    o->display = e.order.display_qty.count();
    o->ref = e.order.client_ref;
    o->qty = e.order.qty.count();
    FIX::Message er =
        execution_report(*o, '5', ord_status(e.order.state), std::to_string(e.exec_id.value()), e.header.now_ns);
    er.setField(FIX::FIELD::OrigClOrdID, previous);
    set_quantities(er, *o, e.order);
    count_report('5');
    send(s, er);
    set_open(*o, e.order);
    if (e.order.leaves_qty.count() == 0) finish(*o, '2');
  }

  void on_cancel_rejected(const m::CancelRejectedEvent& e) override {
    event_seq_ = e.header.seq;
    Request* rq = request_for(e.client_ref, e.order_id);
    if (rq == nullptr) return;
    Request r = std::move(*rq);
    requests.erase(e.client_ref);
    Session& s = sessions[r.session];
    if (r.kind == 'H') {
      count_reject(s, e.code);
      FIX::Message er;
      er.getHeader().setField(FIX::FIELD::MsgType, "8");
      er.setField(FIX::FIELD::OrderID, e.order_id.valid() ? std::to_string(e.order_id.value()) : "NONE");
      er.setField(FIX::FIELD::ExecID, local_exec_prefix + std::to_string(++local_exec));
      er.setField(FIX::FIELD::ClOrdID, r.clordid);
      if (!r.status_req_id.empty()) er.setField(FIX::FIELD::OrdStatusReqID, r.status_req_id);
      er.setField(FIX::FIELD::ExecType, "I");
      er.setField(FIX::FIELD::OrdStatus, "8");
      er.setField(FIX::FIELD::OrdRejReason, "5");
      er.setField(FIX::FIELD::Side, "1");
      er.setField(FIX::FIELD::LeavesQty, "0");
      er.setField(FIX::FIELD::CumQty, "0");
      er.setField(FIX::FIELD::AvgPx, "0");
      er.setField(FIX::FIELD::Text, code_text(e.code));
      send(s, er);
      return;
    }
    if (r.kind == 'G') {
      auto it = s.clordids.find(r.clordid);
      if (it != s.clordids.end() && it->second == r.order_key) s.clordids.erase(it);
    }
    auto ot = orders.find(r.order_key);
    const Order* o = ot != orders.end() ? &ot->second : nullptr;
    char status = e.order_known ? ord_status(e.order.state) : '8';
    if (!e.order_known) {
      auto fs = final_status.find(e.order_id.value());
      if (fs != final_status.end()) status = fs->second;
    }
    send_cancel_reject(s, r.clordid, r.orig_clordid, o, r.kind == 'G', e.code, "", status);
  }

  void on_restated(const m::RestatedEvent& e) override {
    event_seq_ = e.header.seq;
    Order* o = order_for(e.order);
    if (o == nullptr) return;
    Session& s = sessions[o->session.value() - 1];
    o->qty = e.order.qty.count();
    FIX::Message er =
        execution_report(*o, 'D', ord_status(e.order.state), std::to_string(e.exec_id.value()), e.header.now_ns);
    set_quantities(er, *o, e.order);
    er.setField(FIX::FIELD::ExecRestatementReason, "5");
    er.setField(FIX::FIELD::Text, "restated: quantity reduced by self-trade prevention (decrement)");
    count_report('D');
    send(s, er);
    set_open(*o, e.order);
  }

  void on_triggered(const m::TriggeredEvent& e) override {
    event_seq_ = e.header.seq;
    Order* o = order_for(e.order);
    if (o == nullptr) return;
    Session& s = sessions[o->session.value() - 1];
    FIX::Message er =
        execution_report(*o, 'D', ord_status(e.order.state), std::to_string(e.exec_id.value()), e.header.now_ns);
    set_quantities(er, *o, e.order);
    er.setField(FIX::FIELD::ExecRestatementReason, "99");
    er.setField(FIX::FIELD::Text,
                "stop triggered at " + ticks_text(instruments[o->instrument], e.trigger_price.count()));
    count_report('D');
    send(s, er);
  }

  void on_status(const m::StatusEvent& e) override {
    event_seq_ = e.header.seq;
    Request* rq = request_for(e.request_ref, e.order.id);
    Order* o = order_for(e.order);
    if (rq == nullptr || o == nullptr) return;
    Request r = std::move(*rq);
    requests.erase(e.request_ref);
    Session& s = sessions[r.session];
    FIX::Message er = execution_report(*o, 'I', ord_status(e.order.state),
                                       local_exec_prefix + std::to_string(++local_exec), e.header.now_ns);
    set_quantities(er, *o, e.order);
    if (!r.status_req_id.empty()) er.setField(FIX::FIELD::OrdStatusReqID, r.status_req_id);
    count_report('I');
    send(s, er);
  }

  void on_mass_cancel_done(const m::MassCancelDoneEvent& e) override {
    event_seq_ = e.header.seq;
    Request* rq = request_for(e.request.client_ref, OrderId());
    if (rq == nullptr) return;
    Request& r = *rq;
    r.affected += e.cancelled_count;
    if (--r.pending_reports > 0) return;  // more shards to report
    Session& s = sessions[r.session];
    send_mass_cancel_report(s, r.clordid, r.mass_type, r.mass_type, 0, r.affected,
                            r.symbol.empty() ? std::nullopt : std::optional<std::string>(r.symbol),
                            r.side != 0 ? std::optional<std::string>(std::string(1, r.side)) : std::nullopt,
                            RejectCode::kNone, "");
    requests.erase(e.request.client_ref);
  }

  void on_trading_status(const m::TradingStatusEvent& e) override {
    event_seq_ = e.header.seq;
    auto it = instrument_by_id.find(e.instrument.value());
    if (it != instrument_by_id.end()) instruments[it->second].status = e.status;
    VENUE_LOG_KV(info, "trading status",
                 {{"instrument", e.instrument.value()}, {"status", std::string(to_string(e.status))}});
  }

  // =================================================================================================
  // Admin

  std::vector<SessionStatus> sessions_status() {
    std::vector<SessionStatus> out;
    for (auto& s : sessions) {
      SessionStatus st;
      st.sender_comp_id = s.cfg->sender_comp_id;
      const FirmConfig* f = cfg.firm(s.cfg->firm);
      st.firm = f != nullptr ? f->name : "";
      st.role = s.cfg->role == SessionRole::kReadOnly ? "read_only" : "order_entry";
      st.logged_on = s.fix != nullptr && s.fix->isLoggedOn();
      st.peer = acceptor->peer_address(s.id);
      if (s.fix != nullptr) {
        st.next_in = s.fix->getExpectedTargetNum();
        st.next_out = s.fix->getExpectedSenderNum();
      }
      st.throttle_refused = s.throttle.refused();
      st.live_orders = s.clordids.size();
      out.push_back(std::move(st));
    }
    return out;
  }

  AdminResult kill_switch(const std::string& firm, const std::string& account, bool release_it) {
    m::MassCancelCmd mc{};
    mc.reason = m::CancelReason::kKillSwitch;
    std::string what;
    if (!firm.empty()) {
      FirmId id;
      for (const auto& f : cfg.firms) {
        if (f.name == firm) id = f.id;
      }
      if (!id.valid()) return {false, "unknown firm " + firm};
      if (release_it) {
        blocked_firms.erase(id.value());
      } else {
        blocked_firms.insert(id.value());
      }
      mc.firm = id;
      what = "firm " + firm;
    } else if (!account.empty()) {
      const AccountConfig* a = cfg.account(account);
      if (a == nullptr) return {false, "unknown account " + account};
      if (release_it) {
        blocked_accounts.erase(a->id.value());
      } else {
        blocked_accounts.insert(a->id.value());
      }
      mc.account = a->id;
      what = "account " + account;
    } else {
      return {false, "name a firm or an account"};
    }
    VENUE_LOG_KV(warning, release_it ? "kill switch released" : "kill switch engaged", {{"scope", what}});
    if (!release_it) {
      for (std::size_t i = 0; i < shards.size(); ++i) submit(i, m::Command::make(mc));
      flush_outbox();
    }
    return {true, std::string(release_it ? "released " : "blocked and cancelled the live orders of ") + what};
  }

  AdminResult trading_status(const std::string& symbol, const std::string& status) {
    auto it = instrument_by_symbol.find(symbol);
    if (it == instrument_by_symbol.end()) return {false, "unknown symbol " + symbol};
    TradingStatus st;
    if (status == "open") {
      st = TradingStatus::kOpen;
    } else if (status == "halted") {
      st = TradingStatus::kHalted;
    } else if (status == "closed") {
      st = TradingStatus::kClosed;
    } else {
      return {false, "status must be open, halted or closed"};
    }
    submit(instruments[it->second].shard, m::Command::make(m::TradingStatusCmd{instruments[it->second].spec.id, st}));
    flush_outbox();
    return {true, symbol + " -> " + status};
  }
};

// ---------------------------------------------------------------------------------------------------

Gateway::Gateway(GatewayConfig config, std::shared_ptr<prometheus::Registry> registry)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(registry))) {}

Gateway::~Gateway() = default;

void Gateway::start() { impl_->start(); }
void Gateway::run() { impl_->run(); }
void Gateway::request_stop() {
  impl_->stop_requested = true;
  if (impl_->acceptor) impl_->acceptor->wake();
}
bool Gateway::ready() const { return impl_->is_ready.load(); }
std::uint16_t Gateway::fix_port() const { return impl_->acceptor ? impl_->acceptor->plain_port() : 0; }
std::uint16_t Gateway::tls_port() const { return impl_->acceptor ? impl_->acceptor->tls_port() : 0; }

std::vector<SessionStatus> Gateway::admin_sessions() {
  return impl_->on_gateway_thread<std::vector<SessionStatus>>([this] { return impl_->sessions_status(); }, {});
}

AdminResult Gateway::admin_kill_switch(const std::string& firm, const std::string& account, bool release) {
  return impl_->on_gateway_thread<AdminResult>([=, this] { return impl_->kill_switch(firm, account, release); },
                                               AdminResult{false, "timed out"});
}

AdminResult Gateway::admin_trading_status(const std::string& symbol, const std::string& status) {
  return impl_->on_gateway_thread<AdminResult>([=, this] { return impl_->trading_status(symbol, status); },
                                               AdminResult{false, "timed out"});
}

}  // namespace venue::fix_gateway
