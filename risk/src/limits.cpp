#include "venue/risk/limits.h"

namespace venue::risk {

std::string_view to_string(Scope s) { return s == Scope::kFirm ? "firm" : "account"; }

std::string_view to_string(LimitType t) {
  switch (t) {
    case LimitType::kMaxNetPosition: return "max_net_position";
    case LimitType::kGrossExposure: return "gross_exposure";
    case LimitType::kOpenOrderExposure: return "open_order_exposure";
    case LimitType::kDailyTradedNotional: return "daily_traded_notional";
    case LimitType::kMaxLoss: return "max_loss";
  }
  return "?";
}

std::optional<Scope> parse_scope(std::string_view text) {
  if (text == "account") return Scope::kAccount;
  if (text == "firm") return Scope::kFirm;
  return std::nullopt;
}

std::optional<LimitType> parse_limit_type(std::string_view text) {
  for (auto t : kAllLimitTypes) {
    if (to_string(t) == text) return t;
  }
  return std::nullopt;
}

std::optional<Amount> parse_limit_value(std::string_view text, std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<Amount> {
    if (why != nullptr) *why = reason;
    return std::nullopt;
  };
  const auto point = text.find('.');
  if (point != std::string_view::npos && text.size() - point - 1 > 8) return fail("has more than 8 decimals");
  const auto v = Amount::parse(text);
  if (!v) return fail("is not a decimal number (digits, an optional point and decimals)");
  if (v->units() <= 0) return fail("must be greater than 0");
  if (v->units() > static_cast<__int128>(kMaxLimitValue) * Amount::kOne) return fail("is above 10^15");
  return v;
}

std::string check_limit(const Limit& l) {
  if (l.entity.empty()) return "the account or firm name is empty";
  if (l.entity.size() > 64) return "the account or firm name is longer than 64 characters";
  if (!l.symbol.empty() && l.type != LimitType::kMaxNetPosition) {
    return "only max_net_position takes a symbol (the others cover every instrument)";
  }
  if (l.value.units() <= 0) return "the value must be greater than 0";
  return "";
}

}  // namespace venue::risk
