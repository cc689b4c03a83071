#include "baseline_application.h"

#include <cstdio>

#include <quickfix/Session.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/NewOrderSingle.h>
#include <quickfix/fix44/OrderCancelReject.h>
#include <quickfix/fix44/OrderCancelRequest.h>

#include "venue/common/fixed_point.h"

namespace venue::fix_gateway::baseline {
namespace {

constexpr int kOrdRejOther = 99;  // OrdRejReason(103) "Other"

std::string decimal_text(std::int64_t units) { return Decimal::from_units(units).to_string(); }

// AvgPx: traded value / traded quantity, rounded half-even to 8 decimals ("0" before any fill).
std::string average_price_text(const BookOrder& o) {
  if (o.cum_qty == 0) return "0";
  auto avg = divide_rounded(o.traded_value_units, o.cum_qty, Rounding::kHalfEven);
  return avg ? decimal_text(*avg) : "0";
}

// A whole, positive quantity from OrderQty(38)'s text ("100" or "100.0").
bool parse_quantity(const std::string& text, std::int64_t& out) {
  auto d = Decimal::parse(text);
  if (!d || d->units() <= 0 || d->units() % Decimal::kOne != 0) return false;
  out = d->units() / Decimal::kOne;
  return true;
}

void send(FIX::Message& message, const FIX::SessionID& session) {
  try {
    FIX::Session::sendToTarget(message, session);
  } catch (const FIX::SessionNotFound& e) {
    std::fprintf(stderr, "baseline: cannot send to %s: %s\n", session.toString().c_str(), e.what());
  }
}

}  // namespace

void BaselineApplication::onLogon(const FIX::SessionID& session) {
  std::fprintf(stderr, "baseline: logon %s\n", session.toString().c_str());
}

void BaselineApplication::onLogout(const FIX::SessionID& session) {
  std::fprintf(stderr, "baseline: logout %s\n", session.toString().c_str());
}

void BaselineApplication::fromApp(const FIX::Message& message,
                                  const FIX::SessionID& session) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                                                       FIX::IncorrectTagValue,
                                                                       FIX::UnsupportedMessageType) {
  crack(message, session);
}

void BaselineApplication::onMessage(const FIX44::NewOrderSingle& message, const FIX::SessionID& session) {
  ++orders_;
  FIX::ClOrdID cl_ord_id;
  FIX::Side side;
  FIX::OrdType ord_type;
  message.get(cl_ord_id);
  message.get(side);
  message.get(ord_type);

  if (side != FIX::Side_BUY && side != FIX::Side_SELL) {
    return reject_order(message, session, kOrdRejOther, "unsupported Side, use 1 (buy) or 2 (sell)");
  }
  if (ord_type != FIX::OrdType_LIMIT) {
    return reject_order(message, session, kOrdRejOther, "unsupported OrdType, use 2 (limit)");
  }
  if (message.isSetField(FIX::FIELD::TimeInForce) &&
      message.getField(FIX::FIELD::TimeInForce) != std::string(1, FIX::TimeInForce_DAY)) {
    return reject_order(message, session, kOrdRejOther, "unsupported TimeInForce, use 0 (day)");
  }
  // FIX 4.4's dictionary leaves Symbol and OrderQty optional inside their components: check here.
  if (!message.isSetField(FIX::FIELD::Symbol)) return reject_order(message, session, kOrdRejOther, "Symbol missing");
  if (!message.isSetField(FIX::FIELD::Price)) return reject_order(message, session, kOrdRejOther, "Price missing");
  const auto price = Decimal::parse(message.getField(FIX::FIELD::Price));
  if (!price || price->units() <= 0) return reject_order(message, session, kOrdRejOther, "Price must be positive");
  std::int64_t qty = 0;
  if (!message.isSetField(FIX::FIELD::OrderQty) || !parse_quantity(message.getField(FIX::FIELD::OrderQty), qty)) {
    return reject_order(message, session, kOrdRejOther, "OrderQty must be a positive whole number");
  }

  const std::string& symbol = message.getField(FIX::FIELD::Symbol);
  OrderBook& book = books_[symbol];
  if (book.is_live(session.getTargetCompID().getValue(), cl_ord_id.getValue())) {
    return reject_order(message, session, FIX::OrdRejReason_DUPLICATE_ORDER, "ClOrdID of a live order");
  }

  BookOrder order;
  order.order_id = next_order_id();
  order.cl_ord_id = cl_ord_id.getValue();
  order.session = session;
  order.symbol = symbol;
  order.side = side == FIX::Side_BUY ? Side::kBuy : Side::kSell;
  order.price_units = price->units();
  order.qty = qty;

  std::vector<Execution> executions;
  book.add(std::move(order), executions);
  for (const auto& e : executions) send_report(e);
}

