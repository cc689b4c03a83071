// QuickFIX's callbacks on the gateway thread: logons (the acceptor's LogonPolicy has checked the
// credentials before QuickFIX saw the Logon; here the refusals are counted and a Logon's HeartBtInt is
// checked), logouts and cancel-on-disconnect, and the dispatch of application messages to order entry
// (order_entry.cpp). Read-only sessions' application messages are refused here.
#include <charconv>

#include "gateway_impl.h"
#include "venue/common/log.h"
#include "venue/common/shutdown.h"
#include "venue/fix_session/fix_text.h"

namespace venue::fix_gateway {

namespace m = venue::matcher;
using fix_session::get_field;

void Gateway::Impl::on_logon_refused(const FIX::SessionID* id, std::string_view, std::string_view) {
  if (id == nullptr) return;
  if (Session* s = session_of(*id)) s->counters.logons_refused->Increment();
}

void Gateway::Impl::on_logon_authenticated(const FIX::SessionID& id, std::string_view address, bool tls) {
  Session* s = session_of(id);
  if (s == nullptr) return;
  VENUE_LOG_KV(info, "logon authenticated",
               {{"session", s->cfg.sender_comp_id}, {"peer", std::string(address)}, {"tls", tls}});
}

void Gateway::Impl::onLogon(const FIX::SessionID& id) {
  Session* s = session_of(id);
  if (s == nullptr) return;
  s->logged_on = true;
  s->throttle.reset_streak();
  s->counters.logons_ok->Increment();
  VENUE_LOG_KV(info, "session logged on", {{"session", s->cfg.sender_comp_id}});
}

void Gateway::Impl::onLogout(const FIX::SessionID& id) {
  Session* s = session_of(id);
  if (s == nullptr) return;
  const bool was = s->logged_on;
  s->logged_on = false;
  // Session::logout() (throttle, shutdown) disables the session; it may log on again afterwards.
  if (s->fix != nullptr && !stop_requested && !ShutdownSignal::requested()) s->fix->logon();
  if (!was) return;
  VENUE_LOG_KV(info, "session logged out", {{"session", s->cfg.sender_comp_id}});
  if (s->cfg.cancel_on_disconnect != CancelOnDisconnect::kOff && !stop_requested && !ShutdownSignal::requested()) {
    for (std::size_t shard = 0; shard < shards.size(); ++shard) {
      m::MassCancelCmd mc{};
      mc.client_ref = 0;
      mc.session = s->cfg.id;
      mc.reason = m::CancelReason::kDisconnect;
      mc.tif_mask = s->cfg.cancel_on_disconnect == CancelOnDisconnect::kDayOnly ? m::tif_bit(TimeInForce::kDay) : 0;
      submit(shard, m::Command::make(mc));
    }
  }
}

void Gateway::Impl::fromAdmin(const FIX::Message& msg, const FIX::SessionID& id)
    QF_THROW(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) {
  Session* s = session_of(id);
  if (s != nullptr) note_in(*s);
  if (msg.getHeader().getField(FIX::FIELD::MsgType) != "A") return;
  if (s == nullptr) throw FIX::RejectLogon("unknown session");
  // The acceptor checked the credentials before the Logon got here; check that it still says the same.
  if (get_field(msg, 553).value_or("") != s->cfg.username) throw FIX::RejectLogon("Username(553) mismatch");
  const auto hb = get_field(msg, 108);
  long heartbeat = -1;
  if (hb) std::from_chars(hb->data(), hb->data() + hb->size(), heartbeat);
  if (heartbeat < 1 || heartbeat > s->cfg.heartbeat_seconds_max) {
    throw FIX::RejectLogon("HeartBtInt(108) must be between 1 and " + std::to_string(s->cfg.heartbeat_seconds_max));
  }
}

void Gateway::Impl::fromApp(const FIX::Message& msg, const FIX::SessionID& id)
    QF_THROW(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) {
  Session* s = session_of(id);
  if (s == nullptr) return;
  s->counters.msgs_in->Increment();
  note_in(*s);
  const std::string type = msg.getHeader().getField(FIX::FIELD::MsgType);
  if (s->cfg.role == SessionRole::kReadOnly) {
    // Refused, but through the throttle like any order: a read-only session that floods is refused
    // ThrottleExceeded and, when the excess goes on, logged out.
    if (throttle_passes(*s, s->throttle.order(steady_ns()),
                        [&] { send_business_reject(*s, msg, RejectCode::kThrottleExceeded); })) {
      send_business_reject(*s, msg, RejectCode::kNotAuthorized);
    }
    return;
  }
  if (type == "D") {
    new_order(*s, msg);
  } else if (type == "F") {
    cancel_request(*s, msg);
  } else if (type == "G") {
    replace_request(*s, msg);
  } else if (type == "H") {
    status_request(*s, msg);
  } else if (type == "q") {
    mass_cancel_request(*s, msg);
  } else {
    throw FIX::UnsupportedMessageType();
  }
}

void Gateway::Impl::toAdmin(FIX::Message&, const FIX::SessionID& id) {
  if (Session* s = session_of(id)) note_out(*s);
}

void Gateway::Impl::throttle_logout(Session& s) {
  VENUE_LOG_KV(warning, "session logged out for sustained throttle excess", {{"session", s.cfg.sender_comp_id}});
  if (s.fix != nullptr) {
    s.fix->logout("throttle exceeded continuously for " + std::to_string(s.cfg.throttle.logout_after_seconds) +
                  " seconds");
  }
}

}  // namespace venue::fix_gateway
