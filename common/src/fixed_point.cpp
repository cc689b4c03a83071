#include "venue/common/fixed_point.h"

#include <limits>

namespace venue {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

bool fits(__int128 v) { return v >= kMin && v <= kMax; }

}  // namespace

std::string_view to_string(NumError e) {
  switch (e) {
    case NumError::kEmpty: return "empty number";
    case NumError::kBadCharacter: return "not a decimal number";
    case NumError::kTooManyDecimals: return "more than 8 decimal places";
    case NumError::kOverflow: return "number out of range";
    case NumError::kNotOnTick: return "price is not a multiple of the tick size";
    case NumError::kNotLotMultiple: return "quantity is not a multiple of the lot size";
    case NumError::kZeroDivisor: return "tick or lot size is zero or negative";
  }
  return "unknown number error";
}

Result<Decimal, NumError> Decimal::from_integer(std::int64_t value) {
  auto units = checked_mul(value, kOne);
  if (!units) return Err{NumError::kOverflow};
  return Decimal(*units);
}

Result<Decimal, NumError> Decimal::parse(std::string_view text) {
  if (text.empty()) return Err{NumError::kEmpty};
  std::size_t i = 0;
  const bool negative = text[0] == '-';
  if (negative) ++i;
  if (i == text.size()) return Err{NumError::kBadCharacter};

  // Accumulate as a negative number so that the minimum int64 is reachable.
  std::int64_t acc = 0;
  int decimals = -1;  // -1: no point seen yet
  bool any_digit = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (decimals >= 0) return Err{NumError::kBadCharacter};
      decimals = 0;
      continue;
    }
    if (c < '0' || c > '9') return Err{NumError::kBadCharacter};
    any_digit = true;
    const int digit = c - '0';
    if (decimals >= kScale) {
      if (digit != 0) return Err{NumError::kTooManyDecimals};
      continue;
    }
    if (acc < (kMin + digit) / 10) return Err{NumError::kOverflow};
    acc = acc * 10 - digit;
    if (decimals >= 0) ++decimals;
  }
  if (!any_digit) return Err{NumError::kBadCharacter};
  for (int d = decimals < 0 ? 0 : decimals; d < kScale; ++d) {
    if (acc < kMin / 10) return Err{NumError::kOverflow};
    acc *= 10;
  }
  if (negative) return Decimal(acc);
  if (acc == kMin) return Err{NumError::kOverflow};
  return Decimal(-acc);
}

std::size_t Decimal::format(char* out) const {
  char digits[24];
  std::size_t n = 0;
  // Work in unsigned magnitude so that the minimum int64 formats correctly.
  std::uint64_t mag = units_ < 0 ? 0 - static_cast<std::uint64_t>(units_) : static_cast<std::uint64_t>(units_);
  for (int i = 0; i < kScale || mag != 0; ++i) {
    digits[n++] = static_cast<char>('0' + mag % 10);
    mag /= 10;
  }
  // digits holds at least kScale + 0 digits, least significant first; the integer part may be empty.
  std::size_t len = 0;
  if (units_ < 0) out[len++] = '-';
  const std::size_t int_digits = n > static_cast<std::size_t>(kScale) ? n - kScale : 0;
  if (int_digits == 0) out[len++] = '0';
  for (std::size_t k = 0; k < int_digits; ++k) out[len++] = digits[n - 1 - k];
  // Fractional digits are digits[kScale-1 .. 0]; drop trailing zeros.
  std::size_t first_nonzero = 0;
  while (first_nonzero < static_cast<std::size_t>(kScale) && digits[first_nonzero] == '0') ++first_nonzero;
  if (first_nonzero < static_cast<std::size_t>(kScale)) {
    out[len++] = '.';
    for (std::size_t k = kScale; k > first_nonzero; --k) out[len++] = digits[k - 1];
  }
  return len;
}

std::string Decimal::to_string() const {
  char buf[kMaxTextLength];
  return std::string(buf, format(buf));
}

std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

std::optional<std::int64_t> checked_sub(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) return std::nullopt;
  return r;
}

std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

namespace {

Result<std::int64_t, NumError> exact_divide(Decimal value, Decimal unit, NumError not_multiple) {
  if (unit.units() <= 0) return Err{NumError::kZeroDivisor};
  if (value.units() % unit.units() != 0) return Err{not_multiple};
  return value.units() / unit.units();
}

Result<Decimal, NumError> scale_up(std::int64_t count, Decimal unit) {
  if (unit.units() <= 0) return Err{NumError::kZeroDivisor};
  auto units = checked_mul(count, unit.units());
  if (!units) return Err{NumError::kOverflow};
  return Decimal::from_units(*units);
}

}  // namespace

