#pragma once
// Gateway::Impl, the venue process's core, declared once and defined across files named after what
// they do (each says what it owns at its top):
//
//   gateway.cpp         the loop and the facade: idle strategy, flushing stores and reports, the outbox
//                       to the engines, end of day, shutdown, the queue of admin jobs
//   recovery.cpp        shard set-up and recovery: instruments onto shards, journals recovered, order
//                       identities restored, unreported events replayed (docs: spec/recovery.md)
//   fix_callbacks.cpp   QuickFIX's callbacks: logon checks and counting, logout and cancel-on-disconnect,
//                       the dispatch of application messages
//   order_entry.cpp     D, F, G, H, q from a session: the session-state checks (ClOrdID, throttle), then
//                       inbound translation (inbound.h) and pre-trade risk (pre_trade_risk.h), then the
//                       command to the engine with its identity logged first
//   outbound.cpp        sending: reports through the session's store and into the report log (Kafka),
//                       refusals built by report_builder.h and counted
//   engine_events.cpp   engine events to reports, with the order bookkeeping (order_registry.h)
//   admin_actions.cpp   what operations can do and see: sessions, kill switch, trading status
//   admin_sessions.cpp  sessions at runtime: status, logout, disable, sequence numbers, add, change, remove
//   admin_views.cpp     what operations can look at: instruments, books, orders, health
//   trade_busts.cpp     trade busts: the operator's request to the engine, its outcome to both brokers
//
// Thread rules: everything runs on the gateway thread, except the facade's admin_*() and request_stop()
// (any thread), which queue work for the gateway thread.

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway_metrics.h"
#include "venue/fix_gateway/admin_queue.h"
#include "venue/fix_gateway/blocks.h"
#include "venue/fix_gateway/config.h"
#include "venue/fix_gateway/gateway.h"
#include "venue/fix_gateway/identity_log.h"
#include "venue/fix_gateway/inbound.h"
#include "venue/fix_gateway/instruments.h"
#include "venue/fix_gateway/kafka_publisher.h"
#include "venue/fix_gateway/order_registry.h"
#include "venue/fix_gateway/pre_trade_risk.h"
#include "venue/fix_gateway/report_builder.h"
#include "venue/fix_gateway/report_log.h"
#include "venue/fix_gateway/risk_control.h"
#include "venue/fix_gateway/throttle.h"
#include "venue/fix_session/acceptor.h"
#include "venue/fix_session/json_log.h"
#include "venue/fix_session/logon_policy.h"
#include "venue/fix_session/message_store.h"
#include "venue/matcher/shard.h"

namespace venue::fix_gateway {

std::int64_t steady_ns();
std::int64_t wall_ns();

struct Gateway::Impl final : FIX::Application, matcher::EventListener {
  // ----- configuration and wiring -----
  GatewayConfig cfg;
  std::shared_ptr<prometheus::Registry> registry;
  GatewayMetrics metrics;
  InstrumentTable instruments;
  std::vector<std::unique_ptr<matcher::Shard>> shards;
  std::vector<GatewayMetrics::ShardGauges> shard_gauges;

  std::unique_ptr<FIX::SessionSettings> fix_settings;
  std::unique_ptr<fix_session::VenueStoreFactory> store_factory;
  std::unique_ptr<fix_session::JsonLogFactory> log_factory;
  fix_session::LogonPolicy logon;
  std::unique_ptr<fix_session::VenueAcceptor> acceptor;
  std::unique_ptr<fix_session::AcceptorMetrics> acceptor_metrics;
  std::unique_ptr<IdentityLog> identities;

  // ----- sessions -----
  struct Session {
    SessionConfig cfg;
    FIX::SessionID id;
    FIX::Session* fix = nullptr;
    SessionThrottle throttle;
    SessionOrders orders;
    bool logged_on = false;
    GatewayMetrics::SessionCounters counters;
    // What operations see of it (admin_sessions.cpp).
    std::uint64_t msgs_in = 0;
    std::uint64_t msgs_out = 0;
    std::int64_t last_in_ns = 0;  // wall clock
    std::int64_t last_out_ns = 0;
    std::map<int, std::uint64_t> rejects;                                   // by reject code
    std::array<std::pair<std::uint64_t, std::uint64_t>, 10> rate_window{};  // (in, out) a second apart
    std::size_t rate_slot = 0;
    double rate_in = 0;  // messages per second over the last 10 s
    double rate_out = 0;
  };
  std::map<std::uint32_t, Session> sessions;  // by SessionId
  std::map<FIX::SessionID, std::uint32_t> session_index;
  Session* session_of(const FIX::SessionID& id);
  Session* session(SessionId id);

