#pragma once
// CatchUpRange: which records of the topic a catch-up from Kafka copies to one drop-copy session
// (dropcopy/README.md, "Catch-up from Kafka"): every record in the session's scope
//   - with a venue seq above `above` (the highest the session's store or client had), or
//   - on a partition, at or after `from[partition]`: the first offset the client may never have been sent.
//
// Per partition, `from` is the lower of two offsets:
//   - sent-through: below it, every record in scope went to the client while it was logged on (the main
//     path keeps it, per partition, while the client is logged on; it stops moving while the client is
//     away, so records stored for an absent client stay above it);
//   - the floor: where the main path was when the catch-up was asked for (from there on the main path
//     leaves the session to the catch-up). After a restart that is where the main consumer starts (its
//     committed offsets), known before it reads anything, so a commit made before the catch-up starts
//     cannot move it.
// A venue seq alone cannot bound the range: partitions are read unevenly, so a record with a lower venue
// seq than the client's last copy can sit unread on a lagging partition.
//
// Thread rules: a plain value; pure functions.

#include <cstdint>
#include <map>

#include "venue/dropcopy/cursor.h"

namespace venue::dropcopy {

struct CatchUpRange {
  Mark above;
  std::map<std::int32_t, std::int64_t> from;  // partition -> first offset due; a partition not listed: all due

  bool due(std::uint64_t venue_seq, std::int32_t partition, std::int64_t offset) const {
    if (venue_seq > above.seq) return true;
    const auto it = from.find(partition);
    return it == from.end() || offset >= it->second;
  }

  // `from` as the lower of sent-through and the floor, per partition present in either.
  static CatchUpRange make(Mark above, const std::map<std::int32_t, std::int64_t>& sent_through,
                           const std::map<std::int32_t, std::int64_t>& floor) {
    CatchUpRange r{above, floor};
    for (const auto& [p, offset] : sent_through) {
      auto [it, inserted] = r.from.emplace(p, offset);
      if (!inserted && offset < it->second) it->second = offset;
    }
    return r;
  }
};

}  // namespace venue::dropcopy
