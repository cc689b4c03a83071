#pragma once
// Exact amounts for the risk service: notional, cost, P&L and exposure, never a double.
//
// Prices and quantities arrive as FIX decimals (venue::Decimal: int64 units of 1e-8). Their product has
// 16 decimals, so an Amount is a signed __int128 in units of 1e-16: price x quantity is exact, and sums
// of products are exact. Quantities used as limit figures (a net position) are Amounts too (1 lot of
// "25" is 25 * 10^16 units), so every usage and every limit compares in one type.
//
//   Amount notional = Amount::product(last_qty, last_px);     // exact
//   std::string text = notional.to_string();                   // "1012.5": rounded half-even to 8 places
//   auto limit = Amount::parse("200000.00");                   // nullopt: not a decimal, > 16 decimals
//
// Rounding happens in three places only, all half-even: to_string() (8 decimals for people), the share
// of a position's cost that a reducing fill takes away (divide(), at 1e-16), and the average cost shown
// (average_cost(), 8 decimals).
//
// Thread rules: value type; every function is pure.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "venue/common/fixed_point.h"

namespace venue::risk {

class Amount {
 public:
  static constexpr int kScale = 16;
  static constexpr __int128 kOne = static_cast<__int128>(10'000'000'000'000'000LL);

  constexpr Amount() = default;
  static constexpr Amount from_units(__int128 units) { return Amount(units); }
  // a * b, exact (both at most 2^63 units: the product fits).
  static constexpr Amount product(Decimal a, Decimal b) {
    return Amount(static_cast<__int128>(a.units()) * static_cast<__int128>(b.units()));
  }
  // A quantity or price as an amount (exact).
  static constexpr Amount of(Decimal d) { return Amount(static_cast<__int128>(d.units()) * Decimal::kOne); }
  // Decimal text, optional '-', at most 16 decimals and 21 integer digits; nullopt otherwise.
  static std::optional<Amount> parse(std::string_view text);

  constexpr __int128 units() const { return units_; }
  constexpr bool is_zero() const { return units_ == 0; }
  constexpr bool negative() const { return units_ < 0; }

  // Rounded half-even to `decimals` places (0..16), shortest form: "1012.5", "-3", "0".
  std::string to_string(int decimals = 8) const;
  // Every digit (for the database): exact.
  std::string exact_string() const { return to_string(kScale); }

  friend constexpr auto operator<=>(Amount, Amount) = default;
  friend constexpr Amount operator+(Amount a, Amount b) { return Amount(a.units_ + b.units_); }
  friend constexpr Amount operator-(Amount a, Amount b) { return Amount(a.units_ - b.units_); }
  constexpr Amount operator-() const { return Amount(-units_); }
  constexpr Amount& operator+=(Amount o) {
    units_ += o.units_;
    return *this;
  }
  constexpr Amount& operator-=(Amount o) {
    units_ -= o.units_;
    return *this;
  }

 private:
  constexpr explicit Amount(__int128 units) : units_(units) {}
  __int128 units_ = 0;
};

constexpr Amount abs(Amount a) { return a.negative() ? -a : a; }

// a * part / whole, rounded half-even to a unit; whole > 0, |part| <= whole (the share of a position's cost
// that `part` of its `whole` quantity carries). Computed without overflow for any position size.
Amount divide(Amount a, std::int64_t part, std::int64_t whole);

// cost / quantity as a price (Decimal), rounded half-even to 8 decimals; 0 when quantity is 0.
Decimal average_cost(Amount cost, Decimal quantity);

// usage * 100 >= percent * limit, exactly (limit > 0).
bool at_or_above_percent(Amount usage, Amount limit, std::int64_t percent);
// usage / limit in percent, rounded half-even to 2 decimals, as text ("74.35"); limit > 0.
std::string percent_text(Amount usage, Amount limit);

}  // namespace venue::risk
