#define BOOST_TEST_MODULE compliance_config
// The compliance configuration: the published reference (spec/compliance-config.md) is what the code
// reads, mistakes are refused with their place, and the local stack's file is valid.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "support/source_dir.h"
#include "venue/compliance/config.h"

namespace cp = venue::compliance;

namespace {
std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_published_reference_matches_the_code) {
  const auto file = std::filesystem::path(venue::test::source_dir()) / "spec" / "compliance-config.md";
  const std::string text = read(file);
  const std::string ref = cp::config_reference();
  BOOST_TEST(text.find(ref) != std::string::npos,
             "spec/compliance-config.md is out of date: regenerate it with build/bin/compliance "
             "--print-config-reference");
}

BOOST_AUTO_TEST_CASE(mistakes_are_refused_with_their_place) {
  const std::string bad = R"([database]
url = "postgresql://x"
[kafka]
brokers = "b:1"
[surveillance.spoofing]
max_distance_bps = -3
[[surveillance.owner]]
name = "A"
accounts = ["X"]
[[surveillance.owner]]
name = "B"
accounts = ["X"]
)";
  try {
    cp::parse_config(bad, "c.toml", {});
    BOOST_FAIL("accepted");
  } catch (const venue::config::ConfigError& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("max_distance_bps") != std::string::npos, what);
    BOOST_TEST(what.find("two owner groups") != std::string::npos, what);
  }
}

BOOST_AUTO_TEST_CASE(the_local_stacks_file_is_valid) {
  setenv("VENUE_PG_URL", "postgresql://venue@127.0.0.1:1/venue", 0);
  setenv("VENUE_KAFKA_BROKERS", "127.0.0.1:1", 0);
  const auto c =
      cp::load_config(std::filesystem::path(venue::test::source_dir()) / "deploy" / "local" / "compliance.toml");
  BOOST_TEST(c.metrics_port == 19103);
  BOOST_TEST(c.surveillance.replay_seconds() >= 300);
}
