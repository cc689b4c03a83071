#define BOOST_TEST_MODULE risk_sequencer
// Records read from several partitions come out in venue-seq order, each once: what makes average-cost
// P&L the same whatever the partitions' timing, before and after a restart.
#include <boost/test/unit_test.hpp>

#include "venue/risk/sequencer.h"

namespace vr = venue::risk;

namespace {

constexpr std::int64_t kMs = 1'000'000;

vr::Item item(std::uint64_t seq, std::int32_t partition, std::int64_t offset) {
  vr::Item i;
  i.venue_seq = seq;
  i.partition = partition;
  i.offset = offset;
  return i;
}

std::vector<std::uint64_t> drain(vr::Sequencer& s, std::int64_t now, bool caught_up) {
  std::vector<std::uint64_t> out;
  while (auto i = s.next(now, caught_up)) out.push_back(i->venue_seq);
  return out;
}

using V = std::vector<std::uint64_t>;

}  // namespace

BOOST_AUTO_TEST_CASE(records_from_partitions_come_out_in_venue_seq_order) {
  vr::Sequencer s({.gap_timeout_ms = 1000, .max_gap_wait_ms = 10'000});
  s.offer(item(2, 1, 0), 0);
  s.offer(item(4, 1, 1), 0);
  BOOST_TEST(drain(s, 0, false) == V{});  // 1 not there yet
  s.offer(item(1, 0, 0), 0);
  BOOST_TEST(drain(s, 0, false) == (V{1, 2}));
  s.offer(item(3, 2, 0), 0);
  BOOST_TEST(drain(s, 0, false) == (V{3, 4}));
  BOOST_TEST(s.next_expected() == 5U);
}

BOOST_AUTO_TEST_CASE(a_record_read_again_is_dropped) {
  vr::Sequencer s({});
  s.offer(item(1, 0, 0), 0);
  BOOST_TEST((s.offer(item(1, 0, 0), 0) == vr::Sequencer::Offer::kDuplicate));  // held twice
  drain(s, 0, false);
  BOOST_TEST((s.offer(item(1, 0, 5), 0) == vr::Sequencer::Offer::kDuplicate));  // published twice
  BOOST_TEST(drain(s, 0, false) == V{});
}

BOOST_AUTO_TEST_CASE(a_gap_is_skipped_after_the_timeout_once_caught_up_and_its_record_taken_late) {
  vr::Sequencer s({.gap_timeout_ms = 1000, .max_gap_wait_ms = 10'000});
  s.offer(item(1, 0, 0), 0);
  s.offer(item(3, 0, 1), 0);
  BOOST_TEST(drain(s, 0, true) == V{1});
  BOOST_TEST(drain(s, 999 * kMs, true) == V{});
  BOOST_TEST(drain(s, 1500 * kMs, false) == V{});  // not caught up: keeps waiting
  BOOST_TEST(drain(s, 1500 * kMs, true) == V{3});
  BOOST_TEST(s.gaps_skipped() == 1U);
  BOOST_TEST(s.skipped().count(2) == 1U);
  BOOST_TEST((s.offer(item(2, 1, 0), 2000 * kMs) == vr::Sequencer::Offer::kLate));
  auto late = s.next(2000 * kMs, true);
  BOOST_REQUIRE(late.has_value());
  BOOST_TEST(late->late);
  BOOST_TEST((s.offer(item(2, 1, 0), 2000 * kMs) == vr::Sequencer::Offer::kDuplicate));  // and only once
}

BOOST_AUTO_TEST_CASE(a_gap_is_skipped_after_the_longest_wait_in_any_case) {
  vr::Sequencer s({.gap_timeout_ms = 1000, .max_gap_wait_ms = 5000});
  s.restore(10, {});
  s.offer(item(12, 0, 0), 0);
  BOOST_TEST(drain(s, 4999 * kMs, false) == V{});
  BOOST_TEST(drain(s, 5000 * kMs, false) == V{12});
  BOOST_TEST((s.skipped() == std::set<std::uint64_t>{10, 11}));
}

BOOST_AUTO_TEST_CASE(the_first_record_waits_for_seq_one_or_the_timeout) {
  vr::Sequencer s({.gap_timeout_ms = 100, .max_gap_wait_ms = 1000});
  s.offer(item(500, 0, 7), 0);
  BOOST_TEST(drain(s, 50 * kMs, true) == V{});
  BOOST_TEST(drain(s, 100 * kMs, true) == V{500});
  BOOST_TEST(s.skipped().empty());  // a topic that starts above 1 is not a gap
}

BOOST_AUTO_TEST_CASE(a_restart_reads_again_from_the_lowest_held_offset) {
  vr::Sequencer s({});
  s.restore(5, {});
  s.offer(item(7, 0, 40), 0);
  s.offer(item(8, 1, 30), 0);
  s.offer(item(9, 0, 41), 0);
  const auto low = s.lowest_held_offsets();
  BOOST_TEST(low.at(0) == 40);
  BOOST_TEST(low.at(1) == 30);
}
