// The drop copy's main path (service_impl.h): a record from Kafka to a copy in the store of every session
// it is for, once per venue-seq. Runs on the FIX thread.
#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include "service_impl.h"
#include "venue/common/log.h"

namespace venue::dropcopy {

namespace {

constexpr int kVenueSequenceTag = 8001;
constexpr int kCopyMsgIndicatorTag = 797;

}  // namespace

// A record the main path handled. The venue-seq decides whether it was copied before (VenueSeqSet): a
// report the venue published again (after its crash) is skipped; one too far below what is remembered is
// copied with PossResend(97)=Y, since it may be a repeat. Never passed on unmarked twice.
void Service::Impl::deliver(const fsn::ReportRecord& r) {
  const std::uint64_t seq = r.venue_seq;
  if (seen_history_unknown) {
    seen.unknown_below(seq);
    seen_history_unknown = false;
  }
  const auto seen_before = seen.check(seq);
  if (seen.insert(seq)) {
    window_moved->Increment();
    VENUE_LOG_KV(warning, "DC006 venue-seq far above every one before it: the unseen ones below are kept as gaps",
                 {{"venue_seq", seq}, {"floor", seen.floor()}, {"gaps", seen.holes()}, {"traceparent", r.traceparent}});
  }
  seen_dirty = true;
  if (r.msg_type != '8') return;  // the drop copy carries ExecutionReports
  // Read again after a crash (below where the last run had got to): in the set because the last run
  // handled it, which says nothing of a session that was waiting for a catch-up then or has reset its
  // store since. Each session's store decides, and a copy is marked (the client may have had it).
  const auto until = reread_until.find(r.partition);
  const bool reread =
      seen_before == VenueSeqSet::Seen::kRepeat && until != reread_until.end() && r.offset < until->second;
  std::optional<fsn::OutMessage> copy;
  for (auto& s : sessions) {
    if (s.fix == nullptr || !wants(s, r)) continue;
    if (!main_path_serves(s, r.partition, r.offset)) continue;  // its catch-up copies this one
    if (s.already_stored.erase(seq) > 0 || (seen_before == VenueSeqSet::Seen::kRepeat && !reread)) {
      s.skipped_duplicates->Increment();
      continue;
    }
    const bool unsure_repeat = seen_before == VenueSeqSet::Seen::kUnsure || reread;
    if (unsure_repeat) unsure->Increment();
    const bool mark = s.maybe_sent.erase(seq) > 0 || r.poss_resend() || unsure_repeat;
    if (!copy) copy = copy_of(r);
    if (!send_copy(s, *copy, seq, mark, r.fix.timestamp_ns(fsn::tags::kTransactTime).value_or(0))) return;
    if (log_copies) {
      VENUE_LOG_KV(debug, "copy stored",
                   {{"session", s.cfg->sender_comp_id},
                    {"venue_seq", seq},
                    {"exec_type", std::string(1, r.exec_type != 0 ? r.exec_type : '?')},
                    {"order_id", std::string(r.fix.text(fsn::tags::kOrderID))},
                    {"poss_resend", mark},
                    {"traceparent", r.traceparent}});
    }
  }
}

// The report's body as a drop copy: MsgType 8, every body field of the venue's message (QuickFIX's
// header and trailer fields left out), CopyMsgIndicator(797)=Y and VenueSequence(8001), in ascending tag
// order as QuickFIX writes a body (the venue's reports have no repeating groups).
fsn::OutMessage Service::Impl::copy_of(const fsn::ReportRecord& r) {
  fsn::OutMessage copy("8");
  const fsn::FixFields& f = r.fix;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const int tag = f.tag_at(i);
    if (FIX::Message::isHeaderField(tag) || FIX::Message::isTrailerField(tag) || copy.has(tag)) continue;
    copy.set(tag, f.value_at(i));
  }
  copy.set(kCopyMsgIndicatorTag, 'Y');
  copy.set_int(kVenueSequenceTag, static_cast<std::int64_t>(r.venue_seq));
  return copy;
}

// Stores (and sends, when the client is logged on) one copy in session `s`: the acceptor sends it from
// its text (VenueAcceptor::send_app) or, while the session is logged off or it is QuickFIX's turn,
// QuickFIX does; either way it goes into the session's VenueStore, which writes it before any socket
// write and before the offset past it is committed; a store that cannot be written stops the process
// there (exit 74), so the record is read again after a restart. False when QuickFIX refused the message:
// the service stops before the offset moves past it.
bool Service::Impl::send_copy(Session& s, const fsn::OutMessage& copy, std::uint64_t seq, bool poss_resend,
                              std::int64_t transact_ns) {
  const bool live = s.fix->isLoggedOn();
  try {
    std::string sent;
    if (!acceptor->send_app(*s.fix, copy, {}, poss_resend, sent)) {
      FIX::Message m = copy.to_message();
      if (poss_resend) m.getHeader().setField(FIX::FIELD::PossResend, "Y");
      s.fix->send(m);
    }
  } catch (const std::exception& e) {
    VENUE_LOG_KV(fatal, "cannot store a copy: stopping", {{"session", s.cfg->sender_comp_id}, {"error", e.what()}});
    stop_requested = true;
    return false;
  }
  s.delivered->Increment();
  if (kill_after_copies > 0 && --kill_after_copies == 0) kill_after_flush = true;
  if (seq >= s.stored.seq) s.stored = {seq, transact_ns};
  if (live && seq >= s.sent.seq) s.sent = {seq, transact_ns};
  if (!live) {
    s.stored_while_away = true;
    s.waiting_gauge->Set(static_cast<double>(++s.waiting));
  }
  s.cursor_dirty = true;
  s.last_seq_gauge->Set(static_cast<double>(s.stored.seq));
  if (transact_ns != 0) s.delay_gauge->Set(static_cast<double>(wall_ns() - transact_ns) / 1e9);
  return true;
}

bool Service::Impl::wants(const Session& s, const fsn::ReportRecord& r) {
  // The fills level carries trades and their busts (ExecType H), so a copy's positions stay right.
  if (s.cfg->level == Level::kFills && r.exec_type != 'F' && r.exec_type != 'H') return false;
  switch (s.cfg->scope) {
    case Scope::kAll: return true;
    case Scope::kFirms: return s.firms.contains(r.firm);
    case Scope::kAccounts: return s.accounts.contains(r.account);
  }
  return false;
}

}  // namespace venue::dropcopy
