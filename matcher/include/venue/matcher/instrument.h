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
  // Memory the engine takes and populates when it is built (and again when load() builds the state it
  // swaps in), so that the first orders and trades of a fresh process fault no page in: a first touch
  // costs the kernel a zeroed page (a 2 MB block at a time here) in the middle of a command. Everything
  // still grows on demand past these; 0 reserves nothing (tests, tools). What a reservation costs is in
  // matcher/PERF-HISTORY.md, 2026-12-07 04:50 (about 140 bytes per order and 152 per trade, in 2 MB blocks).
  std::uint32_t reserve_orders = 0;  // live orders at once (the pool, the price levels, the id index)
  std::uint32_t reserve_trades = 0;  // trades of a day (their records and the final views kept for busts)
};

}  // namespace venue::matcher
