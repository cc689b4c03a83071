#pragma once
// The gateway's view of the instruments: each one's reference data, the engine shard that owns it, and
// what the gateway keeps of its state for pre-trade checks (trading status, last trade price, refreshed
// from the engine's events). Also how prices and quantities of an instrument are written in FIX.
//
//   InstrumentTable table;
//   table.add(spec, shard);
//   if (auto i = table.find("ACME")) { const Instrument& in = table[*i]; ... }
//   ticks_text(in, 10150)  // "101.50" for a 0.01 tick
//
// Thread rules: the gateway thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "venue/common/domain.h"
#include "venue/matcher/instrument.h"

namespace venue::fix_gateway {

struct Instrument {
  matcher::InstrumentSpec spec;
  std::size_t shard = 0;  // index into the venue's shards
  TradingStatus status = TradingStatus::kOpen;
  std::int64_t last_trade = 0;     // ticks; 0: none yet
  std::size_t price_decimals = 0;  // the tick size's decimals: prices are written with at least these
};

class InstrumentTable {
 public:
  // Adds an instrument; returns its index.
  std::size_t add(const matcher::InstrumentSpec& spec, std::size_t shard);
  std::optional<std::size_t> find(std::string_view symbol) const;
  std::optional<std::size_t> find(InstrumentId id) const;
  Instrument& operator[](std::size_t i) { return all_[i]; }
  const Instrument& operator[](std::size_t i) const { return all_[i]; }
  std::size_t size() const { return all_.size(); }
  std::vector<Instrument>& all() { return all_; }
  const std::vector<Instrument>& all() const { return all_; }

 private:
  std::vector<Instrument> all_;
  std::unordered_map<std::string, std::size_t> by_symbol_;
  std::unordered_map<std::uint32_t, std::size_t> by_id_;
};

// A price as brokers write it: with the tick size's decimals ("101.50" for a 0.01 tick), more only when
// the value has them.
std::string ticks_text(const Instrument& in, std::int64_t ticks);
// A quantity in the instrument's units ("300" for 3 lots of 100).
std::string lots_text(const Instrument& in, std::int64_t lots);

}  // namespace venue::fix_gateway