  // ----- orders and pre-trade state -----
  OrderRegistry orders;
  PreTradeRisk risk;
  InboundTranslator inbound;
  std::uint64_t local_exec = 0;
  std::string local_exec_prefix;  // ExecIDs of reports the gateway makes itself
  std::string next_local_exec_id() { return local_exec_prefix + std::to_string(++local_exec); }

  // Commands waiting for the identity log write that must precede them.
  struct Pending {
    std::size_t shard;
    matcher::Command command;
  };
  std::vector<Pending> outbox;
  std::vector<Pending> retry;  // commands an engine could not take that must not be lost (next turn)
  bool handed_over = false;    // commands went to an engine since the last look: answers are coming
  // Per shard: commands handed to its engine (gateway thread only), against its ring_commands (taken
  // and answered): while more went in than came out, answers are due within microseconds.
  std::vector<std::uint64_t> submitted;
  bool awaiting_answers() const;

  // ----- admin queue (other threads -> gateway thread) -----
  AdminQueue admin;
  std::uint64_t admin_expired_seen = 0;
  // Sessions changed at runtime, as persisted (config.h, SessionChanges), and the configuration's
  // unchanging part as it was at start (what config() gives other threads).
  SessionChanges session_changes;
  GatewayConfig start_cfg;

  // ----- reports -----
  std::unique_ptr<ReportLog> reports;
  std::unique_ptr<KafkaPublisher> publisher;
  std::unique_ptr<RiskControlConsumer> risk_control;
  static constexpr std::size_t kNoShard = SIZE_MAX;
  std::size_t event_shard_ = kNoShard;  // the shard whose events are being handled
  std::uint64_t event_seq_ = 0;         // the engine seq of the event being handled
  bool replaying_ = false;              // handling events replayed from the journal after a crash

  std::size_t events_per_poll = 512;     // events taken from an engine per loop turn
  std::uint64_t kill_after_reports = 0;  // test hook (gateway.cpp)

  std::atomic<bool> stop_requested{false};
  std::atomic<bool> is_ready{false};
  std::int64_t last_eod_day = -1;
  void write_end_of_day(const std::filesystem::path& marker, std::int64_t day);

  Impl(GatewayConfig c, std::shared_ptr<prometheus::Registry> r);
  ~Impl() override;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // gateway.cpp: the loop
  void run();
  void end_of_day_if_due();
  void flush_reports();
  void publish_metrics();
  void shutdown();
  void run_admin_jobs();
  template <class R>
  R on_gateway_thread(std::function<R()> fn, R timeout_value,
                      Deadline deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5));
  void flush_outbox();
  void submit(std::size_t shard, const matcher::Command& c) { outbox.push_back(Pending{shard, c}); }

  // recovery.cpp: set-up and recovery
  void start();
  void place_instruments_and_recover_shards();
  void check_owners_configured();
  void build_fix();
  void restore_orders();
  Order* adopt(const matcher::OrderView& v);
  Request* request_for(std::uint64_t ref, OrderId order);
  void replay_unreported();
  void read_back_instruments();
  std::uint64_t reports_for(std::uint16_t shard_id);
  // [engine] sync = "fdatasync": the FIX stores, the identity log and the report log are synced too
  // before anything that depends on them leaves (spec/recovery.md, power loss).
  bool power_safe() const { return cfg.engine.sync == matcher::SyncPolicy::kFdatasync; }

