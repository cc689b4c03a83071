// The compliance service (see service.h for the contract): start-up, recovery after a failure (reload
// and the rules rebuilt from the trail), housekeeping and the main loop. Its Kafka traffic is in
// service_kafka.cpp, the chaining of a batch in service_chain.cpp and the batch pipeline in
// service_writer.cpp; the state they share in service_impl.h.
#include "venue/compliance/service.h"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <thread>

#include "service_impl.h"
#include "venue/common/pg_migrations.h"
#include "venue/common/shutdown.h"

namespace venue::compliance {

using detail::steady_ns;
using detail::wall_ms;

Service::Impl::Impl(Config c, std::shared_ptr<prometheus::Registry> r) : cfg(std::move(c)), registry(std::move(r)) {
  auto& reg = *registry;
  auto counter = [&](const char* name, const char* help) {
    return &prometheus::BuildCounter().Name(name).Help(help).Register(reg).Add({});
  };
  auto gauge = [&](const char* name, const char* help) {
    return &prometheus::BuildGauge().Name(name).Help(help).Register(reg).Add({});
  };
  consumed = counter("compliance_records_consumed_total", "Records read from venue.execution-reports");
  rows_written = counter("compliance_rows_written_total", "Rows appended to the audit trail (committed)");
  batches = counter("compliance_batches_total", "Batch transactions committed");
  duplicates = counter("compliance_duplicates_skipped_total", "Records whose venue-seq was already stored");
  repeats = counter("compliance_repeats_total", "PossResend reports stored as a repeat of an earlier ExecID");
  busts = counter("compliance_busts_total", "Trade busts (ExecType H) stored, linked to the fill they cancel");
  busts_unmatched = counter("compliance_busts_unmatched_total",
                            "Trade busts whose busted fill is not in the audit trail (bust_of_venue_seq NULL)");
  parked = counter("compliance_records_parked_total", "Bad records parked in compliance.parked with the reason");
  staged = counter("compliance_rows_staged_total", "Records moved to compliance.pending behind a gap");
  db_failures = counter("compliance_db_failures_total", "Batch transactions that failed (kept and tried again)");
  published = counter("compliance_alerts_published_total", "Alerts acknowledged by Kafka");
  publish_failures = counter("compliance_alert_publish_failures_total", "Alerts Kafka refused (published again)");
  offset_commit_failures =
      counter("compliance_offset_commit_failures_total", "Kafka offset commits that failed (tried again)");
  consumer_replacements = counter("compliance_consumer_replacements_total",
                                  "Kafka consumers replaced after librdkafka declared them failed for good (CMP030)");
  head_gauge = gauge("compliance_chain_head_venue_seq", "Venue-seq of the last chained row");
  gap_gauge = gauge("compliance_chain_gap_seqs",
                    "Venue-seqs missing between the chain's head and the highest record held (0: no gap)");
  waiting_gauge = gauge("compliance_rows_waiting", "Records held behind a gap (memory and table pending)");
  db_up = gauge("compliance_db_up", "1 while PostgreSQL takes the batches");
  last_verify_intact =
      gauge("compliance_chain_last_verify_intact",
            "The last `compliance verify` recorded: 1 intact, 0 broken (audit trail or alerts), -1 none yet");
  last_verify_intact->Set(-1);
  latency = &prometheus::BuildHistogram()
                 .Name("compliance_ingest_latency_seconds")
                 .Help("From the record's Kafka timestamp to its row's commit")
                 .Register(reg)
                 .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                                                                  10, 30});
  lag_family = &prometheus::BuildGauge()
                    .Name("compliance_consumer_lag")
                    .Help("Records on Kafka not yet read, per partition")
                    .Register(reg);
  alerts_family = &prometheus::BuildCounter().Name("compliance_alerts_total").Help("Alerts raised").Register(reg);
  for (const char* rule : kRules) alerts_by_rule.emplace(rule, &alerts_family->Add({{"rule", rule}}));
  verifications_family = &prometheus::BuildCounter()
                              .Name("compliance_verifications_total")
                              .Help("`compliance verify` runs recorded in compliance.verifications")
                              .Register(reg);
  verifications_family->Add({{"result", "intact"}});
  verifications_family->Add({{"result", "broken"}});
  if (const char* k = std::getenv("VENUE_COMPLIANCE_KILL_AFTER_ROWS")) kill_after_rows = std::strtol(k, nullptr, 10);
}

