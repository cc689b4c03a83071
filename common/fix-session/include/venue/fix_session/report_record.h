#pragma once
// The records of the venue's topic venue.execution-reports, read once for every consumer (drop copy,
// compliance, risk): the headers spec/kafka-topics.md defines and the FIX 4.4 message, checked (BeginString
// first, BodyLength and CheckSum right, every field tag=value) and split into fields.
//
//   std::string why;
//   auto rec = venue::fix_session::read_report_record(*kafka_message, &why);
//   if (!rec) { park(kafka_message, why); return; }             // never a crash, never a silent drop
//   if (rec->fix.get(tags::kExecType) == "F") ...
//   const auto qty = rec->fix.decimal(tags::kLastQty);         // nullopt: absent or not a FIX decimal
//
// FixFields keeps offsets into its own copy of the message text, so a FixFields (and a ReportRecord) can
// be moved and copied freely.
//
// Thread rules: plain values; the functions are pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "venue/common/fixed_point.h"

namespace RdKafka {
class Message;
}

namespace venue::fix_session {

// FIX 4.4 tags the consumers of execution reports read.
namespace tags {
inline constexpr int kAccount = 1;
inline constexpr int kAvgPx = 6;
inline constexpr int kClOrdID = 11;
inline constexpr int kCumQty = 14;
inline constexpr int kExecID = 17;
inline constexpr int kExecRefID = 19;  // on a trade bust (ExecType H): the ExecID of the fill it cancels
inline constexpr int kLastPx = 31;
inline constexpr int kLastQty = 32;
inline constexpr int kMsgSeqNum = 34;
inline constexpr int kMsgType = 35;
inline constexpr int kOrderID = 37;
inline constexpr int kOrderQty = 38;
inline constexpr int kOrdStatus = 39;
inline constexpr int kOrdType = 40;
inline constexpr int kOrigClOrdID = 41;
inline constexpr int kPossDupFlag = 43;
inline constexpr int kPrice = 44;
inline constexpr int kSenderCompID = 49;
inline constexpr int kSendingTime = 52;
inline constexpr int kSide = 54;
inline constexpr int kSymbol = 55;
inline constexpr int kTargetCompID = 56;
inline constexpr int kText = 58;
inline constexpr int kTimeInForce = 59;
inline constexpr int kTransactTime = 60;
inline constexpr int kPossResend = 97;
inline constexpr int kStopPx = 99;
inline constexpr int kCxlRejReason = 102;
inline constexpr int kOrdRejReason = 103;
inline constexpr int kMinQty = 110;
inline constexpr int kMaxFloor = 111;
inline constexpr int kExpireTime = 126;
inline constexpr int kExecType = 150;
inline constexpr int kLeavesQty = 151;
inline constexpr int kExecRestatementReason = 378;
inline constexpr int kBusinessRejectReason = 380;
inline constexpr int kOrderCapacity = 528;
inline constexpr int kMassCancelRequestType = 530;
inline constexpr int kMassCancelResponse = 531;
inline constexpr int kTotalAffectedOrders = 533;
inline constexpr int kTrdMatchID = 880;
inline constexpr int kVenueStpMode = 8000;
}  // namespace tags

// A FIX message split into its fields, in order, duplicates kept.
class FixFields {
 public:
  // nullopt with the reason in `why` when `text` is not exactly one well-formed FIX message: 8= first,
  // 9= second and equal to the body's length, 10= last with the right checksum, every field
  // "<digits>=<value>" ended by SOH.
  static std::optional<FixFields> parse(std::string_view text, std::string* why);

  // The first occurrence of `tag`; nullopt when absent.
  std::optional<std::string_view> get(int tag) const;
  // get(tag) or "" when absent.
  std::string_view text(int tag) const { return get(tag).value_or(std::string_view()); }
  bool has(int tag) const { return get(tag).has_value(); }
  // The field as a FIX decimal (Qty, Price, ...); nullopt when absent or malformed.
  std::optional<Decimal> decimal(int tag) const;
  // The field as a UTCTimestamp in nanoseconds since the epoch; nullopt when absent or malformed.
  std::optional<std::int64_t> timestamp_ns(int tag) const;
  // The field as a non-negative integer; nullopt when absent, malformed or out of range.
  std::optional<std::uint64_t> unsigned_number(int tag) const;

  const std::string& raw() const { return raw_; }
  std::size_t size() const { return fields_.size(); }
  // The i-th field's tag and value.
  int tag_at(std::size_t i) const { return fields_[i].tag; }
  std::string_view value_at(std::size_t i) const {
    return std::string_view(raw_).substr(fields_[i].offset, fields_[i].length);
  }

 private:
  struct Field {
    int tag;
    std::uint32_t offset;
    std::uint32_t length;
  };
  std::string raw_;
  std::vector<Field> fields_;
};

// One record of venue.execution-reports.
struct ReportRecord {
  // Where it was read.
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::int64_t timestamp_ms = -1;  // the record's CreateTime; -1 when unknown
  // Headers (spec/kafka-topics.md).
  std::uint64_t venue_seq = 0;   // 1, 2, 3, ... never reused; consumers de-duplicate by it
  std::uint16_t shard = 0;       // 65535: made by the gateway itself (a refusal before the engine)
  std::uint64_t engine_seq = 0;  // 0 for gateway-made reports
  char msg_type = 0;             // '8', '9', 'r' or 'j'
  char exec_type = 0;            // ExecType(150) of an ExecutionReport; 0 otherwise
  std::string session;           // the broker's CompID the report was sent to
  std::string firm;              // that session's firm
  std::string account;           // Account(1), when the report has one
  std::string traceparent;       // W3C trace context of the order, when the venue gave one
  // The message as sent to the broker.
  FixFields fix;

  bool poss_resend() const { return fix.text(tags::kPossResend) == "Y"; }
};

// Why a record was refused: kMalformed (a required header missing or malformed, the payload not a FIX
// message) or kMismatch (a header disagrees with the message it carries: a consumer that decides scope by
// the headers would hand the report to the wrong reader, so count these apart).
enum class RecordProblem : std::uint8_t { kNone, kMalformed, kMismatch };

// Reads a record. nullopt with the reason in `why` (and its kind in `problem`) when a required header
// (venue-seq, msg-type, session) is missing or malformed, or the payload is not a FIX message, or the
// message's MsgType, TargetCompID or ExecType disagrees with the headers, or its Account disagrees with
// the account header.
std::optional<ReportRecord> read_report_record(RdKafka::Message& message, std::string* why,
                                               RecordProblem* problem = nullptr);

// The same from parts (tests, replays): the payload and the headers as (key, value) pairs.
std::optional<ReportRecord> read_report_record(std::string_view payload,
                                               const std::vector<std::pair<std::string, std::string>>& headers,
                                               std::string* why, RecordProblem* problem = nullptr);

// The reject code the venue put at the start of Text(58) ("1013 PriceNotOnTick: ..."); 0 when none.
int reject_code_of(std::string_view text);

}  // namespace venue::fix_session