  // fix_callbacks.cpp: QuickFIX
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override;
  void onLogout(const FIX::SessionID& id) override;
  void toAdmin(FIX::Message&, const FIX::SessionID& id) override;
  void toApp(FIX::Message&, const FIX::SessionID&) QF_THROW(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message& msg, const FIX::SessionID& id)
      QF_THROW(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override;
  void fromApp(const FIX::Message& msg, const FIX::SessionID& id)
      QF_THROW(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
               FIX::UnsupportedMessageType) override;
  void on_logon_refused(const FIX::SessionID* id, std::string_view address, std::string_view reason);
  void on_logon_authenticated(const FIX::SessionID& id, std::string_view address, bool tls);
  void throttle_logout(Session& s);

  // order_entry.cpp: application messages in
  void new_order(Session& s, const FIX::Message& msg);
  void cancel_request(Session& s, const FIX::Message& msg);
  void replace_request(Session& s, const FIX::Message& msg);
  void status_request(Session& s, const FIX::Message& msg);
  void mass_cancel_request(Session& s, const FIX::Message& msg);
  // Runs `fn` now if the engine already acknowledged the order, else when it does.
  static void when_acked(Order& o, std::function<void(Order&)> fn);
  // A throttle verdict: true when the message may pass; otherwise counted, and the session logged out
  // when the throttle says so (after `refuse` has answered the message).
  bool throttle_passes(Session& s, SessionThrottle::Verdict verdict, const std::function<void()>& refuse);

  // outbound.cpp: messages out
  void send(Session& s, const fix_session::OutMessage& msg);
  void count_reject(Session& s, RejectCode code);
  std::string account_name(AccountId id) const;
  void send_reject_er(Session& s, const RefusedOrder& o, RejectCode code, const std::string& detail);
  void refuse_missing_order(Session& s, const std::string& clordid, const std::string& orig, bool replace,
                            RejectCode code);
  void send_cancel_reject(Session& s, const std::string& clordid, const std::string& orig, const Order* o, bool replace,
                          RejectCode code, const std::string& detail, char status = 0,
                          const EndedOrder* ended = nullptr);
  void send_business_reject(Session& s, const FIX::Message& msg, RejectCode code);
  void send_unknown_status(Session& s, const UnknownStatusFields& f, RejectCode code, bool count_as_report);
  void send_mass_cancel_report(Session& s, MassCancelReportFields f, RejectCode code, const std::string& detail);

  // engine_events.cpp: engine events -> FIX
  void on_accepted(const matcher::AcceptedEvent& e) override;
  void on_rejected(const matcher::RejectedEvent& e) override;
  void on_trade(const matcher::TradeEvent& e) override;
  void on_cancelled(const matcher::CancelledEvent& e) override;
  void on_expired(const matcher::ExpiredEvent& e) override;
  void on_replaced(const matcher::ReplacedEvent& e) override;
  void on_cancel_rejected(const matcher::CancelRejectedEvent& e) override;
  void on_restated(const matcher::RestatedEvent& e) override;
  void on_triggered(const matcher::TriggeredEvent& e) override;
  void on_status(const matcher::StatusEvent& e) override;
  void on_mass_cancel_done(const matcher::MassCancelDoneEvent& e) override;
  void on_trading_status(const matcher::TradingStatusEvent& e) override;
  void on_trade_busted(const matcher::TradeBustedEvent& e) override;  // trade_busts.cpp
  void on_bust_rejected(const matcher::BustRejectedEvent& e) override;
  void begin_event(std::uint64_t seq);
  Order* order_for(const matcher::OrderView& v);
  void quantities(fix_session::OutMessage& er, const Order& o, const matcher::OrderView& v);
  fix_session::OutMessage report_of(const Order& o, char exec_type, char status, const std::string& exec_id,
                                    std::int64_t now_ns);
  void set_open(Order& o, const matcher::OrderView& v);
  // What operations' views show of an order, as the engine last reported it.
  static void track(Order& o, const matcher::OrderView& v) {
    o.leaves = v.leaves_qty.count();
    o.cum = v.cum_qty.count();
    o.triggered = v.triggered;
  }
  // The fields of an order the engine keeps (ids, instrument, side, type, time in force, price, stop,
  // quantities); the broker's fields (session, account, ClOrdID, ...) are the caller's to fill.
  static Order order_from_engine(const matcher::OrderView& v, std::size_t instrument) {
    Order o;
    o.ref = v.client_ref;
    o.id = v.id;
    o.instrument = instrument;
    o.side = v.side;
    o.type = v.type;
    o.tif = v.tif;
    o.price = v.price.count();
    o.stop = v.stop_price.count();
    o.qty = v.qty.count();
    o.display = v.display_qty.count();
    return o;
  }
  void release(Order& o);
  void finish(Order& o, char status = 0);
  void engine_unavailable(std::size_t shard, const matcher::Command& c);
  void refuse_waiting_requests(Order& o);

  // admin_actions.cpp: operations
  // The kill switch (blocks.h): decided and saved here; a block's cancels are awaited through KillWait.
  struct KillWait {
    std::size_t pending = 0;  // shards still to report their cancels
    std::uint64_t cancelled = 0;
    std::string reason;  // goes into the cancels' Text
    std::promise<std::uint64_t> done;
  };
  std::map<std::uint64_t, std::shared_ptr<KillWait>> kill_waits;  // by the mass cancel's client_ref
  std::unique_ptr<BlockBook> blocks;
  std::shared_ptr<KillWait> apply_block(const BlockCommand& c, BlockOutcome& out);
  std::shared_ptr<KillWait> cancel_in_scope(FirmId firm, AccountId account, const std::string& reason);
  void restore_blocks();
  AdminResult trading_status(const std::string& symbol, const std::string& status);

  // trade_busts.cpp: an operator's bust goes to the engine of the trade's shard; its outcome (the engine's
  // TradeBustedEvent or BustRejectedEvent, or the engine refusing the command) completes the wait.
  struct BustWait {
    std::string user;
    std::string reason;  // goes into both reports' Text
    std::promise<AdminResult> done;
  };
  std::map<std::uint64_t, std::shared_ptr<BustWait>> bust_waits;  // by the bust's request_ref
  // What a 150=H needs that the engine does not keep, for the day's trades (cleared at end of day):
  // the ExecIDs of each trade's two fills, and the orders that traded and ended (the registry forgets
  // them). After a restart both come from the report log instead (trade_busts.cpp).
  struct TradeFills {
    std::uint64_t aggressor_exec = 0;
    std::uint64_t resting_exec = 0;
  };
  std::unordered_map<std::uint64_t, TradeFills> trade_fills;  // by TradeId value
  std::unordered_map<std::uint64_t, Order> traded_and_ended;  // by OrderId value
  std::shared_ptr<BustWait> bust_trade(std::uint64_t trade, const std::string& user, const std::string& reason,
                                       AdminResult& refusal);
  void bust_report(const matcher::TradeBustedEvent& e, const matcher::BustSide& side, bool aggressor,
                   const BustWait* wait, nlohmann::json& sides);
  void bust_refused(std::uint64_t request_ref, RejectCode code, const std::string& message);

  // admin_sessions.cpp: sessions at runtime
  Session* find_session(const std::string& name);  // id or SenderCompID
  nlohmann::json session_json(const Session& s);
  nlohmann::json session_config_json(const SessionConfig& c);
  AdminResult session_action(const std::string& name, const SessionActionArgs& args);
  AdminResult put_session(const SessionConfig& c, bool create);
  AdminResult remove_session(const std::string& name);
  void open_session(const SessionConfig& sc);  // FIX session, logon rules, counters, indexes
  void sample_rates();                         // once a second (publish_metrics)
  void note_in(Session& s) {
    ++s.msgs_in;
    s.last_in_ns = wall_ns();
  }
  void note_out(Session& s) {
    ++s.msgs_out;
    s.last_out_ns = wall_ns();
  }
  // Persists `next` (sessions.toml) and makes it the current state; false (with the reason) if the file
  // could not be written: then nothing changes.
  bool persist_changes(SessionChanges next, AdminResult& refusal);

  // admin_views.cpp: what operations look at
  AdminResult kill_switches_view();
  AdminResult instruments_view();
  AdminResult book_view(const std::string& symbol, std::size_t depth);
  AdminResult order_view(const OrderQuery& q);
  AdminResult health_view();
};

// Runs `fn` on the gateway thread and waits for it until `deadline`; a job whose caller stopped waiting is
// never run later (admin_queue.h).
template <class R>
R Gateway::Impl::on_gateway_thread(std::function<R()> fn, R timeout_value, Deadline deadline) {
  return admin.call<R>(std::move(fn), std::move(timeout_value), deadline);
}

}  // namespace venue::fix_gateway
