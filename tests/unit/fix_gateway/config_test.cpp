#define BOOST_TEST_MODULE fix_gateway_config
// The venue's configuration: a good file loads, every mistake is reported with its line, and the
// published reference (spec/venue-config.md) lists every key the reader knows.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "support/source_dir.h"
#include "venue/fix_gateway/config.h"
#include "venue/fix_session/auth.h"

namespace fg = venue::fix_gateway;

namespace {

const std::string kHash = venue::fix_session::hash_password("secret", 1000);

std::string base_config() {
  return "[venue]\nstore_dir = \"s\"\nstate_dir = \"t\"\ndata_dictionary = \"d.xml\"\n"
         "[risk]\n"
         "[engine]\ninstruments = \"i.toml\"\njournal_dir = \"j\"\n"
         "[[firm]]\nid = 1\nname = \"ALPHA\"\n[[firm]]\nid = 2\nname = \"BETA\"\n"
         "[[account]]\nid = 1\nname = \"A-1\"\nfirm = \"ALPHA\"\nmax_order_qty = 10\n"
         "[[account]]\nid = 2\nname = \"B-1\"\nfirm = \"BETA\"\n";
}

std::string session(const std::string& extra) {
  return "[[session]]\nid = 1\nsender_comp_id = \"BRK1\"\nfirm = \"ALPHA\"\nusername = \"u\"\npassword_hash = \"" +
         kHash + "\"\naccounts = [\"A-1\"]\n" + extra;
}

std::vector<std::string> problems(const std::string& text) {
  try {
    fg::parse_config(text, "venue.toml", "/etc/venue");
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

BOOST_AUTO_TEST_CASE(a_valid_configuration_resolves_paths_and_entitlements) {
  const auto c = fg::parse_config(base_config() + session("cancel_on_disconnect = \"day\"\norders_per_second = 50\n"),
                                  "venue.toml", "/etc/venue");
  BOOST_TEST(c.store_dir == "/etc/venue/s");
  BOOST_TEST(c.engine.instruments_file == "/etc/venue/i.toml");
  BOOST_REQUIRE_EQUAL(c.sessions.size(), 1U);
  const auto& s = c.sessions[0];
  BOOST_TEST(s.id.value() == 1U);
  BOOST_TEST((s.cancel_on_disconnect == fg::CancelOnDisconnect::kDayOnly));
  BOOST_TEST(s.throttle.orders_per_second == 50);
  BOOST_REQUIRE_EQUAL(s.accounts.size(), 1U);
  BOOST_TEST(c.account(s.accounts[0])->name == "A-1");
  BOOST_TEST(c.account("A-1")->limits.max_order_qty_lots == 10);
  BOOST_REQUIRE_EQUAL(c.engine.shards.size(), 1U);  // one shard when none is configured
}

BOOST_AUTO_TEST_CASE(an_account_of_another_firm_and_a_bad_allow_list_are_refused) {
  auto q = problems(base_config() +
                    "[[session]]\nid = 1\nsender_comp_id = \"BRK1\"\nfirm = \"ALPHA\"\nusername = \"u\"\n"
                    "password_hash = \"" +
                    kHash +
                    "\"\naccounts = [\"B-1\", \"NOPE\"]\n"
                    "allow_from = [\"10.0.0.0/33\"]\n");
  BOOST_TEST(has(q, "\"B-1\" belongs to another firm"));
  BOOST_TEST(has(q, "\"NOPE\" names no [[account]]"));
  BOOST_TEST(has(q, "\"10.0.0.0/33\" is not an IPv4 address or CIDR block"));
}

BOOST_AUTO_TEST_CASE(a_plain_password_instead_of_a_hash_is_refused) {
  auto p = problems(base_config() +
                    "[[session]]\nid = 1\nsender_comp_id = \"BRK1\"\nfirm = \"ALPHA\"\nusername = \"u\"\n"
                    "password_hash = \"hunter2\"\naccounts = [\"A-1\"]\n");
  BOOST_TEST(has(p, "venue.toml:29:17: \"session[].password_hash\": not a pbkdf2-sha256"));
}

BOOST_AUTO_TEST_CASE(duplicates_typos_and_tls_without_a_listener_are_reported_together) {
  auto p = problems(base_config() + session("transport = \"tls\"\ncancel_on_disconect = \"all\"\n") + session(""));
  BOOST_TEST(has(p, "tls needs [venue] tls_port"));
  BOOST_TEST(has(p, "unknown key \"session[].cancel_on_disconect\""));
  BOOST_TEST(has(p, "\"session[].sender_comp_id\": is used by another session"));
}

BOOST_AUTO_TEST_CASE(an_order_entry_session_needs_an_account) {
  auto p = problems(base_config() +
                    "[[session]]\nid = 1\nsender_comp_id = \"BRK1\"\nfirm = \"ALPHA\"\nusername = \"u\"\n"
                    "password_hash = \"" +
                    kHash + "\"\n");
  BOOST_TEST(has(p, "an order-entry session needs at least one account"));
}

BOOST_AUTO_TEST_CASE(the_published_reference_lists_every_key) {
  std::ifstream in(venue::test::source_dir() + "/spec/venue-config.md");
  std::stringstream doc;
  doc << in.rdbuf();
  const auto table = fg::config_reference();
  BOOST_TEST(doc.str().find(table) != std::string::npos,
             "spec/venue-config.md must contain `build/bin/venue --print-config-reference` exactly:\n"
                 << table);
}

BOOST_AUTO_TEST_CASE(listener_addresses_and_session_options_are_read_and_a_bad_address_refused) {
  const auto c = fg::parse_config(
      "[venue]\nfix_address = \"127.0.0.1\"\nstore_dir = \"s\"\nstate_dir = \"t\"\ndata_dictionary = \"d.xml\"\n" +
          base_config().substr(base_config().find("[risk]")) +
          session("extended_fields = true\nreset_on_logon = true\n"),
      "venue.toml", "/etc/venue");
  BOOST_TEST(c.listen.fix_address == "127.0.0.1");
  BOOST_TEST(c.listen.tls_address == "0.0.0.0");  // every interface unless told
  BOOST_TEST(c.sessions.at(0).extended_fields);
  BOOST_TEST(c.sessions.at(0).reset_on_logon);
  // Off by default: a stock FIX 4.4 engine must accept what the venue sends.
  const auto d = fg::parse_config(base_config() + session(""), "venue.toml", "/etc/venue");
  BOOST_TEST(!d.sessions.at(0).extended_fields);
  BOOST_TEST(!d.sessions.at(0).reset_on_logon);
  auto p = problems(
      "[venue]\nfix_address = \"localhost\"\nstore_dir = \"s\"\nstate_dir = \"t\"\n"
      "data_dictionary = \"d.xml\"\n" +
      base_config().substr(base_config().find("[risk]")) + session(""));
  BOOST_TEST(has(p, "\"localhost\" is not an IPv4 address"));
}

BOOST_AUTO_TEST_CASE(the_real_time_priority_and_the_order_reservation_are_read_and_out_of_range_values_refused) {
  const std::string venue_head = "[venue]\nstore_dir = \"s\"\nstate_dir = \"t\"\ndata_dictionary = \"d.xml\"\n";
  std::string rest = base_config().substr(base_config().find("[risk]")) + session("");
  const auto engine_at = rest.find("[engine]\n") + std::string("[engine]\n").size();
  auto with_engine = [&](const std::string& keys) {
    std::string r = rest;
    r.insert(engine_at, keys);
    return r;
  };
  const auto c = fg::parse_config(
      venue_head + "realtime_priority = 10\n" + with_engine("reserve_orders = 500000\nreserve_trades = 300000\n"),
      "venue.toml", "/etc/venue");
  BOOST_TEST(c.realtime_priority == 10);
  BOOST_TEST(c.engine.reserve_orders == 500000U);
  BOOST_TEST(c.engine.reserve_trades == 300000U);
  // Normal scheduling and nothing reserved unless told.
  const auto d = fg::parse_config(base_config() + session(""), "venue.toml", "/etc/venue");
  BOOST_TEST(d.realtime_priority == 0);
  BOOST_TEST(d.engine.reserve_orders == 0U);
  BOOST_TEST(d.engine.reserve_trades == 0U);
  auto p = problems(venue_head + "realtime_priority = 100\n" +
                    with_engine("reserve_orders = -1\nreserve_trades = 100000001\n"));
  BOOST_TEST(has(p, "realtime_priority"));
  BOOST_TEST(has(p, "reserve_orders"));
  BOOST_TEST(has(p, "reserve_trades"));
}

BOOST_AUTO_TEST_CASE(the_main_threads_core_and_await_phase_are_read_and_out_of_range_values_refused) {
  const std::string venue_head = "[venue]\nstore_dir = \"s\"\nstate_dir = \"t\"\ndata_dictionary = \"d.xml\"\n";
  const std::string rest = base_config().substr(base_config().find("[risk]")) + session("");
  const auto c = fg::parse_config(venue_head + "cpu = 1\nawait_yield_us = 200\n" + rest, "venue.toml", "/etc/venue");
  BOOST_TEST(c.cpu == 1);
  BOOST_TEST(c.await_yield_us == 200);
  // Unpinned and no await phase unless told: a venue sharing its cores behaves as before.
  const auto d = fg::parse_config(base_config() + session(""), "venue.toml", "/etc/venue");
  BOOST_TEST(d.cpu == -1);
  BOOST_TEST(d.await_yield_us == 0);
  auto p = problems(venue_head + "cpu = -2\nawait_yield_us = 100001\n" + rest);
  BOOST_TEST(has(p, "cpu"));
  BOOST_TEST(has(p, "await_yield_us"));
}
