#include "e2e/support/messages.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace venue::e2e {

namespace {

void set_if(FIX::FieldMap& m, int tag, const std::string& value) {
  if (!value.empty()) m.setField(tag, value);
}

FIX::Message with_type(const char* type) {
  FIX::Message m;
  m.getHeader().setField(FIX::FIELD::MsgType, type);
  return m;
}

}  // namespace

std::string utc_timestamp_from_now(long long offset_ms) {
  const auto now = std::chrono::system_clock::now() + std::chrono::milliseconds(offset_ms);
  const long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d-%02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

FIX::Message new_order(const OrderFields& o) {
  FIX::Message m = with_type("D");
  set_if(m, FIX::FIELD::ClOrdID, o.clordid);
  set_if(m, FIX::FIELD::Account, o.account);
  set_if(m, FIX::FIELD::Symbol, o.symbol);
  set_if(m, FIX::FIELD::Side, o.side);
  set_if(m, FIX::FIELD::OrdType, o.ord_type);
  set_if(m, FIX::FIELD::Price, o.price);
  set_if(m, FIX::FIELD::OrderQty, o.qty);
  set_if(m, FIX::FIELD::TimeInForce, o.tif);
  set_if(m, FIX::FIELD::StopPx, o.stop_px);
  set_if(m, FIX::FIELD::ExpireTime, o.expire_time);
  set_if(m, FIX::FIELD::ExecInst, o.exec_inst);
  set_if(m, FIX::FIELD::MaxFloor, o.max_floor);
  set_if(m, FIX::FIELD::MinQty, o.min_qty);
  set_if(m, 8000, o.stp);
  set_if(m, FIX::FIELD::OrderCapacity, o.capacity);
  m.setField(FIX::FIELD::TransactTime, utc_timestamp_from_now(0));
  for (const auto& [tag, value] : o.extra) m.setField(tag, value);
  return m;
}

FIX::Message cancel_request(const CancelFields& c) {
  FIX::Message m = with_type("F");
  set_if(m, FIX::FIELD::ClOrdID, c.clordid);
  set_if(m, FIX::FIELD::OrigClOrdID, c.orig_clordid);
  set_if(m, FIX::FIELD::Side, c.side);
  set_if(m, FIX::FIELD::Symbol, c.symbol);
  set_if(m, FIX::FIELD::OrderID, c.order_id);
  set_if(m, FIX::FIELD::Account, c.account);
  m.setField(FIX::FIELD::TransactTime, utc_timestamp_from_now(0));
  return m;
}

FIX::Message replace_request(const ReplaceFields& r) {
  FIX::Message m = with_type("G");
  set_if(m, FIX::FIELD::ClOrdID, r.clordid);
  set_if(m, FIX::FIELD::OrigClOrdID, r.orig_clordid);
  set_if(m, FIX::FIELD::OrderID, r.order_id);
  set_if(m, FIX::FIELD::Account, r.account);
  set_if(m, FIX::FIELD::Symbol, r.symbol);
  set_if(m, FIX::FIELD::Side, r.side);
  set_if(m, FIX::FIELD::OrdType, r.ord_type);
  set_if(m, FIX::FIELD::Price, r.price);
  set_if(m, FIX::FIELD::OrderQty, r.qty);
  set_if(m, FIX::FIELD::TimeInForce, r.tif);
  set_if(m, FIX::FIELD::StopPx, r.stop_px);
  set_if(m, FIX::FIELD::ExpireTime, r.expire_time);
  set_if(m, FIX::FIELD::MaxFloor, r.max_floor);
  m.setField(FIX::FIELD::TransactTime, utc_timestamp_from_now(0));
  return m;
}

FIX::Message status_request(const std::string& clordid, const std::string& side, const std::string& symbol,
                            const std::string& req_id) {
  FIX::Message m = with_type("H");
  set_if(m, FIX::FIELD::ClOrdID, clordid);
  set_if(m, FIX::FIELD::Side, side);
  set_if(m, FIX::FIELD::Symbol, symbol);
  set_if(m, FIX::FIELD::OrdStatusReqID, req_id);
  return m;
}

FIX::Message mass_cancel_request(const std::string& clordid, const std::string& type, const std::string& symbol,
                                 const std::string& side, const std::string& account) {
  FIX::Message m = with_type("q");
  set_if(m, FIX::FIELD::ClOrdID, clordid);
  set_if(m, FIX::FIELD::MassCancelRequestType, type);
  set_if(m, FIX::FIELD::Symbol, symbol);
  set_if(m, FIX::FIELD::Side, side);
  set_if(m, FIX::FIELD::Account, account);
  m.setField(FIX::FIELD::TransactTime, utc_timestamp_from_now(0));
  return m;
}

FIX::Message app_message(const std::string& msg_type, std::initializer_list<std::pair<int, std::string>> fields) {
  FIX::Message m;
  m.getHeader().setField(FIX::FIELD::MsgType, msg_type);
  for (const auto& [tag, value] : fields) m.setField(tag, value);
  return m;
}

std::optional<std::string> find_field(const FIX::Message& m, int tag) {
  if (m.getHeader().isSetField(tag)) return m.getHeader().getField(tag);
  if (m.isSetField(tag)) return m.getField(tag);
  if (m.getTrailer().isSetField(tag)) return m.getTrailer().getField(tag);
  return std::nullopt;
}

std::string field(const FIX::Message& m, int tag) { return find_field(m, tag).value_or(""); }

std::string msg_type(const FIX::Message& m) { return field(m, FIX::FIELD::MsgType); }

std::string printable(std::string raw) {
  for (char& c : raw) {
    if (c == '\x01') c = '|';
  }
  return raw;
}

std::string printable(const FIX::Message& m) {
  std::string s;
  m.toString(s);
  return printable(std::move(s));
}

bool Match::operator()(const FIX::Message& m) const {
  if (!type.empty() && msg_type(m) != type) return false;
  for (const auto& [tag, value] : fields) {
    const auto v = find_field(m, tag);
    if (value == kAbsent) {
      if (v) return false;
    } else if (!v || *v != value) {
      return false;
    }
  }
  return true;
}

Match Match::with(int tag, std::string value) const {
  Match m = *this;
  m.fields.emplace_back(tag, std::move(value));
  return m;
}

std::string Match::describe() const {
  std::string s = "35=" + (type.empty() ? std::string("*") : type);
  for (const auto& [tag, value] : fields) {
    s += " " + std::to_string(tag) + (value == kAbsent ? std::string(" absent") : "=" + value);
  }
  return s;
}

Match er(const std::string& clordid, const std::string& exec_type) {
  return Match{"8", {{FIX::FIELD::ClOrdID, clordid}, {FIX::FIELD::ExecType, exec_type}}};
}

Match cancel_reject(const std::string& clordid) { return Match{"9", {{FIX::FIELD::ClOrdID, clordid}}}; }

Match of_type(const std::string& type) { return Match{type, {}}; }

}  // namespace venue::e2e
