#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include "venue/common/config.h"

namespace cfg = venue::config;

namespace {

struct Sample {
  std::int64_t port = 0;
  bool tls = false;
  std::string mode;
  std::string name;
  venue::Decimal tick;
  std::vector<std::string> accounts;
  std::vector<std::string> sessions;
};

void read_sample(cfg::Table& t, Sample& s) {
  s.port = t.integer("port", "TCP port", 9878, {1, 65535});
  s.tls = t.boolean("tls", "Use TLS", false);
  s.mode = t.choice("mode", "Idle strategy", {"spin", "yield", "block"}, "block");
  auto inst = t.table("instrument", "The instrument");
  s.name = inst.string("symbol", "Symbol", cfg::kRequired);
  s.tick = inst.decimal("tick_size", "Tick size", cfg::kRequired, true);
  s.accounts = inst.strings("accounts", "Accounts");
  for (auto& sess : t.tables("session", "Sessions", false)) {
    s.sessions.push_back(sess.string("sender", "SenderCompID", cfg::kRequired));
  }
}

std::vector<std::string> problems(const std::string& text) {
  Sample s;
  try {
    cfg::load(text, "venue.toml", [&](cfg::Table& t) { read_sample(t, s); });
  } catch (const cfg::ConfigError& e) {
    return e.problems();
  }
  return {};
}

bool any_contains(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& s : v) {
    if (s.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_valid_file_loads_with_defaults_filled_in) {
  Sample s;
  cfg::load(
      "[instrument]\nsymbol = \"XYZ\"\ntick_size = \"0.01\"\naccounts = [\"A1\", \"A2\"]\n"
      "[[session]]\nsender = \"BRK1\"\n[[session]]\nsender = \"BRK2\"\n",
      "venue.toml", [&](cfg::Table& t) { read_sample(t, s); });
  BOOST_TEST(s.port == 9878);
  BOOST_TEST(s.mode == "block");
  BOOST_TEST(s.name == "XYZ");
  BOOST_TEST(s.tick.units() == 1'000'000);
  BOOST_TEST(s.accounts.size() == 2U);
  BOOST_TEST(s.sessions.size() == 2U);
}

BOOST_AUTO_TEST_CASE(an_unknown_key_is_reported_with_file_and_line) {
  auto p = problems("port = 9000\nprot = 1\n[instrument]\nsymbol = \"X\"\ntick_size = \"1\"\n");
  BOOST_REQUIRE_EQUAL(p.size(), 1U);
  BOOST_TEST(p[0] == "venue.toml:2:8: unknown key \"prot\"");
}

BOOST_AUTO_TEST_CASE(an_unknown_key_inside_a_table_array_is_reported) {
  auto p = problems("[instrument]\nsymbol = \"X\"\ntick_size = \"1\"\n[[session]]\nsender = \"A\"\nsendr = \"B\"\n");
  BOOST_REQUIRE_EQUAL(p.size(), 1U);
  BOOST_TEST(p[0].find("venue.toml:6:") == 0U);
  BOOST_TEST(p[0].find("session[].sendr") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_problem_is_listed_at_once) {
  auto p = problems("port = 70000\ntls = \"yes\"\nmode = \"fast\"\n[instrument]\ntick_size = 0.01\n");
  BOOST_TEST(p.size() == 5U);
  BOOST_TEST(any_contains(p, "venue.toml:1:8: \"port\" is 70000, must be between 1 and 65535"));
  BOOST_TEST(any_contains(p, "venue.toml:2:7: \"tls\" must be true or false"));
  BOOST_TEST(any_contains(p, "\"mode\" is \"fast\", must be one of \"spin\", \"yield\", \"block\""));
  BOOST_TEST(any_contains(p, "missing required key \"instrument.symbol\""));
  BOOST_TEST(any_contains(p, "\"instrument.tick_size\" must be a decimal written as a string"));
}

BOOST_AUTO_TEST_CASE(a_bad_decimal_is_refused_with_its_reason) {
  auto p = problems("[instrument]\nsymbol = \"X\"\ntick_size = \"0.0000000001\"\n");
  BOOST_REQUIRE_EQUAL(p.size(), 1U);
  BOOST_TEST(p[0] == "venue.toml:3:13: \"instrument.tick_size\" is \"0.0000000001\": more than 8 decimal places");
  auto q = problems("[instrument]\nsymbol = \"X\"\ntick_size = \"-1\"\n");
  BOOST_TEST(any_contains(q, "must be greater than zero"));
}

BOOST_AUTO_TEST_CASE(a_missing_table_and_a_syntax_error_are_reported) {
  auto p = problems("port = 1\n");
  BOOST_TEST(any_contains(p, "missing required table [instrument]"));
  auto q = problems("port = = 1\n");
  BOOST_REQUIRE_EQUAL(q.size(), 1U);
  BOOST_TEST(q[0].find("venue.toml:1:") == 0U);
}

BOOST_AUTO_TEST_CASE(an_integer_where_a_float_was_written_is_refused) {
  auto p = problems("port = 9000.5\n[instrument]\nsymbol = \"X\"\ntick_size = \"1\"\n");
  BOOST_TEST(any_contains(p, "\"port\" must be an integer"));
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_reported_by_name) {
  try {
    cfg::load_file("/nonexistent/venue.toml", [](cfg::Table&) {});
    BOOST_FAIL("expected ConfigError");
  } catch (const cfg::ConfigError& e) {
    BOOST_TEST(std::string(e.what()) == "/nonexistent/venue.toml: cannot read the configuration file");
  }
}

BOOST_AUTO_TEST_CASE(the_reference_documents_every_key_with_its_default) {
  Sample s;
  const auto md = cfg::reference_markdown([&](cfg::Table& t) { read_sample(t, s); });
  BOOST_TEST(md.find("| `port` | integer 1..65535 | 9878 | TCP port |") != std::string::npos);
  BOOST_TEST(md.find("| `instrument.symbol` | string | required | Symbol |") != std::string::npos);
  BOOST_TEST(md.find("| `session[].sender` |") != std::string::npos);
  BOOST_TEST(md.find("\"spin\", \"yield\", \"block\"") != std::string::npos);
}
