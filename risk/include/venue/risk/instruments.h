#pragma once
// The instruments' reference prices, read from the venue's own instrument file (spec/reference-data.md):
// an open position is marked to its instrument's last trade, or to this price before the first trade.
//
//   auto refs = venue::risk::load_reference_prices("deploy/local/instruments.toml");   // symbol -> price
//
// Only `symbol` and `reference_price` of each [[instrument]] are read; the other keys are the venue's to
// check (its loader, which risk may not link, refuses a bad file at the venue's start). A missing
// symbol, a malformed price or a file that is not TOML throws std::runtime_error naming the file, line
// and column.
//
// Thread rules: plain functions.

#include <filesystem>
#include <map>
#include <string>

#include "venue/common/fixed_point.h"

namespace venue::risk {

std::map<std::string, Decimal> load_reference_prices(const std::filesystem::path& file);
std::map<std::string, Decimal> parse_reference_prices(const std::string& text, const std::string& source_name);

}  // namespace venue::risk
