#pragma once
// One row of the audit trail (table compliance.audit, spec/compliance.md) and the hash chain over rows.
//
// Every column is held as its canonical text (nullopt for NULL): exactly what `compliance verify`
// reads back from PostgreSQL with the select list of verify_select_list(), so the writer and the
// verifier hash the same bytes:
//   - integers and numerics: PostgreSQL's own text form (numerics keep the FIX text's decimals: "101.50");
//   - timestamps: microseconds since the epoch, in decimal;
//   - dates: YYYY-MM-DD; booleans: "true" / "false"; text: as is (valid UTF-8, no NUL).
//
//   std::string error;
//   AuditRow row = row_from_record(record, &error);          // error: a field out of range (row kept)
//   row.prev_hash = head_hash;
//   row.row_hash = chain_hash(row.prev_hash, row);
//   append_copy_line(row, buffer);                           // COPY ... FROM STDIN (text format)
//
// Thread rules: plain values and pure functions.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "venue/fix_session/report_record.h"

namespace venue::compliance {

// ExecRefID(19): on a trade bust (ExecType H), the ExecID of the fill it cancels (FIX 4.4); the tag is
// the shared one the venue writes (venue/fix_session/report_record.h).
inline constexpr int kExecRefIdTag = fix_session::tags::kExecRefID;

// Columns in table order (prev_hash and row_hash follow them).
enum Col : std::uint8_t {
  kVenueSeq,
  kTradingDay,
  kSkippedBefore,
  kMsgType,
  kExecType,
  kExecId,
  kExecRefId,
  kOrderId,
  kClOrdId,
  kOrigClOrdId,
  kSession,
  kFirm,
  kAccount,
  kSymbol,
  kSide,
  kOrdType,
  kTimeInForce,
  kOrderQty,
  kPrice,
  kStopPx,
  kOrdStatus,
  kLastQty,
  kLastPx,
  kCumQty,
  kLeavesQty,
  kAvgPx,
  kOrderCapacity,
  kTransactTime,
  kReportTime,
  kTrdMatchId,
  kLastLiquidityInd,
  kRejectCode,
  kText,
  kPossResend,
  kRepeatOf,
  kBustOf,
  kShard,
  kEngineSeq,
  kTraceparent,
  kKafkaPartition,
  kKafkaOffset,
  kRawFix,
  kError,
  kColumnCount
};

enum class ColKind : std::uint8_t { kInt, kText, kNumeric, kTimestamp, kDate, kBool };

struct ColumnInfo {
  const char* name;
  ColKind kind;
};
const std::array<ColumnInfo, kColumnCount>& columns();

using Hash = std::array<unsigned char, 32>;
inline constexpr Hash kGenesisHash{};  // prev_hash of the first row: 32 zero bytes

struct AuditRow {
  std::array<std::optional<std::string>, kColumnCount> v;
  Hash prev_hash{};
  Hash row_hash{};

  std::uint64_t venue_seq() const;
  void set(Col c, std::string value) { v[c] = std::move(value); }
  void set(Col c, std::string_view value) { v[c] = std::string(value); }
};

// The row of a record read_report_record accepted. A field it cannot store (a decimal or timestamp that
// is not one, text that is not UTF-8) is reported in `error`; the row then carries the headers, the raw
// message and the error only (`row[kError]`).
AuditRow row_from_record(const fix_session::ReportRecord& record, std::string* error);

// The row of a record that read_report_record refused but whose venue-seq header is readable: it takes
// its place in the chain with the reason.
AuditRow row_from_bad_record(std::uint64_t venue_seq, const std::vector<std::pair<std::string, std::string>>& headers,
                             std::string_view payload, std::int32_t partition, std::int64_t offset,
                             std::int64_t timestamp_ms, const std::string& reason);

// The venue-seq header's value, when there is one and it is a positive number.
std::optional<std::uint64_t> venue_seq_header(const std::vector<std::pair<std::string, std::string>>& headers);

// SHA-256(prev || canonical(row)), canonical being each column (but the hashes) as "-" for NULL or
// "<byte length>:<text>", concatenated in column order.
std::string canonical(const AuditRow& row);
Hash chain_hash(const Hash& prev, const AuditRow& row);
// The same two steps over any list of column texts (the alerts' chain, store.h).
std::string canonical(std::span<const std::optional<std::string>> values);
Hash chain_hash(const Hash& prev, std::string_view canonical_text);
std::string hex(const Hash& h);
std::optional<Hash> hash_from_hex(std::string_view hex);

// Appends the row as one line of COPY compliance.audit (<every column>, prev_hash, row_hash) FROM STDIN.
void append_copy_line(const AuditRow& row, std::string& out);
// "venue_seq, trading_day, ..., prev_hash, row_hash"
std::string copy_column_list();
// The select list verify reads rows with: each column's canonical text, then encode(prev_hash,'hex'),
// encode(row_hash,'hex').
std::string verify_select_list();

// Text helpers shared with the exports.
bool valid_utf8(std::string_view s);
// Valid UTF-8 without NUL as is; otherwise each offending byte as \xHH.
std::string printable_utf8(std::string_view s);
// A FIX decimal (already checked by Decimal::parse) in PostgreSQL numeric's text form, decimals kept.
std::string pg_numeric_text(std::string_view fix_decimal);
// Microseconds since the epoch as "YYYY-MM-DD HH:MM:SS.ffffff+00" (COPY) or ISO 8601 "...T...Z" (exports,
// milliseconds when the microseconds are whole milliseconds).
std::string timestamp_literal(std::int64_t micros);
void append_timestamp_literal(std::int64_t micros, std::string& out);
std::string iso_timestamp(std::int64_t micros);
std::string date_of_micros(std::int64_t micros);  // YYYY-MM-DD (UTC)

}  // namespace venue::compliance
