#pragma once
// The drop-copy service's FIX-thread state (Service::Impl), shared by the files that each own a part of
// what that thread does:
//   service.cpp          the facade, start-up, the FIX thread's loop, offset commits, shutdown
//   sessions.cpp         per-session set-up, the store read-back, cursors and the file of copied venue-seqs
//   copying.cpp          the main path: a record from Kafka to a copy in every session it is for
//   catch_up.cpp         the FIX side of catch-ups from Kafka: asking, copying, handing back to the main path
//   fix_application.cpp  QuickFIX's callbacks: Logon (and sequence resets), Logout, refused messages
// The Kafka side runs on its own thread (kafka_feed.h); the two meet only in KafkaFeed's queue and
// commands.
//
// Thread rules: everything here on the FIX thread (the one that calls Service::run()), except
// stop_requested and is_ready (atomics).

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "clock.h"
#include "kafka_feed.h"
#include "venue/dropcopy/catch_up_range.h"
#include "venue/dropcopy/cursor.h"
#include "venue/dropcopy/service.h"
#include "venue/dropcopy/venue_seq_set.h"
#include "venue/fix_session/acceptor.h"
#include "venue/fix_session/json_log.h"
#include "venue/fix_session/logon_policy.h"
#include "venue/fix_session/message_store.h"
#include "venue/fix_session/out_message.h"
#include "venue/fix_session/report_record.h"

namespace venue::dropcopy {

namespace fsn = venue::fix_session;

struct Service::Impl final : FIX::Application {
  struct Run;
  struct Session {
    const SessionConfig* cfg = nullptr;
    FIX::SessionID id;
    FIX::Session* fix = nullptr;
    std::set<std::string> firms;
    std::set<std::string> accounts;
    // Venue seqs of the copies last stored before a restart (the store read back): not copied again.
    std::unordered_set<std::uint64_t> already_stored;
    // Those of them a reset emptied from the store: the client may have had them, so when they are read
    // again they are copied with PossResend(97)=Y.
    std::unordered_set<std::uint64_t> maybe_sent;
    Mark stored;  // highest venue seq in the store, with its TransactTime
    Mark sent;    // highest venue seq sent to the client while it was logged on
    // Per partition: below this offset every record in scope went to the client while it was logged on
    // (catch_up_range.h). Moves with the main path while the client is logged on and not catching up.
    std::map<std::int32_t, std::int64_t> sent_through;
    bool stored_while_away = false;  // a copy was stored this turn while the client was logged out
    std::filesystem::path cursor_file;
    bool cursor_dirty = true;
    std::uint64_t store_resets = 0;
    // A catch-up from Kafka this session needs before anything else: copies above this mark ...
    std::optional<Mark> catch_up_from;
    std::string catch_up_reason;
    // ... and, per partition, from where the main path was when it was asked for (nullopt until the main
    // path's start is known); the main path leaves the session to the catch-up from there.
    std::optional<std::map<std::int32_t, std::int64_t>> catch_up_floor;
    CatchUpRange range;  // what the catch-up copies (set when it starts)
    Run* run = nullptr;  // the catch-up serving it, once asked of the Kafka thread
    prometheus::Counter* caught_up = nullptr;
    prometheus::Gauge* waiting_gauge = nullptr;  // copies stored while the client was away, since its last Logon
    std::int64_t waiting = 0;
    prometheus::Counter* delivered = nullptr;
    prometheus::Counter* skipped_duplicates = nullptr;
    prometheus::Gauge* last_seq_gauge = nullptr;
    prometheus::Gauge* delay_gauge = nullptr;
  };

  // A catch-up in progress, as the FIX thread sees it: its sessions, the partitions the Kafka thread has
  // handed back to the main path (from which offset), and the venue seqs it copied (bounded: the venue
  // may publish one twice within what a catch-up reads; all its copies are marked PossResend anyway).
  struct Run {
    std::uint64_t id = 0;
    std::vector<Session*> sessions;
    std::map<std::int32_t, std::int64_t> handover;
    VenueSeqSet copied{std::uint64_t{1} << 20, 4096};
    std::map<const Session*, std::int64_t> copies;
    std::int64_t started_ns = 0;
  };

  Config cfg;
  std::shared_ptr<prometheus::Registry> registry;
  std::vector<Session> sessions;
  std::map<FIX::SessionID, std::size_t> index;

