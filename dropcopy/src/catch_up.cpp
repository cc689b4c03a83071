// The FIX side of catch-ups from Kafka (service_impl.h, dropcopy/README.md "Catch-up from Kafka"): asking
// for one, starting it on the Kafka thread, copying what it reads to the sessions it serves, and handing
// each partition back to the main path. Runs on the FIX thread.
#include <prometheus/counter.h>

#include <algorithm>

#include "service_impl.h"
#include "venue/common/log.h"

namespace venue::dropcopy {

namespace {

// Kafka is read from this long before a catch-up mark's TransactTime (records carry their produce time,
// which is later than the TransactTime, unless the clock stepped back).
constexpr std::int64_t kCatchUpMarginMs = 5000;

}  // namespace

// The session gets, from Kafka, every report in its scope above `from` or at or after the first offset
// per partition it may never have been sent (catch_up_range.h). The main path stops copying to it from
// where it is now (the floor): known here once the main path has started, or else set when it starts
// (its committed offsets, before it reads anything), so nothing the main path reads and commits before
// the catch-up starts can fall between the two.
void Service::Impl::request_catch_up(Session& s, Mark from, std::string reason) {
  if (s.catch_up_from && s.catch_up_from->seq <= from.seq) return;
  s.catch_up_from = from;
  s.catch_up_reason = std::move(reason);
  s.cursor_dirty = true;
  cursors_due = true;
  if (!main_known) return;  // set at kMainStart
  if (!s.catch_up_floor) {
    s.catch_up_floor = main_next;
    return;
  }
  // Asked again (a reset during a catch-up): the main path left the session since the first floor.
  for (const auto& [p, next] : main_next) s.catch_up_floor->emplace(p, next);
}

// Starts one catch-up for every session that waits for one (once the main path's start is known).
void Service::Impl::start_catch_ups() {
  if (!main_known) return;
  std::vector<Session*> waiting;
  for (auto& s : sessions) {
    if (s.catch_up_from && s.catch_up_floor && s.fix != nullptr && s.run == nullptr) waiting.push_back(&s);
  }
  if (waiting.empty()) return;
  const std::uint64_t id = next_run_id++;
  Run& run = runs[id];
  run.id = id;
  run.started_ns = steady_ns();
  CatchUpRequest request{.run = id, .from_time_ms = wall_ns() / 1'000'000};
  for (auto* s : waiting) {
    const Mark& m = *s->catch_up_from;
    s->range = CatchUpRange::make(m, s->sent_through, *s->catch_up_floor);
    s->run = &run;
    run.sessions.push_back(s);
    const std::int64_t t = m.seq == 0 || m.ns <= 0 ? wall_ns() / 1'000'000 - cfg.catch_up_hours * 3'600'000
                                                   : m.ns / 1'000'000 - kCatchUpMarginMs;
    request.from_time_ms = std::min(request.from_time_ms, t);
    for (const auto& [p, offset] : s->range.from) {
      auto [it, inserted] = request.from_offset.emplace(p, offset);
      if (!inserted) it->second = std::min(it->second, offset);
    }
    VENUE_LOG_KV(
        info, "drop-copy session catching up from Kafka",
        {{"session", s->cfg->sender_comp_id}, {"reason", s->catch_up_reason}, {"above_venue_seq", m.seq}, {"run", id}});
  }
  feed->start_catch_up(std::move(request));
}

// The session no longer takes part in its catch-up (its store was emptied by a reset): the run goes on
// for the others, or is cancelled. The floor stays: the main path has left the session since then.
void Service::Impl::leave_catch_up(Session& s) {
  if (s.run != nullptr) {
    Run& run = *s.run;
    std::erase(run.sessions, &s);
    run.copies.erase(&s);
    if (run.sessions.empty()) {
      const std::uint64_t id = run.id;
      feed->cancel_catch_up(id);
      runs.erase(id);
    }
  }
  s.run = nullptr;
  s.catch_up_from.reset();
}

// Whether the main path copies this record to `s` (false while `s` waits for or is in a catch-up that has
// not handed this partition back yet).
bool Service::Impl::main_path_serves(const Session& s, std::int32_t partition, std::int64_t offset) const {
  if (!s.catch_up_from) return true;
  if (s.run == nullptr) return false;
  const auto it = s.run->handover.find(partition);
  return it != s.run->handover.end() && offset >= it->second;
}

void Service::Impl::copy_caught_up(Run& run, const FeedItem& item) {
  if (!item.record || item.record->msg_type != '8') return;
  const fsn::ReportRecord& r = *item.record;
  const std::uint64_t seq = r.venue_seq;
  const auto due = [&](const Session& s) { return wants(s, r) && s.range.due(seq, item.partition, item.offset); };
  if (std::none_of(run.sessions.begin(), run.sessions.end(), [&](const Session* s) { return due(*s); })) return;
  // The venue may have published it twice within what the catch-up reads: copied once.
  if (run.copied.check(seq) == VenueSeqSet::Seen::kRepeat) return;
  run.copied.insert(seq);
  const fsn::OutMessage copy = copy_of(r);
  const std::int64_t transact_ns = r.fix.timestamp_ns(fsn::tags::kTransactTime).value_or(0);
  for (auto* s : run.sessions) {
    if (!due(*s)) continue;
    if (s->already_stored.erase(seq) > 0) {  // stored before the restart, still in the store
      s->skipped_duplicates->Increment();
      continue;
    }
    s->maybe_sent.erase(seq);
    if (!send_copy(*s, copy, seq, true, transact_ns)) return;
    s->caught_up->Increment();
    ++run.copies[s];
  }
}

void Service::Impl::end_catch_up(std::uint64_t id, std::int64_t records_read) {
  const auto it = runs.find(id);
  if (it == runs.end()) return;  // cancelled
  Run& run = it->second;
  for (auto* s : run.sessions) {
    VENUE_LOG_KV(info, "drop-copy session caught up from Kafka",
                 {{"session", s->cfg->sender_comp_id},
                  {"reason", s->catch_up_reason},
                  {"above_venue_seq", s->catch_up_from ? s->catch_up_from->seq : 0},
                  {"copies", run.copies[s]},
                  {"records_read", records_read},
                  {"ms", (steady_ns() - run.started_ns) / 1'000'000}});
    s->catch_up_from.reset();
    s->catch_up_floor.reset();
    s->run = nullptr;
    s->cursor_dirty = true;
  }
  cursors_due = true;
  runs.erase(it);
}

}  // namespace venue::dropcopy
