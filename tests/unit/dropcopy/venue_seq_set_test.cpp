#define BOOST_TEST_MODULE dropcopy_venue_seq_set
// What the drop copy remembers having copied, by venue-seq: a repeat is recognised, memory stays bounded
// however long it runs, and what it can no longer tell is answered "unsure" (copied marked), never "new"
// for a repeat. Also the catch-up's range (catch_up_range.h): which records a catch-up copies.
#include "venue/dropcopy/venue_seq_set.h"

#include <boost/test/unit_test.hpp>

#include "venue/dropcopy/catch_up_range.h"

using venue::dropcopy::CatchUpRange;
using venue::dropcopy::Mark;
using venue::dropcopy::VenueSeqSet;
using Seen = VenueSeqSet::Seen;

BOOST_AUTO_TEST_CASE(a_venue_seq_seen_once_is_a_repeat_after_and_a_new_one_is_new) {
  VenueSeqSet s(256, 8);
  for (std::uint64_t q : {1, 2, 3, 5, 9}) {
    BOOST_TEST((s.check(q) == Seen::kNew));
    s.insert(q);
    BOOST_TEST((s.check(q) == Seen::kRepeat));
  }
  BOOST_TEST(s.floor() == 3U);  // 1..3 absorbed, 5 and 9 above
  BOOST_TEST((s.check(4) == Seen::kNew));
  BOOST_TEST((s.check(6) == Seen::kNew));
  BOOST_TEST((s.check(10) == Seen::kNew));
  s.insert(4);
  BOOST_TEST(s.floor() == 5U);
}

