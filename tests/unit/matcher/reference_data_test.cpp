#define BOOST_TEST_MODULE matcher_reference_data
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "support/printers.h"
#include "support/source_dir.h"
#include "venue/matcher/reference_data.h"

namespace m = venue::matcher;
namespace cfg = venue::config;

namespace {

std::vector<std::string> problems(const std::string& text) {
  try {
    m::parse_reference_data(text, "instruments.toml");
  } catch (const cfg::ConfigError& e) {
    return e.problems();
  }
  return {};
}

bool has(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& p : v) {
    if (p.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_valid_file_gives_instruments_in_engine_units) {
  auto v = m::parse_reference_data(R"(
[[instrument]]
id = 1
symbol = "ACME"
tick_size = "0.05"
lot_size = "100"
min_qty = 1
max_qty = 5000
reference_price = "101.25"
band_bps = 500
band_reference = "last_trade"

[[instrument]]
id = 2
symbol = "GLOBX"
tick_size = "0.01"
lot_size = "1"
status = "halted"
)",
                                   "instruments.toml");
  BOOST_REQUIRE_EQUAL(v.size(), 2U);
  BOOST_TEST(v[0].symbol == "ACME");
  BOOST_TEST(v[0].reference_price == venue::Price(2025));
  BOOST_TEST(v[0].band_bps == 500);
  BOOST_TEST((v[0].band_reference == m::BandReference::kLastTrade));
  BOOST_TEST(v[0].lot_size.to_string() == "100");
  BOOST_TEST(v[1].status == venue::TradingStatus::kHalted);
  BOOST_TEST(v[1].max_qty == venue::Qty(1'000'000));
}

BOOST_AUTO_TEST_CASE(every_mistake_is_reported_with_its_line) {
  auto p = problems(R"([[instrument]]
id = 1
symbol = "ACME"
tick_size = "0.05"
lot_size = "1"
reference_price = "101.27"
min_qty = 10
max_qty = 5

[[instrument]]
id = 1
symbol = "ACME"
tick_size = 0.01
lot_size = "1"
band_bps = 100
colour = "red"
)");
  BOOST_TEST(has(p, "instruments.toml:6:19: \"instrument[].reference_price\": is not a multiple of tick_size"));
  BOOST_TEST(has(p, "\"instrument[].min_qty\": is above max_qty"));
  BOOST_TEST(has(p, "instruments.toml:11:6: \"instrument[].id\": is used by another instrument"));
  BOOST_TEST(has(p, "\"instrument[].symbol\": is used by another instrument"));
  BOOST_TEST(has(p, "instruments.toml:13:13: \"instrument[].tick_size\" must be a decimal written as a string"));
  BOOST_TEST(has(p, "a static band needs a reference_price"));
  BOOST_TEST(has(p, "instruments.toml:16:10: unknown key \"instrument[].colour\""));
}

BOOST_AUTO_TEST_CASE(an_empty_file_needs_at_least_one_instrument) {
  BOOST_TEST(has(problems(""), "at least one [[instrument]] is required"));
}

BOOST_AUTO_TEST_CASE(the_published_format_documents_every_key) {
  const auto table = cfg::reference_markdown([](cfg::Table& t) {
    std::vector<m::InstrumentSpec> out;
    m::read_reference_data(t, out);
  });
  std::ifstream in(venue::test::source_dir() + "/spec/reference-data.md");
  std::stringstream doc;
  doc << in.rdbuf();
  BOOST_TEST(doc.str().find(table) != std::string::npos, "spec/reference-data.md must contain this table exactly:\n"
                                                             << table);
}
