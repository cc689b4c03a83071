#pragma once
// FIX messages for the end-to-end tests: builders for what a broker sends (NewOrderSingle, cancel,
// replace, status, mass cancel) and Match, a readable predicate over what comes back.
//
//   client.send(new_order({.clordid = "A1", .symbol = sym, .side = kBuy, .price = "100.00", .qty = "10"}));
//   auto ack = client.expect(er("A1", "0"));
//   BOOST_TEST(field(ack, 151) == "10");
//
// Every builder sets only the fields it is given (an empty string leaves the tag out), so a test can
// leave out a required field on purpose.
//
// Thread rules: plain values and pure functions.

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <quickfix/Message.h>

namespace venue::e2e {

inline constexpr const char* kBuy = "1";
inline constexpr const char* kSell = "2";

// OrdType(40)
inline constexpr const char* kMarket = "1";
inline constexpr const char* kLimit = "2";
inline constexpr const char* kStop = "3";
inline constexpr const char* kStopLimit = "4";

// TimeInForce(59)
inline constexpr const char* kDay = "0";
inline constexpr const char* kGtc = "1";
inline constexpr const char* kIoc = "3";
inline constexpr const char* kFok = "4";
inline constexpr const char* kGtd = "6";

struct OrderFields {
  std::string clordid;
  std::string symbol;
  std::string side = kBuy;
  std::string ord_type = kLimit;
  std::string price;
  std::string qty;
  std::string tif = kDay;
  std::string account;
  std::string stop_px;
  std::string expire_time;
  std::string exec_inst;
  std::string max_floor;
  std::string min_qty;
  std::string stp;  // tag 8000
  std::string capacity;
  // Extra fields, as sent (after the ones above).
  std::vector<std::pair<int, std::string>> extra;
};

FIX::Message new_order(const OrderFields& o);

// A limit order (a ClOrdID of the caller's venue).
inline OrderFields limit_order(std::string clordid, const std::string& symbol, const char* side,
                               const std::string& price, const std::string& qty, const std::string& account,
                               const char* tif = kDay) {
  return OrderFields{.clordid = std::move(clordid),
                     .symbol = symbol,
                     .side = side,
                     .ord_type = kLimit,
                     .price = price,
                     .qty = qty,
                     .tif = tif,
                     .account = account};
}

struct CancelFields {
  std::string clordid;
  std::string orig_clordid;
  std::string side = kBuy;
  std::string symbol;
  std::string order_id;
  std::string account;
};
FIX::Message cancel_request(const CancelFields& c);

struct ReplaceFields {
  std::string clordid;
  std::string orig_clordid;
  std::string symbol;
  std::string side = kBuy;
  std::string ord_type = kLimit;
  std::string price;
  std::string qty;
  std::string tif = kDay;
  std::string account;
  std::string stop_px;
  std::string expire_time;
  std::string max_floor;
  std::string order_id;
};
FIX::Message replace_request(const ReplaceFields& r);

FIX::Message status_request(const std::string& clordid, const std::string& side, const std::string& symbol,
                            const std::string& req_id = "");

// MassCancelRequestType(530): "1" one security, "7" everything.
FIX::Message mass_cancel_request(const std::string& clordid, const std::string& type, const std::string& symbol = "",
                                 const std::string& side = "", const std::string& account = "");

// An application message of any type with the given body fields.
FIX::Message app_message(const std::string& msg_type, std::initializer_list<std::pair<int, std::string>> fields);

// "YYYYMMDD-HH:MM:SS.sss" UTC, `offset_ms` from now.
std::string utc_timestamp_from_now(long long offset_ms);

// The value of `tag` in the header, body or trailer; nullopt when absent.
std::optional<std::string> find_field(const FIX::Message& m, int tag);
// The value of `tag`, "" when absent.
std::string field(const FIX::Message& m, int tag);
std::string msg_type(const FIX::Message& m);
// The message as text with '|' for SOH, for failure messages.
std::string printable(const FIX::Message& m);
std::string printable(std::string raw);

// A predicate over a message: its MsgType and some field values (header or body). A field given with
// the value kAbsent must not be there.
inline constexpr const char* kAbsent = "\x7f<absent>";
struct Match {
  std::string type;
  std::vector<std::pair<int, std::string>> fields;

  bool operator()(const FIX::Message& m) const;
  Match with(int tag, std::string value) const;
  std::string describe() const;
};

// ExecutionReport of ClOrdID(11) with ExecType(150).
Match er(const std::string& clordid, const std::string& exec_type);
// OrderCancelReject of ClOrdID(11).
Match cancel_reject(const std::string& clordid);
// Any message of a type.
Match of_type(const std::string& type);

}  // namespace venue::e2e
