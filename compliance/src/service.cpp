// The compliance service's loop (see service.h for the contract). Longer than most files: the
// batch transaction, its rollback and the reload after a failure belong together.
#include "venue/compliance/service.h"

#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <pqxx/tablewriter>
#include <set>
#include <thread>
#include <unordered_map>

#include "venue/common/kafka.h"
#include "venue/common/log.h"
#include "venue/common/pg_migrations.h"
#include "venue/common/shutdown.h"
#include "venue/compliance/audit_row.h"
#include "venue/compliance/staging.h"
#include "venue/compliance/store.h"
#include "venue/compliance/surveillance.h"

namespace venue::compliance {

namespace fs = venue::fix_session;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

nlohmann::json headers_json(const Headers& h) {
  auto out = nlohmann::json::object();
  for (const auto& [k, v] : h) out[printable_utf8(k)] = printable_utf8(v);
  return out;
}

// A record as read from Kafka, kept until the chain reaches it.
struct Held {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::int64_t timestamp_ms = -1;
  Headers headers;
  std::string payload;
  bool durable = false;  // read back from the table pending: its offset was committed long ago
  std::int64_t arrived_ns = 0;
};

struct Parked {
  Held rec;
  std::optional<std::uint64_t> seq;
  std::string reason;
  bool held = false;  // its offset is in held_offsets until the park commits
};

struct HeadMoved : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

struct Service::Impl {
  Config cfg;
  std::shared_ptr<prometheus::Registry> registry;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> is_ready{false};

  std::unique_ptr<pqxx::connection> db;
  bool db_ready = false;
  bool migrated = false;
  std::int64_t next_attempt_ns = 0;
  std::int64_t backoff_ms = 100;

  // The writer thread and its connection (see "the batch pipeline" below).
  std::unique_ptr<pqxx::connection> wdb;
  std::mutex writer_mutex;
  std::condition_variable writer_cv;
  std::condition_variable writer_done_cv;
  struct Job;
  Job* writer_job = nullptr;  // guarded by writer_mutex
  bool writer_stop = false;   // guarded by writer_mutex
  std::unique_ptr<Job> inflight;

  // Replaced when librdkafka declares it failed for good (CMP030): what it read again is skipped by
  // venue-seq, and offsets are committed again once the new one has joined.
  kafka::GroupConsumer consumer{"CMP030", [this] { return make_consumer(); }};
  std::unique_ptr<kafka::Producer> producer;
  bool paused = false;

  // The chain as committed, and as prepared (the head after the batch in the writer and the one prepared).
  Head head;
  Head tip;
  std::vector<GapAck> acks;
  std::int64_t next_ack_reload_ns = 0;
  std::int64_t pending_rows = 0;  // rows in the table pending
  std::set<std::string> partitions_known;
  std::unique_ptr<Surveillance> rules;

  std::map<std::uint64_t, Held> buffer;
  std::map<std::int32_t, std::multiset<std::int64_t>> held_offsets;         // not durable yet, per partition
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> read_up_to;  // next offset per partition
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> committed_up_to;
  std::vector<Parked> to_park;

  std::vector<std::string> delivered_alerts;
  // The ExecIDs and fills of the batch prepared last (maybe still in the writer's transaction).
  std::unordered_map<std::string, std::uint64_t> last_exec_ids;
  std::unordered_map<std::string, std::uint64_t> last_fills;
  long kill_after_rows = 0;
  std::uint64_t rows_this_process = 0;
  std::uint64_t checkpoint_seq = 0;
  std::int64_t next_checkpoint_ns = 0;
  std::int64_t next_heartbeat_ns = 0;
  std::int64_t next_published_mark_ns = 0;
  // A line per alert, up to kAlertLinesPerSecond a second; a flood's others are counted in one line.
  static constexpr std::uint64_t kAlertLinesPerSecond = 20;
  log::Throttle alert_lines{kAlertLinesPerSecond};
  std::int64_t next_partitions_ns = 0;
  std::int64_t next_offset_commit_ns = 0;
  std::map<std::string, std::int64_t> verifications_seen;