BOOST_AUTO_TEST_CASE(ten_million_venue_seqs_read_unevenly_stay_in_bounded_memory) {
  // Two partitions read unevenly: odd venue-seqs run up to 4,000 ahead of the even ones.
  VenueSeqSet s(1 << 16, 64);
  const std::size_t bytes_at_start = s.memory_bytes();
  std::uint64_t even = 2;
  for (std::uint64_t odd = 1; odd < 10'000'000; odd += 2) {
    s.insert(odd);
    if (odd > 4000) {
      s.insert(even);
      even += 2;
    }
  }
  BOOST_TEST(s.holes() == 0U);
  BOOST_TEST(s.memory_bytes() == bytes_at_start);
  BOOST_TEST(s.memory_bytes() <= 8'192U + 64U * 64U);
  BOOST_TEST((s.check(5'000'001) == Seen::kRepeat));  // far below the window: the floor passed it
  BOOST_TEST((s.check(even - 2) == Seen::kRepeat));
  BOOST_TEST((s.check(even) == Seen::kNew));
}

BOOST_AUTO_TEST_CASE(a_jump_beyond_the_window_keeps_the_unseen_ones_as_gaps_then_forgets_the_oldest_as_unsure) {
  VenueSeqSet s(64, 2);
  s.insert(1);
  BOOST_TEST(s.insert(1000));  // the window moves: 2..936 were never seen
  BOOST_TEST(s.holes() == 1U);
  BOOST_TEST((s.check(500) == Seen::kNew));
  s.insert(500);
  BOOST_TEST((s.check(500) == Seen::kRepeat));  // far below the window, and still known
  BOOST_TEST(s.holes() == 2U);                  // 2..499 and 501..936
  s.insert(700);                                // a third gap: the oldest is forgotten
  BOOST_TEST(s.holes() == 2U);
  BOOST_TEST(s.unsure_up_to() == 499U);
  BOOST_TEST((s.check(200) == Seen::kUnsure));  // maybe seen, maybe not: never answered new
  BOOST_TEST((s.check(1) == Seen::kUnsure));
  BOOST_TEST((s.check(600) == Seen::kNew));
  BOOST_TEST((s.check(700) == Seen::kRepeat));
}

BOOST_AUTO_TEST_CASE(without_its_history_everything_below_the_first_venue_seq_is_unsure) {
  VenueSeqSet s(64, 4);
  s.unknown_below(500);
  s.insert(500);
  BOOST_TEST((s.check(499) == Seen::kUnsure));  // copied before the file was lost, or not: marked
  BOOST_TEST((s.check(1) == Seen::kUnsure));
  BOOST_TEST((s.check(500) == Seen::kRepeat));
  BOOST_TEST((s.check(501) == Seen::kNew));
  const auto back = VenueSeqSet::parse(s.text(), 64, 4);
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST((back->check(499) == Seen::kUnsure));
}

BOOST_AUTO_TEST_CASE(written_and_read_back_it_answers_the_same) {
  VenueSeqSet s(128, 16);
  for (std::uint64_t q : {1, 2, 3, 7, 8, 20, 400, 401, 405}) s.insert(q);
  s.insert(350);
  const auto back = VenueSeqSet::parse(s.text(), 128, 16);
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST(back->text() == s.text());
  for (std::uint64_t q = 1; q <= 500; ++q) {
    BOOST_TEST_CONTEXT("venue-seq " << q) { BOOST_TEST((back->check(q) == s.check(q))); }
  }
}

// The readers accept any positive 64-bit venue-seq header. The largest one used to make writing the file
// loop for ever (the loop's counter wrapped around past 2^64-1), and a file with a floor of 2^64-1 was
// read for ever: one bad record or one damaged file stopped the drop copy. Found by dropcopy_cursor_fuzz.
BOOST_AUTO_TEST_CASE(the_largest_venue_seq_is_remembered_written_and_read_back) {
  VenueSeqSet s(128, 16);
  s.insert(5);
  s.insert(UINT64_MAX);
  BOOST_TEST((s.check(UINT64_MAX) == Seen::kRepeat));
  const auto back = VenueSeqSet::parse(s.text(), 128, 16);
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST(back->text() == s.text());
  BOOST_TEST((back->check(UINT64_MAX) == Seen::kRepeat));
  BOOST_TEST((back->check(UINT64_MAX - 1) == Seen::kNew));
  BOOST_TEST(
      !VenueSeqSet::parse("venue-seq-set 1 floor=18446744073709551615 unsure-up-to=0\nabove 5-18446744073709551615\n"
                          "holes\n",
                          128, 16)
           .has_value());
  BOOST_TEST(
      !VenueSeqSet::parse("venue-seq-set 1 floor=3 unsure-up-to=0\nabove 18446744073709551615 9\nholes\n", 128, 16)
           .has_value());
}

BOOST_AUTO_TEST_CASE(a_damaged_file_is_refused) {
  for (const char* bad : {"", "venue-seq-set 1 floor=3 unsure-up-to=0\nabove\n",          // a line missing
                          "venue-seq-set 2 floor=3 unsure-up-to=0\nabove\nholes\n",       // version
                          "venue-seq-set 1 floor=3 unsure-up-to=9\nabove\nholes\n",       // unsure above floor
                          "venue-seq-set 1 floor=3 unsure-up-to=0\nabove 4\nholes\n",     // floor+1 not absorbed
                          "venue-seq-set 1 floor=3 unsure-up-to=0\nabove 9 6\nholes\n",   // out of order
                          "venue-seq-set 1 floor=3 unsure-up-to=0\nabove\nholes 5\n",     // hole above floor
                          "venue-seq-set 1 floor=3 unsure-up-to=0\nabove 9999\nholes\n",  // beyond the window
                          "venue-seq-set 1 floor=x unsure-up-to=0\nabove\nholes\n"}) {
    BOOST_TEST_CONTEXT("\"" << bad << "\"") { BOOST_TEST(!VenueSeqSet::parse(bad, 128, 16).has_value()); }
  }
}

BOOST_AUTO_TEST_CASE(a_catch_up_copies_above_the_mark_and_from_the_lower_of_sent_through_and_the_floor) {
  // The client had up to venue-seq 100; partition 1 was sent through offset 40, the main path was at 55
  // on partition 1 and 80 on partition 0 when the catch-up was asked for.
  const auto r = CatchUpRange::make(Mark{100, 0}, {{1, 40}}, {{0, 80}, {1, 55}});
  BOOST_TEST(r.from.at(0) == 80);
  BOOST_TEST(r.from.at(1) == 40);
  BOOST_TEST(r.due(101, 0, 10));  // above the mark: anywhere
  BOOST_TEST(!r.due(90, 1, 39));  // below the mark, sent
  BOOST_TEST(r.due(90, 1, 40));   // below the mark on a lagging partition, never sent
  BOOST_TEST(!r.due(90, 0, 79));
  BOOST_TEST(r.due(90, 0, 80));  // not yet read by the main path when asked
  BOOST_TEST(r.due(90, 2, 0));   // a partition nothing is known of
}
