#pragma once
// RejectCode: why the venue refused something, from the one catalogue in reject_codes.def (published
// as spec/reject-codes.md). Every reject the venue sends carries one of these codes in Text, plus the
// FIX reason field that fits the message: OrdRejReason(103), CxlRejReason(102) or
// BusinessRejectReason(380).
//
// Thread rules: constants and pure functions.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace venue {

enum class RejectCode : std::uint16_t {
  kNone = 0,
#define VENUE_REJECT(name, code, ord, cxl, biz, text) k##name = code,  // NOLINT(bugprone-macro-parentheses)
#include "venue/common/reject_codes.def"
#undef VENUE_REJECT
};

struct RejectInfo {
  RejectCode code;
  std::string_view name;
  int ord_rej_reason;          // -1: not used in ExecutionReport rejects
  int cxl_rej_reason;          // -1: not used in OrderCancelReject
  int business_reject_reason;  // -1: not used in BusinessMessageReject
  std::string_view text;
};

// The catalogue entry of a code; nullptr for kNone or an unknown number.
const RejectInfo* reject_info(RejectCode code);
std::optional<RejectCode> reject_code_from_number(int number);
std::span<const RejectInfo> reject_catalogue();
std::string_view to_string(RejectCode code);  // the catalogue name, "None" for kNone

}  // namespace venue
