#pragma once
// Puts the records of venue.execution-reports back in venue-seq order across partitions, and drops
// records read twice.
//
// Average-cost P&L depends on the order of the fills, and Kafka keeps order only within a partition,
// while one account's orders are spread over every partition. The venue numbers every report 1, 2, 3,
// ... (venue-seq, spec/kafka-topics.md), so records are held here until every lower number has been
// released, and released in that order: the figures are then the same whatever the partitions' timing,
// before and after a restart.
//
//   Sequencer seq({.gap_timeout_ms = 1000, .max_gap_wait_ms = 10000});
//   seq.offer(std::move(item), now_ns);                         // each record read from Kafka
//   while (auto item = seq.next(now_ns, caught_up)) apply(*item);
//
// A record whose venue-seq was already released (the same record read again after a rebalance or a
// restart, or published twice by the venue) is dropped and counted. A missing number holds the rest
// back until it arrives, or is skipped once `gap_timeout_ms` has passed and the consumer has read every
// partition to its end (or `max_gap_wait_ms` has passed in any case); a skipped number that arrives
// later is released at once ("late") and never dropped. At the very start (nothing released yet), the
// first release waits for venue-seq 1 or for the same timeout, then starts at the lowest held.
//
// Thread rules: not thread-safe; one owner.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "venue/fix_session/report_record.h"

namespace venue::risk {

struct SequencerSettings {
  std::int64_t gap_timeout_ms = 1000;
  std::int64_t max_gap_wait_ms = 10'000;
  std::size_t max_skipped_kept = 100'000;  // skipped numbers remembered (a late one is taken once)
};

// One record read from Kafka: parsed, or refused (`why`) with whatever venue-seq its header had.
struct Item {
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::uint64_t venue_seq = 0;
  std::optional<fix_session::ReportRecord> record;  // nullopt: refused (a bad record to park)
  std::string why;
  std::string payload;  // the raw value, kept for a refused record
  bool late = false;    // set by next(): its number had been skipped as a gap
};

class Sequencer {
 public:
  explicit Sequencer(SequencerSettings settings);

  enum class Offer : std::uint8_t { kHeld, kDuplicate, kLate };
  // Takes a record (venue_seq > 0). kDuplicate: already released or already held: dropped.
  Offer offer(Item item, std::int64_t now_ns);

  // The next record in venue-seq order, if one may go now. `caught_up`: every partition has been read to
  // its end (a gap cannot be a record still on its way in this consumer).
  std::optional<Item> next(std::int64_t now_ns, bool caught_up);

  // The next venue-seq to release (0: nothing released yet) and the skipped numbers not yet arrived.
  std::uint64_t next_expected() const { return next_; }
  const std::set<std::uint64_t>& skipped() const { return skipped_; }
  void restore(std::uint64_t next_expected, const std::vector<std::uint64_t>& skipped);

  std::size_t held() const { return held_.size(); }
  // Per partition, the lowest offset of a record held (not yet released): a restart must read from there.
  std::map<std::int32_t, std::int64_t> lowest_held_offsets() const;
  std::uint64_t gaps_skipped() const { return gaps_skipped_; }

 private:
  SequencerSettings settings_;
  std::uint64_t next_ = 0;
  std::map<std::uint64_t, Item> held_;
  std::set<std::uint64_t> skipped_;
  std::int64_t waiting_since_ns_ = -1;  // since when the lowest held record waits for a gap
  std::uint64_t gaps_skipped_ = 0;
};

}  // namespace venue::risk