Result<Price, NumError> to_price(Decimal price, Decimal tick_size) {
  auto ticks = exact_divide(price, tick_size, NumError::kNotOnTick);
  if (!ticks) return Err{ticks.error()};
  return Price(*ticks);
}

Result<Qty, NumError> to_qty(Decimal quantity, Decimal lot_size) {
  auto lots = exact_divide(quantity, lot_size, NumError::kNotLotMultiple);
  if (!lots) return Err{lots.error()};
  return Qty(*lots);
}

Result<Decimal, NumError> to_decimal(Price price, Decimal tick_size) { return scale_up(price.count(), tick_size); }

Result<Decimal, NumError> to_decimal(Qty qty, Decimal lot_size) { return scale_up(qty.count(), lot_size); }

Result<Decimal, NumError> notional(Price price, Decimal tick_size, Qty qty, Decimal lot_size) {
  if (tick_size.units() <= 0 || lot_size.units() <= 0) return Err{NumError::kZeroDivisor};
  // price_dec * qty_dec = (ticks * tick_units / 1e8) * (lots * lot_units / 1e8), in 1e-8 units:
  // ticks * tick_units * lots * lot_units / 1e8. Exact when the product is representable; the division
  // by 1e8 can only drop digits beyond the 8th decimal, which is rounded half-even.
  const __int128 a = static_cast<__int128>(price.count()) * tick_size.units();
  const __int128 b = static_cast<__int128>(qty.count()) * lot_size.units();
  if (!fits(a) || !fits(b)) return Err{NumError::kOverflow};
  __int128 product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return Err{NumError::kOverflow};
  auto units = divide_rounded(product, Decimal::kOne, Rounding::kHalfEven);
  if (!units) return Err{units.error()};
  return Decimal::from_units(*units);
}

Result<std::int64_t, NumError> divide_rounded(__int128 numerator, std::int64_t denominator, Rounding mode) {
  if (denominator == 0) return Err{NumError::kZeroDivisor};
  __int128 den = denominator;
  if (den < 0) {
    den = -den;
    numerator = -numerator;
  }
  __int128 q = numerator / den;  // truncates toward zero
  __int128 r = numerator % den;  // same sign as numerator
  if (r != 0) {
    switch (mode) {
      case Rounding::kDown:
        if (r < 0) --q;
        break;
      case Rounding::kUp:
        if (r > 0) ++q;
        break;
      case Rounding::kHalfUp:
      case Rounding::kHalfEven: {
        const __int128 twice = (r < 0 ? -r : r) * 2;
        const bool away = twice > den || (twice == den && (mode == Rounding::kHalfUp || (q % 2) != 0));
        if (away) q += r < 0 ? -1 : 1;
        break;
      }
    }
  }
  if (!fits(q)) return Err{NumError::kOverflow};
  return static_cast<std::int64_t>(q);
}

Result<Decimal, NumError> average_price(__int128 sum_ticks_x_lots, Qty filled, Decimal tick_size) {
  if (filled.count() == 0) return Decimal();
  if (tick_size.units() <= 0) return Err{NumError::kZeroDivisor};
  // avg_units = sum(ticks*lots) * tick_units / lots, computed as q * tick_units + round(r * tick_units / lots)
  // with sum = q * lots + r: no intermediate product can overflow (q is at most the highest fill price in
  // ticks, r is below lots), so only an average that does not fit a Decimal fails, and none can: it is
  // never above the highest fill price.
  const __int128 lots = filled.count();
  const __int128 q = sum_ticks_x_lots / lots;
  const __int128 r = sum_ticks_x_lots % lots;
  __int128 whole = 0;
  if (__builtin_mul_overflow(q, static_cast<__int128>(tick_size.units()), &whole)) return Err{NumError::kOverflow};
  auto part = divide_rounded(r * tick_size.units(), filled.count(), Rounding::kHalfEven);
  if (!part) return Err{part.error()};
  const __int128 units = whole + *part;
  if (!fits(units)) return Err{NumError::kOverflow};
  return Decimal::from_units(static_cast<std::int64_t>(units));
}

}  // namespace venue