// Connects, migrates and reads the committed state back; rebuilds the rules from the trail.
bool Service::Impl::reload() {
  try {
    db = std::make_unique<pqxx::connection>(cfg.db_url);
    if (!migrated) {
      const auto report = pg::migrate(*db, kSchema, compliance_migrations(), "compliance");
      migrated = true;
      VENUE_LOG_KV(info, "schema ready", {{"version", report.to_version}, {"applied", report.applied}});
    }
    pqxx::work tx(*db);
    head = load_head(tx, false);
    tip = head;
    acks = load_gap_acks(tx);
    pending_rows = tx.exec1("select count(*) from compliance.pending")[0].as<std::int64_t>();
    partitions_known.clear();
    for (int d = -1; d <= cfg.partitions_ahead_days; ++d) {
      const auto day = utc_day(d);
      if (ensure_partition(tx, day)) VENUE_LOG_KV(info, "audit partition created", {{"day", day}});
      partitions_known.insert(day);
    }
    tx.commit();
    // Records read back from pending are durable; the in-memory ones are kept.
    std::erase_if(buffer, [](const auto& kv) { return kv.second.durable; });
    rules = std::make_unique<Surveillance>(cfg.surveillance);
    replay_rules();
    publish_unpublished();
    db_ready = true;
    is_ready = true;
    db_up->Set(1);
    backoff_ms = 100;
    head_gauge->Set(static_cast<double>(head.venue_seq));
    VENUE_LOG_KV(info, "audit trail ready",
                 {{"head_venue_seq", head.venue_seq}, {"rows", head.rows}, {"pending", pending_rows}});
    return true;
  } catch (const pg::MigrationError& e) {
    VENUE_LOG_KV(fatal, "database refused: stopping", {{"error", e.what()}});
    throw;
  } catch (const std::exception& e) {
    failed("cannot reach PostgreSQL", e.what());
    return false;
  }
}

void Service::Impl::failed(const char* what, const char* error) {
  db_failures->Increment();
  db_ready = false;
  is_ready = false;
  db_up->Set(0);
  db.reset();
  VENUE_LOG_KV(error, what, {{"error", error}, {"retry_in_ms", backoff_ms}});
  next_attempt_ns = steady_ns() + backoff_ms * 1'000'000;
  backoff_ms = std::min<std::int64_t>(backoff_ms * 2, cfg.retry_backoff_max_ms);
}

// The rules' state is a function of the rows in venue-seq order: feed them the last replay_seconds()
// (report time) of the trail again; their alerts were stored with those rows and are dropped.
void Service::Impl::replay_rules() {
  if (head.venue_seq == 0) return;
  pqxx::work tx(*db);
  const auto last = tx.exec_params(
      "select (extract(epoch from report_time) * 1000000)::bigint from compliance.audit where venue_seq <= $1 "
      "order by venue_seq desc limit 1",
      static_cast<std::int64_t>(head.venue_seq));
  if (last.empty()) return;
  const std::int64_t since = last[0][0].as<std::int64_t>() - cfg.surveillance.replay_seconds() * 1'000'000;
  // Report time grows with venue-seq: binary search for the first row at or after `since`.
  std::int64_t lo = 1;
  auto hi = static_cast<std::int64_t>(head.venue_seq);
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    const auto r = tx.exec_params(
        "select (extract(epoch from report_time) * 1000000)::bigint from compliance.audit where venue_seq >= $1 "
        "order by venue_seq limit 1",
        mid);
    if (r.empty() || r[0][0].as<std::int64_t>() >= since) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  tx.exec_params(
      "declare replay no scroll cursor for select venue_seq, msg_type, coalesce(exec_type, ''), session, firm, "
      "account, coalesce(shard, 0), coalesce(engine_seq, 0), coalesce(traceparent, ''), raw_fix, kafka_partition, "
      "kafka_offset from compliance.audit where venue_seq >= $1 and venue_seq <= $2 and error is null and "
      "repeat_of_venue_seq is null order by venue_seq",
      lo, static_cast<std::int64_t>(head.venue_seq));
  std::size_t n = 0;
  std::vector<Alert> dropped;
  for (;;) {
    const auto rows = tx.exec("fetch 5000 from replay");
    if (rows.empty()) break;
    for (const auto& row : rows) {
      Headers h{{"venue-seq", row[0].as<std::string>()}, {"msg-type", row[1].as<std::string>()},
                {"session", row[3].as<std::string>()},   {"firm", row[4].as<std::string>()},
                {"account", row[5].as<std::string>()},   {"shard", row[6].as<std::string>()},
                {"engine-seq", row[7].as<std::string>()}};
      if (!row[2].as<std::string>().empty()) h.emplace_back("exec-type", row[2].as<std::string>());
      if (!row[8].as<std::string>().empty()) h.emplace_back("traceparent", row[8].as<std::string>());
      std::string why;
      auto rec = fs::read_report_record(row[9].as<std::string>(), h, &why);
      if (!rec) continue;
      if (auto e = event_from_record(*rec)) rules->on_event(*e, dropped);
      dropped.clear();
      ++n;
    }
  }
  tx.commit();
  VENUE_LOG_KV(info, "surveillance state rebuilt from the audit trail",
               {{"from_venue_seq", lo}, {"rows", n}, {"seconds", cfg.surveillance.replay_seconds()}});
}