  fsn::LogonPolicy gate;  // who may log on (the same rules, lock-out included, as order entry)
  std::unique_ptr<fsn::VenueStoreFactory> stores;
  std::unique_ptr<fsn::JsonLogFactory> logs;
  std::unique_ptr<FIX::SessionSettings> settings;
  std::unique_ptr<fsn::VenueAcceptor> acceptor;
  std::unique_ptr<fsn::AcceptorMetrics> acceptor_metrics;
  std::unique_ptr<KafkaFeed> feed;

  std::atomic<bool> stop_requested{false};
  std::atomic<bool> is_ready{false};

  // The venue seqs the main path has copied (or found in nobody's scope), kept in seen_file across
  // restarts: a venue seq published again is not copied again.
  VenueSeqSet seen;
  std::filesystem::path seen_file;
  bool seen_dirty = false;
  // Per partition, where the main path had got to when seen_file was last written (its handled-through
  // line): every venue-seq in the set came from a record below it. After a crash, records from the
  // committed offsets up to it are read again; one of them found in the set is no proof that a session
  // has it (the session may have been waiting for a catch-up then, or reset its store since), so the
  // main path copies it, marked, to each session it serves whose store does not hold it. Written as the
  // higher of this and main_next, so a second crash mid-way keeps the whole stretch.
  std::map<std::int32_t, std::int64_t> reread_until;
  // The file was missing or unreadable while the sessions had copies: what was copied before is not known,
  // so venue-seqs below the first one read are copied marked (VenueSeqSet::unknown_below).
  bool seen_history_unknown = false;

  // The main path, as far as this thread has handled it: where it started and where it is per partition.
  bool main_known = false;
  std::map<std::int32_t, std::int64_t> main_next;
  // Offsets of handled main records not yet committed, and how many records.
  std::map<std::int32_t, std::int64_t> to_commit;
  std::int64_t uncommitted = 0;
  std::int64_t first_uncommitted_ns = 0;

  bool cursors_due = false;  // a catch-up was asked for or ended: write the cursors after this turn's flush

  std::map<std::uint64_t, Run> runs;
  std::uint64_t next_run_id = 1;

  prometheus::Counter* refused_app = nullptr;
  prometheus::Counter* window_moved = nullptr;
  prometheus::Counter* unsure = nullptr;
  // VENUE_DROPCOPY_KILL_AFTER_COPIES=N (tests only): SIGKILL itself once the batch holding the N-th copy
  // is written to the stores and sent to the clients, before its offsets are committed. 0: never.
  // VENUE_DROPCOPY_KILL_AT=commit moves that point to after the file of copied venue-seqs and the
  // cursors are written, before the commit is handed to the Kafka thread (a crash while a commit is on
  // its way: what the set holds is read again).
  long kill_after_copies = 0;
  bool kill_after_flush = false;
  bool kill_at_commit = false;
  // log_level "debug" or "trace": one line per copy stored, with the record's traceparent (so one order
  // can be followed from the venue through Kafka to each session's copy). Off by default: a line per copy
  // costs more than the copy.
  bool log_copies = false;

  Impl(Config c, std::shared_ptr<prometheus::Registry> r);

  // service.cpp
  void start();
  void run();
  void handle(FeedItem& item);
  void commit_if_due(std::int64_t now, bool force);
  void shutdown();
  [[noreturn]] static void die();

  // sessions.cpp
  void set_up_sessions();
  void remember_stored(Session& s);
  void check_store(Session& s);
  void write_cursors();
  void load_seen();
  void write_seen();
  void update_sent_through();

  // copying.cpp
  void deliver(const fsn::ReportRecord& r);
  bool send_copy(Session& s, const fsn::OutMessage& copy, std::uint64_t seq, bool poss_resend,
                 std::int64_t transact_ns);
  static fsn::OutMessage copy_of(const fsn::ReportRecord& r);
  static bool wants(const Session& s, const fsn::ReportRecord& r);

  // catch_up.cpp
  void request_catch_up(Session& s, Mark from, std::string reason);
  void start_catch_ups();
  void leave_catch_up(Session& s);
  bool main_path_serves(const Session& s, std::int32_t partition, std::int64_t offset) const;
  void copy_caught_up(Run& run, const FeedItem& item);
  void end_catch_up(std::uint64_t id, std::int64_t records_read);

  // fix_application.cpp (FIX::Application)
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override;
  void onLogout(const FIX::SessionID& id) override;
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) QF_THROW(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message& msg, const FIX::SessionID& id)
      QF_THROW(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override;
  void fromApp(const FIX::Message& msg, const FIX::SessionID& id)
      QF_THROW(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
               FIX::UnsupportedMessageType) override;
};

}  // namespace venue::dropcopy
