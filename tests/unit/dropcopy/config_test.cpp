#define BOOST_TEST_MODULE dropcopy_config
// The drop-copy service's configuration: scopes and levels read as written, mistakes reported with
// their line, and the published reference lists every key.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "support/source_dir.h"
#include "venue/dropcopy/config.h"
#include "venue/fix_session/auth.h"

namespace dc = venue::dropcopy;

namespace {

const std::string kHash = venue::fix_session::hash_password("s", 1000);

std::string base() {
  return "[dropcopy]\nstore_dir = \"s\"\ndata_dictionary = \"d.xml\"\n[kafka]\nbrokers = \"127.0.0.1:9092\"\n";
}

std::vector<std::string> problems(const std::string& text) {
  try {
    dc::parse_config(text, "dropcopy.toml", "/etc/dc");
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

}  // namespace

BOOST_AUTO_TEST_CASE(scopes_and_levels_are_read_as_written) {
  const auto c =
      dc::parse_config(base() + "[[session]]\nsender_comp_id = \"DC1\"\nusername = \"u\"\npassword_hash = \"" + kHash +
                           "\"\nscope = \"firms\"\nfirms = [\"ALPHA\"]\nlevel = \"fills\"\n",
                       "dropcopy.toml", "/etc/dc");
  BOOST_REQUIRE_EQUAL(c.sessions.size(), 1U);
  BOOST_TEST((c.sessions[0].scope == dc::Scope::kFirms));
  BOOST_TEST((c.sessions[0].level == dc::Level::kFills));
  BOOST_TEST(c.sessions[0].firms.at(0) == "ALPHA");
  BOOST_TEST(c.store_dir == "/etc/dc/s");
  BOOST_TEST(c.group_id == "dropcopy");
}

BOOST_AUTO_TEST_CASE(a_scope_without_its_list_and_an_unknown_level_are_refused) {
  auto p = problems(base() + "[[session]]\nsender_comp_id = \"DC1\"\nusername = \"u\"\npassword_hash = \"" + kHash +
                    "\"\nscope = \"accounts\"\nlevel = \"everything\"\n");
  BOOST_TEST(has(p, "scope \"accounts\" needs at least one account"));
  BOOST_TEST(has(p, "\"session[].level\" is \"everything\", must be one of \"all\", \"fills\""));
}

BOOST_AUTO_TEST_CASE(brokers_may_come_from_the_environment) {
  ::setenv("DC_TEST_BROKERS", "10.0.0.1:9092", 1);
  const auto c = dc::parse_config(
      "[dropcopy]\nstore_dir = \"s\"\ndata_dictionary = \"d.xml\"\n[kafka]\nbrokers = \"$DC_TEST_BROKERS\"\n"
      "[[session]]\nsender_comp_id = \"DC1\"\nusername = \"u\"\npassword_hash = \"" +
          kHash + "\"\n",
      "dropcopy.toml", "/etc/dc");
  BOOST_TEST(c.kafka.brokers == "10.0.0.1:9092");
  auto p = problems(
      "[dropcopy]\nstore_dir = \"s\"\ndata_dictionary = \"d.xml\"\n[kafka]\nbrokers = \"$DC_NOT_SET_ANYWHERE\"\n"
      "[[session]]\nsender_comp_id = \"DC1\"\nusername = \"u\"\npassword_hash = \"" +
      kHash + "\"\n");
  BOOST_TEST(has(p, "environment variable DC_NOT_SET_ANYWHERE is not set"));
}

BOOST_AUTO_TEST_CASE(the_group_session_is_read_and_bounded) {
  const std::string session =
      "[[session]]\nsender_comp_id = \"DC1\"\nusername = \"u\"\npassword_hash = \"" + kHash + "\"\n";
  BOOST_TEST(dc::parse_config(base() + session, "dropcopy.toml", "/etc/dc").session_timeout_ms == 45000);
  BOOST_TEST(dc::parse_config(base() + "session_timeout_ms = 10000\n" + session, "dropcopy.toml", "/etc/dc")
                 .session_timeout_ms == 10000);
  BOOST_TEST(has(problems(base() + "session_timeout_ms = 1000\n" + session), "session_timeout_ms"));
  BOOST_TEST(has(problems(base() + "session_timeout_ms = \"10s\"\n" + session), "session_timeout_ms"));
}

BOOST_AUTO_TEST_CASE(sync_is_write_unless_fdatasync_is_asked_for) {
  const std::string session =
      "[[session]]\nsender_comp_id = \"DC1\"\nusername = \"u\"\npassword_hash = \"" + kHash + "\"\n";
  const std::string dc_head = "[dropcopy]\nstore_dir = \"s\"\ndata_dictionary = \"d.xml\"\n";
  const std::string kafka = "[kafka]\nbrokers = \"127.0.0.1:9092\"\n";
  BOOST_TEST(!dc::parse_config(base() + session, "dropcopy.toml", "/etc/dc").durable);
  BOOST_TEST(
      dc::parse_config(dc_head + "sync = \"fdatasync\"\n" + kafka + session, "dropcopy.toml", "/etc/dc").durable);
  BOOST_TEST(!dc::parse_config(dc_head + "sync = \"write\"\n" + kafka + session, "dropcopy.toml", "/etc/dc").durable);
  BOOST_TEST(has(problems(dc_head + "sync = \"fsync\"\n" + kafka + session),
                 "\"dropcopy.sync\" is \"fsync\", must be one of \"write\", \"fdatasync\""));
}

BOOST_AUTO_TEST_CASE(the_published_reference_lists_every_key) {
  std::ifstream in(venue::test::source_dir() + "/spec/dropcopy-config.md");
  std::stringstream doc;
  doc << in.rdbuf();
  BOOST_TEST(doc.str().find(dc::config_reference()) != std::string::npos,
             "spec/dropcopy-config.md must contain `build/bin/dropcopy --print-config-reference` exactly");
}
