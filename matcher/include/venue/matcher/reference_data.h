#pragma once
// Instrument reference data: the file format of spec/reference-data.md, read into InstrumentSpecs.
//
//   auto instruments = venue::matcher::load_reference_data("deploy/local/instruments.toml");
//
// Throws venue::config::ConfigError listing every problem as "file:line:column: reason" (unknown keys,
// bad decimals, a reference price off the tick, duplicate ids or symbols, ...).
//
// Thread rules: plain functions.

#include <filesystem>
#include <string>
#include <vector>

#include "venue/common/config.h"
#include "venue/matcher/instrument.h"

namespace venue::matcher {

std::vector<InstrumentSpec> load_reference_data(const std::filesystem::path& file);
std::vector<InstrumentSpec> parse_reference_data(const std::string& text, const std::string& source_name);
// The reader shared by both and by the documentation (spec/reference-data.md is checked against it).
void read_reference_data(config::Table& root, std::vector<InstrumentSpec>& out);

}  // namespace venue::matcher
