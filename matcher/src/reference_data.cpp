#include "venue/matcher/reference_data.h"

#include <set>

namespace venue::matcher {

void read_reference_data(config::Table& root, std::vector<InstrumentSpec>& out) {
  std::set<std::uint32_t> ids;
  std::set<std::string> symbols;
  for (auto& t : root.tables("instrument", "One tradable instrument", true)) {
    InstrumentSpec s;
    s.id = InstrumentId(static_cast<std::uint32_t>(
        t.integer("id", "Numeric instrument id, unique; it appears in the journal and on Kafka", config::kRequired,
                  {1, 1'000'000})));
    s.symbol =
        t.string("symbol", "Symbol(55) brokers send; unique, 1 to 24 characters without spaces", config::kRequired);
    s.tick_size = t.decimal("tick_size", "Smallest price increment, e.g. \"0.01\"", config::kRequired, true);
    s.lot_size = t.decimal("lot_size", "Quantity unit: OrderQty(38) must be a multiple of it", config::kRequired, true);
    s.min_qty = Qty(t.integer("min_qty", "Smallest order quantity, in lots", 1, {1, 1'000'000'000'000}));
    s.max_qty = Qty(t.integer("max_qty", "Largest order quantity, in lots", 1'000'000, {1, 1'000'000'000'000}));
    const auto ref = t.optional_decimal(
        "reference_price", "Price the band is centred on until trading sets one (a multiple of tick_size)", true);
    s.band_bps = t.integer("band_bps",
                           "Price band half-width in basis points of the reference price; 0 = no band (then market "
                           "orders are bounded only by the book)",
                           0, {0, 100'000});
    const auto band_ref = t.choice("band_reference", "What the band is centred on", {"static", "last_trade"}, "static");
    const auto status = t.choice("status", "Trading status at start-up", {"open", "halted", "closed"}, "open");
    s.currency = t.string("currency", "Currency(15) of prices, informational", "USD");
    s.description = t.string("description", "Free text for operators", "");

    s.band_reference = band_ref == "last_trade" ? BandReference::kLastTrade : BandReference::kStatic;
    s.status = status == "halted"   ? TradingStatus::kHalted
               : status == "closed" ? TradingStatus::kClosed
                                    : TradingStatus::kOpen;
    if (s.symbol.empty() || s.symbol.size() > 24 || s.symbol.find_first_of(" \t\x01=") != std::string::npos) {
      t.fail("symbol", "must be 1 to 24 characters without spaces, '=' or SOH");
    }
    if (s.min_qty > s.max_qty) t.fail("min_qty", "is above max_qty");
    if (ref) {
      auto ticks = to_price(*ref, s.tick_size);
      if (!ticks) {
        t.fail("reference_price", "is not a multiple of tick_size");
      } else {
        s.reference_price = *ticks;
      }
    }
    if (s.band_bps > 0 && !ref && s.band_reference == BandReference::kStatic) {
      t.fail("band_bps", "a static band needs a reference_price");
    }
    if (!ids.insert(s.id.value()).second) t.fail("id", "is used by another instrument");
    if (!symbols.insert(s.symbol).second) t.fail("symbol", "is used by another instrument");
    out.push_back(std::move(s));
  }
}

std::vector<InstrumentSpec> parse_reference_data(const std::string& text, const std::string& source_name) {
  std::vector<InstrumentSpec> out;
  config::load(text, source_name, [&](config::Table& t) { read_reference_data(t, out); });
  return out;
}

std::vector<InstrumentSpec> load_reference_data(const std::filesystem::path& file) {
  std::vector<InstrumentSpec> out;
  config::load_file(file, [&](config::Table& t) { read_reference_data(t, out); });
  return out;
}

}  // namespace venue::matcher
