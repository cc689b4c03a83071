// The instrument table and FIX text of prices and quantities (instruments.h). Gateway thread.
#include "venue/fix_gateway/instruments.h"

namespace venue::fix_gateway {

std::size_t InstrumentTable::add(const matcher::InstrumentSpec& spec, std::size_t shard) {
  Instrument in;
  in.spec = spec;
  in.shard = shard;
  in.status = spec.status;
  const std::string tick = spec.tick_size.to_string();
  if (const auto point = tick.find('.'); point != std::string::npos) in.price_decimals = tick.size() - point - 1;
  const std::size_t i = all_.size();
  by_symbol_[spec.symbol] = i;
  by_id_[spec.id.value()] = i;
  all_.push_back(std::move(in));
  return i;
}

std::optional<std::size_t> InstrumentTable::find(std::string_view symbol) const {
  const auto it = by_symbol_.find(std::string(symbol));
  if (it == by_symbol_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::size_t> InstrumentTable::find(InstrumentId id) const {
  const auto it = by_id_.find(id.value());
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::string ticks_text(const Instrument& in, std::int64_t ticks) {
  auto d = to_decimal(Price(ticks), in.spec.tick_size);
  std::string text = d ? d->to_string() : "0";
  if (in.price_decimals == 0) return text;
  auto point = text.find('.');
  if (point == std::string::npos) {
    point = text.size();
    text.push_back('.');
  }
  const std::size_t have = text.size() - point - 1;
  if (have < in.price_decimals) text.append(in.price_decimals - have, '0');
  return text;
}

std::string lots_text(const Instrument& in, std::int64_t lots) {
  auto d = to_decimal(Qty(lots), in.spec.lot_size);
  return d ? d->to_string() : "0";
}

}  // namespace venue::fix_gateway
