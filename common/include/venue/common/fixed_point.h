#pragma once
// Fixed-point money for the whole venue. No double ever holds a price or a quantity.
//
//   Decimal  exact signed decimal with 8 fractional digits in an int64 (units of 1e-8): what FIX text
//            ("101.25") becomes, and what reference data (tick size, lot size) is written in.
//   Price    an instrument price in integer ticks of that instrument (Decimal / tick size, exact).
//   Qty      a quantity in integer lots of that instrument (Decimal / lot size, exact).
//
// Parsing never rounds: text with more than 8 decimals, a price off the tick or a quantity off the lot
// is an error value (NumError), never a silently adjusted number. Arithmetic on untrusted values goes
// through the checked_* functions, which report overflow instead of wrapping. The plain operators on
// Price and Qty are for values already validated against an instrument's bounds (the engine's limits
// keep every price and quantity far below 2^62, so sums of two cannot overflow).
//
// Rounding happens in exactly one place: average prices (AvgPx), through divide_rounded().
//
// Thread rules: value types; every function is pure and thread-safe.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "venue/common/result.h"

namespace venue {

enum class NumError : std::uint8_t {
  kEmpty = 1,
  kBadCharacter,
  kTooManyDecimals,
  kOverflow,
  kNotOnTick,
  kNotLotMultiple,
  kZeroDivisor,
};

std::string_view to_string(NumError e);

class Decimal {
 public:
  static constexpr int kScale = 8;
  static constexpr std::int64_t kOne = 100'000'000;
  // Longest text format() writes: sign, 11 integer digits, point, 8 decimals.
  static constexpr std::size_t kMaxTextLength = 21;

  constexpr Decimal() = default;
  static constexpr Decimal from_units(std::int64_t units) { return Decimal(units); }
  static Result<Decimal, NumError> from_integer(std::int64_t value);

  // Accepts what FIX 4.4 allows for float fields: optional '-', digits, optional '.' and digits.
  // Rejects empty text, '+', exponents, spaces, more than 8 significant decimals and overflow.
  // Trailing zeros past the 8th decimal are accepted ("1.000000000" is 1).
  static Result<Decimal, NumError> parse(std::string_view text);

  constexpr std::int64_t units() const { return units_; }

  // Shortest exact text: "101.25", "100", "-0.5". Writes at most kMaxTextLength chars; returns the count.
  std::size_t format(char* out) const;
  std::string to_string() const;

  friend constexpr auto operator<=>(Decimal, Decimal) = default;

 private:
  constexpr explicit Decimal(std::int64_t units) : units_(units) {}
  std::int64_t units_ = 0;
};

// A strong integer in instrument units (ticks or lots). Tag makes Price and Qty distinct types.
template <class Tag>
class FixedCount {
 public:
  constexpr FixedCount() = default;
  constexpr explicit FixedCount(std::int64_t count) : count_(count) {}
  constexpr std::int64_t count() const { return count_; }

  friend constexpr auto operator<=>(FixedCount, FixedCount) = default;
  friend constexpr FixedCount operator+(FixedCount a, FixedCount b) { return FixedCount(a.count_ + b.count_); }
  friend constexpr FixedCount operator-(FixedCount a, FixedCount b) { return FixedCount(a.count_ - b.count_); }
  constexpr FixedCount& operator+=(FixedCount o) {
    count_ += o.count_;
    return *this;
  }
  constexpr FixedCount& operator-=(FixedCount o) {
    count_ -= o.count_;
    return *this;
  }

 private:
  std::int64_t count_ = 0;
};

using Price = FixedCount<struct PriceTag>;  // ticks
using Qty = FixedCount<struct QtyTag>;      // lots

// Checked arithmetic: nullopt on overflow.
std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b);
std::optional<std::int64_t> checked_sub(std::int64_t a, std::int64_t b);
std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b);

template <class Tag>
std::optional<FixedCount<Tag>> checked_add(FixedCount<Tag> a, FixedCount<Tag> b) {
  auto r = checked_add(a.count(), b.count());
  if (!r) return std::nullopt;
  return FixedCount<Tag>(*r);
}
template <class Tag>
std::optional<FixedCount<Tag>> checked_sub(FixedCount<Tag> a, FixedCount<Tag> b) {
  auto r = checked_sub(a.count(), b.count());
  if (!r) return std::nullopt;
  return FixedCount<Tag>(*r);
}

// Conversions between Decimal text values and instrument units. Exact or an error.
Result<Price, NumError> to_price(Decimal price, Decimal tick_size);
Result<Qty, NumError> to_qty(Decimal quantity, Decimal lot_size);
Result<Decimal, NumError> to_decimal(Price price, Decimal tick_size);
Result<Decimal, NumError> to_decimal(Qty qty, Decimal lot_size);

// Notional value of price x quantity as a Decimal amount (price decimal x quantity decimal).
Result<Decimal, NumError> notional(Price price, Decimal tick_size, Qty qty, Decimal lot_size);

enum class Rounding : std::uint8_t { kDown, kUp, kHalfUp, kHalfEven };

// numerator / denominator rounded as asked (kDown and kUp toward -inf and +inf).
Result<std::int64_t, NumError> divide_rounded(__int128 numerator, std::int64_t denominator, Rounding mode);

// AvgPx: sum of (price ticks x lots) over the fills, divided by the filled lots, as a Decimal price
// rounded half-even to 8 decimals. Zero filled lots give 0.
Result<Decimal, NumError> average_price(__int128 sum_ticks_x_lots, Qty filled, Decimal tick_size);

}  // namespace venue
