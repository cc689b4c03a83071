#include <boost/test/unit_test.hpp>

#include <initializer_list>
#include <string>
#include <vector>

#include "options.h"

namespace bench = venue::fix_gateway::bench;

namespace {

std::optional<bench::LoadOptions> parse(std::initializer_list<std::string> args) {
  std::vector<std::string> storage{"fixload"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(storage.size());
  for (auto& s : storage) argv.push_back(s.data());
  return bench::parse_load_options(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fixload_options)

BOOST_AUTO_TEST_CASE(one_sender_name_gets_numbers_appended_per_session) {
  const auto o = parse({"--sender", "BRK", "--sessions", "3"});
  BOOST_TEST(o->senders == (std::vector<std::string>{"BRK1", "BRK2", "BRK3"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_comma_list_of_senders_is_used_as_given) {
  const auto o = parse({"--sender", "A,B", "--sessions", "2"});
  BOOST_TEST(o->senders == (std::vector<std::string>{"A", "B"}), boost::test_tools::per_element());
  BOOST_TEST(parse({"--sender", "A,B"})->sessions == 2);
  BOOST_CHECK_THROW(parse({"--sender", "A,B", "--sessions", "3"}), bench::UsageError);
}

BOOST_AUTO_TEST_CASE(rate_is_max_or_a_positive_integer) {
  BOOST_TEST(parse({"--rate", "max"})->rate_per_sec == 0);
  BOOST_TEST(parse({"--rate=5000"})->rate_per_sec == 5000);
  BOOST_CHECK_THROW(parse({"--rate", "fast"}), bench::UsageError);
  BOOST_CHECK_THROW(parse({"--rate", "0"}), bench::UsageError);
}

BOOST_AUTO_TEST_CASE(bad_input_is_a_usage_error) {
  BOOST_CHECK_THROW(parse({"--orders"}), bench::UsageError);
  BOOST_CHECK_THROW(parse({"--orders", "-5"}), bench::UsageError);
  BOOST_CHECK_THROW(parse({"--mix", "both"}), bench::UsageError);
  BOOST_CHECK_THROW(parse({"--price", "1e5"}), bench::UsageError);
  BOOST_CHECK_THROW(parse({"--bogus"}), bench::UsageError);
  BOOST_CHECK_THROW(parse({"--sessions", "3", "--threads", "2"}), bench::UsageError);
  BOOST_CHECK_THROW(parse({"--mix", "rest", "--price", "0.05", "--levels", "10"}), bench::UsageError);
  BOOST_CHECK_THROW(parse({"--reset=Y"}), bench::UsageError);
}

BOOST_AUTO_TEST_CASE(a_contra_account_is_taken_as_given_and_checked_like_the_account) {
  const auto o = parse({"--account", "LOAD-1", "--contra-account", "LOAD-2"});
  BOOST_TEST(o->account == "LOAD-1");
  BOOST_TEST(o->contra_account == "LOAD-2");
  BOOST_TEST(parse({})->contra_account.empty());
  BOOST_CHECK_THROW(parse({"--contra-account"}), bench::UsageError);
  BOOST_CHECK_THROW(parse({"--contra-account", "A\001B"}), bench::UsageError);
}

BOOST_AUTO_TEST_CASE(prices_keep_the_decimals_of_price_and_tick) {
  BOOST_TEST(parse({"--price", "100"})->price_decimals == 2);
  BOOST_TEST(parse({"--price", "100.125"})->price_decimals == 3);
  BOOST_TEST(parse({"--tick", "0.0005"})->price_decimals == 4);
  BOOST_TEST(bench::format_fixed(venue::Decimal::from_units(9'999'000'000), 2) == "99.99");
  BOOST_TEST(bench::format_fixed(venue::Decimal::from_units(10'000'000'000), 3) == "100.000");
}

BOOST_AUTO_TEST_CASE(help_is_not_an_error) { BOOST_TEST(!parse({"--help"}).has_value()); }

BOOST_AUTO_TEST_SUITE_END()
