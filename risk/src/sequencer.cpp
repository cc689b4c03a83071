#include "venue/risk/sequencer.h"

namespace venue::risk {

Sequencer::Sequencer(SequencerSettings settings) : settings_(settings) {}

Sequencer::Offer Sequencer::offer(Item item, std::int64_t now_ns) {
  const std::uint64_t seq = item.venue_seq;
  if (next_ != 0 && seq < next_) {
    if (skipped_.erase(seq) == 0) return Offer::kDuplicate;
    // A number skipped as a gap has arrived after all: released at once, out of order.
    item.late = true;
    held_.emplace(seq, std::move(item));
    return Offer::kLate;
  }
  if (held_.count(seq) != 0) return Offer::kDuplicate;
  if (held_.empty() || seq < held_.begin()->first) waiting_since_ns_ = now_ns;
  held_.emplace(seq, std::move(item));
  return Offer::kHeld;
}

std::optional<Item> Sequencer::next(std::int64_t now_ns, bool caught_up) {
  if (held_.empty()) return std::nullopt;
  auto it = held_.begin();
  if (it->second.late) {
    Item out = std::move(it->second);
    held_.erase(it);
    return out;
  }
  const std::uint64_t lowest = it->first;
  const bool in_order = next_ == 0 ? lowest == 1 : lowest == next_;
  if (!in_order) {
    const std::int64_t waited_ms = (now_ns - waiting_since_ns_) / 1'000'000;
    const bool give_up = waited_ms >= settings_.max_gap_wait_ms || (caught_up && waited_ms >= settings_.gap_timeout_ms);
    if (!give_up) return std::nullopt;
    if (next_ != 0) {
      for (std::uint64_t s = next_; s < lowest; ++s) {
        if (skipped_.size() >= settings_.max_skipped_kept) skipped_.erase(skipped_.begin());
        skipped_.insert(s);
      }
      ++gaps_skipped_;
    }
  }
  Item out = std::move(it->second);
  held_.erase(it);
  next_ = lowest + 1;
  waiting_since_ns_ = now_ns;
  return out;
}

void Sequencer::restore(std::uint64_t next_expected, const std::vector<std::uint64_t>& skipped) {
  next_ = next_expected;
  skipped_.clear();
  skipped_.insert(skipped.begin(), skipped.end());
}

std::map<std::int32_t, std::int64_t> Sequencer::lowest_held_offsets() const {
  std::map<std::int32_t, std::int64_t> out;
  for (const auto& [seq, item] : held_) {
    auto [it, fresh] = out.try_emplace(item.partition, item.offset);
    if (!fresh && item.offset < it->second) it->second = item.offset;
  }
  return out;
}

}  // namespace venue::risk
