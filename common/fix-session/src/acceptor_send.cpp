// VenueAcceptor::send_app: an application message sent from its text, as QuickFIX's Session::sendRaw
// sends one while logged on (1.15.1: fill the header, toApp, serialize, persist under the next number,
// move the number on, hand it to the Responder), without building QuickFIX Message objects.
#include "acceptor_impl.h"

namespace venue::fix_session {

using acceptor_detail::coarse_ms;
using acceptor_detail::realtime_ns;

namespace {

// QuickFIX's own sends keep its heartbeat timer (SessionState::lastSentTime) current; send_app leaves
// a message to QuickFIX when its last send on the session is older than this.
constexpr std::int64_t kQuickFixSendEveryMs = 1000;

void append_header_field(std::string& out, std::string_view tag_eq, std::string_view value) {
  out.append(tag_eq).append(value).push_back('\x01');
}

}  // namespace

bool VenueAcceptor::send_app(FIX::Session& session, const OutMessage& msg, std::span<const int> withheld,
                             bool poss_resend, std::string& record) {
  const auto it = impl_->responders.find(&session);
  if (it == impl_->responders.end() || !session.isLoggedOn()) return false;
  Connection& c = *it->second;
  if (coarse_ms() - c.quickfix_sent_ms >= kQuickFixSendEveryMs) return false;

  const FIX::SessionID& id = session.getSessionID();
  const int seq = session.getExpectedSenderNum();
  // Header fields after MsgType in QuickFIX's order: 34, 49, 52, 56, 97.
  thread_local std::string header;
  header.clear();
  char num[16];
  const auto nr = std::to_chars(num, num + sizeof num, seq);
  append_header_field(header, "34=", std::string_view(num, static_cast<std::size_t>(nr.ptr - num)));
  append_header_field(header, "49=", id.getSenderCompID().getString());
  header.append("52=");
  append_utc_timestamp(header, realtime_ns(), session.getTimestampPrecision());
  header.push_back('\x01');
  append_header_field(header, "56=", id.getTargetCompID().getString());
  if (poss_resend) append_header_field(header, "97=", "Y");

  thread_local std::string body;
  body.clear();
  msg.append_body(body, withheld);
  std::string text = frame_message(id.getBeginString().getString(), msg.type(), header, body);

  // Stored before the number moves on and before anything can reach the socket (the acceptor flushes
  // the stores before it writes), exactly as QuickFIX persists. The session's store is its
  // SessionState (getStore()), which forwards to the message store under the session's lock.
  auto* store = const_cast<FIX::MessageStore*>(session.getStore());
  store->set(seq, text);
  store->incrNextSenderMsgSeqNum();
  c.append(text);
  ++counters_.direct_out;

  if (!withheld.empty() && msg.has_any(withheld)) {
    body.clear();
    msg.append_body(body);
    record = frame_message(id.getBeginString().getString(), msg.type(), header, body);
  } else {
    record = std::move(text);
  }
  return true;
}

}  // namespace venue::fix_session
