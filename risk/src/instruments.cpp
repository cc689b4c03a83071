#include "venue/risk/instruments.h"

#include <toml++/toml.h>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace venue::risk {

namespace {

std::string where(const std::string& source, const toml::source_region& at) {
  return source + ":" + std::to_string(at.begin.line) + ":" + std::to_string(at.begin.column);
}

}  // namespace

std::map<std::string, Decimal> parse_reference_prices(const std::string& text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    throw std::runtime_error(where(source_name, e.source()) + ": " + std::string(e.description()));
  }
  std::map<std::string, Decimal> out;
  const toml::array* list = root["instrument"].as_array();
  if (list == nullptr) throw std::runtime_error(source_name + ": no [[instrument]] tables");
  for (const toml::node& node : *list) {
    const toml::table* t = node.as_table();
    if (t == nullptr) throw std::runtime_error(where(source_name, node.source()) + ": instrument is not a table");
    const auto symbol = (*t)["symbol"].value<std::string>();
    if (!symbol || symbol->empty()) {
      throw std::runtime_error(where(source_name, t->source()) + ": instrument without a symbol");
    }
    const toml::node* ref = t->get("reference_price");
    if (ref == nullptr) continue;
    const auto text_value = ref->value<std::string>();
    auto price = text_value ? Decimal::parse(*text_value) : Result<Decimal, NumError>(Err{NumError::kEmpty});
    if (!price || price->units() <= 0) {
      throw std::runtime_error(where(source_name, ref->source()) + ": reference_price of " + *symbol +
                               " is not a positive decimal string");
    }
    out[*symbol] = *price;
  }
  return out;
}

std::map<std::string, Decimal> load_reference_prices(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_reference_prices(text.str(), file.string());
}

}  // namespace venue::risk
