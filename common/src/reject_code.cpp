#include "venue/common/reject_code.h"

#include <array>

namespace venue {
namespace {

constexpr std::array kCatalogue = {
#define VENUE_REJECT(name, code, ord, cxl, biz, text) RejectInfo{RejectCode::k##name, #name, ord, cxl, biz, text},
#include "venue/common/reject_codes.def"
#undef VENUE_REJECT
};

}  // namespace

const RejectInfo* reject_info(RejectCode code) {
  for (const auto& info : kCatalogue) {
    if (info.code == code) return &info;
  }
  return nullptr;
}

std::optional<RejectCode> reject_code_from_number(int number) {
  for (const auto& info : kCatalogue) {
    if (static_cast<int>(info.code) == number) return info.code;
  }
  return std::nullopt;
}

std::span<const RejectInfo> reject_catalogue() { return kCatalogue; }

std::string_view to_string(RejectCode code) {
  if (const auto* info = reject_info(code)) return info->name;
  return code == RejectCode::kNone ? "None" : "Unknown";
}

}  // namespace venue
