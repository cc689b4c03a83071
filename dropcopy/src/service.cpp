#include "venue/dropcopy/service.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>

#include "venue/common/kafka.h"
#include "venue/common/log.h"
#include "venue/common/shutdown.h"
#include "venue/dropcopy/cursor.h"
#include "venue/fix_session/acceptor.h"
#include "venue/fix_session/auth.h"
#include "venue/fix_session/fix_text.h"
#include "venue/fix_session/json_log.h"
#include "venue/fix_session/logon_policy.h"
#include "venue/fix_session/message_store.h"
#include "venue/fix_session/session_settings.h"

namespace venue::dropcopy {

namespace fg = venue::fix_session;

namespace {

constexpr int kVenueSequenceTag = 8001;
constexpr int kCopyMsgIndicatorTag = 797;
// Kafka is read from this long before a catch-up mark's TransactTime (records carry their produce time,
// which is later than the TransactTime, unless the clock stepped back).
constexpr std::int64_t kCatchUpMarginMs = 5000;

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct Service::Impl final : FIX::Application {
  Config cfg;
  std::shared_ptr<prometheus::Registry> registry;

  struct CatchUpRun;
  struct Session {
    const SessionConfig* cfg = nullptr;
    FIX::SessionID id;
    FIX::Session* fix = nullptr;
    std::set<std::string> firms;
    std::set<std::string> accounts;
    // Venue seqs of the copies last stored before a restart: not copied again.
    std::unordered_set<std::uint64_t> already_stored;
    // Those of them a reset emptied from the store: the client may have had them, so when they are read
    // again they are copied with PossResend(97)=Y.
    std::unordered_set<std::uint64_t> maybe_sent;
    std::uint64_t last_seq = 0;  // highest venue seq in the store
    std::int64_t last_ns = 0;    // its TransactTime
    Mark sent;                   // highest venue seq sent to the client while it was logged on
    std::filesystem::path cursor_file;
    bool cursor_dirty = true;
    std::uint64_t store_resets = 0;
    // Copies this session must get from Kafka before anything else: every report in its scope with a
    // venue seq above this mark, up to what the other sessions already have (see CatchUpRun).
    std::optional<Mark> catch_up_from;
    std::string catch_up_reason;
    // Where the main path had read each partition when the catch-up was asked for: records from there on
    // were never sent to the session, whatever their venue seq (partitions are read unevenly, so a
    // record below the mark may still have been unread). Partitions missing: the run's starting position.
    std::map<std::int32_t, std::int64_t> catch_up_floor;
    CatchUpRun* run = nullptr;  // the catch-up in progress that serves it (see CatchUpRun)
    prometheus::Counter* caught_up = nullptr;
    prometheus::Gauge* waiting_gauge = nullptr;  // copies stored while the client was away, since its last Logon
    std::int64_t waiting = 0;
    prometheus::Counter* delivered = nullptr;
    prometheus::Counter* skipped_duplicates = nullptr;
    prometheus::Gauge* last_seq_gauge = nullptr;
    prometheus::Gauge* delay_gauge = nullptr;
  };
  std::vector<Session> sessions;
  std::map<FIX::SessionID, std::size_t> index;

  fg::LogonPolicy gate;  // who may log on (the same rules, lock-out included, as order entry)
  std::unique_ptr<fg::VenueStoreFactory> stores;
  std::unique_ptr<fg::JsonLogFactory> logs;
  std::unique_ptr<FIX::SessionSettings> settings;
  std::unique_ptr<fg::VenueAcceptor> acceptor;
  std::unique_ptr<fg::AcceptorMetrics> acceptor_metrics;
  std::unique_ptr<kafka::Consumer> consumer;

  std::atomic<bool> stop_requested{false};
  std::atomic<bool> is_ready{false};

  prometheus::Counter* consumed = nullptr;
  prometheus::Counter* malformed = nullptr;
  prometheus::Counter* refused_app = nullptr;
  prometheus::Counter* commit_retries = nullptr;
  prometheus::Counter* reread = nullptr;
  // VENUE_DROPCOPY_KILL_AFTER_COPIES=N (tests only): SIGKILL itself once the batch holding the N-th copy
  // is written to the stores and sent to the clients, before its offsets are committed. 0: never.
  long kill_after_copies = 0;
  bool kill_after_flush = false;
  // Per topic and partition: the offset after the last record this process copied.
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> copied_up_to;
  prometheus::Family<prometheus::Gauge>* lag_family = nullptr;
  std::map<std::int32_t, prometheus::Gauge*> lag_by_partition;
  prometheus::Counter* catch_up_failures = nullptr;
  std::int64_t next_catch_up_try = 0;

  Impl(Config c, std::shared_ptr<prometheus::Registry> r) : cfg(std::move(c)), registry(std::move(r)) {
    auto& reg = *registry;
    gate.on_authenticated = [](const FIX::SessionID& id, std::string_view address, bool tls) {
      VENUE_LOG_KV(info, "drop-copy logon authenticated",
                   {{"session", id.toString()}, {"peer", std::string(address)}, {"tls", tls}});
    };
    consumed = &prometheus::BuildCounter()
                    .Name("dropcopy_reports_consumed_total")
                    .Help("Reports read from Kafka")
                    .Register(reg)
                    .Add({});
    malformed = &prometheus::BuildCounter()
                     .Name("dropcopy_reports_malformed_total")
                     .Help("Kafka records that were not a FIX message (logged and skipped)")
                     .Register(reg)
                     .Add({});
    refused_app = &prometheus::BuildCounter()
                       .Name("dropcopy_application_messages_refused_total")
                       .Help("Application messages from drop-copy clients, refused")
                       .Register(reg)
                       .Add({});
    commit_retries = &prometheus::BuildCounter()
                          .Name("dropcopy_commit_retries_total")
                          .Help("Offset commits tried again (reading waits until the commit succeeds)")
                          .Register(reg)
                          .Add({});
    reread = &prometheus::BuildCounter()
                  .Name("dropcopy_reports_reread_total")
                  .Help("Records read again after a rebalance, already copied (skipped)")
                  .Register(reg)
                  .Add({});
    catch_up_failures = &prometheus::BuildCounter()
                             .Name("dropcopy_catch_up_failures_total")
                             .Help("Catch-up reads from Kafka that failed (Kafka unreachable; tried again)")
                             .Register(reg)
                             .Add({});
    lag_family = &prometheus::BuildGauge()
                      .Name("dropcopy_consumer_lag")
                      .Help("Reports on Kafka not yet read, per partition")
                      .Register(reg);
  }

  void start() {
    if (const char* k = std::getenv("VENUE_DROPCOPY_KILL_AFTER_COPIES"))
      kill_after_copies = std::strtol(k, nullptr, 10);
    std::filesystem::create_directories(cfg.store_dir);
    settings = std::make_unique<FIX::SessionSettings>();
    settings->set(fg::acceptor_defaults({.comp_id = cfg.comp_id,
                                         .session_start_time = cfg.session_start_time,
                                         .session_end_time = cfg.session_end_time,
                                         .data_dictionary = cfg.data_dictionary,
                                         .store_dir = cfg.store_dir}));
    sessions.resize(cfg.sessions.size());
    auto& reg = *registry;
    auto& delivered_family = prometheus::BuildCounter()
                                 .Name("dropcopy_copies_delivered_total")
                                 .Help("Copies stored for a session (sent when it is logged on)")
                                 .Register(reg);
    auto& dup_family = prometheus::BuildCounter()
                           .Name("dropcopy_duplicates_skipped_total")
                           .Help("Reports a session already had (after a restart)")
                           .Register(reg);
    auto& seq_family = prometheus::BuildGauge()
                           .Name("dropcopy_session_last_venue_seq")
                           .Help("Venue seq of the last copy a session got")
                           .Register(reg);
    auto& delay_family = prometheus::BuildGauge()
                             .Name("dropcopy_session_delay_seconds")
                             .Help("Venue TransactTime to copy, last copy")
                             .Register(reg);
    auto& waiting_family = prometheus::BuildGauge()
                               .Name("dropcopy_session_copies_waiting")
                               .Help("Copies stored for a session while its client was logged out, not yet sent")
                               .Register(reg);
    auto& caught_up_family =
        prometheus::BuildCounter()
            .Name("dropcopy_copies_caught_up_total")
            .Help("Copies a session got from Kafka because its store was behind (marked PossResend)")
            .Register(reg);
    for (std::size_t i = 0; i < cfg.sessions.size(); ++i) {
      const auto& sc = cfg.sessions[i];
      const FIX::SessionID id = fg::add_session(*settings, cfg.comp_id, sc.sender_comp_id);
      Session& s = sessions[i];
      s.cfg = &sc;
      s.id = id;
      fg::LogonRules rules{sc.username, sc.password_hash, {}, sc.tls};
      for (const auto& a : sc.allow_from) {
        if (auto cidr = fg::parse_cidr(a)) rules.allow.push_back(*cidr);
      }
      gate.set(id, std::move(rules));
      s.firms.insert(sc.firms.begin(), sc.firms.end());
      s.accounts.insert(sc.accounts.begin(), sc.accounts.end());
      const std::map<std::string, std::string> labels{{"session", sc.sender_comp_id}};
      s.delivered = &delivered_family.Add(labels);
      s.skipped_duplicates = &dup_family.Add(labels);
      s.last_seq_gauge = &seq_family.Add(labels);
      s.delay_gauge = &delay_family.Add(labels);
      s.caught_up = &caught_up_family.Add(labels);
      s.waiting_gauge = &waiting_family.Add(labels);
      s.cursor_file = cfg.store_dir / ("FIX.4.4-" + cfg.comp_id + "-" + sc.sender_comp_id + ".cursor");
      index[id] = i;
    }
    stores = std::make_unique<fg::VenueStoreFactory>(cfg.store_dir.string());
    logs = std::make_unique<fg::JsonLogFactory>();
    fg::AcceptorSettings as;
    as.plain_port = cfg.fix_port;
    as.tls_port = cfg.tls_port;
    as.tls_certificate = cfg.tls_certificate.string();
    as.tls_private_key = cfg.tls_private_key.string();
    as.comp_id = cfg.comp_id;
    as.supported_app_types = {"D", "F", "G", "H", "q"};  // refused with 380=6 rather than 380=3
    acceptor = std::make_unique<fg::VenueAcceptor>(*this, *stores, *settings, *logs, as, gate);
    acceptor_metrics = std::make_unique<fg::AcceptorMetrics>(*registry, "dropcopy");
    for (auto& s : sessions) {
      s.fix = acceptor->getSession(s.id);
      remember_stored(s);
      check_store(s);
    }
    // A catch-up due is on disk before any offset moves past what it will copy.
    write_cursors();
    consumer = std::make_unique<kafka::Consumer>(
        kafka::ConsumerSettings{.brokers = cfg.brokers,
                                .group_id = cfg.group_id,
                                .client_id = cfg.client_id,
                                // Static membership: a restarted instance takes its place in the
                                // group at once instead of waiting for the old member's session to
                                // time out (45 s), so a crash does not hold the copies back.
                                .properties = {{"fetch.wait.max.ms", "5"},
                                               {"fetch.min.bytes", "1"},
                                               {"group.instance.id", cfg.group_id + "/" + cfg.client_id}}},
        *registry);
    consumer->subscribe({cfg.topic});
    acceptor->poll(0);
    is_ready = true;
    VENUE_LOG_KV(info, "drop copy ready",
                 {{"fix_port", acceptor->plain_port()},
                  {"topic", cfg.topic},
                  {"group", cfg.group_id},
                  {"sessions", sessions.size()}});
  }

  // The venue seqs of a session's most recent copies, read back from its store: a restart does not copy
  // them again. Anything older was committed to Kafka before and is not read again.
  void remember_stored(Session& s) {
    if (s.fix == nullptr) return;
    const FIX::MessageStore* store = s.fix->getStore();
    // Counted in copies, not in sequence numbers: Logons, Logouts and heartbeats take numbers too
    // without being stored, and a window of numbers could hold too few copies (then copies read again
    // after a crash were copied twice). Never more than max_batch records are stored but uncommitted.
    const std::size_t want = static_cast<std::size_t>(cfg.max_batch) * 2 + 100;
    const int chunk = static_cast<int>(want);
    int hi = store->getNextSenderMsgSeqNum() - 1;
    std::size_t copies = 0;
    std::vector<std::string> stored;
    while (hi >= 1 && copies < want) {
      const int lo = std::max(1, hi - chunk + 1);
      try {
        store->get(lo, hi, stored);
      } catch (const std::exception& e) {
        VENUE_LOG_KV(warning, "cannot read back a session's store",
                     {{"session", s.cfg->sender_comp_id}, {"error", e.what()}});
        return;
      }
      for (const auto& raw : stored) {
        const auto seq_text = fg::raw_field(raw, "8001");
        if (!seq_text) continue;
        const std::uint64_t seq = std::strtoull(std::string(*seq_text).c_str(), nullptr, 10);
        s.already_stored.insert(seq);
        ++copies;
        if (seq >= s.last_seq) {
          s.last_seq = seq;
          if (auto t = fg::parse_utc_timestamp(fg::raw_field(raw, "60").value_or(""))) s.last_ns = *t;
        }
      }
      hi = lo - 1;
    }
    if (!s.already_stored.empty()) {
      VENUE_LOG_KV(
          info, "copies already stored will not be copied again",
          {{"session", s.cfg->sender_comp_id}, {"count", s.already_stored.size()}, {"last_venue_seq", s.last_seq}});
    }
  }

  // Decides at start-up whether a session's store is behind: it holds fewer messages than when its cursor
  // was written (the store was lost, deleted or restored from an older copy), or there is no cursor at all
  // (a new session, or the whole store folder was lost). Such a session is caught up from Kafka.
  void check_store(Session& s) {
    if (s.fix == nullptr) return;
    if (const auto* vs = stores->find(s.id)) s.store_resets = vs->resets();
    std::optional<Cursor> cursor;
    if (std::filesystem::exists(s.cursor_file)) {
      std::ifstream in(s.cursor_file);
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      cursor = parse_cursor(text);
      if (!cursor) {
        VENUE_LOG_KV(warning, "DC001 drop-copy cursor file unreadable: the store is checked against Kafka instead",
                     {{"session", s.cfg->sender_comp_id}, {"file", s.cursor_file.string()}});
      }
    }
    const Mark in_store{s.last_seq, s.last_ns};
    if (cursor) {
      s.sent = cursor->sent;
      if (cursor->catch_up) request_catch_up(s, *cursor->catch_up, "catch-up not finished before the stop");
      // Sequence numbers only grow in a store (a reset rewrites the cursor at once): fewer than when the
      // cursor was written means messages were lost.
      if (s.fix->getStore()->getNextSenderMsgSeqNum() < cursor->store_seq) {
        request_catch_up(s, in_store, "store behind its cursor (lost or restored)");
      }
    } else {
      // Nothing to compare with: everything in scope above what the store holds, which is cheap when
      // the store is intact (Kafka is read from a few seconds before its last copy).
      s.sent = in_store;
      request_catch_up(s, in_store, in_store.seq == 0 ? "new or empty store" : "no cursor");
    }
  }

  void request_catch_up(Session& s, Mark from, std::string reason) {
    if (s.catch_up_from && s.catch_up_from->seq <= from.seq) return;
    s.catch_up_from = from;
    s.catch_up_reason = std::move(reason);
    s.cursor_dirty = true;
    s.catch_up_floor.clear();
    for (const auto& [tp, next] : copied_up_to) {
      if (tp.first == cfg.topic) s.catch_up_floor[tp.second] = next;
    }
  }

  void write_cursors() {
    for (auto& s : sessions) {
      if (!s.cursor_dirty || s.fix == nullptr) continue;
      const auto tmp = s.cursor_file.string() + ".new";
      {
        std::ofstream out(tmp, std::ios::trunc);
        out << cursor_text({.store_seq = s.fix->getStore()->getNextSenderMsgSeqNum(),
                            .stored = {s.last_seq, s.last_ns},
                            .sent = s.sent,
                            .catch_up = s.catch_up_from});
        if (!out.flush()) {
          VENUE_LOG_KV(warning, "DC002 cannot write a drop-copy cursor",
                       {{"session", s.cfg->sender_comp_id}, {"file", tmp}});
          continue;
        }
      }
      std::error_code ec;
      std::filesystem::rename(tmp, s.cursor_file, ec);
      if (ec) {
        VENUE_LOG_KV(warning, "DC002 cannot write a drop-copy cursor",
                     {{"session", s.cfg->sender_comp_id}, {"error", ec.message()}});
        continue;
      }
      s.cursor_dirty = false;
    }
  }

  // A catch-up in progress. A separate consumer (not a group member, never commits) reads every partition
  // from a few seconds before the sessions' marks (or catch_up_hours back) and copies to the catching-up
  // sessions the records in their scope above their marks, marked PossResend(97)=Y, until on each
  // partition it reaches where the main consumer is; from that offset on ("handover") the main path
  // copies that partition to them again. Meanwhile the main path keeps serving every other session and
  // skips the catching-up ones below the handover, so each order's reports reach them once and in order.
  struct CatchUpRun {
    std::unique_ptr<kafka::Consumer> reader;
    std::vector<Session*> sessions;
    std::map<std::int32_t, std::int64_t> base;         // the main position per partition when it began
    std::map<std::int32_t, std::int64_t> reader_next;  // the reader's next offset per partition
    std::map<std::int32_t, std::int64_t> handover;     // partitions the main path copies again, from here
    std::unordered_set<std::uint64_t> delivered;       // venue seqs copied (the venue may publish one twice)
    std::map<const Session*, std::int64_t> copied;
    std::int64_t read = 0;
    std::int64_t started_ns = 0;
  };
  // Several may run at once (a client resetting while another session rebuilds a day must not wait for it).
  std::list<CatchUpRun> catch_up_runs;

  std::int64_t main_position(const CatchUpRun& r, std::int32_t partition) const {
    std::int64_t pos = 0;
    if (auto it = r.base.find(partition); it != r.base.end()) pos = it->second;
    if (auto it = copied_up_to.find({cfg.topic, partition}); it != copied_up_to.end()) pos = std::max(pos, it->second);
    return pos;
  }

  // Whether the main path copies this record to `s` (false while `s` waits for or is in a catch-up that
  // has not handed this partition over yet).
  bool main_path_serves(const Session& s, std::int32_t partition, std::int64_t offset) const {
    if (!s.catch_up_from) return true;
    if (s.run == nullptr) return false;
    const auto it = s.run->handover.find(partition);
    return it != s.run->handover.end() && offset >= it->second;
  }

  // Starts a catch-up for every session that waits for one and has none running. False when Kafka could
  // not be asked.
  bool start_catch_up() {
    CatchUpRun r;
    for (auto& s : sessions) {
      if (s.catch_up_from && s.fix != nullptr && s.run == nullptr) r.sessions.push_back(&s);
    }
    if (r.sessions.empty()) return true;
    r.started_ns = steady_ns();
    try {
      const auto parts = consumer->partitions(cfg.topic, 5000);
      for (const auto& p : consumer->committed(cfg.topic, parts, 5000)) {
        r.base[p.partition] = std::max<std::int64_t>(p.next_offset, 0);
      }
      std::int64_t from_ms = wall_ns() / 1'000'000;
      for (const auto* s : r.sessions) {
        const auto& m = *s->catch_up_from;
        const std::int64_t t = m.seq == 0 || m.ns <= 0 ? wall_ns() / 1'000'000 - cfg.catch_up_hours * 3'600'000
                                                       : m.ns / 1'000'000 - kCatchUpMarginMs;
        from_ms = std::min(from_ms, t);
      }
      std::vector<kafka::Consumer::Position> assign;
      for (const auto& p : consumer->offsets_for_time(cfg.topic, parts, from_ms, 5000)) {
        const std::int64_t pos = main_position(r, p.partition);
        const std::int64_t b = p.next_offset == kafka::Consumer::kNoOffset ? pos : p.next_offset;
        if (b >= pos) {
          r.handover[p.partition] = pos;  // nothing before the main position to read here
        } else {
          assign.push_back({cfg.topic, p.partition, b});
          r.reader_next[p.partition] = b;
        }
      }
      if (!assign.empty()) {
        r.reader =
            std::make_unique<kafka::Consumer>(kafka::ConsumerSettings{.brokers = cfg.brokers,
                                                                      .group_id = cfg.group_id + ".catch-up",
                                                                      .client_id = cfg.client_id + "-catch-up",
                                                                      .properties = {{"fetch.wait.max.ms", "10"}}},
                                              *registry);
        r.reader->assign(assign);
      }
    } catch (const kafka::KafkaError& e) {
      catch_up_failures->Increment();
      VENUE_LOG_KV(warning, "DC003 catch-up from Kafka could not start: tried again in 1 s; the sessions wait",
                   {{"error", e.what()}});
      return false;
    }
    CatchUpRun& run = catch_up_runs.emplace_back(std::move(r));
    for (auto* s : run.sessions) {
      s->run = &run;
      VENUE_LOG_KV(info, "drop-copy session catching up from Kafka",
                   {{"session", s->cfg->sender_comp_id},
                    {"reason", s->catch_up_reason},
                    {"above_venue_seq", s->catch_up_from->seq}});
    }
    return true;
  }

  // Copies up to `budget` records of a catch-up; true once every partition is handed over and the run ended.
  bool step_catch_up(CatchUpRun& r, int budget) {
    for (int i = 0; i < budget && r.reader; ++i) {
      auto m = r.reader->poll(0);
      if (!m) break;
      const std::int32_t p = m->partition();
      if (r.handover.contains(p) || !r.reader_next.contains(p)) continue;
      r.reader_next[p] = m->offset() + 1;
      const std::int64_t pos = main_position(r, p);
      if (m->offset() >= pos) {
        r.handover[p] = pos;  // the main path has not read this far: it copies from here
        continue;
      }
      ++r.read;
      copy_caught_up(r, *m);
      if (stop_requested) return false;
    }
    bool done = true;
    for (const auto& [p, next] : r.reader_next) {
      if (r.handover.contains(p)) continue;
      const std::int64_t pos = main_position(r, p);
      if (next >= pos) {
        r.handover[p] = pos;  // the reader has read all the main path had
      } else {
        done = false;
      }
    }
    if (!done) return false;
    acceptor->flush();
    if (kill_after_flush) die();
    for (auto* s : r.sessions) {
      VENUE_LOG_KV(info, "drop-copy session caught up from Kafka",
                   {{"session", s->cfg->sender_comp_id},
                    {"reason", s->catch_up_reason},
                    {"above_venue_seq", s->catch_up_from->seq},
                    {"copies", r.copied[s]},
                    {"records_read", r.read},
                    {"ms", (steady_ns() - r.started_ns) / 1'000'000}});
      s->catch_up_from.reset();
      s->run = nullptr;
      s->cursor_dirty = true;
    }
    if (r.reader) r.reader->close();
    write_cursors();
    return true;
  }

  void copy_caught_up(CatchUpRun& r, RdKafka::Message& m) {
    const RecordInfo info = info_of(m);
    if (!info.seq || info.msg_type != "8") return;
    const std::uint64_t seq = *info.seq;
    // Above the session's mark, or not yet read by the main path when the catch-up was asked for.
    const auto due = [&](const Session& s) {
      if (!wants(s, info)) return false;
      if (seq > s.catch_up_from->seq) return true;
      const auto it = s.catch_up_floor.find(m.partition());
      const std::int64_t floor = it != s.catch_up_floor.end() ? it->second : r.base[m.partition()];
      return m.offset() >= floor;
    };
    if (std::none_of(r.sessions.begin(), r.sessions.end(), [&](const Session* s) { return due(*s); }) ||
        !r.delivered.insert(seq).second) {
      return;
    }
    const auto report = report_of(m, seq);
    if (!report) return;
    const auto transact = fg::get_field(*report, FIX::FIELD::TransactTime);
    for (auto* s : r.sessions) {
      if (!due(*s)) continue;
      s->maybe_sent.erase(seq);
      if (!send_copy(*s, *report, seq, true, transact)) return;
      s->caught_up->Increment();
      ++r.copied[s];
    }
  }

  // What a record says about itself in its headers (spec/kafka-topics.md).
  struct RecordInfo {
    std::optional<std::uint64_t> seq;  // venue-seq; none: the record is malformed
    std::string msg_type;
    std::string firm;
    std::string account;
    std::string exec_type;
  };
  static RecordInfo info_of(RdKafka::Message& m) {
    RecordInfo r;
    if (const auto seq = kafka::Consumer::header(m, "venue-seq")) r.seq = std::strtoull(seq->c_str(), nullptr, 10);
    r.msg_type = kafka::Consumer::header(m, "msg-type").value_or("");
    r.firm = kafka::Consumer::header(m, "firm").value_or("");
    r.account = kafka::Consumer::header(m, "account").value_or("");
    r.exec_type = kafka::Consumer::header(m, "exec-type").value_or("");
    return r;
  }

  // The record's FIX message; nullopt (counted and logged) when it is not one.
  std::optional<FIX::Message> report_of(RdKafka::Message& m, std::uint64_t seq) {
    try {
      return FIX::Message(std::string(static_cast<const char*>(m.payload()), m.len()), false);
    } catch (const std::exception& e) {
      malformed->Increment();
      VENUE_LOG_KV(error, "report is not a FIX message: skipped", {{"venue_seq", seq}, {"error", e.what()}});
      return std::nullopt;
    }
  }

  void run() {
    std::int64_t next_lag = 0;
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> positions;
    // Offsets of stored copies whose commit failed (Kafka unreachable). Nothing more is read until they
    // are committed, so at most one batch is ever stored but uncommitted: the window remember_stored()
    // reads back at start-up covers it.
    std::vector<kafka::Consumer::Position> pending;
    std::int64_t next_commit_try = 0;
    // Copies stored since the last commit: committed together once there are max_batch of them or the
    // oldest is 50 ms old, so a commit (a broker round trip) is not paid per poll. Never more than
    // max_batch are stored but uncommitted, which is what remember_stored() reads back.
    std::int64_t uncommitted = 0;
    std::int64_t first_uncommitted_ns = 0;
    // The offsets past everything stored so far, as a commit wants them; starts a new batch.
    const auto take_positions = [&] {
      std::vector<kafka::Consumer::Position> out;
      out.reserve(positions.size());
      for (const auto& [tp, next] : positions) out.push_back({tp.first, tp.second, next});
      positions.clear();
      uncommitted = 0;
      return out;
    };
    while (!stop_requested.load() && !ShutdownSignal::requested()) {
      if (!pending.empty()) {
        const auto now = steady_ns();
        if (now >= next_commit_try) {
          if (consumer->commit(pending)) {
            pending.clear();
            write_cursors();
          } else {
            commit_retries->Increment();
            next_commit_try = now + 200'000'000;
          }
        }
        if (!pending.empty()) {
          acceptor->poll(0.01);
          if (ShutdownSignal::take_reopen_request()) log::reopen();
          continue;
        }
      }
      for (auto it = catch_up_runs.begin(); it != catch_up_runs.end();) {
        it = step_catch_up(*it, 5000) ? catch_up_runs.erase(it) : std::next(it);
      }
      if (steady_ns() >= next_catch_up_try && std::any_of(sessions.begin(), sessions.end(), [](const Session& s) {
            return s.catch_up_from.has_value() && s.run == nullptr;
          })) {
        if (!start_catch_up()) next_catch_up_try = steady_ns() + 1'000'000'000;
      }
      int copied = 0;
      for (std::int64_t i = uncommitted; i < cfg.max_batch; ++i) {
        auto m = consumer->poll(copied == 0 ? 1 : 0);
        if (!m) break;
        consumed->Increment();
        // A group rebalance (e.g. after Kafka was unreachable) rewinds a partition to its committed
        // offset: what this process already copied from it is not copied again.
        auto& next = copied_up_to[{m->topic_name(), m->partition()}];
        if (m->offset() >= next) {
          deliver(*m);
          next = m->offset() + 1;
        } else {
          reread->Increment();
        }
        positions[{m->topic_name(), m->partition()}] = m->offset() + 1;
        ++copied;
      }
      const std::int64_t now = steady_ns();
      if (copied > 0) {
        // QuickFIX stored every copy (FileStore) when it was sent, and this sends what it queued: only
        // now may the offsets move past them.
        acceptor->flush();
        if (kill_after_flush) die();
        if (uncommitted == 0) first_uncommitted_ns = now;
        uncommitted += copied;
      }
      if (uncommitted > 0 && (uncommitted >= cfg.max_batch || now - first_uncommitted_ns >= 50'000'000)) {
        auto commit = take_positions();
        if (consumer->commit(commit)) {
          write_cursors();
        } else {
          pending = std::move(commit);
          next_commit_try = steady_ns() + 200'000'000;
        }
      }
      acceptor->poll(0.0);  // waiting happens in consumer->poll
      if (now >= next_lag) {
        next_lag = now + 1'000'000'000;
        acceptor_metrics->update(acceptor->counters());
        for (const auto& [partition, lag] : consumer->lag(100)) {
          auto it = lag_by_partition.find(partition);
          if (it == lag_by_partition.end()) {
            it =
                lag_by_partition.emplace(partition, &lag_family->Add({{"partition", std::to_string(partition)}})).first;
          }
          it->second->Set(static_cast<double>(lag));
        }
      }
      if (ShutdownSignal::take_reopen_request()) log::reopen();
    }
    // A clean stop commits what it stored (best effort: what is not committed is read again and skipped).
    if (pending.empty() && uncommitted > 0) pending = take_positions();
    if (!pending.empty() && consumer->commit(pending)) write_cursors();
    shutdown();
  }

  void deliver(RdKafka::Message& m) {
    const RecordInfo info = info_of(m);
    if (!info.seq) {
      malformed->Increment();
      VENUE_LOG_KV(error, "report without a venue-seq header skipped",
                   {{"partition", m.partition()}, {"offset", m.offset()}});
      return;
    }
    if (info.msg_type != "8") return;  // drop copy carries ExecutionReports
    const std::uint64_t seq = *info.seq;
    const auto parsed = report_of(m, seq);
    if (!parsed) return;
    const FIX::Message& report = *parsed;
    const bool poss_resend = report.getHeader().isSetField(FIX::FIELD::PossResend) &&
                             report.getHeader().getField(FIX::FIELD::PossResend) == "Y";
    const auto transact = fg::get_field(report, FIX::FIELD::TransactTime);
    for (auto& s : sessions) {
      if (!wants(s, info)) continue;
      if (!main_path_serves(s, m.partition(), m.offset())) continue;  // its catch-up copies this one
      if (s.already_stored.erase(seq) > 0) {
        s.skipped_duplicates->Increment();
        continue;
      }
      const bool mark = s.maybe_sent.erase(seq) > 0 || poss_resend;
      if (!send_copy(s, report, seq, mark, transact)) return;
    }
  }

  // Stores (and sends, when the client is logged on) one copy of `report` in session `s`: QuickFIX puts it
  // in the session's VenueStore, which writes it before any socket write and before the offset past it is
  // committed; a store that cannot be written stops the process there (exit 74), so the record is read
  // again after a restart. False when QuickFIX refused the message: the service stops before the offset
  // moves past it.
  bool send_copy(Session& s, const FIX::Message& report, std::uint64_t seq, bool poss_resend,
                 const std::optional<std::string>& transact) {
    FIX::Message copy;
    copy.getHeader().setField(FIX::FIELD::MsgType, "8");
    if (poss_resend) copy.getHeader().setField(FIX::FIELD::PossResend, "Y");
    for (auto it = report.begin(); it != report.end(); ++it) copy.setField(it->getTag(), it->getString());
    copy.setField(kCopyMsgIndicatorTag, "Y");
    copy.setField(kVenueSequenceTag, std::to_string(seq));
    const bool live = s.fix->isLoggedOn();
    try {
      s.fix->send(copy);
    } catch (const std::exception& e) {
      VENUE_LOG_KV(fatal, "cannot store a copy: stopping", {{"session", s.cfg->sender_comp_id}, {"error", e.what()}});
      stop_requested = true;
      return false;
    }
    s.delivered->Increment();
    if (kill_after_copies > 0 && --kill_after_copies == 0) kill_after_flush = true;
    std::int64_t transact_ns = 0;
    if (transact) {
      if (auto t = fg::parse_utc_timestamp(*transact)) transact_ns = *t;
    }
    if (seq >= s.last_seq) {
      s.last_seq = seq;
      s.last_ns = transact_ns;
    }
    if (live && seq >= s.sent.seq) s.sent = {seq, transact_ns};
    if (!live) s.waiting_gauge->Set(static_cast<double>(++s.waiting));
    s.cursor_dirty = true;
    s.last_seq_gauge->Set(static_cast<double>(s.last_seq));
    if (transact_ns != 0) s.delay_gauge->Set(static_cast<double>(wall_ns() - transact_ns) / 1e9);
    return true;
  }

  // Fault injection for the crash tests: dies like a SIGKILL from outside would.
  static void die() {
    VENUE_LOG(warning) << "VENUE_DROPCOPY_KILL_AFTER_COPIES reached: killing myself";
    std::raise(SIGKILL);
  }

  static bool wants(const Session& s, const RecordInfo& r) {
    // The fills level carries trades and their busts (ExecType H), so a copy's positions stay right.
    if (s.cfg->level == Level::kFills && r.exec_type != "F" && r.exec_type != "H") return false;
    switch (s.cfg->scope) {
      case Scope::kAll: return true;
      case Scope::kFirms: return s.firms.contains(r.firm);
      case Scope::kAccounts: return s.accounts.contains(r.account);
    }
    return false;
  }

  void shutdown() {
    is_ready = false;
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
    acceptor->stop(true);
    consumer->close();
    VENUE_LOG(info) << "drop copy stopped";
  }

  // ----- FIX::Application -----

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override {
    VENUE_LOG_KV(info, "drop-copy session logged on", {{"session", id.toString()}});
    auto it = index.find(id);
    if (it == index.end()) return;
    Session& s = sessions[it->second];
    // What waited goes out now: by FIX resend (the client's Logon shows the gap), or from Kafka below.
    s.waiting = 0;
    s.waiting_gauge->Set(0);
    const auto* vs = stores->find(s.id);
    if (vs == nullptr || vs->resets() == s.store_resets) return;
    // The Logon reset the sequence numbers (ResetSeqNumFlag) and with them the store: what the client
    // was never sent can no longer come by FIX resend, so it comes from Kafka.
    s.store_resets = vs->resets();
    s.maybe_sent.merge(s.already_stored);
    s.already_stored.clear();
    s.last_seq = 0;
    s.last_ns = 0;
    if (s.run != nullptr) {
      // Its store no longer holds what its catch-up copied so far: it starts again.
      std::erase(s.run->sessions, &s);
      s.run = nullptr;
      s.catch_up_from.reset();
    }
    request_catch_up(s, s.sent, "sequence reset");
    write_cursors();  // a crash before the catch-up ends must not forget it
  }
  void onLogout(const FIX::SessionID& id) override {
    auto it = index.find(id);
    if (it != index.end() && sessions[it->second].fix != nullptr && !stop_requested && !ShutdownSignal::requested()) {
      sessions[it->second].fix->logon();
    }
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) QF_THROW(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message& msg, const FIX::SessionID& id)
      QF_THROW(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    if (msg.getHeader().getField(FIX::FIELD::MsgType) != "A") return;
    auto it = index.find(id);
    if (it == index.end()) throw FIX::RejectLogon("unknown session");
    const auto hb = fg::get_field(msg, 108);
    const long heartbeat = hb ? std::strtol(hb->c_str(), nullptr, 10) : -1;
    if (heartbeat < 1 || heartbeat > sessions[it->second].cfg->heartbeat_seconds_max) {
      throw FIX::RejectLogon("HeartBtInt(108) out of range");
    }
  }
  void fromApp(const FIX::Message& msg, const FIX::SessionID& id)
      QF_THROW(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
               FIX::UnsupportedMessageType) override {
    auto it = index.find(id);
    if (it == index.end() || sessions[it->second].fix == nullptr) return;
    refused_app->Increment();
    FIX::Message r;
    r.getHeader().setField(FIX::FIELD::MsgType, "j");
    r.setField(FIX::FIELD::RefSeqNum, msg.getHeader().getField(FIX::FIELD::MsgSeqNum));
    r.setField(FIX::FIELD::RefMsgType, msg.getHeader().getField(FIX::FIELD::MsgType));
    r.setField(FIX::FIELD::BusinessRejectReason, "6");
    r.setField(FIX::FIELD::Text, "2001 NotAuthorized: drop-copy sessions are read-only");
    sessions[it->second].fix->send(r);
  }
};

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