void BaselineApplication::onMessage(const FIX44::OrderCancelRequest& message, const FIX::SessionID& session) {
  FIX::OrigClOrdID orig_cl_ord_id;
  FIX::ClOrdID cl_ord_id;
  message.get(orig_cl_ord_id);
  message.get(cl_ord_id);

  std::vector<Execution> executions;
  const std::string symbol = message.isSetField(FIX::FIELD::Symbol) ? message.getField(FIX::FIELD::Symbol) : "";
  auto book = books_.find(symbol);
  if (book == books_.end() ||
      !book->second.cancel(session.getTargetCompID().getValue(), orig_cl_ord_id.getValue(), executions)) {
    FIX44::OrderCancelReject reject(FIX::OrderID("NONE"), cl_ord_id, orig_cl_ord_id,
                                    FIX::OrdStatus(FIX::OrdStatus_REJECTED),
                                    FIX::CxlRejResponseTo(FIX::CxlRejResponseTo_ORDER_CANCEL_REQUEST));
    reject.set(FIX::CxlRejReason(FIX::CxlRejReason_UNKNOWN_ORDER));
    reject.set(FIX::Text("unknown order"));
    send(reject, session);
    return;
  }
  for (const auto& e : executions) send_report(e, &cl_ord_id.getValue());
}

void BaselineApplication::send_report(const Execution& e, const std::string* cancel_cl_ord_id) {
  const BookOrder& o = e.order;
  FIX44::ExecutionReport report;
  report.set(FIX::OrderID(o.order_id));
  report.set(FIX::ExecID(next_exec_id()));
  switch (e.kind) {
    case Execution::Kind::kNew:
      report.set(FIX::ExecType(FIX::ExecType_NEW));
      report.set(FIX::OrdStatus(FIX::OrdStatus_NEW));
      break;
    case Execution::Kind::kFill:
      report.set(FIX::ExecType(FIX::ExecType_TRADE));
      report.set(FIX::OrdStatus(o.leaves() == 0 ? FIX::OrdStatus_FILLED : FIX::OrdStatus_PARTIALLY_FILLED));
      report.setField(FIX::FIELD::LastQty, std::to_string(e.last_qty));
      report.setField(FIX::FIELD::LastPx, decimal_text(e.last_price_units));
      break;
    case Execution::Kind::kCanceled:
      report.set(FIX::ExecType(FIX::ExecType_CANCELED));
      report.set(FIX::OrdStatus(FIX::OrdStatus_CANCELED));
      break;
  }
  if (cancel_cl_ord_id != nullptr) {
    // A cancel's report answers the cancel request: its ClOrdID, the order's as OrigClOrdID.
    report.set(FIX::ClOrdID(*cancel_cl_ord_id));
    report.set(FIX::OrigClOrdID(o.cl_ord_id));
  } else {
    report.set(FIX::ClOrdID(o.cl_ord_id));
  }
  report.set(FIX::Symbol(o.symbol));
  report.set(FIX::Side(o.side == Side::kBuy ? FIX::Side_BUY : FIX::Side_SELL));
  report.set(FIX::OrdType(FIX::OrdType_LIMIT));
  report.setField(FIX::FIELD::Price, decimal_text(o.price_units));
  report.setField(FIX::FIELD::OrderQty, std::to_string(o.qty));
  report.setField(FIX::FIELD::LeavesQty, std::to_string(e.kind == Execution::Kind::kCanceled ? 0 : o.leaves()));
  report.setField(FIX::FIELD::CumQty, std::to_string(o.cum_qty));
  report.setField(FIX::FIELD::AvgPx, average_price_text(o));
  report.set(FIX::TransactTime(3));
  send(report, o.session);
}

void BaselineApplication::reject_order(const FIX44::NewOrderSingle& message, const FIX::SessionID& session, int reason,
                                       const std::string& text) {
  ++rejects_;
  FIX44::ExecutionReport report;
  report.set(FIX::OrderID("NONE"));
  report.set(FIX::ExecID(next_exec_id()));
  report.set(FIX::ExecType(FIX::ExecType_REJECTED));
  report.set(FIX::OrdStatus(FIX::OrdStatus_REJECTED));
  report.set(FIX::OrdRejReason(reason));
  report.set(FIX::Text(text));
  for (const int tag : {FIX::FIELD::ClOrdID, FIX::FIELD::Symbol, FIX::FIELD::Side, FIX::FIELD::OrderQty}) {
    if (message.isSetField(tag)) report.setField(tag, message.getField(tag));
  }
  report.setField(FIX::FIELD::LeavesQty, "0");
  report.setField(FIX::FIELD::CumQty, "0");
  report.setField(FIX::FIELD::AvgPx, "0");
  report.set(FIX::TransactTime(3));
  send(report, session);
}

}  // namespace venue::fix_gateway::baseline
