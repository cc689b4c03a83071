#pragma once
// The venue's domain value types, shared by the engine, the gateway and the downstream services.
// Dependency-free: the matching engine may include this header (and fixed_point.h), nothing else
// from common/.
//
// Ids are strong types so that an order id cannot be passed where a trade id is expected. Zero is never
// a valid id (ids count from 1); a default-constructed id is "none".
//
// Thread rules: value types.

#include <compare>
#include <cstdint>
#include <functional>
#include <string_view>

namespace venue {

enum class Side : std::uint8_t { kBuy = 1, kSell = 2 };

constexpr Side opposite(Side s) { return s == Side::kBuy ? Side::kSell : Side::kBuy; }

enum class TimeInForce : std::uint8_t {
  kDay = 0,  // cancelled (expired) at end of day
  kIoc = 3,  // immediate or cancel: what does not trade at once is cancelled
  kFok = 4,  // fill or kill: trades in full at once, or not at all
  kGtc = 1,  // good till cancelled
  kGtd = 6,  // good till date: expires at its expire time
};

enum class OrdType : std::uint8_t {
  kMarket = 1,
  kLimit = 2,
  kStop = 3,       // becomes a market order when triggered
  kStopLimit = 4,  // becomes a limit order when triggered
};

// What happens when an order would take liquidity from the same self-trade-prevention identity.
// The aggressor's mode decides.
enum class StpMode : std::uint8_t {
  kNone = 0,
  kCancelNewest,        // the incoming (aggressing) order's remainder is cancelled
  kCancelOldest,        // the resting order is cancelled, the aggressor continues
  kCancelBoth,          // both are cancelled
  kDecrementAndCancel,  // the larger is reduced by the smaller, the smaller is cancelled (both if equal)
};

enum class TradingStatus : std::uint8_t {
  kOpen = 0,
  kHalted,  // new orders and replaces rejected; cancels accepted
  kClosed,  // new orders and replaces rejected; cancels accepted
};

std::string_view to_string(Side s);
std::string_view to_string(TimeInForce t);
std::string_view to_string(OrdType t);
std::string_view to_string(StpMode m);
std::string_view to_string(TradingStatus s);

template <class Tag, class Rep>
class StrongId {
 public:
  using rep_type = Rep;
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep value) : value_(value) {}
  constexpr Rep value() const { return value_; }
  constexpr bool valid() const { return value_ != 0; }
  friend constexpr auto operator<=>(StrongId, StrongId) = default;

 private:
  Rep value_ = 0;
};

using OrderId = StrongId<struct OrderIdTag, std::uint64_t>;  // venue order id, assigned by the engine
using TradeId = StrongId<struct TradeIdTag, std::uint64_t>;  // one per matched pair
using ExecId = StrongId<struct ExecIdTag, std::uint64_t>;    // one per execution report event
using InstrumentId = StrongId<struct InstrumentIdTag, std::uint32_t>;
using AccountId = StrongId<struct AccountIdTag, std::uint32_t>;
using FirmId = StrongId<struct FirmIdTag, std::uint32_t>;
using SessionId = StrongId<struct SessionIdTag, std::uint32_t>;

}  // namespace venue

template <class Tag, class Rep>
struct std::hash<venue::StrongId<Tag, Rep>> {
  std::size_t operator()(venue::StrongId<Tag, Rep> id) const noexcept { return std::hash<Rep>{}(id.value()); }
};
