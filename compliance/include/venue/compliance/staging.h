#pragma once
// Which records held in memory behind a gap in venue-seq go to the table pending (README, "How a record
// becomes a row", step 3). Staged, a record is durable and its Kafka offset may be committed; it is read
// back when the chain reaches it.
//
// Two reasons stage a record:
//   - it has waited too long: it arrived at or before `stale_before_ns` (now - stage_after_ms);
//   - the buffer holds more than `max_held` (max_buffered): only the excess goes, the highest venue-seqs
//     first (those the chain needs last), so the records the chain needs next stay in memory. Staging
//     everything held once the limit was passed made a briefly uneven read of a pre-filled topic write
//     most of it to pending row by row and read it back (6,729 rows/s instead of about 30,000).
// A record read back from pending (`durable`) is never staged again; it still counts towards `max_held`.
//
//   take_to_stage(buffer, cfg.max_buffered, now_ns - cfg.stage_after_ms * 1'000'000, batch.staged);
//
// Record needs `bool durable` and `std::int64_t arrived_ns`. Nothing is dropped: every record leaves
// `held` only into `out`. Thread rules: works on the caller's containers only.

#include <cstdint>
#include <iterator>
#include <map>
#include <utility>
#include <vector>

namespace venue::compliance {

template <class Record>
void take_to_stage(std::map<std::uint64_t, Record>& held, std::int64_t max_held, std::int64_t stale_before_ns,
                   std::vector<std::pair<std::uint64_t, Record>>& out) {
  for (auto it = held.begin(); it != held.end();) {
    if (!it->second.durable && it->second.arrived_ns <= stale_before_ns) {
      out.emplace_back(it->first, std::move(it->second));
      it = held.erase(it);
    } else {
      ++it;
    }
  }
  if (max_held < 0) max_held = 0;
  auto excess = static_cast<std::int64_t>(held.size()) - max_held;
  for (auto it = held.end(); excess > 0 && it != held.begin();) {
    --it;
    if (it->second.durable) continue;
    out.emplace_back(it->first, std::move(it->second));
    it = held.erase(it);
    --excess;
  }
}

}  // namespace venue::compliance
