#pragma once
// Risk limits as officers set them (`risk limits set`, table risk.limits): what is limited, for whom,
// and how much. spec/risk.md lists them for officers.
//
//   auto type = parse_limit_type("max_loss");             // nullopt for an unknown name
//   Limit l{Scope::kFirm, "ALPHA", LimitType::kMaxLoss, "", *Amount::parse("200000")};
//
// Thread rules: value types and pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "venue/risk/money.h"

namespace venue::risk {

enum class Scope : std::uint8_t { kAccount = 0, kFirm };

enum class LimitType : std::uint8_t {
  kMaxNetPosition = 0,   // |net quantity| in one instrument (per instrument; symbol "" = each instrument)
  kGrossExposure,        // sum over instruments of |net quantity| x mark
  kOpenOrderExposure,    // sum over live orders of leaves quantity x price (both sides)
  kDailyTradedNotional,  // sum of quantity x price of today's fills (bought and sold)
  kMaxLoss,              // -(realized + unrealized P&L), when that is a loss
};
inline constexpr LimitType kAllLimitTypes[] = {LimitType::kMaxNetPosition, LimitType::kGrossExposure,
                                               LimitType::kOpenOrderExposure, LimitType::kDailyTradedNotional,
                                               LimitType::kMaxLoss};

std::string_view to_string(Scope s);
std::string_view to_string(LimitType t);
std::optional<Scope> parse_scope(std::string_view text);
std::optional<LimitType> parse_limit_type(std::string_view text);

// The largest limit value accepted (10^15 of money or quantity): usage x 100 compares without overflow.
inline constexpr std::int64_t kMaxLimitValue = 1'000'000'000'000'000;

struct Limit {
  Scope scope = Scope::kAccount;
  std::string entity;  // the account or the firm
  LimitType type = LimitType::kMaxLoss;
  std::string symbol;  // kMaxNetPosition only: one instrument, or "" for every instrument
  Amount value;        // > 0; a quantity for kMaxNetPosition, money otherwise
};

// A limit value as officers write it ("200000", "1500.5"): positive, at most 8 decimals, at most
// kMaxLimitValue. nullopt with the reason otherwise.
std::optional<Amount> parse_limit_value(std::string_view text, std::string* why);

// Checks a limit as a whole (symbol only on kMaxNetPosition, a name given); "" when it is valid.
std::string check_limit(const Limit& l);

}  // namespace venue::risk
