#define BOOST_TEST_MODULE compliance_staging
// Records held behind a gap in venue-seq: which go to the table pending. What an operator would notice:
// a record is never lost (each is either still held or staged, with its content), and passing
// max_buffered stages only the excess, the records the chain needs last, not everything held (that made
// a pre-filled topic read unevenly crawl at a fifth of its speed through pending).
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "venue/compliance/staging.h"

namespace cp = venue::compliance;

namespace {

struct Rec {
  std::string payload;
  bool durable = false;
  std::int64_t arrived_ns = 0;
};

using Held = std::map<std::uint64_t, Rec>;
using Staged = std::vector<std::pair<std::uint64_t, Rec>>;

// Venue-seqs first..last, all arrived at `arrived_ns`, each with a payload naming its seq.
Held held_range(std::uint64_t first, std::uint64_t last, std::int64_t arrived_ns) {
  Held h;
  for (auto s = first; s <= last; ++s) h.emplace(s, Rec{"report " + std::to_string(s), false, arrived_ns});
  return h;
}

// Every record of the input is in exactly one of the two, with its own payload.
void nothing_lost(std::uint64_t first, std::uint64_t last, const Held& held, const Staged& staged) {
  std::map<std::uint64_t, std::string> seen;
  for (const auto& [s, r] : held) BOOST_TEST(seen.emplace(s, r.payload).second, "seq twice: " << s);
  for (const auto& [s, r] : staged) BOOST_TEST(seen.emplace(s, r.payload).second, "seq twice: " << s);
  BOOST_TEST(seen.size() == last - first + 1);
  for (const auto& [s, p] : seen) BOOST_TEST(p == "report " + std::to_string(s));
}

constexpr std::int64_t kNow = 1'000'000'000'000;
constexpr std::int64_t kStaleBefore = kNow - 5'000'000'000;  // stage_after_ms = 5000

}  // namespace

BOOST_AUTO_TEST_CASE(passing_max_buffered_stages_only_the_excess_the_chain_needs_last) {
  // The chain waits for venue-seq 100; 101..350 arrived (250 records), max_buffered 100.
  Held held = held_range(101, 350, kNow);
  Staged staged;
  cp::take_to_stage(held, 100, kStaleBefore, staged);
  BOOST_TEST(staged.size() == 150u);
  BOOST_REQUIRE(held.size() == 100u);
  // The chain's next records stay in memory: 101..200; 201..350 are staged.
  BOOST_TEST(held.begin()->first == 101u);
  BOOST_TEST(held.rbegin()->first == 200u);
  for (const auto& [s, r] : staged) BOOST_TEST(s > 200u);
  nothing_lost(101, 350, held, staged);
}

BOOST_AUTO_TEST_CASE(a_buffer_that_stays_over_the_limit_stages_only_what_arrives_beyond_it) {
  // Batch after batch behind the same gap: each turn stages only the new excess.
  Held held = held_range(2, 101, kNow);
  Staged staged;
  cp::take_to_stage(held, 100, kStaleBefore, staged);
  BOOST_TEST(staged.empty());
  held.merge(held_range(102, 111, kNow));
  cp::take_to_stage(held, 100, kStaleBefore, staged);
  BOOST_TEST(staged.size() == 10u);
  BOOST_TEST(held.size() == 100u);
  nothing_lost(2, 111, held, staged);
}

BOOST_AUTO_TEST_CASE(under_the_limit_and_fresh_nothing_is_staged) {
  Held held = held_range(5, 104, kNow);
  Staged staged;
  cp::take_to_stage(held, 100, kStaleBefore, staged);
  BOOST_TEST(staged.empty());
  BOOST_TEST(held.size() == 100u);
}

BOOST_AUTO_TEST_CASE(records_waiting_longer_than_stage_after_are_staged_whatever_the_count) {
  Held held = held_range(10, 19, kStaleBefore);  // waited exactly stage_after_ms
  held.merge(held_range(20, 29, kNow));
  Staged staged;
  cp::take_to_stage(held, 1000, kStaleBefore, staged);
  BOOST_TEST(staged.size() == 10u);
  for (const auto& [s, r] : staged) BOOST_TEST(s < 20u);
  nothing_lost(10, 29, held, staged);
}

BOOST_AUTO_TEST_CASE(records_read_back_from_pending_are_never_staged_again_but_count) {
  // 101..150 were read back from pending (durable); 151..200 fresh from Kafka, all old; limit 60.
  Held held = held_range(101, 200, kStaleBefore - 1);
  for (auto s = 101u; s <= 150u; ++s) held[s].durable = true;
  Staged staged;
  cp::take_to_stage(held, 60, kStaleBefore, staged);
  BOOST_TEST(staged.size() == 50u);  // every fresh one is old: staged
  for (const auto& [s, r] : staged) BOOST_TEST(!r.durable);
  BOOST_TEST(held.size() == 50u);
  for (const auto& [s, r] : held) BOOST_TEST(r.durable);

  // Fresh ones over the limit where the durable ones alone take 50 of 60 places: 10 stay.
  Held more = held_range(101, 200, kNow);
  for (auto s = 101u; s <= 150u; ++s) more[s].durable = true;
  Staged staged_more;
  cp::take_to_stage(more, 60, kStaleBefore, staged_more);
  BOOST_TEST(staged_more.size() == 40u);
  BOOST_REQUIRE(more.size() == 60u);
  BOOST_TEST(more.rbegin()->first == 160u);
  nothing_lost(101, 200, more, staged_more);
}
