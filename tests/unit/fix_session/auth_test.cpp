#define BOOST_TEST_MODULE fix_session_auth
#include <atomic>
#include <thread>
// Logon security: password hashes, allow-lists, the password checker's thread.
#include <boost/test/unit_test.hpp>

#include "venue/fix_session/auth.h"

namespace fsn = venue::fix_session;

BOOST_AUTO_TEST_CASE(a_hashed_password_verifies_and_a_wrong_one_does_not) {
  const auto h = fsn::hash_password("correct horse", 1000);
  BOOST_TEST(h.rfind("pbkdf2-sha256$1000$", 0) == 0U);
  BOOST_TEST(fsn::verify_password("correct horse", h));
  BOOST_TEST(!fsn::verify_password("correct horse ", h));
  BOOST_TEST(!fsn::verify_password("", h));
  // Salted: the same password hashes differently each time.
  BOOST_TEST(fsn::hash_password("correct horse", 1000) != h);
}

BOOST_AUTO_TEST_CASE(malformed_hashes_are_refused_with_a_reason) {
  std::string why;
  BOOST_TEST(!fsn::valid_password_hash("hunter2", &why));
  BOOST_TEST(why.find("pbkdf2-sha256$") != std::string::npos);
  BOOST_TEST(!fsn::valid_password_hash("pbkdf2-sha256$10$c2FsdHNhbHQ=$aGFzaA==", &why));
  BOOST_TEST(why.find("iterations") != std::string::npos);
  BOOST_TEST(!fsn::valid_password_hash("pbkdf2-sha256$1000$c2FsdHNhbHQ=$aGFzaA==", &why));
  BOOST_TEST(why.find("32 bytes") != std::string::npos);
  BOOST_TEST(!fsn::verify_password("x", "pbkdf2-sha256$1000$!!!!$!!!!"));
}

BOOST_AUTO_TEST_CASE(allow_lists_match_cidr_blocks) {
  std::vector<fsn::Cidr> allow{*fsn::parse_cidr("10.1.0.0/16"), *fsn::parse_cidr("127.0.0.1")};
  BOOST_TEST(fsn::address_allowed(allow, "10.1.200.3"));
  BOOST_TEST(!fsn::address_allowed(allow, "10.2.0.1"));
  BOOST_TEST(fsn::address_allowed(allow, "127.0.0.1"));
  BOOST_TEST(!fsn::address_allowed(allow, "127.0.0.2"));
  BOOST_TEST(!fsn::address_allowed(allow, "not an address"));
  BOOST_TEST(fsn::address_allowed({}, "192.168.1.1"));  // no list: anyone
  BOOST_TEST(!fsn::parse_cidr("10.0.0.0/33").has_value());
  BOOST_TEST(!fsn::parse_cidr("10.0.0").has_value());
  BOOST_TEST(fsn::parse_cidr("0.0.0.0/0").has_value());
}

BOOST_AUTO_TEST_CASE(the_password_checker_answers_on_its_own_thread) {
  std::atomic<int> woken{0};
  fsn::PasswordChecker checker([&] { ++woken; });
  const auto h = fsn::hash_password("pw", 1000);
  const auto good = checker.submit("pw", h);
  const auto bad = checker.submit("nope", h);
  std::vector<fsn::PasswordChecker::Result> results;
  for (int i = 0; i < 500 && results.size() < 2; ++i) {
    auto r = checker.poll();
    results.insert(results.end(), r.begin(), r.end());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  BOOST_REQUIRE_EQUAL(results.size(), 2U);
  for (const auto& r : results) BOOST_TEST(r.ok == (r.ticket == good));
  BOOST_TEST((results[0].ticket != bad || !results[0].ok));
  BOOST_TEST(woken.load() >= 1);
}
