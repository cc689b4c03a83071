#include "venue/risk/writer.h"

#include <chrono>

#include "venue/common/log.h"
#include "venue/common/pg.h"

namespace venue::risk {

namespace {

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A delta may hold many deltas' worth of work when PostgreSQL was away: at most this many go in one
// transaction.
constexpr std::size_t kDeltasPerTransaction = 50;

struct LostLock : std::runtime_error {
  LostLock() : std::runtime_error("another risk instance holds the schema's lock") {}
};

}  // namespace

Writer::Writer(const Config& cfg, prometheus::Registry& registry) : cfg_(cfg) {
  pg_ = std::make_unique<pg::Client>(
      pg::ClientSettings{
          .url = cfg.database_url, .name = "risk", .attempts = 2, .max_backoff = std::chrono::seconds(1)},
      registry);
  writes_ = &prometheus::BuildCounter()
                 .Name("risk_state_writes_total")
                 .Help("Transactions that wrote the state (with the Kafka offsets it covers) to PostgreSQL")
                 .Register(registry)
                 .Add({});
  write_errors_ = &prometheus::BuildCounter()
                       .Name("risk_state_write_errors_total")
                       .Help("State writes that failed (tried again until PostgreSQL takes them)")
                       .Register(registry)
                       .Add({});
  write_seconds_ = &prometheus::BuildHistogram()
                        .Name("risk_state_write_seconds")
                        .Help("Time of one state write transaction")
                        .Register(registry)
                        .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1,
                                                                         0.2, 0.5, 1, 2, 5});
  unwritten_ = &prometheus::BuildGauge()
                    .Name("risk_unwritten_fills")
                    .Help("Fills processed but not yet written to PostgreSQL")
                    .Register(registry)
                    .Add({});
  limit_reloads_ = &prometheus::BuildCounter()
                        .Name("risk_limits_reloads_total")
                        .Help("Times the limits were read again after a change")
                        .Register(registry)
                        .Add({});
}

Writer::~Writer() { stop(); }

void Writer::start() {
  thread_ = std::thread([this] { run(); });
}

void Writer::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::optional<Loaded> Writer::wait_loaded(const std::function<bool()>& stop) {
  std::unique_lock lock(mu_);
  while (!loaded_ && !stop()) cv_.wait_for(lock, std::chrono::milliseconds(100));
  if (!loaded_ || loaded_taken_) return std::nullopt;
  loaded_taken_ = true;
  return std::move(loaded_);
}

void Writer::push(Delta d, std::size_t fills) {
  {
    std::lock_guard lock(mu_);
    queue_.emplace_back(std::move(d), fills);
    queued_fills_ += fills;
    unwritten_->Set(static_cast<double>(queued_fills_));
  }
  cv_.notify_all();
}

std::optional<LimitsUpdate> Writer::take_limits() {
  std::lock_guard lock(mu_);
  return std::exchange(limits_, std::nullopt);
}

std::vector<OffsetRow> Writer::take_written_offsets() {
  std::lock_guard lock(mu_);
  return std::exchange(written_offsets_, {});
}

std::size_t Writer::unwritten_fills() const {
  std::lock_guard lock(mu_);
  return queued_fills_;
}

void Writer::run() {
  auto next_limits_poll = std::chrono::steady_clock::now();
  bool waiting_logged = false;
  std::optional<std::chrono::steady_clock::time_point> give_up_at;  // set at stop: the last writes' deadline
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (stopping_ && (queue_.empty() || !loaded_taken_)) break;
      if (stopping_ && !give_up_at) give_up_at = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      if (give_up_at && std::chrono::steady_clock::now() > *give_up_at) break;
    }
    if (lost_lock_) break;
    if (!loaded_taken_ && !loaded_) {
      if (!load()) {
        if (!waiting_logged) {
          VENUE_LOG_KV(warning,
                       "RSK001 risk state not loaded yet: PostgreSQL unreachable or another instance holds the "
                       "lock; trying again every second",
                       {{"schema", cfg_.schema}});
          waiting_logged = true;
        }
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_.load(); });
        continue;
      }
      next_limits_poll = std::chrono::steady_clock::now() + std::chrono::milliseconds(cfg_.limits_poll_ms);
    }
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, next_limits_poll, [this] { return stopping_.load() || !queue_.empty(); });
    }
    write_pending();
    if (std::chrono::steady_clock::now() >= next_limits_poll) {
      poll_limits();
      next_limits_poll = std::chrono::steady_clock::now() + std::chrono::milliseconds(cfg_.limits_poll_ms);
    }
  }
  std::lock_guard lock(mu_);
  if (queued_fills_ > 0 || !queue_.empty()) {
    VENUE_LOG_KV(warning, "RSK002 risk stopped with state not written: it is read again from Kafka at the next start",
                 {{"deltas", queue_.size()}, {"fills", queued_fills_}});
  }
}

