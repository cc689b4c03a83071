// Messages out, on the gateway thread. send() passes a message to the session (QuickFIX stores it for
// resend; the acceptor writes the socket once per loop turn) and appends it to the report log, from
// which the publisher thread produces it to Kafka. Refusals are built by report_builder.h and counted
// (venue_rejects_total by code, per session).
#include <charconv>
#include <span>

#include "gateway_impl.h"
#include "venue/common/log.h"
#include "venue/fix_session/fix_text.h"
#include "venue/fix_session/report_record.h"

namespace venue::fix_gateway {

// Sends to the broker's session (stored there for resend) and records the message in the report log
// (for Kafka). Reports made again while replaying the journal after a crash carry PossResend(97)=Y.
// The acceptor sends it from its text (VenueAcceptor::send_app); when it cannot (the session is logged
// off, or QuickFIX's own turn to send has come), QuickFIX sends its Message form.
void Gateway::Impl::send(Session& s, const fix_session::OutMessage& msg) {
  if (s.fix == nullptr) return;
  note_out(s);
  // Fields beyond standard FIX 4.4 reach only sessions that asked for them; the report log (and so Kafka,
  // the drop copy and the consumers) keeps them either way.
  static constexpr int kExtended[] = {fix_session::tags::kTrdMatchID, fix_session::tags::kVenueStpMode};
  const std::span<const int> withheld =
      s.cfg.extended_fields ? std::span<const int>() : std::span<const int>(kExtended);
  Report r;
  if (acceptor == nullptr || !cfg.direct_fix || !acceptor->send_app(*s.fix, msg, withheld, replaying_, r.payload)) {
    FIX::Message m = msg.to_message(withheld);
    if (replaying_) m.getHeader().setField(FIX::FIELD::PossResend, "Y");
    try {
      s.fix->send(m);
    } catch (const std::exception& e) {
      VENUE_LOG_KV(error, "sending to a session failed", {{"session", s.cfg.sender_comp_id}, {"error", e.what()}});
    }
    for (const int tag : withheld) {
      if (const auto v = msg.get(tag)) m.setField(tag, std::string(*v));
    }
    r.payload = m.toString();
  }
  if (event_shard_ != kNoShard) {
    r.shard = static_cast<std::uint16_t>(cfg.engine.shards[event_shard_].id);
    r.engine_seq = event_seq_;
  }
  const auto order_id = msg.get(FIX::FIELD::OrderID).value_or("");
  std::from_chars(order_id.data(), order_id.data() + order_id.size(), r.order_id);
  r.msg_type = msg.type()[0];
  r.exec_type = msg.get(FIX::FIELD::ExecType).value_or(std::string_view("\0", 1))[0];
  r.session = s.cfg.sender_comp_id;
  if (const FirmConfig* f = cfg.firm(s.cfg.firm)) r.firm = f->name;
  r.account = msg.get(FIX::FIELD::Account).value_or("");
  reports->append(r);
}

void Gateway::Impl::count_reject(Session& s, RejectCode code) {
  s.counters.rejects->Increment();
  ++s.rejects[static_cast<int>(code)];
  metrics.reject(code).Increment();
}

std::string Gateway::Impl::account_name(AccountId id) const {
  const AccountConfig* a = cfg.account(id);
  return a != nullptr ? a->name : std::string();
}

// An order refused before or by lack of the engine: ExecutionReport 150=8.
void Gateway::Impl::send_reject_er(Session& s, const RefusedOrder& o, RejectCode code, const std::string& detail) {
  count_reject(s, code);
  fix_session::OutMessage er = order_reject(o, code, detail, next_local_exec_id(), wall_ns());
  metrics.report('8');
  send(s, er);
}

// A cancel or replace whose OrigClOrdID names no live order: if it names an order of the session that
// has ended, "too late" (1051) with that order's final status; otherwise `code`.
void Gateway::Impl::refuse_missing_order(Session& s, const std::string& clordid, const std::string& orig, bool replace,
                                         RejectCode code) {
  if (code == RejectCode::kUnknownClOrdID) {
    if (auto it = s.orders.ended.find(orig); it != s.orders.ended.end()) {
      send_cancel_reject(s, clordid, orig, nullptr, replace, RejectCode::kOrderNotActive, "", it->second.status,
                         &it->second);
      return;
    }
  }
  send_cancel_reject(s, clordid, orig, nullptr, replace, code, "");
}

void Gateway::Impl::send_cancel_reject(Session& s, const std::string& clordid, const std::string& orig, const Order* o,
                                       bool replace, RejectCode code, const std::string& detail, char status,
                                       const EndedOrder* ended) {
  count_reject(s, code);
  CancelRejectFields f;
  f.clordid = clordid;
  f.orig_clordid = orig;
  if (o != nullptr && o->id.valid()) f.order_id = std::to_string(o->id.value());
  if (ended != nullptr) f.order_id = std::to_string(ended->order_id);
  f.status = status != 0 ? status : (o != nullptr ? '0' : '8');
  const AccountId account = o != nullptr ? o->account : ended != nullptr ? ended->account : AccountId{};
  if (account.valid()) f.account = account_name(account);
  f.replace = replace;
  fix_session::OutMessage r = cancel_reject(f, code, detail, wall_ns());
  send(s, r);
}

void Gateway::Impl::send_business_reject(Session& s, const FIX::Message& msg, RejectCode code) {
  count_reject(s, code);
  fix_session::OutMessage r = business_reject(msg, code);
  send(s, r);
}

// Status of an order the session does not have live: 150=I, 39=8, 103=5 (FIX 4.4's answer).
void Gateway::Impl::send_unknown_status(Session& s, const UnknownStatusFields& f, RejectCode code,
                                        bool count_as_report) {
  count_reject(s, code);
  fix_session::OutMessage er = unknown_status(f, code, next_local_exec_id());
  if (count_as_report) metrics.report('I');
  send(s, er);
}

void Gateway::Impl::send_mass_cancel_report(Session& s, MassCancelReportFields f, RejectCode code,
                                            const std::string& detail) {
  if (f.response == '0') count_reject(s, code);
  f.report_id = local_exec_prefix + "MC" + std::to_string(++local_exec);
  fix_session::OutMessage r = mass_cancel_report(f, code, detail, wall_ns());
  send(s, r);
}

}  // namespace venue::fix_gateway
