#include "venue/risk/money.h"

#include <algorithm>
#include <limits>

namespace venue::risk {

namespace {

constexpr __int128 kMax = std::numeric_limits<__int128>::max();

__int128 pow10(int n) {
  __int128 p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

// numerator / denominator (denominator > 0) rounded half-even.
__int128 round_half_even(__int128 numerator, __int128 denominator) {
  __int128 q = numerator / denominator;
  const __int128 r = numerator % denominator;
  if (r != 0) {
    const __int128 twice = (r < 0 ? -r : r) * 2;
    if (twice > denominator || (twice == denominator && q % 2 != 0)) q += r < 0 ? -1 : 1;
  }
  return q;
}

std::string digits_of(__int128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

}  // namespace

std::optional<Amount> Amount::parse(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool neg = false;
  if (text.front() == '-') {
    neg = true;
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  const auto point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  std::string_view frac = point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (point != std::string_view::npos && frac.empty()) return std::nullopt;
  if (whole.empty() || whole.size() > 21) return std::nullopt;
  while (frac.size() > kScale && frac.back() == '0') frac.remove_suffix(1);
  if (frac.size() > kScale) return std::nullopt;
  __int128 units = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    units = units * 10 + (c - '0');
  }
  for (int i = 0; i < kScale; ++i) {
    const char c = i < static_cast<int>(frac.size()) ? frac[static_cast<std::size_t>(i)] : '0';
    if (c < '0' || c > '9') return std::nullopt;
    units = units * 10 + (c - '0');
  }
  return Amount(neg ? -units : units);
}

std::string Amount::to_string(int decimals) const {
  decimals = std::clamp(decimals, 0, kScale);
  const __int128 step = pow10(kScale - decimals);
  const __int128 rounded = round_half_even(units_, step);
  const bool neg = rounded < 0;
  const __int128 mag = neg ? -rounded : rounded;
  const __int128 scale = pow10(decimals);
  std::string out = neg ? "-" : "";
  out += digits_of(mag / scale);
  if (decimals > 0) {
    std::string frac = digits_of(mag % scale);
    frac.insert(0, static_cast<std::size_t>(decimals) - frac.size(), '0');
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    if (!frac.empty()) out += "." + frac;
  }
  return out;
}

Amount divide(Amount a, std::int64_t part, std::int64_t whole) {
  // a * part / whole as q * part + (r * part) / whole with q, r the quotient and remainder of a / whole:
  // |r| < whole and |part| <= whole, so neither product overflows where a * part could.
  const __int128 q = a.units() / whole;
  const __int128 r = a.units() % whole;
  return Amount::from_units(q * part + round_half_even(r * part, whole));
}

Decimal average_cost(Amount cost, Decimal quantity) {
  if (quantity.units() == 0) return Decimal{};
  // cost is in 1e-16, quantity in 1e-8: the quotient is a price in 1e-8 units.
  const __int128 q = quantity.units() < 0 ? -static_cast<__int128>(quantity.units()) : quantity.units();
  const __int128 c = cost.units() < 0 ? -cost.units() : cost.units();
  const __int128 avg = round_half_even(c, q);
  return Decimal::from_units(avg > std::numeric_limits<std::int64_t>::max() ? std::numeric_limits<std::int64_t>::max()
                                                                            : static_cast<std::int64_t>(avg));
}

bool at_or_above_percent(Amount usage, Amount limit, std::int64_t percent) {
  if (usage.units() > kMax / 100) return true;
  if (usage.units() < 0) return percent <= 0;
  return usage.units() * 100 >= limit.units() * percent;
}

std::string percent_text(Amount usage, Amount limit) {
  // usage / limit * 100 with 2 decimals: usage * 10^4 / limit in hundredths of a percent.
  __int128 hundredths = 0;
  if (usage.units() > kMax / 10'000 || usage.units() < -(kMax / 10'000)) {
    hundredths = usage.units() / limit.units() * 10'000;
  } else {
    hundredths = round_half_even(usage.units() * 10'000, limit.units());
  }
  return Amount::from_units(hundredths * pow10(Amount::kScale - 2)).to_string(2);
}

}  // namespace venue::risk
