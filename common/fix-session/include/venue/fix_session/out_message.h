#pragma once
// OutMessage: an application message the venue builds to send (ExecutionReports and the other answers
// to brokers), held as its fields' text rather than as QuickFIX's Message: a FIX::Message allocates
// and inserts a FieldBase per field and is serialized again by every reader. The venue's hot path sends
// one straight from this text (VenueAcceptor::send_app); anything unusual gives QuickFIX its Message
// (to_message()), so both paths carry the same fields in the same order.
//
//   OutMessage er("8");
//   er.set(FIX::FIELD::OrderID, "42");
//   er.set(FIX::FIELD::ExecType, '0');
//   std::string body;
//   er.append_body(body);  // "37=42\x01" "150=0\x01": ascending tag order, as QuickFIX writes a body
//
// Fields are kept in ascending tag order (QuickFIX's order for a message body without repeating groups,
// which these messages do not have); set() replaces a field already set, like FIX::FieldMap::setField.
// Values must not contain SOH (0x01): the venue's values come from its own configuration and from
// fields of validated FIX messages, which cannot hold one.
//
// Thread rules: a value type; no shared state.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "venue/fix_session/quickfix.h"

namespace venue::fix_session {

class OutMessage {
 public:
  explicit OutMessage(std::string_view msg_type);

  const std::string& type() const { return type_; }
  void set(int tag, std::string_view value);
  void set(int tag, const char* value) { set(tag, std::string_view(value)); }
  void set(int tag, const std::string& value) { set(tag, std::string_view(value)); }
  void set(int tag, char value) { set(tag, std::string_view(&value, 1)); }
  void set_int(int tag, std::int64_t value);
  bool has(int tag) const { return find(tag) != nullptr; }
  // The field's value, nullopt when not set (valid until the next set()).
  std::optional<std::string_view> get(int tag) const;
  void remove(int tag);
  std::size_t size() const { return fields_.size(); }

  // The body as FIX text, appended to `out`: "tag=value<SOH>" per field in ascending tag order, leaving
  // out the tags in `withheld`.
  void append_body(std::string& out, std::span<const int> withheld = {}) const;
  // True when a field of `tags` is set.
  bool has_any(std::span<const int> tags) const;
  // QuickFIX's form: MsgType in the header, the body's fields (without `withheld`).
  FIX::Message to_message(std::span<const int> withheld = {}) const;

 private:
  struct Field {
    int tag;
    std::uint32_t offset;  // into values_
    std::uint32_t size;
  };
  const Field* find(int tag) const;
  std::string type_;
  std::vector<Field> fields_;  // ascending tag
  std::string values_;         // every value set, back to back (a replaced one stays, unused)
};

// A whole FIX message around a body: "8=<begin>|9=<length>|35=<type>|" + header + body + "10=<sum>|".
// `header` holds the header fields after MsgType, in QuickFIX's order (ascending tag), each with its SOH.
std::string frame_message(std::string_view begin_string, std::string_view msg_type, std::string_view header,
                          std::string_view body);

// A UTCTimestamp "YYYYMMDD-HH:MM:SS" followed by `precision` (0, 3, 6 or 9) fraction digits, appended to
// `out`; the date and time of day are formatted once per second per thread.
void append_utc_timestamp(std::string& out, std::int64_t ns, int precision = 3);

}  // namespace venue::fix_session
