// Before and around QuickFIX's session layer: the first message, the password check, refusals, garbled and unsupported
// messages (acceptor_impl.h).
#include "acceptor_impl.h"

namespace venue::fix_session {

using namespace acceptor_detail;

void VenueAcceptor::Impl::deliver(Connection& c, std::string msg) {
  switch (c.state) {
    case Connection::State::kActive: feed(c, msg); return;
    case Connection::State::kAuthenticating:
      if (c.held.size() >= settings.max_held_messages) {
        refuse_and_close(
            c, nullptr,
            "more than " + std::to_string(settings.max_held_messages) + " messages sent before the Logon was answered");
        return;
      }
      c.held.push_back(std::move(msg));
      return;
    case Connection::State::kAwaitLogon: first_message(c, std::move(msg)); return;
    case Connection::State::kClosing: return;
  }
}

// FIX 4.4's application message types (the venue supports a few; the rest get 380=3).
bool VenueAcceptor::Impl::is_fix44_app_type(std::string_view t) {
  static constexpr std::string_view kTypes[] = {
      "6",  "7",  "8",  "9",  "B",  "C",  "D",  "E",  "F",  "G",  "H",  "J",  "K",  "L",  "M",  "N",  "P",
      "Q",  "R",  "S",  "T",  "V",  "W",  "X",  "Y",  "Z",  "a",  "b",  "c",  "d",  "e",  "f",  "g",  "h",
      "i",  "j",  "k",  "l",  "m",  "o",  "p",  "q",  "r",  "s",  "t",  "u",  "v",  "w",  "x",  "y",  "z",
      "AA", "AB", "AC", "AD", "AE", "AF", "AG", "AH", "AI", "AJ", "AK", "AL", "AM", "AN", "AO", "AP", "AQ",
      "AR", "AS", "AT", "AU", "AV", "AW", "AX", "AY", "AZ", "BA", "BB", "BC", "BD", "BE", "BF", "BG", "BH"};
  for (auto k : kTypes) {
    if (k == t) return true;
  }
  return false;
}

bool VenueAcceptor::Impl::checksum_ok(std::string_view msg) {
  constexpr std::size_t kTrailer = 7;  // 10=ccc<SOH>
  if (msg.size() < kTrailer + 1 || msg.compare(msg.size() - kTrailer, 3, "10=") != 0) return false;
  unsigned stated = 0;
  if (std::from_chars(msg.data() + msg.size() - 4, msg.data() + msg.size() - 1, stated).ec != std::errc()) return false;
  return fix_checksum(msg.substr(0, msg.size() - kTrailer)) == stated;
}

// A valid FIX application message the venue does not support, arriving in sequence, is answered with
// a BusinessMessageReject(380=3); anything else goes to QuickFIX.
// The session checks QuickFIX would make before anything else, made here for the messages it never
// sees: a garbled message (CheckSum wrong) is ignored; one with the wrong CompIDs is answered with a
// session Reject (373=9) and a Logout, and the connection is closed.
bool VenueAcceptor::Impl::unsupported(Connection& c, const std::string& msg) {
  const auto type = raw_field(msg, "35");
  if (!type || !c.session->isLoggedOn() || !is_fix44_app_type(*type)) return false;
  for (const auto& t : settings.supported_app_types) {
    if (t == *type) return false;
  }
  if (!checksum_ok(msg)) {
    ++self->counters_.framing_errors;
    VENUE_LOG_KV(warning, "garbled message ignored (CheckSum)", {{"peer", c.peer}, {"msg_type", std::string(*type)}});
    return true;
  }
  const auto seq_text = raw_field(msg, "34");
  int seq = 0;
  if (!seq_text || std::from_chars(seq_text->data(), seq_text->data() + seq_text->size(), seq).ec != std::errc() ||
      seq != c.session->getExpectedTargetNum()) {
    return false;  // out of sequence: the session layer deals with it first
  }
  const FIX::SessionID& id = c.session->getSessionID();
  if (raw_field(msg, "49") != id.getTargetCompID().getString() ||
      raw_field(msg, "56") != id.getSenderCompID().getString()) {
    FIX::Message reject;
    reject.getHeader().setField(FIX::FIELD::MsgType, "3");
    reject.setField(FIX::FIELD::RefSeqNum, std::string(*seq_text));
    reject.setField(FIX::FIELD::RefMsgType, std::string(*type));
    reject.setField(FIX::FIELD::SessionRejectReason, "9");
    reject.setField(FIX::FIELD::Text, "CompID problem");
    c.session->setNextTargetMsgSeqNum(seq + 1);
    c.session->send(reject);
    FIX::Message logout;
    logout.getHeader().setField(FIX::FIELD::MsgType, "5");
    logout.setField(FIX::FIELD::Text, "CompID problem");
    c.session->send(logout);
    VENUE_LOG_KV(warning, "wrong CompIDs: rejected and logged out", {{"peer", c.peer}, {"session", id.toString()}});
    close_later(c);
    return true;
  }
  ++self->counters_.unsupported_messages;
  FIX::Message reject;
  reject.getHeader().setField(FIX::FIELD::MsgType, "j");
  reject.setField(FIX::FIELD::RefSeqNum, std::string(*seq_text));
  reject.setField(FIX::FIELD::RefMsgType, std::string(*type));
  reject.setField(FIX::FIELD::BusinessRejectReason, "3");
  reject.setField(FIX::FIELD::Text,
                  "3010 UnsupportedMessage: the venue does not support MsgType " + std::string(*type));
  c.session->setNextTargetMsgSeqNum(seq + 1);
  c.session->send(reject);
  return true;
}

void VenueAcceptor::Impl::feed(Connection& c, const std::string& msg) {
  if (c.session == nullptr) return;
  if (unsupported(c, msg)) return;
  if (!settings.direct_app_types.empty() && take_direct(c, msg)) return;
  try {
    c.quickfix_fed_ms = coarse_ms();
    c.session->next(msg, FIX::UtcTimeStamp());
  } catch (const FIX::InvalidMessage& e) {
    // A garbled message (bad checksum, bad length): FIX says ignore it; the sequence gap it leaves is
    // caught by the session. Before logon there is nothing to keep.
    // (The session may have let go of the connection while handling it: c.session is then null.)
    ++self->counters_.framing_errors;
    if (c.session == nullptr) {
      close_later(c);
    } else if (!c.session->isLoggedOn()) {
      refuse_and_close(c, nullptr, "invalid message before logon");
    }
  } catch (const std::exception& e) {
    VENUE_LOG_KV(error, "session failed on a message", {{"peer", c.peer}, {"error", e.what()}});
    c.disconnect();
  }
}

void VenueAcceptor::Impl::first_message(Connection& c, std::string msg) {
  const std::string_view m(msg);
  const auto type = raw_field(m, "35");
  const auto begin = raw_field(m, "8");
  const auto sender = raw_field(m, "49");
  const auto target = raw_field(m, "56");
  if (!type || *type != "A" || !begin || !sender || !target) {
    refuse_and_close(c, nullptr, "the first message must be a Logon (35=A) with SenderCompID and TargetCompID");
    return;
  }
  if (*begin != kBeginString) {
    // Answered in the venue's own FIX version (the client's may not be one the venue can write), under
    // the session's rules when the CompIDs name one.
    const std::string reason = "unsupported BeginString(8) " + std::string(*begin) + ": the venue speaks FIX.4.4";
    const FIX::SessionID as_44{kBeginString, std::string(*target), std::string(*sender)};
    if (FIX::Session* known = self->find_session(as_44); known != nullptr) {
      refuse(c, as_44, *known, reason);
    } else {
      refuse_with_logout(c, kBeginString, *target, *sender, 1, reason);
      self->gate_.refused(nullptr, c.peer, reason);
    }
    return;
  }
  const FIX::SessionID id{std::string(*begin), std::string(*target), std::string(*sender)};
  FIX::Session* s = self->find_session(id);
  if (s == nullptr) {
    // Unknown CompIDs: answered with a Logout from the CompID they asked for.
    refuse_with_logout(c, *begin, *target, *sender, 1, "unknown SenderCompID/TargetCompID");
    self->gate_.refused(nullptr, c.peer, "unknown CompID " + std::string(*sender) + "->" + std::string(*target));
    return;
  }
  if (FIX::Session::isSessionRegistered(id)) {
    refuse(c, id, *s, "session already connected from another connection");
    return;
  }
  const auto username = raw_field(m, "553");
  const auto password = raw_field(m, "554");
  auto verdict = self->gate_.admit(id, c.peer, c.tls, username.value_or(""), password.has_value());
  if (!verdict.ok) {
    refuse(c, id, *s, verdict.reason);
    return;
  }
  if (password_checks() >= settings.max_password_checks) {
    // Checking passwords is deliberately slow (PBKDF2): a burst of Logons waits in line for it only
    // up to a bound; beyond, the Logon is refused at once and the broker's engine retries.
    refuse(c, id, *s, "the venue is busy checking other logons: retry in a few seconds");
    return;
  }
  c.session_id = id;
  c.logon = std::move(msg);
  c.state = Connection::State::kAuthenticating;
  c.refusal_after_check = verdict.refuse_after_check ? verdict.reason : std::string();
  c.ticket = checker->submit(std::string(password.value_or("")), verdict.password_hash);
}

void VenueAcceptor::Impl::password_checked(Connection& c, bool ok) {
  FIX::Session* s = self->find_session(c.session_id);
  if (s == nullptr) {  // removed while its password was checked
    refuse_and_close(c, nullptr, "unknown SenderCompID/TargetCompID");
    return;
  }
  if (!ok || !c.refusal_after_check.empty()) {
    refuse(c, c.session_id, *s,
           c.refusal_after_check.empty() ? "authentication failed: wrong Username(553) or Password(554)"
                                         : c.refusal_after_check);
    return;
  }
  if (FIX::Session::isSessionRegistered(c.session_id)) {
    refuse(c, c.session_id, *s, "session already connected from another connection");
    return;
  }
  c.session = s;
  s->setResponder(&c);
  responders[s] = &c;
  c.quickfix_sent_ms = 0;  // QuickFIX sends the Logon's answer itself
  FIX::Session::registerSession(c.session_id);
  c.registered = true;
  c.state = Connection::State::kActive;
  refusal_numbered.erase(c.session_id);
  self->gate_.authenticated(c.session_id, c.peer, c.tls);
  feed(c, c.logon);
  c.logon.clear();
  auto held = std::move(c.held);
  c.held.clear();
  for (const auto& m : held) {
    if (c.state != Connection::State::kActive) break;
    feed(c, m);
  }
}

// The refusal's Logout carries the venue's next sequence number and uses it up (nothing is stored under
// it: a resend gap-fills it), so a client that counts the Logout and one that does not both stay in
// step. One number at most between two logons: later refusals carry the number the first one used
// (so anyone who can reach the port cannot push a session's numbers up, nor make it write to its
// store, by failing to log on). While the session is logged on from another connection, its numbers
// are left alone.
void VenueAcceptor::Impl::refuse(Connection& c, const FIX::SessionID& id, FIX::Session& s, const std::string& reason) {
  int seq = s.getExpectedSenderNum();
  const bool idle = !FIX::Session::isSessionRegistered(id);
  const bool use_one = idle && (seq <= 1 || refusal_numbered.insert(id).second);
  if (idle && !use_one) --seq;
  refuse_with_logout(c, id.getBeginString().getString(), id.getSenderCompID().getString(),
                     id.getTargetCompID().getString(), seq, reason);
  if (use_one) {
    s.setNextSenderMsgSeqNum(seq + 1);
    refusal_numbered.insert(id);
  }
  self->gate_.refused(&id, c.peer, reason);
}

void VenueAcceptor::Impl::refuse_with_logout(Connection& c, std::string_view begin, std::string_view sender,
                                             std::string_view target, int seq, const std::string& reason) {
  ++self->counters_.logons_refused;
  VENUE_LOG_KV(warning, "logon refused", {{"peer", c.peer}, {"sender", std::string(target)}, {"reason", reason}});
  c.out.append(refusal_logout(begin, sender, target, seq, reason));
  mark_dirty(c);
  close_later(c);
}

void VenueAcceptor::Impl::refuse_and_close(Connection& c, const FIX::SessionID* id, const std::string& reason) {
  ++self->counters_.logons_refused;
  VENUE_LOG_KV(warning, "connection refused", {{"peer", c.peer}, {"reason", reason}});
  self->gate_.refused(id, c.peer, reason);
  close_later(c);
}

}  // namespace venue::fix_session