  prometheus::Counter* consumed;
  prometheus::Counter* rows_written;
  prometheus::Counter* batches;
  prometheus::Counter* duplicates;
  prometheus::Counter* repeats;
  prometheus::Counter* busts;
  prometheus::Counter* busts_unmatched;
  prometheus::Counter* parked;
  prometheus::Counter* staged;
  prometheus::Counter* db_failures;
  prometheus::Counter* published;
  prometheus::Counter* publish_failures;
  prometheus::Counter* offset_commit_failures;
  prometheus::Counter* consumer_replacements;
  prometheus::Gauge* head_gauge;
  prometheus::Gauge* gap_gauge;
  prometheus::Gauge* waiting_gauge;
  prometheus::Gauge* db_up;
  prometheus::Gauge* last_verify_intact;
  prometheus::Histogram* latency;
  prometheus::Family<prometheus::Gauge>* lag_family;
  std::map<std::int32_t, prometheus::Gauge*> lag_gauges;
  prometheus::Family<prometheus::Counter>* alerts_family;
  std::map<std::string, prometheus::Counter*, std::less<>> alerts_by_rule;  // the family's counters, looked up once
  prometheus::Family<prometheus::Counter>* verifications_family;

  Impl(Config c, std::shared_ptr<prometheus::Registry> r) : cfg(std::move(c)), registry(std::move(r)) {
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

  // ----- start-up and recovery -----

  std::unique_ptr<kafka::Consumer> make_consumer() {
    auto c = std::make_unique<kafka::Consumer>(
        kafka::ConsumerSettings{
            .brokers = cfg.brokers,
            .group_id = cfg.group_id,
            .client_id = cfg.client_id,
            // Static membership: a restarted instance takes its partitions back at once.
            .properties = cfg.kafka.properties(
                {{"group.instance.id", cfg.group_id + "/" + cfg.client_id}, {"fetch.wait.max.ms", "10"}})},
        *registry);
    c->subscribe({cfg.topic});
    return c;
  }

  // A consumer failed for good (e.g. fenced after Kafka was away for about the group session while offsets
  // waited) is replaced. The new one starts at the committed offsets: what it reads again is at or below
  // the head or already held, skipped by venue-seq (while PostgreSQL is away, set_paused pauses what it
  // is assigned).
  void replace_consumer_if_failed() {
    if (consumer.replace_if_failed(steady_ns())) consumer_replacements->Increment();
  }

  void start_kafka() {
    if (!cfg.checkpoint_file.empty() && cfg.checkpoint_file.has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(cfg.checkpoint_file.parent_path(), ec);
    }
    consumer.start();
    producer = std::make_unique<kafka::Producer>(
        kafka::ProducerSettings{
            .brokers = cfg.brokers, .client_id = cfg.client_id + "-alerts", .properties = cfg.kafka.properties()},
        *registry, [this](const kafka::Delivery& d) {
          auto* id = static_cast<std::string*>(d.opaque);
          if (d.ok) {
            published->Increment();
            delivered_alerts.push_back(*id);
          } else {
            publish_failures->Increment();
            VENUE_LOG_KV(error, "alert not published; published again at the next start",
                         {{"alert_id", *id}, {"error", d.error}});
          }
          delete id;  // NOLINT(cppcoreguidelines-owning-memory): handed over in publish()
        });
  }

  // Connects, migrates and reads the committed state back; rebuilds the rules from the trail.
  bool reload() {
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

  void failed(const char* what, const char* error) {
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
  void replay_rules() {
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

  void publish_unpublished() {
    pqxx::work tx(*db);
    const auto rows = tx.exec(
        "select alert_id, rule, firm, account, owner, symbol, summary, figures::text, evidence::text, "
        "trigger_venue_seq, coalesce(traceparent, ''), (extract(epoch from event_time) * 1000000000)::bigint "
        "from compliance.alerts where published_at is null order by trigger_venue_seq");
    tx.commit();
    for (const auto& r : rows) {
      nlohmann::json j{{"alert_id", r[0].as<std::string>()},
                       {"rule", r[1].as<std::string>()},
                       {"firm", r[2].as<std::string>()},
                       {"account", r[3].as<std::string>()},
                       {"owner", r[4].as<std::string>()},
                       {"symbol", r[5].as<std::string>()},
                       {"summary", r[6].as<std::string>()},
                       {"event_time_ns", r[11].as<std::int64_t>()},
                       {"trigger", {{"venue_seq", r[9].as<std::uint64_t>()}}},
                       {"figures", nlohmann::json::parse(r[7].as<std::string>())},
                       {"evidence", nlohmann::json::parse(r[8].as<std::string>())}};
      publish(r[0].as<std::string>(), j, r[10].as<std::string>());
    }
  }

  void publish(const std::string& id, const nlohmann::json& j, const std::string& traceparent) {
    std::vector<kafka::Header> h;
    if (!traceparent.empty()) h.push_back({"traceparent", traceparent});
    auto* opaque = new std::string(id);  // NOLINT(cppcoreguidelines-owning-memory): freed by the delivery callback
    if (producer->produce(cfg.alerts_topic, id, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), h,
                          opaque) != kafka::Enqueue::kOk) {
      publish_failures->Increment();
      VENUE_LOG_KV(error, "alert not queued for Kafka; published again at the next start", {{"alert_id", id}});
      delete opaque;  // NOLINT(cppcoreguidelines-owning-memory)
    }
  }

  // ----- reading -----

  void take(RdKafka::Message& m) {
    consumed->Increment();
    Held h;
    h.topic = m.topic_name();
    h.partition = m.partition();
    h.offset = m.offset();
    const auto ts = m.timestamp();
    h.timestamp_ms = ts.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE ? -1 : ts.timestamp;
    // The headers straight from librdkafka's C API: the C++ wrapper (headers(), get_all()) allocates a
    // wrapper object, a vector and a copy of every key and value, per record.
    rd_kafka_headers_t* hs = nullptr;
    if (rd_kafka_message_headers(m.c_ptr(), &hs) == RD_KAFKA_RESP_ERR_NO_ERROR && hs != nullptr) {
      h.headers.reserve(rd_kafka_header_cnt(hs));
      const char* name = nullptr;
      const void* value = nullptr;
      std::size_t size = 0;
      for (std::size_t i = 0; rd_kafka_header_get_all(hs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        h.headers.emplace_back(name,
                               value == nullptr ? std::string() : std::string(static_cast<const char*>(value), size));
      }
    }
    h.payload.assign(static_cast<const char*>(m.payload()), m.len());
    h.arrived_ns = steady_ns();
    read_up_to[{h.topic, h.partition}] = h.offset + 1;
    const auto seq = venue_seq_header(h.headers);
    if (!seq) {
      std::string why;
      if (fs::read_report_record(h.payload, h.headers, &why)) why = "venue-seq header out of range";
      park(std::move(h), std::nullopt, why);
      return;
    }
    if (*seq <= head.venue_seq) {
      if (std::any_of(acks.begin(), acks.end(), [&](const GapAck& a) { return *seq >= a.from && *seq <= a.to; })) {
        late_arrival(std::move(h), *seq);
        return;
      }
      duplicates->Increment();
      return;
    }
    if (buffer.contains(*seq)) {
      duplicates->Increment();
      return;
    }
    held_offsets[h.partition].insert(h.offset);
    buffer.emplace(*seq, std::move(h));
  }

  // A record of a venue-seq the chain passed over (acknowledged lost): parked unless it is a duplicate.
  void late_arrival(Held h, std::uint64_t seq) {
    if (!db) {
      park(std::move(h), seq, "arrived after venue-seq " + std::to_string(seq) + " was acknowledged as lost");
      return;
    }
    try {
      pqxx::work tx(*db);
      const bool stored =
          !tx.exec_params("select 1 from compliance.audit where venue_seq = $1", static_cast<std::int64_t>(seq))
               .empty();
      tx.commit();
      if (stored) {
        duplicates->Increment();
        return;
      }
    } catch (const std::exception& e) {
      VENUE_LOG_KV(warning, "cannot check a late record; parked", {{"venue_seq", seq}, {"error", e.what()}});
    }
    park(std::move(h), seq, "arrived after venue-seq " + std::to_string(seq) + " was acknowledged as lost");
  }

  void park(Held h, std::optional<std::uint64_t> seq, std::string reason) {
    VENUE_LOG_KV(error, "bad record parked",
                 {{"partition", h.partition},
                  {"offset", h.offset},
                  {"venue_seq", seq ? std::to_string(*seq) : ""},
                  {"reason", reason},
                  {"traceparent", [&] {
                     for (const auto& [k, v] : h.headers) {
                       if (k == "traceparent") return printable_utf8(v);
                     }
                     return std::string();
                   }()}});
    held_offsets[h.partition].insert(h.offset);
    to_park.push_back({std::move(h), seq, std::move(reason), true});
  }

  bool acknowledged(std::uint64_t from, std::uint64_t to) const {
    for (std::uint64_t s = from; s <= to;) {
      const auto it = std::find_if(acks.begin(), acks.end(), [&](const GapAck& a) { return s >= a.from && s <= a.to; });
      if (it == acks.end()) return false;
      s = it->to + 1;
    }
    return true;
  }

  void release(std::int32_t partition, std::int64_t offset) {
    auto& offsets = held_offsets[partition];
    if (const auto it = offsets.find(offset); it != offsets.end()) offsets.erase(it);
  }

  // ----- writing -----

  struct Batch {
    std::vector<AuditRow> rows;
    // The rows as COPY text, written as each row is chained (on the main thread, while the writer has
    // the batch before in PostgreSQL): the writer's transaction only sends it.
    std::string copy;
    std::vector<std::pair<std::uint64_t, Held>> drained;
    std::vector<std::pair<std::uint64_t, Held>> staged;
    std::vector<Parked> parked;
    std::vector<Alert> alerts;
    std::vector<std::int64_t> latencies_ms;
    std::set<std::string> days;  // trading days of the rows whose partition may be missing
    std::size_t rows_count = 0;  // rows.size(), kept after the writer frees the rows
  };

  // Loads the pending rows between the chain's tip and the first record held (all of them when none is
  // held), up to 20,000, when the record the chain needs next is not held. Records are staged at any
  // time, also after others were read back, so the stretch is looked up each time the chain waits (an
  // index range scan; empty when the record is really missing).
  void load_pending(pqxx::transaction_base& tx) {
    if (pending_rows == 0) return;
    auto below = static_cast<std::uint64_t>(INT64_MAX);
    if (!buffer.empty()) {
      if (buffer.begin()->first == tip.venue_seq + 1) return;
      below = buffer.begin()->first;
    }
    const auto rows = tx.exec_params(
        "select venue_seq, kafka_partition, kafka_offset, kafka_timestamp_ms, headers::text, payload "
        "from compliance.pending where venue_seq > $1 and venue_seq < $2 order by venue_seq limit 20000",
        static_cast<std::int64_t>(tip.venue_seq), static_cast<std::int64_t>(below));
    for (const auto& r : rows) {
      Held h;
      h.partition = r[1].as<std::int32_t>();
      h.offset = r[2].as<std::int64_t>();
      h.timestamp_ms = r[3].as<std::int64_t>();
      const auto stored = nlohmann::json::parse(r[4].as<std::string>());
      for (const auto& [k, v] : stored.items()) h.headers.emplace_back(k, v.get<std::string>());
      const pqxx::binarystring payload(r[5]);
      h.payload = payload.str();
      h.topic = cfg.topic;
      h.durable = true;
      h.arrived_ns = steady_ns();
      buffer.emplace(r[0].as<std::uint64_t>(), std::move(h));
    }
  }

  // A fill's keys among the batch's fills: its ExecID, and "\x01<OrderID>\x01<TrdMatchID>".
  static std::string fill_key(std::string_view order_id, std::string_view trd_match_id) {
    std::string k = "\x01";
    k += order_id;
    k += '\x01';
    k += trd_match_id;
    return k;
  }

  // A trade bust (ExecType H) points at the fill it cancels: ExecRefID(19) when the venue sent one,
  // else the fill of the same OrderID and TrdMatchID (spec/compliance.md, "Trade busts"). A bust of a
  // fill not in the trail is stored as sent, bust_of_venue_seq NULL, logged and counted.
  void link_bust(pqxx::transaction_base& tx, const fs::ReportRecord& r, AuditRow& row,
                 const std::unordered_map<std::string, std::uint64_t>& batch_fills) {
    // This batch's fills, then the batch before it (maybe not committed yet), then the trail.
    const auto in_batches = [&](const std::string& key) -> std::optional<std::uint64_t> {
      if (auto f = batch_fills.find(key); f != batch_fills.end()) return f->second;
      if (auto f = last_fills.find(key); f != last_fills.end()) return f->second;
      return std::nullopt;
    };
    const std::string ref(r.fix.text(kExecRefIdTag));
    const std::string order_id(r.fix.text(fs::tags::kOrderID));
    const std::string match(r.fix.text(fs::tags::kTrdMatchID));
    std::optional<std::uint64_t> fill;
    if (!ref.empty()) {
      if (auto f = in_batches(ref)) {
        fill = f;
      } else {
        const auto q = tx.exec_params(
            "select venue_seq from compliance.audit where exec_id = $1 and exec_type = 'F' and repeat_of_venue_seq is "
            "null order by venue_seq limit 1",
            ref);
        if (!q.empty()) fill = q[0][0].as<std::uint64_t>();
      }
    } else if (!order_id.empty() && !match.empty()) {
      if (auto f = in_batches(fill_key(order_id, match))) {
        fill = f;
      } else {
        const auto q = tx.exec_params(
            "select venue_seq from compliance.audit where order_id = $1 and trd_match_id = $2 and exec_type = 'F' "
            "and repeat_of_venue_seq is null order by venue_seq limit 1",
            order_id, match);
        if (!q.empty()) fill = q[0][0].as<std::uint64_t>();
      }
    }
    busts->Increment();
    if (fill) {
      row.set(kBustOf, std::to_string(*fill));
      VENUE_LOG_KV(warning, "trade bust stored",
                   {{"venue_seq", r.venue_seq},
                    {"exec_id", std::string(r.fix.text(fs::tags::kExecID))},
                    {"busted_venue_seq", *fill},
                    {"exec_ref_id", ref},
                    {"traceparent", r.traceparent}});
    } else {
      busts_unmatched->Increment();
      VENUE_LOG_KV(error, "trade bust of a fill not in the audit trail (stored, bust_of_venue_seq NULL)",
                   {{"venue_seq", r.venue_seq},
                    {"exec_id", std::string(r.fix.text(fs::tags::kExecID))},
                    {"exec_ref_id", ref},
                    {"order_id", order_id},
                    {"trd_match_id", match},
                    {"traceparent", r.traceparent}});
    }
  }

  void drain(pqxx::transaction_base& tx, Batch& b, Head& h) {
    std::unordered_map<std::string, std::uint64_t> batch_exec_ids;
    std::unordered_map<std::string, std::uint64_t> batch_fills;
    const auto max_rows = static_cast<std::size_t>(cfg.max_batch) * 2;
    b.rows.reserve(std::min(max_rows, buffer.size()));
    b.drained.reserve(std::min(max_rows, buffer.size()));
    b.copy.reserve(std::min(max_rows, buffer.size()) * 700);
    batch_exec_ids.reserve(std::min(max_rows, buffer.size()));
    batch_fills.reserve(std::min(max_rows, buffer.size()));
    while (!buffer.empty() && b.rows.size() < max_rows) {
      auto it = buffer.begin();
      const std::uint64_t seq = it->first;
      if (seq <= h.venue_seq) {
        b.drained.emplace_back(seq, std::move(it->second));
        buffer.erase(it);
        duplicates->Increment();
        continue;
      }
      if (seq != h.venue_seq + 1 && !acknowledged(h.venue_seq + 1, seq - 1)) break;
      Held rec = std::move(it->second);
      buffer.erase(it);
      std::string why;
      AuditRow row;
      if (auto r = fs::read_report_record(rec.payload, rec.headers, &why)) {
        r->topic = rec.topic;
        r->partition = rec.partition;
        r->offset = rec.offset;
        r->timestamp_ms = rec.timestamp_ms;
        std::string field_error;
        row = row_from_record(*r, &field_error);
        if (!field_error.empty()) {
          b.parked.push_back({rec, seq, "field out of range: " + field_error});
        } else {
          const auto exec_id = r->fix.text(fs::tags::kExecID);
          if (r->poss_resend() && !exec_id.empty()) {
            std::optional<std::uint64_t> first;
            if (auto f = batch_exec_ids.find(std::string(exec_id)); f != batch_exec_ids.end()) {
              first = f->second;
            } else if (auto l = last_exec_ids.find(std::string(exec_id)); l != last_exec_ids.end()) {
              first = l->second;
            } else {
              const auto q =
                  tx.exec_params("select venue_seq from compliance.audit where exec_id = $1 order by venue_seq limit 1",
                                 std::string(exec_id));
              if (!q.empty()) first = q[0][0].as<std::uint64_t>();
            }
            if (first) {
              row.set(kRepeatOf, std::to_string(*first));
              repeats->Increment();
              VENUE_LOG_KV(info, "PossResend report stored as a repeat",
                           {{"venue_seq", seq},
                            {"exec_id", std::string(exec_id)},
                            {"repeat_of", *first},
                            {"traceparent", r->traceparent}});
            }
          }
          // The first row of this ExecID (a repeat points at the original, not at an earlier repeat).
          if (!exec_id.empty()) {
            const auto& first_seq = row.v[kRepeatOf];
            batch_exec_ids.emplace(std::string(exec_id), first_seq ? std::stoull(*first_seq) : seq);
          }
          if (r->exec_type == 'H' && !row.v[kRepeatOf]) link_bust(tx, *r, row, batch_fills);
          if (r->exec_type == 'F' && !row.v[kRepeatOf]) {
            batch_fills.emplace(std::string(exec_id), seq);
            batch_fills.emplace(fill_key(r->fix.text(fs::tags::kOrderID), r->fix.text(fs::tags::kTrdMatchID)), seq);
          }
          if (!row.v[kRepeatOf]) {
            if (auto e = event_from_record(*r)) rules->on_event(*e, b.alerts);
          }
        }
      } else {
        row = row_from_bad_record(seq, rec.headers, rec.payload, rec.partition, rec.offset, rec.timestamp_ms, why);
        b.parked.push_back({rec, seq, why});
      }
      row.set(kSkippedBefore, std::to_string(seq - h.venue_seq - 1));
      if (seq != h.venue_seq + 1) {
        VENUE_LOG_KV(warning, "chain passes over acknowledged lost venue-seqs",
                     {{"from", h.venue_seq + 1}, {"to", seq - 1}});
      }
      row.prev_hash = h.row_hash;
      row.row_hash = chain_hash(row.prev_hash, row);
      h.row_hash = row.row_hash;
      h.venue_seq = seq;
      ++h.rows;
      if (rec.timestamp_ms >= 0) b.latencies_ms.push_back(rec.timestamp_ms);
      if (!partitions_known.contains(*row.v[kTradingDay])) b.days.insert(*row.v[kTradingDay]);
      append_copy_line(row, b.copy);
      b.rows.push_back(std::move(row));
      b.drained.emplace_back(seq, std::move(rec));
    }
    // What waits behind a gap too long, or the excess over max_buffered, goes to the table pending.
    take_to_stage(buffer, cfg.max_buffered, steady_ns() - cfg.stage_after_ms * 1'000'000, b.staged);
    last_exec_ids = std::move(batch_exec_ids);
    last_fills = std::move(batch_fills);
  }

  // Puts a failed batch's records back (the transaction did not commit, or its outcome is unknown: the
  // reload reads the head back and skips what did commit). Their offsets were never released.
  void roll_back(Batch& b) {
    for (auto* list : {&b.drained, &b.staged}) {
      for (auto& [seq, rec] : *list) buffer.emplace(seq, std::move(rec));
    }
    for (auto& p : b.parked) {
      if (p.held) to_park.push_back(std::move(p));
    }
  }

  // ----- the batch pipeline -----
  //
  // The main thread prepares batch N+1 (reads Kafka, orders, parses, runs the rules, hashes) while the
  // writer thread has batch N's transaction in PostgreSQL (COPY, alerts, head, commit and its fsync).
  // One batch at most is in the writer: batch N+1 is handed over only after N committed, so the chain is
  // still written batch after batch, each transaction checking that the head it builds on is the one
  // committed. Nothing of N+1 is acknowledged to Kafka (its offsets stay held) until N+1 itself commits.
  // Where the table pending is involved (rows staged, or read back) the two do not overlap.

  struct Job {
    Batch b;
    Head before;  // the head the batch's first row chains to: the committed head when it runs
    Head after;
    std::int64_t pending_before = 0;
    // Set by the writer:
    std::int64_t pending_after = 0;
    std::string error;
  };

  // Prepares the next batch over the main connection (lookups only). Null when there is nothing to write.
  std::unique_ptr<Job> prepare() {
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
  void execute(Job& job) {
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
            static_cast<std::int64_t>(seq), rec.partition, rec.offset, rec.timestamp_ms,
            headers_json(rec.headers).dump(), pqxx::binarystring(rec.payload));
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

  void writer_loop() {
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

  void submit(std::unique_ptr<Job> job) {
    inflight = std::move(job);
    const std::lock_guard lock(writer_mutex);
    writer_job = inflight.get();
    writer_cv.notify_all();
  }

  // Waits for the batch in the writer. Committed: its effects (offsets released, metrics, alerts
  // published). Failed: it and `also` (prepared on top of it) go back to the buffer and the process
  // reloads from the database. False when it failed.
  bool settle(std::unique_ptr<Job>* also = nullptr) {
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
  void abandon(const char* what, const char* error) {
    rules.reset();
    last_exec_ids.clear();
    last_fills.clear();
    tip = head;
    failed(what, error);
  }

  void write_batch() {
    // Rows staged or read back from pending: the previous batch must be committed first (its pending
    // rows are read and deleted by this one).
    if (inflight && (pending_rows > 0 || !inflight->b.staged.empty()) && !settle()) return;
    auto job = prepare();
    if (!settle(&job) || !job) return;
    submit(std::move(job));
  }

  void committed(Batch& b, const Head& h) {
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
    for (const auto& a : b.alerts) {
      auto rule = alerts_by_rule.find(a.rule);
      if (rule == alerts_by_rule.end())
        rule = alerts_by_rule.emplace(a.rule, &alerts_family->Add({{"rule", a.rule}})).first;
      rule->second->Increment();
      if (alert_lines.allow(steady_ns())) {
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

  // Kafka offsets, at most every 100 ms (a commit is a broker round trip; what is committed later is only
  // read again after a crash and skipped by venue-seq), or at once when `now` is asked.
  void commit_offsets(bool now = false) {
    if (!now && steady_ns() < next_offset_commit_ns) return;
    next_offset_commit_ns = steady_ns() + 100'000'000;
    std::vector<kafka::Consumer::Position> out;
    for (const auto& [tp, next] : read_up_to) {
      std::int64_t pos = next;
      if (const auto it = held_offsets.find(tp.second); it != held_offsets.end() && !it->second.empty()) {
        pos = std::min(pos, *it->second.begin());
      }
      auto& done = committed_up_to[tp];
      if (pos > done) out.push_back({tp.first, tp.second, pos});
    }
    if (out.empty() || !consumer.may_commit(steady_ns())) return;
    if (consumer->commit(out)) {
      for (const auto& p : out) committed_up_to[{p.topic, p.partition}] = p.next_offset;
    } else {
      offset_commit_failures->Increment();
    }
  }

  // ----- housekeeping -----

  // The alerts whose line a flood left out (alert_lines), in one line once their second is over.
  void say_alerts_left_out(std::int64_t now) {
    if (const auto n = alert_lines.left_out(now)) {
      VENUE_LOG_KV(warning, "surveillance alerts not logged one by one",
                   {{"alerts", n},
                    {"lines_per_second", kAlertLinesPerSecond},
                    {"where", "every alert: `compliance alerts list`, compliance.alerts, the alerts topic"}});
    }
  }

  // final: at shutdown, when the alerts delivered since the last marking are marked whatever the time.
  void housekeeping(bool final = false) {
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

  void write_checkpoint() {
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
  nlohmann::json gaps(std::uint64_t& missing) const {
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

  void heartbeat() {
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
  void set_paused(bool pause) {
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

  void run() {
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
        auto m = consumer->poll(
            n == 0 ? 100 : static_cast<int>(std::max<std::int64_t>(1, cfg.max_batch_wait_ms - waited_ms)));
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
};

Service::Service(Config config, std::shared_ptr<prometheus::Registry> registry)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(registry))) {}
Service::~Service() = default;
void Service::run() { impl_->run(); }
void Service::request_stop() { impl_->stop_requested = true; }
bool Service::ready() const { return impl_->is_ready.load(); }

}  // namespace venue::compliance
