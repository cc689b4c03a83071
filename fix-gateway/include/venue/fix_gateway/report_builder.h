#pragma once
// Report building: the FIX messages the venue sends about orders, as pure functions of what they
// report. ExecutionReports (8) for the engine's events and for the gateway's own refusals,
// OrderCancelRejects (9), OrderMassCancelReports (r) and BusinessMessageRejects (j). Every refusal's
// Text starts with its code and name from spec/reject-codes.md ("1013 PriceNotOnTick: ..."), and its
// reason field (OrdRejReason 103, CxlRejReason 102, BusinessRejectReason 380) is the catalogue's.
//
//   fix_session::OutMessage er = execution_report(order, instrument, "ALPHA-1", '0', '0', exec_id, now_ns);
//   set_quantities(er, instrument, event.order);
//
// The session header (BeginString, CompIDs, MsgSeqNum, SendingTime) is the session's to add when it
// sends the message.
//
// Thread rules: pure functions.

#include <cstdint>
#include <optional>
#include <string>

#include "venue/common/reject_code.h"
#include "venue/fix_gateway/instruments.h"
#include "venue/fix_gateway/order_registry.h"
#include "venue/fix_session/out_message.h"
#include "venue/fix_session/quickfix.h"
#include "venue/matcher/events.h"

namespace venue::fix_gateway {

// OrdStatus(39) of an engine order state.
char ord_status(matcher::OrderState s);
// Text(58) of a cancellation.
std::string cancel_text(matcher::CancelReason r);
// Text(58) of a refusal: "<code> <Name>: <catalogue text> (<detail>)".
std::string code_text(RejectCode code, const std::string& detail = {});
// The catalogue's OrdRejReason(103) / CxlRejReason(102) of a code (99 "other" when it has none).
int ord_rej_reason(RejectCode code);
int cxl_rej_reason(RejectCode code);

// An ExecutionReport about an order: its identity and terms as the broker gave them (ClOrdID, Account,
// Symbol, Side, OrdType, Price, StopPx, TimeInForce, ExpireTime, ExecInst, MaxFloor, OrderCapacity,
// the STP tag 8000), ExecType and OrdStatus, ExecID and TransactTime. Quantities come from
// set_quantities().
fix_session::OutMessage execution_report(const Order& o, const Instrument& in, const std::string& account_name,
                                         char exec_type, char status, const std::string& exec_id, std::int64_t now_ns);
// OrderQty, LeavesQty, CumQty and AvgPx from the engine's view of the order. False when AvgPx cannot be
// computed (it is then written as 0: the caller logs and counts it).
bool set_quantities(fix_session::OutMessage& er, const Instrument& in, const matcher::OrderView& v);
// The fill's LastQty, LastPx, TrdMatchID(880) and LastLiquidityInd(851).
void set_fill(fix_session::OutMessage& er, const Instrument& in, const matcher::TradeEvent& trade, bool aggressor);

// What a NewOrderSingle refused before (or by lack of) the engine echoes.
struct RefusedOrder {
  std::string clordid;
  OrderId id;                              // invalid: "NONE"
  const FIX::Message* request = nullptr;   // the NewOrderSingle: its terms are echoed as sent
  std::string account, symbol;             // without the request
  Side side = Side::kBuy;                  // without the request
  const Instrument* instrument = nullptr;  // without the request: OrderQty and Price in its units
  std::int64_t qty = 0, price = 0;
};
// ExecutionReport 150=8, 39=8 with OrdRejReason and the code's Text.
fix_session::OutMessage order_reject(const RefusedOrder& o, RejectCode code, const std::string& detail,
                                     const std::string& exec_id, std::int64_t now_ns);

// OrderCancelReject (9) of a cancel (`replace` false) or replace request.
struct CancelRejectFields {
  std::string clordid;
  std::string orig_clordid;
  std::string order_id = "NONE";
  char status = '8';    // OrdStatus of the order it named
  std::string account;  // Account(1) when known
  bool replace = false;
};
fix_session::OutMessage cancel_reject(const CancelRejectFields& f, RejectCode code, const std::string& detail,
                                      std::int64_t now_ns);

// BusinessMessageReject (j) of a message the session may not send or the venue cannot take.
fix_session::OutMessage business_reject(const FIX::Message& request, RejectCode code);

// The answer to a status request about an order the session does not have live: 150=I, 39=8, 103=5.
struct UnknownStatusFields {
  std::string order_id = "NONE";
  std::string clordid;
  std::string status_req_id;
  std::string side = "1";
  std::optional<std::string> symbol;
};
fix_session::OutMessage unknown_status(const UnknownStatusFields& f, RejectCode code, const std::string& exec_id);

// OrderMassCancelReport (r): `response` 0 refuses (with `reject_reason` and the code's Text), otherwise
// it echoes the request type and counts the orders cancelled.
struct MassCancelReportFields {
  std::string clordid;
  std::string report_id;
  char request_type = '7';
  char response = '7';
  int reject_reason = 0;
  std::uint64_t affected = 0;
  std::optional<std::string> symbol;
  std::optional<std::string> side;
};
fix_session::OutMessage mass_cancel_report(const MassCancelReportFields& f, RejectCode code, const std::string& detail,
                                           std::int64_t now_ns);

}  // namespace venue::fix_gateway
