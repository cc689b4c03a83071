// The drop copy's QuickFIX callbacks (service_impl.h): Logon (and the sequence resets that empty a
// session's store), Logout, the HeartBtInt check and the refusal of application messages. Runs on the FIX
// thread, inside the acceptor's poll().
#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include "service_impl.h"
#include "venue/common/log.h"
#include "venue/common/shutdown.h"
#include "venue/fix_session/fix_text.h"

namespace venue::dropcopy {

void Service::Impl::onLogon(const FIX::SessionID& id) {
  VENUE_LOG_KV(info, "drop-copy session logged on", {{"session", id.toString()}});
  auto it = index.find(id);
  if (it == index.end()) return;
  Session& s = sessions[it->second];
  // What waited goes out now: by FIX resend (the client's Logon shows the gap), or from Kafka below.
  s.waiting = 0;
  s.waiting_gauge->Set(0);
  const auto* vs = stores->find(s.id);
  if (vs == nullptr || vs->resets() == s.store_resets) return;
  // The Logon reset the sequence numbers (ResetSeqNumFlag) and with them the store: what the client was
  // never sent can no longer come by FIX resend, so it comes from Kafka.
  s.store_resets = vs->resets();
  s.maybe_sent.merge(s.already_stored);
  s.already_stored.clear();
  s.stored = {};
  // A catch-up not finished copied into the store just emptied, in partition order (its copies say
  // nothing about lower venue-seqs): it starts again for this session, from its own mark if lower.
  const std::optional<Mark> unfinished = s.catch_up_from;
  leave_catch_up(s);
  Mark from = s.sent;
  if (unfinished && unfinished->seq < from.seq) from = *unfinished;
  request_catch_up(s, from, "sequence reset");
  write_cursors();  // a crash before the catch-up ends must not forget it
}

void Service::Impl::onLogout(const FIX::SessionID& id) {
  auto it = index.find(id);
  if (it != index.end() && sessions[it->second].fix != nullptr && !stop_requested && !ShutdownSignal::requested()) {
    sessions[it->second].fix->logon();
  }
}

void Service::Impl::fromAdmin(const FIX::Message& msg, const FIX::SessionID& id)
    QF_THROW(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) {
  if (msg.getHeader().getField(FIX::FIELD::MsgType) != "A") return;
  auto it = index.find(id);
  if (it == index.end()) throw FIX::RejectLogon("unknown session");
  const auto hb = fsn::get_field(msg, 108);
  const long heartbeat = hb ? std::strtol(hb->c_str(), nullptr, 10) : -1;
  if (heartbeat < 1 || heartbeat > sessions[it->second].cfg->heartbeat_seconds_max) {
    throw FIX::RejectLogon("HeartBtInt(108) out of range");
  }
}

void Service::Impl::fromApp(const FIX::Message& msg, const FIX::SessionID& id)
    QF_THROW(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) {
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

}  // namespace venue::dropcopy
