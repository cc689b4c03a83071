#define BOOST_TEST_MODULE fix_gateway_throttle
// Message throttling, as a broker meets it.
#include <boost/test/unit_test.hpp>

#include "venue/fix_gateway/throttle.h"

namespace fg = venue::fix_gateway;

namespace {
constexpr std::int64_t kSec = 1'000'000'000;
}

BOOST_AUTO_TEST_CASE(orders_beyond_the_rate_are_refused_and_cancels_keep_headroom) {
  fg::SessionThrottle t(10, 10, 0, 5);  // 10 orders/s, burst 10; cancels 20/s
  const std::int64_t t0 = 100 * kSec;
  int passed = 0;
  for (int i = 0; i < 15; ++i) passed += t.order(t0) == fg::SessionThrottle::Verdict::kPass ? 1 : 0;
  BOOST_TEST(passed == 10);
  // The order bucket is empty; cancels still pass.
  for (int i = 0; i < 10; ++i) BOOST_TEST((t.cancel(t0) == fg::SessionThrottle::Verdict::kPass));
  // A tenth of a second later one more order fits.
  BOOST_TEST((t.order(t0 + kSec / 10) == fg::SessionThrottle::Verdict::kPass));
  BOOST_TEST((t.order(t0 + kSec / 10) == fg::SessionThrottle::Verdict::kRefuse));
  BOOST_TEST(t.refused() == 6U);
}

BOOST_AUTO_TEST_CASE(being_refused_continuously_asks_for_a_logout) {
  fg::SessionThrottle t(1, 1, 0, 3);
  std::int64_t now = 50 * kSec;
  BOOST_TEST((t.order(now) == fg::SessionThrottle::Verdict::kPass));
  // A client that keeps sending 4 orders a second against a limit of 1: refused all along, logged out
  // once it has been refused for 3 seconds.
  int refused = 0;
  auto verdict = fg::SessionThrottle::Verdict::kPass;
  for (int i = 1; i <= 20 && verdict != fg::SessionThrottle::Verdict::kRefuseAndLogout; ++i) {
    verdict = t.order(now + i * kSec / 4);
    if (verdict != fg::SessionThrottle::Verdict::kPass) ++refused;
  }
  BOOST_TEST((verdict == fg::SessionThrottle::Verdict::kRefuseAndLogout));
  BOOST_TEST(refused >= 9);  // about 3 s of refusals at 3 a second
}

BOOST_AUTO_TEST_CASE(a_short_burst_across_a_second_boundary_is_only_refused) {
  fg::SessionThrottle t(5, 5, 0, 2);
  const std::int64_t end_of_second = 10 * kSec - kSec / 30;  // x.967 s
  for (int i = 0; i < 5; ++i) BOOST_TEST((t.order(end_of_second) == fg::SessionThrottle::Verdict::kPass));
  BOOST_TEST((t.order(end_of_second) == fg::SessionThrottle::Verdict::kRefuse));
  // 35 ms later, in the next clock second: still refused, not logged out.
  BOOST_TEST((t.order(end_of_second + kSec * 35 / 1000) == fg::SessionThrottle::Verdict::kRefuse));
  BOOST_TEST((t.order(end_of_second + kSec * 36 / 1000) == fg::SessionThrottle::Verdict::kRefuse));
}

BOOST_AUTO_TEST_CASE(a_quiet_second_breaks_the_streak) {
  fg::SessionThrottle t(1, 1, 0, 2);
  std::int64_t now = 10 * kSec;
  t.order(now);
  BOOST_TEST((t.order(now) == fg::SessionThrottle::Verdict::kRefuse));
  now += kSec + kSec / 2;  // refused 1.5 s ago: a new streak starts
  t.order(now);
  BOOST_TEST((t.order(now + kSec / 2) == fg::SessionThrottle::Verdict::kRefuse));
  BOOST_TEST((t.order(now + kSec) == fg::SessionThrottle::Verdict::kPass));  // the bucket refilled
  BOOST_TEST((t.order(now + kSec) == fg::SessionThrottle::Verdict::kRefuse));
  BOOST_TEST((t.order(now + kSec + kSec / 2) == fg::SessionThrottle::Verdict::kRefuse));
  BOOST_TEST((t.order(now + 2 * kSec) == fg::SessionThrottle::Verdict::kPass));
  BOOST_TEST((t.order(now + 2 * kSec) == fg::SessionThrottle::Verdict::kRefuse));  // 1.5 s of refusals
  // Refused continuously since now + 0.5 s: at now + 2.5 s that is 2 s, the limit.
  BOOST_TEST((t.order(now + 2 * kSec + kSec / 2) == fg::SessionThrottle::Verdict::kRefuseAndLogout));
}

BOOST_AUTO_TEST_CASE(a_zero_rate_means_unlimited) {
  fg::SessionThrottle t(0, 0, 0, 1);
  for (int i = 0; i < 100'000; ++i) BOOST_REQUIRE((t.order(kSec) == fg::SessionThrottle::Verdict::kPass));
}
