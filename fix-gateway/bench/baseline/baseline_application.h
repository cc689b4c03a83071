#pragma once
// The baseline acceptor's FIX application: QuickFIX's idiom (an Application plus a MessageCracker with
// typed onMessage overloads) for FIX 4.4 NewOrderSingle and OrderCancelRequest. Orders go into one
// OrderBook per symbol; every change is answered with an ExecutionReport (New, Trade, Canceled,
// Rejected) through Session::sendToTarget, an unknown cancel with an OrderCancelReject. It does not
// authenticate (Username/Password on Logon are ignored). Anything else gets QuickFIX's
// BusinessMessageReject (unsupported message type).
//
// Thread rules: QuickFIX's SocketAcceptor calls every callback from its one thread; the books are
// touched only there, so nothing is locked.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <quickfix/Application.h>
#include <quickfix/MessageCracker.h>
#include <quickfix/fix44/MessageCracker.h>

#include "order_book.h"

namespace venue::fix_gateway::baseline {

class BaselineApplication : public FIX::Application, public FIX44::MessageCracker {
 public:
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& session) override;
  void onLogout(const FIX::SessionID& session) override;
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message&, const FIX::SessionID&) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                                                   FIX::IncorrectTagValue, FIX::RejectLogon) override {}
  void fromApp(const FIX::Message& message,
               const FIX::SessionID& session) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                                    FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override;

  using FIX44::MessageCracker::onMessage;
  void onMessage(const FIX44::NewOrderSingle& message, const FIX::SessionID& session) override;
  void onMessage(const FIX44::OrderCancelRequest& message, const FIX::SessionID& session) override;

  std::uint64_t orders() const { return orders_; }
  std::uint64_t rejects() const { return rejects_; }

 private:
  // `cancel_cl_ord_id`: set when the report answers an OrderCancelRequest.
  void send_report(const Execution& e, const std::string* cancel_cl_ord_id = nullptr);
  void reject_order(const FIX44::NewOrderSingle& message, const FIX::SessionID& session, int reason,
                    const std::string& text);
  std::string next_order_id() { return "O" + std::to_string(++last_order_id_); }
  std::string next_exec_id() { return "E" + std::to_string(++last_exec_id_); }

  std::map<std::string, OrderBook> books_;  // by Symbol(55)
  std::uint64_t last_order_id_ = 0;
  std::uint64_t last_exec_id_ = 0;
  std::uint64_t orders_ = 0;
  std::uint64_t rejects_ = 0;
};

}  // namespace venue::fix_gateway::baseline