// The alerts whose line a flood left out (alert_lines), in one line once their second is over.
void Service::Impl::say_alerts_left_out(std::int64_t now) {
  if (const auto n = alert_lines.left_out(now)) {
    VENUE_LOG_KV(warning, "surveillance alerts not logged one by one",
                 {{"alerts", n},
                  {"lines_per_second", kAlertLinesPerSecond},
                  {"where", "every alert: `compliance alerts list`, compliance.alerts, the alerts topic"}});
  }
}

// final: at shutdown, when the alerts delivered since the last marking are marked whatever the time.
void Service::Impl::housekeeping(bool final) {
  const std::int64_t now = steady_ns();
  producer->poll(0);
  say_alerts_left_out(now);
  // Delivered alerts are marked published at most every 500 ms (or at 10,000 waiting): one transaction
  // and its commit for all of them. An alert delivered but not yet marked when the process dies is
  // published again at the next start (at least once, keyed by alert_id).
  if (db_ready && !delivered_alerts.empty() &&
      (final || now >= next_published_mark_ns || delivered_alerts.size() >= 10'000)) {
    next_published_mark_ns = now + 500'000'000;
    try {
      pqxx::work tx(*db);
      std::string list;
      for (const auto& id : delivered_alerts) list += (list.empty() ? "" : ",") + tx.quote(id);
      tx.exec("update compliance.alerts set published_at = now() where alert_id in (" + list + ")");
      tx.commit();
      delivered_alerts.clear();
    } catch (const std::exception& e) {
      failed("cannot mark alerts published", e.what());
    }
  }
  if (now >= next_heartbeat_ns) {
    next_heartbeat_ns = now + 1'000'000'000;
    heartbeat();
  }
  if (db_ready && now >= next_partitions_ns) {
    next_partitions_ns = now + 3600LL * 1'000'000'000;
    try {
      pqxx::work tx(*db);
      for (int d = 0; d <= cfg.partitions_ahead_days; ++d) {
        if (ensure_partition(tx, utc_day(d))) VENUE_LOG_KV(info, "audit partition created", {{"day", utc_day(d)}});
        partitions_known.insert(utc_day(d));
      }
      tx.commit();
    } catch (const std::exception& e) {
      failed("cannot create partitions ahead", e.what());
    }
  }
  if (!cfg.checkpoint_file.empty() && now >= next_checkpoint_ns && head.venue_seq != checkpoint_seq && db_ready) {
    next_checkpoint_ns = now + cfg.checkpoint_every_seconds * 1'000'000'000;
    write_checkpoint();
  }
  if (ShutdownSignal::take_reopen_request()) log::reopen();
}

void Service::Impl::write_checkpoint() {
  const nlohmann::json j{{"at_ms", wall_ms()}, {"venue_seq", head.venue_seq}, {"row_hash", hex(head.row_hash)}};
  const std::string line = j.dump() + "\n";
  const int fd = ::open(cfg.checkpoint_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fdatasync(fd) != 0) {
    VENUE_LOG_KV(error, "cannot append a checkpoint", {{"file", cfg.checkpoint_file.string()}});
  } else {
    checkpoint_seq = head.venue_seq;
  }
  if (fd >= 0) ::close(fd);
}

// Gaps in what is held: ranges of missing venue-seqs between the head and the highest record held.
nlohmann::json Service::Impl::gaps(std::uint64_t& missing) const {
  auto out = nlohmann::json::array();
  missing = 0;
  std::uint64_t expect = tip.venue_seq + 1;  // what the writer has is not missing
  for (const auto& [seq, rec] : buffer) {
    if (seq > expect) {
      out.push_back({expect, seq - 1});
      missing += seq - expect;
    }
    expect = seq + 1;
  }
  return out;
}

void Service::Impl::heartbeat() {
  auto lag = nlohmann::json::object();
  if (consumer) {
    for (const auto& [partition, n] : consumer->lag(100)) {
      auto it = lag_gauges.find(partition);
      if (it == lag_gauges.end()) {
        it = lag_gauges.emplace(partition, &lag_family->Add({{"partition", std::to_string(partition)}})).first;
      }
      it->second->Set(static_cast<double>(n));
      lag[std::to_string(partition)] = n;
    }
  }
  std::uint64_t missing = 0;
  auto g = gaps(missing);
  gap_gauge->Set(static_cast<double>(missing));
  waiting_gauge->Set(static_cast<double>(buffer.size()) + static_cast<double>(pending_rows));
  if (!db_ready) return;
  std::int64_t oldest_ms = 0;
  for (const auto& [seq, rec] : buffer) oldest_ms = std::max(oldest_ms, (steady_ns() - rec.arrived_ns) / 1'000'000);
  const nlohmann::json state{{"pid", ::getpid()},           {"head_venue_seq", head.venue_seq},
                             {"rows", head.rows},           {"held_in_memory", buffer.size()},
                             {"oldest_held_ms", oldest_ms}, {"pending_rows", pending_rows},
                             {"gaps_in_memory", g},         {"missing_seqs", missing},
                             {"consumer_lag", lag},         {"topic", cfg.topic},
                             {"group", cfg.group_id}};
  try {
    pqxx::work tx(*db);
    tx.exec_params(
        "insert into compliance.service_state (id, heartbeat_at, ready, state) values (true, now(), $1, $2::jsonb) "
        "on conflict (id) do update set heartbeat_at = excluded.heartbeat_at, ready = excluded.ready, state = "
        "excluded.state",
        is_ready.load(), state.dump());
    for (const auto& r : tx.exec("select intact, count(*) from compliance.verifications group by intact")) {
      const std::string result = r[0].as<bool>() ? "intact" : "broken";
      const auto n = r[1].as<std::int64_t>();
      auto& seen = verifications_seen[result];
      if (n > seen) verifications_family->Add({{"result", result}}).Increment(static_cast<double>(n - seen));
      seen = n;
    }
    const auto last = tx.exec("select intact from compliance.verifications order by id desc limit 1");
    last_verify_intact->Set(last.empty() ? -1 : (last[0][0].as<bool>() ? 1 : 0));
    tx.commit();
  } catch (const std::exception& e) {
    failed("heartbeat not written", e.what());
  }
}

// A pause is applied again on every call: partitions assigned since (a rebalance, a replaced consumer)
// are paused too.
void Service::Impl::set_paused(bool pause) {
  if ((!pause && !paused) || !consumer) return;
  std::vector<RdKafka::TopicPartition*> parts;
  if (consumer->handle().assignment(parts) == RdKafka::ERR_NO_ERROR) {
    if (pause) {
      consumer->handle().pause(parts);
    } else {
      consumer->handle().resume(parts);
    }
  }
  RdKafka::TopicPartition::destroy(parts);
  paused = pause;
}

void Service::Impl::run() {
  start_kafka();
  std::thread writer([this] { writer_loop(); });
  while (!stop_requested && !ShutdownSignal::requested()) {
    replace_consumer_if_failed();
    if (!db_ready) {
      settle();
      set_paused(true);
      if (steady_ns() >= next_attempt_ns && reload()) {
        set_paused(false);
      } else {
        // Nothing more is read; what was fetched before the pause is kept with the rest.
        if (auto m = consumer->poll(100)) take(*m);
        housekeeping();
        continue;
      }
    }
    const std::int64_t first = steady_ns();
    std::int64_t n = 0;
    while (n < cfg.max_batch) {
      const std::int64_t waited_ms = (steady_ns() - first) / 1'000'000;
      if (n > 0 && waited_ms >= cfg.max_batch_wait_ms) break;
      auto m =
          consumer->poll(n == 0 ? 100 : static_cast<int>(std::max<std::int64_t>(1, cfg.max_batch_wait_ms - waited_ms)));
      if (!m) {
        if (n == 0) break;
        continue;
      }
      take(*m);
      ++n;
    }
    write_batch();
    if (db_ready && n == 0 && buffer.empty()) commit_offsets();
    housekeeping();
  }
  is_ready = false;
  if (db_ready) write_batch();
  settle();
  {
    const std::lock_guard lock(writer_mutex);
    writer_stop = true;
    writer_cv.notify_all();
  }
  writer.join();
  if (db_ready) commit_offsets(true);
  producer->flush(2000);
  producer->poll(0);
  if (db_ready && !delivered_alerts.empty()) housekeeping(true);
  say_alerts_left_out(INT64_MAX);
  consumer->close();
  VENUE_LOG(info) << "compliance stopped";
}

Service::Service(Config config, std::shared_ptr<prometheus::Registry> registry)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(registry))) {}
Service::~Service() = default;
void Service::run() { impl_->run(); }
void Service::request_stop() { impl_->stop_requested = true; }
bool Service::ready() const { return impl_->is_ready.load(); }

}  // namespace venue::compliance
