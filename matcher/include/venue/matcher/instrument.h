#pragma once
// Instrument reference data as the engine uses it: units, limits, price band and trading status.
// The file format these come from is specified in spec/reference-data.md and loaded by
// venue/matcher/reference_data.h (the runtime library); the engine takes them as values.
//
// Thread rules: value type.

#include <cstdint>
#include <string>

#include "venue/common/domain.h"
#include "venue/common/fixed_point.h"

namespace venue::matcher {

enum class BandReference : std::uint8_t {
  kStatic = 0,  // the band is centred on the configured (or operator-set) reference price
  kLastTrade,   // the band follows the last trade price once there is one
};

struct InstrumentSpec {
  InstrumentId id;
  std::string symbol;
  Decimal tick_size = Decimal::from_units(Decimal::kOne / 100);
  Decimal lot_size = Decimal::from_units(Decimal::kOne);
  Qty min_qty{1};
  Qty max_qty{1'000'000'000};
  // Price band: orders priced beyond reference +/- band_bps basis points are rejected; market orders
  // never trade beyond it. 0 disables the band (then market orders are bounded only by the book).
  std::int64_t band_bps = 0;
  Price reference_price{0};  // 0 = none yet
  BandReference band_reference = BandReference::kStatic;
  TradingStatus status = TradingStatus::kOpen;
  std::string currency = "USD";  // informational
  std::string description;       // informational
};

enum class StpScope : std::uint8_t { kAccount = 0, kFirm };
enum class PostOnlyPolicy : std::uint8_t { kReject = 0, kCancel };

struct EngineSettings {
  std::uint16_t shard = 0;  // high bits of every id the engine assigns
  StpScope stp_scope = StpScope::kAccount;
  PostOnlyPolicy post_only_policy = PostOnlyPolicy::kReject;
};

}  // namespace venue::matcher
