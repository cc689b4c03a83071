#pragma once
// Inbound translation: what a broker's message asks for, checked against the venue's rules and turned
// into an engine command, or refused with a code (spec/reject-codes.md). Covers NewOrderSingle (D),
// OrderCancelRequest (F), OrderCancelReplaceRequest (G), OrderStatusRequest (H) and
// OrderMassCancelRequest (q). Messages reach it already validated by QuickFIX against the venue's
// dictionary (spec/fix/VENUE-FIX44.xml): required fields are present and enumerations are legal.
//
// What is not here: the checks that need a session's live state (ClOrdID length and duplicates, the
// throttle: the gateway's order entry does them first), pre-trade risk (pre_trade_risk.h, after this),
// and sending anything (the gateway's order entry turns a Refusal into the reject message).
//
//   InboundTranslator in(cfg, instruments);
//   Order o;
//   matcher::NewOrderCmd cmd{};
//   if (auto r = in.new_order(msg, session_cfg, o, cmd); r.code != RejectCode::kNone) refuse(r);
//
// Thread rules: the gateway thread (pure functions of the message, the configuration and the instruments).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "venue/common/reject_code.h"
#include "venue/fix_gateway/config.h"
#include "venue/fix_gateway/instruments.h"
#include "venue/fix_gateway/order_registry.h"
#include "venue/fix_session/quickfix.h"
#include "venue/matcher/commands.h"

namespace venue::fix_gateway {

struct Refusal {
  RejectCode code = RejectCode::kNone;
  std::string detail;  // appended to the reject's Text
  explicit operator bool() const { return code != RejectCode::kNone; }
};

inline constexpr std::size_t kMaxClOrdIDLength = 64;

class InboundTranslator {
 public:
  InboundTranslator(const GatewayConfig& cfg, const InstrumentTable& instruments)
      : cfg_(cfg), instruments_(instruments) {}

  // D: fills `order` (everything but key, ref, session and open notional) and `command` (everything but
  // client_ref and owner.session), checking, in this order: the account (Account(1), else the session's
  // first) is one of the session's; Symbol names an instrument that is open; OrderQty, Price, StopPx,
  // MaxFloor and MinQty in the instrument's units and present exactly when the order type needs them;
  // ExpireTime a UTCTimestamp, required for GTD.
  Refusal new_order(const FIX::Message& msg, const SessionConfig& session, Order& order,
                    matcher::NewOrderCmd& command) const;

  // The live order a cancel or replace names by OrigClOrdID(41), checked against OrderID(37), Side(54)
  // and Symbol(55) when given. A replace that names it but changes Side or Symbol: 2013. Null with the
  // code when none.
  Order* order_named(const FIX::Message& msg, OrderRegistry& orders, const SessionOrders& session, bool replace,
                     RejectCode& code) const;

  // G: the replace's new values into `request` (price, stop, qty, display), checking that it changes
  // nothing a replace may not change (OrdType, TimeInForce, Account, ExpireTime: 2013) and the units.
  Refusal replace(const FIX::Message& msg, const Order& order, Request& request) const;

  // q: the mass cancel (scope, side, account) into `command` (everything but client_ref) and the shards
  // it goes to. `reject_reason` is MassCancelRejectReason(532) for a refusal.
  Refusal mass_cancel(const FIX::Message& msg, const SessionConfig& session, matcher::MassCancelCmd& command,
                      std::vector<std::size_t>& shards, std::size_t shard_count, int& reject_reason) const;

  // Tag 8000 (the order's self-trade prevention mode) as the engine knows it.
  static StpMode stp_mode(char tag, StpMode fallback);

 private:
  const GatewayConfig& cfg_;
  const InstrumentTable& instruments_;
};

}  // namespace venue::fix_gateway