bool Writer::load() {
  try {
    const bool locked = pg_->transaction([&](pqxx::work& tx) { return try_lock_service(tx, cfg_.schema); });
    if (!locked) {
      healthy_ = true;
      return false;
    }
    const auto report = pg::migrate(pg_->connection(), cfg_.schema, risk_migrations(), "risk");
    if (!report.applied.empty()) {
      VENUE_LOG_KV(info, "risk schema migrated",
                   {{"schema", cfg_.schema}, {"from", report.from_version}, {"to", report.to_version}});
    }
    Loaded l = pg_->transaction([&](pqxx::work& tx) {
      use_schema(tx, cfg_.schema);
      for (const auto& limit : cfg_.seed_limits) {
        if (seed_limit(tx, limit, "config")) {
          VENUE_LOG_KV(info, "limit seeded from the configuration",
                       {{"scope", std::string(to_string(limit.scope))},
                        {"entity", limit.entity},
                        {"limit", std::string(to_string(limit.type))},
                        {"symbol", limit.symbol},
                        {"value", limit.value.to_string()}});
        }
      }
      Loaded out;
      out.state = load_state(tx);
      out.limits.version = limits_version(tx);
      for (auto& row : read_limits(tx)) out.limits.limits.push_back(std::move(row.limit));
      for (auto& ack : active_blocks(tx)) {
        std::string key = ack.action == "kill_firm" ? "f:" + ack.firm : "a:" + ack.account;
        out.blocks.emplace_back(std::move(key), std::move(ack));
      }
      return out;
    });
    VENUE_LOG_KV(info, "risk state loaded",
                 {{"fills", l.state.fills.size()},
                  {"positions", l.state.baselines.size()},
                  {"orders", l.state.orders.size()},
                  {"next_venue_seq", l.state.next_venue_seq},
                  {"limits", l.limits.limits.size()}});
    std::lock_guard lock(mu_);
    limits_version_ = l.limits.version;
    loaded_ = std::move(l);
    healthy_ = true;
    cv_.notify_all();
    return true;
  } catch (const std::exception& e) {
    healthy_ = false;
    VENUE_LOG_KV(error, "RSK003 loading the risk state failed", {{"error", e.what()}});
    return false;
  }
}

void Writer::write_pending() {
  std::vector<const Delta*> batch;
  {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < queue_.size() && i < kDeltasPerTransaction; ++i) batch.push_back(&queue_[i].first);
  }
  if (batch.empty()) return;
  // Deltas are only appended by the main thread and popped here: the pointers stay valid meanwhile.
  const auto started = std::chrono::steady_clock::now();
  try {
    pg_->transaction([&](pqxx::work& tx) {
      use_schema(tx, cfg_.schema);
      if (!try_lock_service(tx, cfg_.schema)) throw LostLock();
      for (const Delta* d : batch) write_delta(tx, *d);
    });
  } catch (const LostLock& e) {
    lost_lock_ = true;
    healthy_ = false;
    VENUE_LOG_KV(fatal, "RSK004 risk lost its PostgreSQL lock to another instance: stopping", {{"error", e.what()}});
    return;
  } catch (const std::exception& e) {
    healthy_ = false;
    write_errors_->Increment();
    VENUE_LOG_KV(error, "RSK005 writing the risk state failed: kept and tried again",
                 {{"error", e.what()}, {"deltas", batch.size()}});
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping_.load(); });
    return;
  }
  write_seconds_->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  writes_->Increment();
  healthy_ = true;
  last_write_ns_ = wall_ns();
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& [d, fills] = queue_.front();
    for (auto& o : d.offsets) written_offsets_.push_back(std::move(o));
    queued_fills_ -= fills;
    queue_.pop_front();
  }
  unwritten_->Set(static_cast<double>(queued_fills_));
}

void Writer::poll_limits() {
  try {
    auto update = pg_->transaction([&](pqxx::work& tx) -> std::optional<LimitsUpdate> {
      use_schema(tx, cfg_.schema);
      const auto version = limits_version(tx);
      if (version == limits_version_) return std::nullopt;
      LimitsUpdate u;
      u.version = version;
      for (auto& row : read_limits(tx)) u.limits.push_back(std::move(row.limit));
      return u;
    });
    healthy_ = true;
    if (!update) return;
    limit_reloads_->Increment();
    std::lock_guard lock(mu_);
    limits_version_ = update->version;
    limits_ = std::move(update);
  } catch (const std::exception& e) {
    healthy_ = false;
    VENUE_LOG_KV(warning, "RSK006 reading the limits failed: tried again", {{"error", e.what()}});
  }
}

}  // namespace venue::risk
