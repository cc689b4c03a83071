// The compliance service's batch pipeline (service_impl.h): a batch prepared on the main thread, its
// transaction on the writer thread, and what its commit or failure does.
#include <csignal>
#include <pqxx/tablewriter>
#include <stdexcept>

#include "service_impl.h"

namespace venue::compliance {

using detail::steady_ns;
using detail::wall_ms;

namespace {

nlohmann::json headers_json(const Headers& h) {
  auto out = nlohmann::json::object();
  for (const auto& [k, v] : h) out[printable_utf8(k)] = printable_utf8(v);
  return out;
}

struct HeadMoved : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

// ----- the batch pipeline -----
//
// The main thread prepares batch N+1 (reads Kafka, orders, parses, runs the rules, hashes) while the
// writer thread has batch N's transaction in PostgreSQL (COPY, alerts, head, commit and its fsync).
// One batch at most is in the writer: batch N+1 is handed over only after N committed, so the chain is
// still written batch after batch, each transaction checking that the head it builds on is the one
// committed. Nothing of N+1 is acknowledged to Kafka (its offsets stay held) until N+1 itself commits.
// Where the table pending is involved (rows staged, or read back) the two do not overlap.

// Prepares the next batch over the main connection (lookups only). Null when there is nothing to write.
std::unique_ptr<Service::Impl::Job> Service::Impl::prepare() {
  if (buffer.empty() && to_park.empty() && pending_rows == 0) return nullptr;
  auto job = std::make_unique<Job>();
  Batch& b = job->b;
  b.parked = std::move(to_park);
  to_park.clear();
  job->before = tip;
  job->pending_before = pending_rows;
  Head h = tip;
  try {
    pqxx::nontransaction tx(*db);
    if (steady_ns() >= next_ack_reload_ns) {
      acks = load_gap_acks(tx);
      next_ack_reload_ns = steady_ns() + 1'000'000'000;
    }
    load_pending(tx);
    drain(tx, b, h);
  } catch (const std::exception& e) {
    roll_back(b);
    job.reset();
    abandon("batch not prepared (kept; tried again)", e.what());
    return nullptr;
  }
  if (b.rows.empty() && b.staged.empty() && b.parked.empty() && b.drained.empty() && pending_rows == 0) {
    return nullptr;
  }
  job->after = h;
  b.rows_count = b.rows.size();
  tip = h;
  return job;
}

// The writer thread's part: one transaction over its own connection.
void Service::Impl::execute(Job& job) {
  Batch& b = job.b;
  try {
    if (!wdb) wdb = std::make_unique<pqxx::connection>(cfg.db_url);
    pqxx::work tx(*wdb);
    const Head locked = load_head(tx, true);
    if (locked.venue_seq != job.before.venue_seq || locked.row_hash != job.before.row_hash) {
      throw HeadMoved("the chain's head moved under this process (another writer?): reloading");
    }
    for (const auto& day : b.days) ensure_partition(tx, day);
    if (!b.rows.empty()) {
      b.copy.pop_back();  // write_raw_line adds the last newline
      static const std::vector<std::string> cols = [] {
        std::vector<std::string> c;
        for (const auto& ci : columns()) c.emplace_back(ci.name);
        c.emplace_back("prev_hash");
        c.emplace_back("row_hash");
        return c;
      }();
      pqxx::tablewriter w(tx, "compliance.audit", cols.begin(), cols.end());
      w.write_raw_line(b.copy);
      w.complete();
    }
    // Alerts join their own chain (store.h) in the order the rules raised them.
    if (!b.alerts.empty()) store_alert_head(tx, append_alerts(tx, b.alerts));
    for (const auto& [seq, rec] : b.staged) {
      tx.exec_params(
          "insert into compliance.pending (venue_seq, kafka_partition, kafka_offset, kafka_timestamp_ms, headers, "
          "payload) values ($1, $2, $3, $4, $5::jsonb, $6) on conflict do nothing",
          static_cast<std::int64_t>(seq), rec.partition, rec.offset, rec.timestamp_ms, headers_json(rec.headers).dump(),
          pqxx::binarystring(rec.payload));
    }
    std::int64_t pending_now = job.pending_before + static_cast<std::int64_t>(b.staged.size());
    if (pending_now > 0 && job.after.venue_seq != job.before.venue_seq) {
      tx.exec_params("delete from compliance.pending where venue_seq <= $1",
                     static_cast<std::int64_t>(job.after.venue_seq));
      pending_now = tx.exec1("select count(*) from compliance.pending")[0].as<std::int64_t>();
    }
    for (const auto& p : b.parked) {
      tx.exec_params(
          "insert into compliance.parked (topic, kafka_partition, kafka_offset, venue_seq, reason, headers, payload) "
          "values ($1, $2, $3, $4, $5, $6::jsonb, $7) on conflict do nothing",
          p.rec.topic, p.rec.partition, p.rec.offset,
          p.seq ? std::optional<std::int64_t>(static_cast<std::int64_t>(*p.seq)) : std::nullopt,
          printable_utf8(p.reason), headers_json(p.rec.headers).dump(), pqxx::binarystring(p.rec.payload));
    }
    if (job.after.venue_seq != job.before.venue_seq) {
      tx.exec_params(
          "update compliance.chain_head set venue_seq = $1, row_hash = decode($2, 'hex'), rows_written = $3, "
          "updated_at = now()",
          static_cast<std::int64_t>(job.after.venue_seq), hex(job.after.row_hash),
          static_cast<std::int64_t>(job.after.rows));
    }
    tx.commit();
    job.pending_after = pending_now;
  } catch (const std::exception& e) {
    job.error = e.what();
    if (job.error.empty()) job.error = "unknown error";
    wdb.reset();
  }
  // The rows' memory is freed here, off the main thread.
  std::vector<AuditRow>().swap(b.rows);
  std::string().swap(b.copy);
}

void Service::Impl::writer_loop() {
  std::unique_lock lock(writer_mutex);
  for (;;) {
    writer_cv.wait(lock, [&] { return writer_job != nullptr || writer_stop; });
    if (writer_job == nullptr) return;
    Job* job = writer_job;
    lock.unlock();
    execute(*job);
    lock.lock();
    writer_job = nullptr;
    writer_done_cv.notify_all();
  }
}

void Service::Impl::submit(std::unique_ptr<Job> job) {
  inflight = std::move(job);
  const std::lock_guard lock(writer_mutex);
  writer_job = inflight.get();
  writer_cv.notify_all();
}

// Waits for the batch in the writer. Committed: its effects (offsets released, metrics, alerts
// published). Failed: it and `also` (prepared on top of it) go back to the buffer and the process
// reloads from the database. False when it failed.
bool Service::Impl::settle(std::unique_ptr<Job>* also) {
  if (!inflight) return true;
  {
    std::unique_lock lock(writer_mutex);
    writer_done_cv.wait(lock, [&] { return writer_job == nullptr; });
  }
  auto job = std::move(inflight);
  if (!job->error.empty()) {
    roll_back(job->b);
    if (also != nullptr && *also) {
      roll_back((*also)->b);
      also->reset();
    }
    abandon("batch not written (kept; tried again)", job->error.c_str());
    return false;
  }
  pending_rows = job->pending_after;
  for (const auto& day : job->b.days) partitions_known.insert(day);
  committed(job->b, job->after);
  return true;
}

// A failed batch: everything prepared goes back; the head and the rules are read back at the reload.
void Service::Impl::abandon(const char* what, const char* error) {
  rules.reset();
  last_exec_ids.clear();
  last_fills.clear();
  tip = head;
  failed(what, error);
}

void Service::Impl::write_batch() {
  // Rows staged or read back from pending: the previous batch must be committed first (its pending
  // rows are read and deleted by this one).
  if (inflight && (pending_rows > 0 || !inflight->b.staged.empty()) && !settle()) return;
  auto job = prepare();
  if (!settle(&job) || !job) return;
  submit(std::move(job));
}

void Service::Impl::committed(Batch& b, const Head& h) {
  head = h;
  for (const auto* list : {&b.drained, &b.staged}) {
    for (const auto& [seq, rec] : *list) {
      if (!rec.durable) release(rec.partition, rec.offset);
    }
  }
  batches->Increment();
  rows_written->Increment(static_cast<double>(b.rows_count));
  rows_this_process += b.rows_count;
  staged->Increment(static_cast<double>(b.staged.size()));
  parked->Increment(static_cast<double>(b.parked.size()));
  for (const auto& p : b.parked) {
    if (p.held) release(p.rec.partition, p.rec.offset);
  }
  const auto now_ms = wall_ms();
  for (const auto ts : b.latencies_ms) latency->Observe(static_cast<double>(now_ms - ts) / 1000.0);
  head_gauge->Set(static_cast<double>(head.venue_seq));
  const std::int64_t logged_ns = steady_ns();  // the batch's alerts share one reading for the log throttle
  for (const auto& a : b.alerts) {
    auto rule = alerts_by_rule.find(a.rule);
    if (rule == alerts_by_rule.end())
      rule = alerts_by_rule.emplace(a.rule, &alerts_family->Add({{"rule", a.rule}})).first;
    rule->second->Increment();
    if (alert_lines.allow(logged_ns)) {
      VENUE_LOG_KV(warning, "surveillance alert",
                   {{"alert_id", a.id}, {"rule", a.rule}, {"summary", a.summary}, {"traceparent", a.traceparent}});
    }
    publish(a.id, alert_json(a), a.traceparent);
  }
  if (kill_after_rows > 0 && rows_this_process >= static_cast<std::uint64_t>(kill_after_rows)) {
    VENUE_LOG(warning) << "VENUE_COMPLIANCE_KILL_AFTER_ROWS reached: killing myself before the offset commit";
    std::raise(SIGKILL);
  }
  commit_offsets();
}

}  // namespace venue::compliance
