// The venue process's loop and facade (gateway.h). One thread, the gateway thread, runs the loop: the
// acceptor's sockets and QuickFIX sessions, the engines' event rings, the outbox of commands to the
// engines, the flushing of FIX stores and of the report log, end of day, metrics, and the admin jobs
// other threads queue. The rest of Gateway::Impl is spread over the files gateway_impl.h lists.
#include "venue/fix_gateway/gateway.h"

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "gateway_impl.h"
#include "venue/common/log.h"
#include "venue/common/shutdown.h"

namespace venue::fix_gateway {

namespace m = venue::matcher;

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Gateway::Impl::Impl(GatewayConfig c, std::shared_ptr<prometheus::Registry> r)
    : cfg(std::move(c)),
      registry(std::move(r)),
      metrics(*registry),
      risk(cfg.price_collar_bps),
      inbound(cfg, instruments) {
  local_exec_prefix = "G" + std::to_string(wall_ns() / 1'000'000) + "-";
  orders.reserve(cfg.engine.reserve_orders);
  // Fault-injection hooks for the end-to-end tests (tests/e2e/crash_test.cpp), never set in production:
  // VENUE_TEST_EVENTS_PER_POLL=N takes at most N events from an engine per loop turn (so one command's
  // events span turns); VENUE_TEST_KILL_AFTER_REPORTS=N SIGKILLs the venue once its report log holds N
  // reports (right after they are written, as a crash would find them).
  if (const char* v = std::getenv("VENUE_TEST_EVENTS_PER_POLL"))
    events_per_poll = std::max(1L, std::strtol(v, nullptr, 10));
  if (const char* v = std::getenv("VENUE_TEST_KILL_AFTER_REPORTS")) kill_after_reports = std::strtoull(v, nullptr, 10);
  logon.on_refused = [this](const FIX::SessionID* id, std::string_view address, std::string_view reason) {
    on_logon_refused(id, address, reason);
  };
  logon.on_authenticated = [this](const FIX::SessionID& id, std::string_view address, bool tls) {
    on_logon_authenticated(id, address, tls);
  };
  admin.set_wake([this] {
    if (acceptor) acceptor->wake();
  });
}

// The engines' output wakers call into the acceptor: they stop before it is destroyed.
Gateway::Impl::~Impl() {
  for (auto& s : shards) s->stop();
}

bool Gateway::Impl::awaiting_answers() const {
  for (std::size_t i = 0; i < shards.size() && i < submitted.size(); ++i) {
    if (submitted[i] > shards[i]->stats().ring_commands.load(std::memory_order_acquire)) return true;
  }
  return false;
}

void Gateway::Impl::run() {
  if (cfg.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cfg.cpu, &set);
    if (const int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set); rc != 0)
      VENUE_LOG_KV(warning, "cannot pin the main thread: it runs unpinned", {{"cpu", cfg.cpu}, {"error", rc}});
  }
  if (cfg.realtime_priority > 0) {
    // SCHED_RESET_ON_FORK: a thread this one starts later (the store's discarder after a sequence reset) runs
    // under the normal policy, not ahead of everything else.
    sched_param param{};
    param.sched_priority = cfg.realtime_priority;
    if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param) != 0) {
      VENUE_LOG_KV(warning, "cannot give the main thread a real-time priority: it runs under the normal policy",
                   {{"realtime_priority", cfg.realtime_priority}, {"error", std::string(std::strerror(errno))}});
    } else {
      VENUE_LOG_KV(info, "main thread runs SCHED_FIFO", {{"realtime_priority", cfg.realtime_priority}});
    }
  }
  std::int64_t idle_since = 0;
  std::int64_t awaiting_since = -1;
  std::int64_t next_metrics = 0;
  while (!stop_requested.load(std::memory_order_relaxed) && !ShutdownSignal::requested()) {
    run_admin_jobs();
    bool busy = false;
    for (std::size_t i = 0; i < shards.size(); ++i) {
      event_shard_ = i;
      if (shards[i]->poll(*this, events_per_poll) > 0) busy = true;
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
    // Where a paced order's time went (fix-gateway/bench/README.md): every wait in the kernel is a
    // wake-up of tens of microseconds on these VMs. So:
    // 1. While an engine holds commands it has not answered, their answers are due within
    //    microseconds: poll, yielding the CPU between polls (an engine on this core runs at once), for
    //    at most [venue] await_yield_us. This costs CPU only while orders are at the engine.
    // 2. After engine traffic: poll without waiting for [venue] poll_spin_us, then poll and yield for
    //    poll_yield_us (the next message is taken without a wake-up; both cost CPU while idle, for
    //    venues with cores of their own).
    // 3. Then wait in the kernel for network input, admin requests, an engine (its output waker writes
    //    the acceptor's eventfd while this thread waits) or at most 2 ms (timers).
    const bool awaiting = awaiting_answers();
    if (!awaiting) {
      awaiting_since = -1;
    } else if (awaiting_since < 0) {
      awaiting_since = now;
    }
    const std::int64_t quiet = now - idle_since;
    if (busy || quiet < cfg.poll_spin_us * 1000) {
      acceptor->poll(0.0);
    } else if ((awaiting && now - awaiting_since < cfg.await_yield_us * 1000) ||
               quiet < (cfg.poll_spin_us + cfg.poll_yield_us) * 1000) {
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

// Day orders expire once a day at [engine] end_of_day_time (UTC). The day of the last end of day is
// kept in <state_dir>/end_of_day (UTC days since 1970): a venue that was down when one fell due runs it
// at start, so Day orders of a past day never trade the next. Without the file (first start with the
// setting) the last due one counts as done.
void Gateway::Impl::end_of_day_if_due() {
  if (cfg.engine.end_of_day_time.empty()) return;
  const std::int64_t now = wall_ns() / 1'000'000'000;
  const std::int64_t day = now / 86'400;
  const auto& t = cfg.engine.end_of_day_time;
  const std::int64_t at = std::stoi(t.substr(0, 2)) * 3600 + std::stoi(t.substr(3, 2)) * 60 + std::stoi(t.substr(6, 2));
  const std::int64_t due_day = now % 86'400 >= at ? day : day - 1;  // the day of the last end of day due
  const auto marker = cfg.state_dir / "end_of_day";
  if (last_eod_day < 0) {
    std::ifstream in(marker);
    std::int64_t stored = -1;
    if (!(in >> stored)) stored = -1;
    last_eod_day = stored >= 0 ? stored : due_day;
    if (stored >= 0 && stored < due_day) {
      VENUE_LOG_KV(warning, "end of day fell due while the venue was down: Day orders expire now",
                   {{"last_end_of_day", stored}, {"due", due_day}});
    } else if (stored < 0) {
      write_end_of_day(marker, due_day);
    }
  }
  if (due_day > last_eod_day) {
    last_eod_day = due_day;
    VENUE_LOG(info) << "end of day: Day orders expire";
    // The engines forget the day's trades (no bust after the end of day): so does the gateway.
    trade_fills.clear();
    traded_and_ended.clear();
    for (std::size_t i = 0; i < shards.size(); ++i) submit(i, m::Command::make(m::EndOfDayCmd{InstrumentId()}));
    flush_outbox();
    write_end_of_day(marker, due_day);
  }
}

void Gateway::Impl::write_end_of_day(const std::filesystem::path& marker, std::int64_t day) {
  const auto temp = marker.string() + ".new";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << day << "\n";
    if (!out.flush()) {
      VENUE_LOG_KV(error, "cannot write the end-of-day marker", {{"file", temp}});
      return;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, marker, ec);
  if (ec)
    VENUE_LOG_KV(error, "cannot write the end-of-day marker", {{"file", marker.string()}, {"error", ec.message()}});
}

void Gateway::Impl::flush_reports() {
  // The FIX stores first: a report in the report log counts as reported after a crash, so it must be
  // in the broker's store (resendable) by then.
  store_factory->flush_all();
  try {
    reports->flush();
  } catch (const std::exception& e) {
    VENUE_LOG_KV(fatal, "report log write failed: the venue stops", {{"error", e.what()}});
    stop_requested = true;
  }
  if (kill_after_reports > 0 && reports->last_venue_seq() >= kill_after_reports) {
    VENUE_LOG_KV(warning, "test hook: SIGKILL after the report log holds this many reports",
                 {{"reports", reports->last_venue_seq()}});
    venue::log::shutdown();
    ::raise(SIGKILL);
  }
}

void Gateway::Impl::publish_metrics() {
  if (publisher) reports->prune(publisher->acknowledged());
  sample_rates();
  if (const auto expired = admin.expired(); expired != admin_expired_seen) {
    metrics.admin_jobs_expired->Increment(static_cast<double>(expired - admin_expired_seen));
    admin_expired_seen = expired;
  }
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const auto& st = shards[i]->stats();
    shard_gauges[i].commands->Set(static_cast<double>(st.commands.load()));
    shard_gauges[i].journal_bytes->Set(static_cast<double>(st.journal_bytes.load()));
    shard_gauges[i].spilled->Set(static_cast<double>(st.spilled.load()));
    shard_gauges[i].refused->Set(static_cast<double>(st.submit_refused.load()));
    shard_gauges[i].live->Set(static_cast<double>(st.live_orders.load()));
  }
  metrics.live_orders->Set(static_cast<double>(orders.size()));
  if (acceptor_metrics && acceptor) acceptor_metrics->update(acceptor->counters());
  std::size_t on = 0;
  for (const auto& [id, s] : sessions) on += s.logged_on ? 1 : 0;
  metrics.logged_on->Set(static_cast<double>(on));
}

void Gateway::Impl::shutdown() {
  VENUE_LOG(info) << "venue shutting down: logging sessions out";
  is_ready = false;
  // No command is taken once the loop has ended (an unanswered one is read again after the restart).
  if (risk_control) risk_control->stop();
  for (auto& [id, s] : sessions) {
    if (s.fix != nullptr && s.fix->isLoggedOn()) s.fix->logout("venue shutting down");
  }
  // Let the Logouts go out and be answered (at most 2 s).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < deadline) {
    bool any = false;
    for (auto& [id, s] : sessions) any = any || (s.fix != nullptr && s.fix->isLoggedOn());
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
    // The engine has stopped and every event is handled: its last command is reported in full.
    reports->mark_reported(cfg.engine.shards[i].id, shards[i]->stats().last_seq.load());
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

void Gateway::Impl::run_admin_jobs() { admin.run_pending(); }

// Commands leave after the identities they need are in the log.
void Gateway::Impl::flush_outbox() {
  if (!retry.empty()) {
    outbox.insert(outbox.begin(), retry.begin(), retry.end());
    retry.clear();
  }
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
    for (auto& p : outbox) engine_unavailable(p.shard, p.command);
    outbox.clear();
    return;
  }
  auto list = std::move(outbox);
  outbox.clear();
  if (submitted.size() < shards.size()) submitted.resize(shards.size(), 0);
  for (auto& p : list) {
    if (!shards[p.shard]->submit(p.command)) {
      metrics.engine_refused->Increment();
      engine_unavailable(p.shard, p.command);
    } else {
      ++submitted[p.shard];
    }
  }
}

Gateway::Impl::Session* Gateway::Impl::session_of(const FIX::SessionID& id) {
  auto it = session_index.find(id);
  return it == session_index.end() ? nullptr : session(SessionId(it->second));
}

Gateway::Impl::Session* Gateway::Impl::session(SessionId id) {
  auto it = sessions.find(id.value());
  return it == sessions.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------------------------------------------
// The facade

Gateway::Gateway(GatewayConfig config, std::shared_ptr<prometheus::Registry> registry)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(registry))) {}

Gateway::~Gateway() = default;

void Gateway::start() {
  impl_->start();
  const auto& k = impl_->cfg.kafka;
  if (k && !k->risk_control_topic.empty()) {
    RiskControlSettings rs;
    rs.brokers = k->brokers;
    rs.properties = k->connection.properties();
    rs.topic = k->risk_control_topic;
    rs.acks_topic = k->risk_control_acks_topic;
    rs.group_id = k->risk_control_group;
    rs.client_id = k->client_id + "-risk-control";
    impl_->risk_control = std::make_unique<RiskControlConsumer>(
        rs, *impl_->registry, [this](const BlockCommand& c) { return apply_block(c); });
    impl_->risk_control->start();
  }
}
void Gateway::run() { impl_->run(); }
void Gateway::request_stop() {
  impl_->stop_requested = true;
  if (impl_->acceptor) impl_->acceptor->wake();
}
bool Gateway::ready() const { return impl_->is_ready.load(); }
std::uint16_t Gateway::fix_port() const { return impl_->acceptor ? impl_->acceptor->plain_port() : 0; }
std::uint16_t Gateway::tls_port() const { return impl_->acceptor ? impl_->acceptor->tls_port() : 0; }

BlockOutcome Gateway::apply_block(const BlockCommand& command) {
  return apply_block(command, std::chrono::steady_clock::now() + std::chrono::seconds(5));
}

BlockOutcome Gateway::apply_block(const BlockCommand& command, Deadline deadline) {
  using Decided = std::pair<BlockOutcome, std::shared_ptr<Impl::KillWait>>;
  auto decided = impl_->on_gateway_thread<Decided>(
      [this, command] {
        Decided d;
        d.second = impl_->apply_block(command, d.first);
        return d;
      },
      Decided{BlockOutcome{"refused", "the venue did not answer in time: nothing was done", 0, false, 0}, nullptr},
      deadline);
  if (decided.second) {
    auto future = decided.second->done.get_future();
    if (future.wait_for(std::chrono::seconds(10)) == std::future_status::ready) {
      decided.first.orders_cancelled = future.get();
      decided.first.cancels_confirmed = true;
    } else {
      decided.first.reason = "blocked; the engines have not reported all their cancels yet";
    }
  }
  return decided.first;
}

namespace {

// What a request whose deadline passed before the gateway thread took it gets (its work is dropped).
AdminResult timed_out() {
  AdminResult r;
  r.code = "timeout";
  r.message = "the venue's gateway thread did not take the request in time: nothing was done";
  return r;
}

}  // namespace

AdminResult Gateway::admin_session_list(Deadline deadline) {
  return impl_->on_gateway_thread<AdminResult>(
      [this] {
        AdminResult r;
        r.ok = true;
        r.data = nlohmann::json::array();
        for (const auto& [id, s] : impl_->sessions) r.data.push_back(impl_->session_json(s));
        return r;
      },
      timed_out(), deadline);
}

AdminResult Gateway::admin_session(const std::string& session, Deadline deadline) {
  return impl_->on_gateway_thread<AdminResult>(
      [=, this] {
        AdminResult r;
        const auto* s = impl_->find_session(session);
        if (s == nullptr) {
          r.code = "not_found";
          r.message = "no session " + session;
          return r;
        }
        r.ok = true;
        r.data = impl_->session_json(*s);
        r.data["config"] = impl_->session_config_json(s->cfg);
        return r;
      },
      timed_out(), deadline);
}

AdminResult Gateway::admin_session_action(const std::string& session, const SessionActionArgs& args,
                                          Deadline deadline) {
  return impl_->on_gateway_thread<AdminResult>([=, this] { return impl_->session_action(session, args); }, timed_out(),
                                               deadline);
}

AdminResult Gateway::admin_put_session(const SessionConfig& config, bool create, Deadline deadline) {
  return impl_->on_gateway_thread<AdminResult>([=, this] { return impl_->put_session(config, create); }, timed_out(),
                                               deadline);
}

AdminResult Gateway::admin_remove_session(const std::string& session, Deadline deadline) {
  return impl_->on_gateway_thread<AdminResult>([=, this] { return impl_->remove_session(session); }, timed_out(),
                                               deadline);
}

// The operator's kill switch is a BlockCommand like the risk service's (blocks.h): one mechanism, one
// saved state, one log. Its id names the operator; its reason goes into the cancels' and refusals' Text.
AdminResult Gateway::admin_kill_switch(const KillSwitchArgs& a, Deadline deadline) {
  static std::atomic<std::uint64_t> n{0};
  // Blocks order a scope's commands by issued_at (a command not newer than the last one is stale), so
  // two operator actions in one millisecond, an engage and its release, must not share it: the release
  // was refused as stale (409) about once a run in e2e_rejects_test.
  static std::atomic<std::int64_t> last_ms{0};
  std::int64_t now_ms = wall_ns() / 1'000'000;
  std::int64_t prev = last_ms.load();
  std::int64_t mine = 0;
  do {
    mine = std::max(now_ms, prev + 1);
  } while (!last_ms.compare_exchange_weak(prev, mine));
  now_ms = mine;
  BlockCommand c;
  c.id = "operator-" + a.user + "-" + std::to_string(now_ms) + "-" + std::to_string(++n);
  c.issued_at_ms = now_ms;
  c.issuer = a.user;
  c.firm = a.firm;
  c.account = a.account;
  const std::string what = a.account.empty() ? "firm " + a.firm : "account " + a.account;
  AdminResult r;
  if (!a.account.empty()) {
    // Accounts and firms never change while the venue runs: the start configuration answers.
    const AccountConfig* acc = config().account(a.account);
    if (acc == nullptr) {
      r.code = "not_found";
      r.message = "unknown account " + a.account;
      return r;
    }
    if (const FirmConfig* f = config().firm(acc->firm)) c.firm = f->name;
    c.action = a.release ? BlockCommand::Action::kReleaseAccount : BlockCommand::Action::kBlockAccount;
  } else {
    c.action = a.release ? BlockCommand::Action::kReleaseFirm : BlockCommand::Action::kKillFirm;
  }
  c.reason = !a.reason.empty() ? a.reason
             : a.release       ? "released by operations (" + a.user + ")"
                               : "kill switch engaged by operations (" + a.user + ")";
  const BlockOutcome o = apply_block(c, deadline);
  r.data = {{"command_id", c.id},
            {"result", o.result},
            {"orders_cancelled", o.orders_cancelled},
            {"cancels_confirmed", o.cancels_confirmed}};
  if (o.result == "applied") {
    r.ok = true;
    r.message = a.release ? "released " + what
                          : "blocked " + what + " and cancelled its " + std::to_string(o.orders_cancelled) +
                                " live orders" + (o.cancels_confirmed ? "" : " (" + o.reason + ")");
    return r;
  }
  r.message = o.reason.empty() ? o.result : o.reason;
  if (o.reason.rfind("unknown", 0) == 0) {
    r.code = "not_found";
  } else if (o.reason.find("is not of firm") != std::string::npos) {
    r.code = "invalid";
  } else if (o.reason.find("did not answer in time") != std::string::npos) {
    r.code = "timeout";
  } else if (o.reason.find("could not save") != std::string::npos) {
    r.code = "failed";
  } else {
    r.code = "conflict";  // duplicate or stale
  }
  return r;
}

AdminResult Gateway::admin_bust_trade(std::uint64_t trade, const std::string& user, const std::string& reason,
                                      Deadline deadline) {
  using Sent = std::pair<AdminResult, std::shared_ptr<Impl::BustWait>>;
  auto sent = impl_->on_gateway_thread<Sent>(
      [=, this] {
        Sent s;
        s.second = impl_->bust_trade(trade, user, reason, s.first);
        return s;
      },
      Sent{timed_out(), nullptr}, deadline);
  if (!sent.second) return sent.first;
  // The engine answers within microseconds unless it is stopped or far behind; the request's own
  // deadline bounds the wait (at least 2 s, so a busy machine does not turn a bust into a timeout).
  auto future = sent.second->done.get_future();
  const auto until = std::max(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(2));
  if (future.wait_until(until) == std::future_status::ready) return future.get();
  AdminResult r;
  r.code = "timeout";
  r.message = "trade " + std::to_string(trade) +
              ": the engine has not answered yet; the bust may still take effect (look at the trade's orders "
              "and the audit log before asking again)";
  return r;
}

AdminResult Gateway::admin_kill_switches(Deadline deadline) {
  return impl_->on_gateway_thread<AdminResult>([this] { return impl_->kill_switches_view(); }, timed_out(), deadline);
}

AdminResult Gateway::admin_trading_status(const std::string& symbol, const std::string& status, Deadline deadline) {
  return impl_->on_gateway_thread<AdminResult>([=, this] { return impl_->trading_status(symbol, status); }, timed_out(),
                                               deadline);
}

AdminResult Gateway::admin_instruments(Deadline deadline) {
  return impl_->on_gateway_thread<AdminResult>([this] { return impl_->instruments_view(); }, timed_out(), deadline);
}

AdminResult Gateway::admin_book(const std::string& symbol, std::size_t depth, Deadline deadline) {
  return impl_->on_gateway_thread<AdminResult>([=, this] { return impl_->book_view(symbol, depth); }, timed_out(),
                                               deadline);
}

AdminResult Gateway::admin_order(const OrderQuery& query, Deadline deadline) {
  return impl_->on_gateway_thread<AdminResult>([=, this] { return impl_->order_view(query); }, timed_out(), deadline);
}

AdminResult Gateway::admin_health(Deadline deadline) {
  return impl_->on_gateway_thread<AdminResult>([this] { return impl_->health_view(); }, timed_out(), deadline);
}

const GatewayConfig& Gateway::config() const { return impl_->start_cfg; }

}  // namespace venue::fix_gateway
