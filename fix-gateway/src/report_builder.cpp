// Report building: engine events and refusals to FIX messages, as pure functions (report_builder.h).
#include "venue/fix_gateway/report_builder.h"

#include "venue/fix_session/fix_text.h"

namespace venue::fix_gateway {

namespace m = venue::matcher;
using fix_session::get_field;
using fix_session::OutMessage;
using fix_session::utc_timestamp;

char ord_status(m::OrderState s) {
  switch (s) {
    case m::OrderState::kNew: return '0';
    case m::OrderState::kPartiallyFilled: return '1';
    case m::OrderState::kFilled: return '2';
    case m::OrderState::kCancelled: return '4';
    case m::OrderState::kExpired: return 'C';
    case m::OrderState::kRejected: return '8';
  }
  return '0';
}

std::string cancel_text(m::CancelReason r) {
  switch (r) {
    case m::CancelReason::kUser: return "cancelled on request";
    case m::CancelReason::kIocRemainder:
      return "cancelled: immediate-or-cancel remainder (or market order beyond the book or band)";
    case m::CancelReason::kFokUnfilled: return "cancelled: fill-or-kill could not fill in full";
    case m::CancelReason::kMinQtyUnmet: return "cancelled: MinQty could not be filled at once";
    case m::CancelReason::kSelfTrade: return "cancelled: self-trade prevention";
    case m::CancelReason::kPostOnly: return "cancelled: post-only order would have taken liquidity";
    case m::CancelReason::kMassCancel: return "cancelled: mass cancel";
    case m::CancelReason::kKillSwitch: return "cancelled: kill switch";
    case m::CancelReason::kDisconnect: return "cancelled: cancel on disconnect";
    case m::CancelReason::kOperator: return "cancelled by operations";
    case m::CancelReason::kReplacedToZero: return "done: replaced to the filled quantity";
  }
  return "cancelled";
}

std::string code_text(RejectCode code, const std::string& detail) {
  const RejectInfo* info = reject_info(code);
  std::string t = std::to_string(static_cast<int>(code)) + " " + (info ? std::string(info->name) : "Unknown");
  if (info != nullptr) t += ": " + std::string(info->text);
  if (!detail.empty()) t += " (" + detail + ")";
  return t;
}

int ord_rej_reason(RejectCode code) {
  const RejectInfo* info = reject_info(code);
  return info != nullptr && info->ord_rej_reason >= 0 ? info->ord_rej_reason : 99;
}

int cxl_rej_reason(RejectCode code) {
  const RejectInfo* info = reject_info(code);
  return info != nullptr && info->cxl_rej_reason >= 0 ? info->cxl_rej_reason : 99;
}

OutMessage execution_report(const Order& o, const Instrument& in, const std::string& account_name, char exec_type,
                            char status, const std::string& exec_id, std::int64_t now_ns) {
  OutMessage er("8");
  er.set(FIX::FIELD::OrderID, o.id.valid() ? std::to_string(o.id.value()) : "NONE");
  er.set(FIX::FIELD::ExecID, exec_id);
  er.set(FIX::FIELD::ClOrdID, o.clordid);
  er.set(FIX::FIELD::ExecType, std::string(1, exec_type));
  er.set(FIX::FIELD::OrdStatus, std::string(1, status));
  if (!account_name.empty()) er.set(FIX::FIELD::Account, account_name);
  er.set(FIX::FIELD::Symbol, in.spec.symbol);
  er.set(FIX::FIELD::Side, std::string(1, static_cast<char>('0' + static_cast<int>(o.side))));
  er.set(FIX::FIELD::OrdType, std::string(1, static_cast<char>('0' + static_cast<int>(o.type))));
  if (o.price != 0) er.set(FIX::FIELD::Price, ticks_text(in, o.price));
  if (o.stop != 0) er.set(FIX::FIELD::StopPx, ticks_text(in, o.stop));
  er.set(FIX::FIELD::TimeInForce, std::string(1, static_cast<char>('0' + static_cast<int>(o.tif))));
  if (!o.expire_text.empty()) er.set(FIX::FIELD::ExpireTime, o.expire_text);
  if (o.post_only) er.set(FIX::FIELD::ExecInst, "6");
  if (o.display > 0) er.set(FIX::FIELD::MaxFloor, lots_text(in, o.display));
  if (o.capacity != 0) er.set(FIX::FIELD::OrderCapacity, std::string(1, o.capacity));
  if (o.stp != 0) er.set(8000, std::string(1, o.stp));
  er.set(FIX::FIELD::TransactTime, utc_timestamp(now_ns));
  return er;
}

bool set_quantities(OutMessage& er, const Instrument& in, const m::OrderView& v) {
  er.set(FIX::FIELD::OrderQty, lots_text(in, v.qty.count()));
  er.set(FIX::FIELD::LeavesQty, lots_text(in, v.leaves_qty.count()));
  er.set(FIX::FIELD::CumQty, lots_text(in, v.cum_qty.count()));
  auto avg = average_price(v.cum_value, v.cum_qty, in.spec.tick_size);
  er.set(FIX::FIELD::AvgPx, avg ? avg->to_string() : "0");
  return static_cast<bool>(avg);
}

void set_fill(OutMessage& er, const Instrument& in, const m::TradeEvent& e, bool aggressor) {
  er.set(FIX::FIELD::LastQty, lots_text(in, e.qty.count()));
  er.set(FIX::FIELD::LastPx, ticks_text(in, e.price.count()));
  er.set(FIX::FIELD::TrdMatchID, std::to_string(e.trade_id.value()));
  er.set(FIX::FIELD::LastLiquidityInd, aggressor ? "2" : "1");
}

OutMessage order_reject(const RefusedOrder& o, RejectCode code, const std::string& detail, const std::string& exec_id,
                        std::int64_t now_ns) {
  OutMessage er("8");
  er.set(FIX::FIELD::OrderID, o.id.valid() ? std::to_string(o.id.value()) : "NONE");
  er.set(FIX::FIELD::ExecID, exec_id);
  er.set(FIX::FIELD::ClOrdID, o.clordid);
  er.set(FIX::FIELD::ExecType, "8");
  er.set(FIX::FIELD::OrdStatus, "8");
  er.set(FIX::FIELD::OrdRejReason, std::to_string(ord_rej_reason(code)));
  if (o.request != nullptr) {
    // Echo what the broker sent, as sent.
    for (int tag : {FIX::FIELD::Account, FIX::FIELD::Symbol, FIX::FIELD::Side, FIX::FIELD::OrderQty,
                    FIX::FIELD::OrdType, FIX::FIELD::Price, FIX::FIELD::StopPx, FIX::FIELD::TimeInForce,
                    FIX::FIELD::ExpireTime, FIX::FIELD::OrderCapacity}) {
      if (auto v = get_field(*o.request, tag)) er.set(tag, *v);
    }
  } else {
    if (!o.account.empty()) er.set(FIX::FIELD::Account, o.account);
    if (!o.symbol.empty()) er.set(FIX::FIELD::Symbol, o.symbol);
    er.set(FIX::FIELD::Side, std::string(1, static_cast<char>('0' + static_cast<int>(o.side))));
    if (o.instrument != nullptr && !o.symbol.empty()) {
      er.set(FIX::FIELD::OrderQty, lots_text(*o.instrument, o.qty));
      if (o.price != 0) er.set(FIX::FIELD::Price, ticks_text(*o.instrument, o.price));
    }
  }
  if (!er.has(FIX::FIELD::Side)) er.set(FIX::FIELD::Side, "1");
  er.set(FIX::FIELD::LeavesQty, "0");
  er.set(FIX::FIELD::CumQty, "0");
  er.set(FIX::FIELD::AvgPx, "0");
  er.set(FIX::FIELD::TransactTime, utc_timestamp(now_ns));
  er.set(FIX::FIELD::Text, code_text(code, detail));
  return er;
}

OutMessage cancel_reject(const CancelRejectFields& f, RejectCode code, const std::string& detail, std::int64_t now_ns) {
  OutMessage r("9");
  r.set(FIX::FIELD::OrderID, f.order_id);
  r.set(FIX::FIELD::ClOrdID, f.clordid);
  r.set(FIX::FIELD::OrigClOrdID, f.orig_clordid);
  r.set(FIX::FIELD::OrdStatus, std::string(1, f.status));
  if (!f.account.empty()) r.set(FIX::FIELD::Account, f.account);
  r.set(FIX::FIELD::CxlRejResponseTo, f.replace ? "2" : "1");
  r.set(FIX::FIELD::CxlRejReason, std::to_string(cxl_rej_reason(code)));
  r.set(FIX::FIELD::TransactTime, utc_timestamp(now_ns));
  r.set(FIX::FIELD::Text, code_text(code, detail));
  return r;
}

OutMessage business_reject(const FIX::Message& msg, RejectCode code) {
  OutMessage r("j");
  r.set(FIX::FIELD::RefSeqNum, msg.getHeader().getField(FIX::FIELD::MsgSeqNum));
  r.set(FIX::FIELD::RefMsgType, msg.getHeader().getField(FIX::FIELD::MsgType));
  if (auto id = get_field(msg, FIX::FIELD::ClOrdID)) r.set(FIX::FIELD::BusinessRejectRefID, *id);
  const RejectInfo* info = reject_info(code);
  r.set(FIX::FIELD::BusinessRejectReason,
        std::to_string(info != nullptr && info->business_reject_reason >= 0 ? info->business_reject_reason : 0));
  r.set(FIX::FIELD::Text, code_text(code));
  return r;
}

OutMessage unknown_status(const UnknownStatusFields& f, RejectCode code, const std::string& exec_id) {
  OutMessage er("8");
  er.set(FIX::FIELD::OrderID, f.order_id);
  er.set(FIX::FIELD::ExecID, exec_id);
  er.set(FIX::FIELD::ClOrdID, f.clordid);
  if (!f.status_req_id.empty()) er.set(FIX::FIELD::OrdStatusReqID, f.status_req_id);
  er.set(FIX::FIELD::ExecType, "I");
  er.set(FIX::FIELD::OrdStatus, "8");
  er.set(FIX::FIELD::OrdRejReason, "5");
  er.set(FIX::FIELD::Side, f.side);
  if (f.symbol) er.set(FIX::FIELD::Symbol, *f.symbol);
  er.set(FIX::FIELD::LeavesQty, "0");
  er.set(FIX::FIELD::CumQty, "0");
  er.set(FIX::FIELD::AvgPx, "0");
  er.set(FIX::FIELD::Text, code_text(code));
  return er;
}

OutMessage mass_cancel_report(const MassCancelReportFields& f, RejectCode code, const std::string& detail,
                              std::int64_t now_ns) {
  OutMessage r("r");
  r.set(FIX::FIELD::ClOrdID, f.clordid);
  r.set(FIX::FIELD::OrderID, f.report_id);
  r.set(FIX::FIELD::MassCancelRequestType, std::string(1, f.request_type));
  r.set(FIX::FIELD::MassCancelResponse, std::string(1, f.response));
  if (f.response == '0') {
    r.set(FIX::FIELD::MassCancelRejectReason, std::to_string(f.reject_reason));
    r.set(FIX::FIELD::Text, code_text(code, detail));
  } else {
    r.set(FIX::FIELD::TotalAffectedOrders, std::to_string(f.affected));
  }
  if (f.symbol) r.set(FIX::FIELD::Symbol, *f.symbol);
  if (f.side) r.set(FIX::FIELD::Side, *f.side);
  r.set(FIX::FIELD::TransactTime, utc_timestamp(now_ns));
  return r;
}

}  // namespace venue::fix_gateway
