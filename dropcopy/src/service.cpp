// The drop-copy service's facade and its FIX thread's loop: start-up (sessions, acceptor, the Kafka
// thread), then per turn: take what the Kafka thread handed over (kafka_feed.h), copy it into the
// sessions' stores, flush the stores and sockets, write the cursors and the copied venue-seqs, and only
// then tell the Kafka thread to commit the offsets past those records; in between, the acceptor serves
// the sessions (and sleeps until the Kafka thread or a socket wakes it). Nothing here waits on Kafka.
// Runs on the FIX thread (Service::run()).
#include <prometheus/counter.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string_view>

#include "service_impl.h"
#include "venue/common/log.h"
#include "venue/common/shutdown.h"
#include "venue/fix_session/session_settings.h"

namespace venue::dropcopy {

namespace {

// Copies stored but not committed are committed together once there are max_batch of them or the
// oldest is this old: a commit is a broker round trip, not paid per turn.
constexpr std::int64_t kCommitEveryNs = 50'000'000;
// How long a stop waits for the Kafka thread's last commit and close.
constexpr std::chrono::seconds kKafkaStopTimeout{5};

}  // namespace

Service::Impl::Impl(Config c, std::shared_ptr<prometheus::Registry> r) : cfg(std::move(c)), registry(std::move(r)) {
  auto& reg = *registry;
  gate.on_authenticated = [](const FIX::SessionID& id, std::string_view address, bool tls) {
    VENUE_LOG_KV(info, "drop-copy logon authenticated",
                 {{"session", id.toString()}, {"peer", std::string(address)}, {"tls", tls}});
  };
  refused_app = &prometheus::BuildCounter()
                     .Name("dropcopy_application_messages_refused_total")
                     .Help("Application messages from drop-copy clients, refused")
                     .Register(reg)
                     .Add({});
  window_moved = &prometheus::BuildCounter()
                      .Name("dropcopy_venue_seq_window_moved_total")
                      .Help(
                          "Times a venue-seq came more than the remembered window above every earlier one unseen "
                          "(DC006): the window moved up, the unseen ones kept as gaps")
                      .Register(reg)
                      .Add({});
  unsure = &prometheus::BuildCounter()
                .Name("dropcopy_copies_unsure_total")
                .Help(
                    "Copies marked PossResend(97)=Y because their venue-seq lies below what the drop copy still "
                    "remembers having copied (it may be a repeat)")
                .Register(reg)
                .Add({});
}

void Service::Impl::start() {
  log_copies = cfg.log_level == "debug" || cfg.log_level == "trace";
  if (const char* k = std::getenv("VENUE_DROPCOPY_KILL_AFTER_COPIES")) kill_after_copies = std::strtol(k, nullptr, 10);
  if (const char* k = std::getenv("VENUE_DROPCOPY_KILL_AT")) kill_at_commit = std::string_view(k) == "commit";
  std::filesystem::create_directories(cfg.store_dir);
  set_up_sessions();
  load_seen();
  // A catch-up due is on disk before any offset moves past what it will copy.
  write_cursors();
  feed = std::make_unique<KafkaFeed>(cfg, *registry, [this] { acceptor->wake(); });
  acceptor->poll(0);
  is_ready = true;
  VENUE_LOG_KV(info, "drop copy ready",
               {{"fix_port", acceptor->plain_port()},
                {"topic", cfg.topic},
                {"group", cfg.group_id},
                {"sessions", sessions.size()}});
}

void Service::Impl::run() {
  feed->start();
  std::deque<FeedItem> items;
  std::int64_t next_metrics = 0;
  while (!stop_requested.load() && !ShutdownSignal::requested()) {
    items.clear();
    const bool more = feed->take(items, static_cast<std::size_t>(cfg.max_batch));
    for (auto& item : items) handle(item);
    // The copies are in the stores' buffers: written to the files, then to the sockets. Only after this
    // may their offsets be committed.
    acceptor->flush();
    if (kill_after_flush && !kill_at_commit) die();
    update_sent_through();
    const std::int64_t now = steady_ns();
    commit_if_due(now, false);
    if (cursors_due) write_cursors();
    start_catch_ups();
    acceptor->poll(more ? 0.0 : uncommitted > 0 ? 0.01 : 0.05);
    if (now >= next_metrics) {
      next_metrics = now + 1'000'000'000;
      acceptor_metrics->update(acceptor->counters());
    }
    if (ShutdownSignal::take_reopen_request()) log::reopen();
  }
  shutdown();
}

void Service::Impl::handle(FeedItem& item) {
  switch (item.kind) {
    case FeedItem::Kind::kMainStart:
      main_known = true;
      for (const auto& [p, offset] : item.positions) main_next.emplace(p, offset);
      // A catch-up asked for before: the main path leaves the session to it from where it starts.
      for (auto& s : sessions) {
        if (s.catch_up_from && !s.catch_up_floor) s.catch_up_floor = main_next;
      }
      return;
    case FeedItem::Kind::kRecord:
      if (item.run != 0) {
        if (auto it = runs.find(item.run); it != runs.end()) copy_caught_up(it->second, item);
        return;
      }
      main_next[item.partition] = item.offset + 1;
      to_commit[item.partition] = item.offset + 1;
      if (uncommitted++ == 0) first_uncommitted_ns = steady_ns();
      if (item.record) deliver(*item.record);  // a refused record was logged and counted by the Kafka thread
      return;
    case FeedItem::Kind::kHandover:
      if (auto it = runs.find(item.run); it != runs.end()) it->second.handover[item.partition] = item.offset;
      return;
    case FeedItem::Kind::kRunDone: end_catch_up(item.run, item.records_read); return;
  }
}

// The stores are flushed (run()); the cursors and the copied venue-seqs are written; then the Kafka thread
// may commit the offsets past these records.
void Service::Impl::commit_if_due(std::int64_t now, bool force) {
  if (uncommitted == 0) return;
  if (!force && uncommitted < cfg.max_batch && now - first_uncommitted_ns < kCommitEveryNs) return;
  write_seen();
  write_cursors();
  if (kill_after_flush) die();  // (kill_at_commit; otherwise it died after the flush)
  std::vector<kafka::Consumer::Position> positions;
  positions.reserve(to_commit.size());
  for (const auto& [p, next] : to_commit) positions.push_back({cfg.topic, p, next});
  feed->commit(std::move(positions), uncommitted);
  to_commit.clear();
  uncommitted = 0;
}

// Fault injection for the crash tests: dies like a SIGKILL from outside would.
void Service::Impl::die() {
  VENUE_LOG(warning) << "VENUE_DROPCOPY_KILL_AFTER_COPIES reached: killing myself";
  std::raise(SIGKILL);
  std::abort();
}

void Service::Impl::shutdown() {
  is_ready = false;
  acceptor->flush();
  // What was stored is committed (best effort: what is not is read again and not copied twice).
  commit_if_due(steady_ns(), true);
  write_cursors();
  feed->request_stop();  // it commits and closes while the sessions log out
  for (auto& s : sessions) {
    if (s.fix != nullptr && s.fix->isLoggedOn()) s.fix->logout("drop copy shutting down");
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < deadline) {
    bool any = false;
    for (auto& s : sessions) any = any || (s.fix != nullptr && s.fix->isLoggedOn());
    if (!any) break;
    acceptor->poll(0.01);
  }
  const bool kafka_stopped = feed->wait_stopped(kKafkaStopTimeout);
  acceptor->stop(true);
  if (!kafka_stopped) {
    // librdkafka cannot be interrupted inside a call to a broker that does not answer: the thread is
    // stuck there. Everything the sessions need is on disk; the offsets not committed are read again at
    // the next start and not copied twice.
    VENUE_LOG(warning) << "drop copy stopped; Kafka did not answer within 5 s, the last offsets are not committed";
    log::shutdown();
    std::_Exit(0);
  }
  VENUE_LOG(info) << "drop copy stopped";
}

Service::Service(Config config, std::shared_ptr<prometheus::Registry> registry)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(registry))) {}
Service::~Service() = default;
void Service::start() { impl_->start(); }
void Service::run() { impl_->run(); }
void Service::request_stop() {
  impl_->stop_requested = true;
  if (impl_->acceptor) impl_->acceptor->wake();
}
bool Service::ready() const { return impl_->is_ready.load(); }
std::uint16_t Service::fix_port() const { return impl_->acceptor ? impl_->acceptor->plain_port() : 0; }

}  // namespace venue::dropcopy
