#define BOOST_TEST_MODULE common_log_throttle
// venue::log::Throttle: at most N lines of a kind a second, the rest counted and told once their second
// is over (compliance's line per alert under a flood of wash trades).
#include <boost/test/unit_test.hpp>
#include <climits>

#include "venue/common/log.h"

namespace {
constexpr std::int64_t kSecond = 1'000'000'000;
}

BOOST_AUTO_TEST_CASE(a_flood_gets_its_first_lines_a_second_and_one_count_of_the_rest) {
  venue::log::Throttle t(3);
  const std::int64_t t0 = 5 * kSecond;
  int logged = 0;
  for (int i = 0; i < 1000; ++i) logged += t.allow(t0 + i * 1000) ? 1 : 0;  // 1,000 lines within 1 ms
  BOOST_TEST(logged == 3);
  BOOST_TEST(t.left_out(t0 + kSecond / 2) == 0U);  // the second they fell in is not over
  BOOST_TEST(t.left_out(t0 + kSecond) == 997U);
  BOOST_TEST(t.left_out(t0 + kSecond + 1) == 0U);  // told once
  // A new second: three more lines again.
  BOOST_TEST(t.allow(t0 + 2 * kSecond));
  BOOST_TEST(t.allow(t0 + 2 * kSecond + 1));
  BOOST_TEST(t.allow(t0 + 2 * kSecond + 2));
  BOOST_TEST(!t.allow(t0 + 2 * kSecond + 3));
  BOOST_TEST(t.left_out(INT64_MAX) == 1U);  // at shutdown, whatever the time
}

// A flood lasting seconds, the count asked after every batch (as compliance asks after each): told about
// once a second, each second's own count, nothing counted twice or lost.
BOOST_AUTO_TEST_CASE(a_long_flood_is_told_once_a_second_and_every_line_is_counted) {
  venue::log::Throttle t(20);
  std::uint64_t logged = 0;
  std::uint64_t told = 0;
  int tellings = 0;
  const std::int64_t step = kSecond / 5000;  // 5,000 lines a second for 3 s, asked every 50 lines
  for (int i = 0; i < 15000; ++i) {
    logged += t.allow(i * step) ? 1 : 0;
    if (i % 50 == 49) {
      if (const auto n = t.left_out(i * step)) {
        told += n;
        ++tellings;
        BOOST_TEST(n <= 5000U - 20U);
      }
    }
  }
  BOOST_TEST(logged == 60U);
  BOOST_TEST((tellings == 2 || tellings == 3), tellings);
  told += t.left_out(INT64_MAX);
  BOOST_TEST(logged + told == 15000U);
}

BOOST_AUTO_TEST_CASE(lines_under_the_limit_all_pass_and_nothing_is_left_out) {
  venue::log::Throttle t(20);
  for (int s = 0; s < 5; ++s) {
    for (int i = 0; i < 20; ++i) BOOST_TEST(t.allow(s * kSecond + i * (kSecond / 20)));
  }
  BOOST_TEST(t.left_out(INT64_MAX) == 0U);
}
