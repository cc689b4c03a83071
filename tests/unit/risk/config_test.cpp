#define BOOST_TEST_MODULE risk_config
// The risk service's configuration: read as written, every mistake reported with its line, the local
// stack's file valid, and the published reference (spec/risk-config.md) the code's own.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "support/source_dir.h"
#include "venue/risk/config.h"
#include "venue/risk/instruments.h"

namespace vr = venue::risk;

namespace {

const std::string kBase =
    "[risk]\ninstruments = \"i.toml\"\n[kafka]\nbrokers = \"127.0.0.1:9092\"\n[database]\nurl = "
    "\"postgresql://x\"\n";

std::vector<std::string> problems(const std::string& text) {
  try {
    vr::parse_config(text, "risk.toml", "/etc/risk");
  } catch (const venue::config::ConfigError& e) {
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

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

BOOST_AUTO_TEST_CASE(defaults_and_seed_limits_are_read_as_written) {
  const auto c = vr::parse_config(kBase +
                                      "[[limit]]\nfirm = \"ALPHA\"\nlimit = \"max_loss\"\nvalue = \"200000\"\n"
                                      "[[limit]]\naccount = \"ALPHA-1\"\nlimit = \"max_net_position\"\nsymbol = "
                                      "\"ACME\"\nvalue = \"5000\"\n",
                                  "risk.toml", "/etc/risk");
  BOOST_TEST(c.instruments == "/etc/risk/i.toml");
  BOOST_TEST((c.warning_levels == std::vector<int>{50, 75, 90}));
  BOOST_TEST(c.schema == "risk");
  BOOST_TEST(c.enforce);
  BOOST_REQUIRE(c.seed_limits.size() == 2U);
  BOOST_TEST((c.seed_limits[0].scope == vr::Scope::kFirm));
  BOOST_TEST(c.seed_limits[0].value.to_string() == "200000");
  BOOST_TEST(c.seed_limits[1].symbol == "ACME");
}

BOOST_AUTO_TEST_CASE(mistakes_are_listed_with_their_place) {
  auto p = problems(kBase + "[[limit]]\nfirm = \"A\"\naccount = \"B\"\nlimit = \"max_loss\"\nvalue = \"-5\"\n");
  BOOST_TEST(has(p, "give exactly one of account and firm"));
  BOOST_TEST(has(p, "\"-5\" must be greater than 0"));
  p = problems(kBase + "[[limit]]\nfirm = \"A\"\nlimit = \"max_loss\"\nsymbol = \"ACME\"\nvalue = \"5\"\n");
  BOOST_TEST(has(p, "only max_net_position takes a symbol"));
  p = problems(
      "[risk]\ninstruments = \"i\"\nwarning_levels = \"50,150,50\"\ntrading_day_start = \"25:00\"\n[kafka]\nbrokers = "
      "\"$RISK_TEST_UNSET_VARIABLE\"\n[database]\nurl = \"u\"\nschema = \"Risk-1\"\n");
  BOOST_TEST(has(p, "\"150\" is not a whole percent between 1 and 99"));
  BOOST_TEST(has(p, "50 is listed twice"));
  BOOST_TEST(has(p, "must be a time HH:MM:SS"));
  BOOST_TEST(has(p, "environment variable RISK_TEST_UNSET_VARIABLE is not set"));
  BOOST_TEST(has(p, "must be lower-case letters, digits and _"));
  BOOST_TEST(has(problems(kBase + "[risk.extra]\n"), "risk.toml:"));
}

BOOST_AUTO_TEST_CASE(the_local_stack_file_is_valid) {
  ::setenv("VENUE_KAFKA_BROKERS", "127.0.0.1:19092", 0);
  ::setenv("VENUE_PG_URL", "postgresql://venue@127.0.0.1:15432/venue", 0);
  const auto c = vr::load_config(venue::test::source_dir() + "/deploy/local/risk.toml");
  BOOST_TEST(c.metrics_port == 19104);
  BOOST_TEST(!c.seed_limits.empty());
  const auto refs = vr::load_reference_prices(c.instruments);
  BOOST_TEST(refs.at("GLOBX").to_string() == "25");
  BOOST_TEST(refs.at("INITECH").to_string() == "7.5");
}

BOOST_AUTO_TEST_CASE(the_published_reference_is_the_codes_own) {
  const auto doc = read(venue::test::source_dir() + "/spec/risk-config.md");
  BOOST_TEST(doc.find(vr::config_reference()) != std::string::npos,
             "spec/risk-config.md differs from `risk --print-config-reference`: regenerate its table");
}

BOOST_AUTO_TEST_CASE(a_bad_instrument_file_is_refused_with_its_place) {
  try {
    vr::parse_reference_prices("[[instrument]]\nsymbol = \"X\"\nreference_price = 7.5\n", "i.toml");
    BOOST_FAIL("a TOML float was accepted as a price");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()) == "i.toml:3:19: reference_price of X is not a positive decimal string");
  }
}
