#include "venue/dropcopy/venue_seq_set.h"

#include <algorithm>
#include <charconv>
#include <sstream>

namespace venue::dropcopy {

namespace {

constexpr std::uint64_t kWordBits = 64;

void append_range(std::string& out, std::uint64_t first, std::uint64_t last) {
  out += ' ';
  out += std::to_string(first);
  if (last != first) {
    out += '-';
    out += std::to_string(last);
  }
}

bool parse_number(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// "a" or "a-b" with a <= b.
bool parse_range(std::string_view s, std::uint64_t& first, std::uint64_t& last) {
  const auto dash = s.find('-');
  if (dash == std::string_view::npos) {
    if (!parse_number(s, first)) return false;
    last = first;
    return true;
  }
  return parse_number(s.substr(0, dash), first) && parse_number(s.substr(dash + 1), last) && first < last;
}

// "<word> <range> <range> ..." into ranges; false when the line does not start with `word` or a range is
// malformed or out of order.
bool parse_ranges(const std::string& line, std::string_view word,
                  std::vector<std::pair<std::uint64_t, std::uint64_t>>& out) {
  std::istringstream in(line);
  std::string w;
  if (!(in >> w) || w != word) return false;
  std::uint64_t previous_last = 0;
  for (std::string r; in >> r;) {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    if (!parse_range(r, first, last) || first == 0 ||
        (!out.empty() && (previous_last == UINT64_MAX || first <= previous_last + 1))) {
      return false;
    }
    out.emplace_back(first, last);
    previous_last = last;
  }
  return true;
}

}  // namespace

VenueSeqSet::VenueSeqSet(std::uint64_t span, std::size_t max_holes)
    : span_(std::max<std::uint64_t>(kWordBits, (span + kWordBits - 1) / kWordBits * kWordBits)),
      max_holes_(std::max<std::size_t>(1, max_holes)),
      bits_(span_ / kWordBits, 0) {}

bool VenueSeqSet::bit(std::uint64_t seq) const {
  const std::uint64_t i = seq % span_;
  return ((bits_[i / kWordBits] >> (i % kWordBits)) & 1U) != 0;
}

void VenueSeqSet::set_bit(std::uint64_t seq, bool on) {
  const std::uint64_t i = seq % span_;
  const std::uint64_t mask = std::uint64_t{1} << (i % kWordBits);
  if (on) {
    bits_[i / kWordBits] |= mask;
  } else {
    bits_[i / kWordBits] &= ~mask;
  }
}

bool VenueSeqSet::in_hole(std::uint64_t seq) const {
  auto it = holes_.upper_bound(seq);
  if (it == holes_.begin()) return false;
  --it;
  return seq <= it->second;
}

VenueSeqSet::Seen VenueSeqSet::check(std::uint64_t seq) const {
  if (seq > floor_) return seq <= top_ && bit(seq) ? Seen::kRepeat : Seen::kNew;
  if (in_hole(seq)) return Seen::kNew;
  if (seq <= unsure_up_to_) return Seen::kUnsure;
  return Seen::kRepeat;
}

void VenueSeqSet::unknown_below(std::uint64_t seq) {
  if (top_ != 0 || seq <= 1) return;
  floor_ = top_ = unsure_up_to_ = seq - 1;
}

bool VenueSeqSet::insert(std::uint64_t seq) {
  if (seq == 0) return false;
  if (seq <= floor_) {
    remove_from_hole(seq);
    return false;
  }
  bool moved = false;
  if (seq - floor_ > span_) {
    advance_floor_to(seq - span_);
    moved = true;
  }
  set_bit(seq, true);
  top_ = std::max(top_, seq);
  absorb();
  return moved;
}

void VenueSeqSet::absorb() {
  while (top_ > floor_ && bit(floor_ + 1)) {
    set_bit(floor_ + 1, false);
    ++floor_;
  }
}

void VenueSeqSet::advance_floor_to(std::uint64_t new_floor) {
  // Seen venue-seqs in (floor_, new_floor] leave the window; the others become holes.
  const std::uint64_t last_bit = std::min(new_floor, top_);
  std::uint64_t hole_start = 0;
  for (std::uint64_t s = floor_ + 1; s <= last_bit; ++s) {
    if (bit(s)) {
      set_bit(s, false);
      if (hole_start != 0) add_hole(hole_start, s - 1);
      hole_start = 0;
    } else if (hole_start == 0) {
      hole_start = s;
    }
  }
  if (new_floor > last_bit && hole_start == 0) hole_start = last_bit + 1;
  if (hole_start != 0) add_hole(hole_start, new_floor);
  floor_ = new_floor;
  top_ = std::max(top_, floor_);
}

void VenueSeqSet::add_hole(std::uint64_t first, std::uint64_t last) {
  if (!holes_.empty()) {
    auto back = std::prev(holes_.end());
    if (back->second + 1 == first) {
      back->second = last;
      return;
    }
  }
  holes_.emplace(first, last);
  while (holes_.size() > max_holes_) {
    unsure_up_to_ = std::max(unsure_up_to_, holes_.begin()->second);
    holes_.erase(holes_.begin());
  }
}

void VenueSeqSet::remove_from_hole(std::uint64_t seq) {
  auto it = holes_.upper_bound(seq);
  if (it == holes_.begin()) return;
  --it;
  const auto [first, last] = *it;
  if (seq > last) return;
  holes_.erase(it);
  if (first < seq) holes_.emplace(first, seq - 1);
  if (seq < last) holes_.emplace(seq + 1, last);
  while (holes_.size() > max_holes_) {
    unsure_up_to_ = std::max(unsure_up_to_, holes_.begin()->second);
    holes_.erase(holes_.begin());
  }
}

std::size_t VenueSeqSet::memory_bytes() const {
  // A std::map node: the pair plus about four pointers of bookkeeping.
  return bits_.size() * sizeof(std::uint64_t) + holes_.size() * (2 * sizeof(std::uint64_t) + 4 * sizeof(void*));
}

std::string VenueSeqSet::text() const {
  std::string out =
      "venue-seq-set 1 floor=" + std::to_string(floor_) + " unsure-up-to=" + std::to_string(unsure_up_to_) + "\nabove";
  std::uint64_t run_start = 0;
  // s == 0: past the largest venue-seq (a top of 2^64-1, which the readers accept, wraps s around).
  for (std::uint64_t s = floor_ + 1; s != 0 && s <= top_;) {
    const std::uint64_t i = s % span_;
    if (i % kWordBits == 0 && bits_[i / kWordBits] == 0 && s + kWordBits - 1 <= top_ && run_start == 0) {
      s += kWordBits;  // a word with nothing seen
      continue;
    }
    if (bit(s)) {
      if (run_start == 0) run_start = s;
    } else if (run_start != 0) {
      append_range(out, run_start, s - 1);
      run_start = 0;
    }
    ++s;
  }
  if (run_start != 0) append_range(out, run_start, top_);
  out += "\nholes";
  for (const auto& [first, last] : holes_) append_range(out, first, last);
  out += "\n";
  return out;
}

std::optional<VenueSeqSet> VenueSeqSet::parse(std::string_view text, std::uint64_t span, std::size_t max_holes) {
  std::istringstream in{std::string(text)};
  std::string head;
  std::string above;
  std::string holes;
  if (!std::getline(in, head) || !std::getline(in, above) || !std::getline(in, holes)) return std::nullopt;
  if (std::string extra; std::getline(in, extra) && !extra.empty()) return std::nullopt;
  std::istringstream h(head);
  std::string magic;
  std::string version;
  std::string floor_word;
  std::string unsure_word;
  if (!(h >> magic >> version >> floor_word >> unsure_word) || magic != "venue-seq-set" || version != "1") {
    return std::nullopt;
  }
  if (std::string extra; h >> extra) return std::nullopt;
  VenueSeqSet s(span, max_holes);
  if (floor_word.rfind("floor=", 0) != 0 || !parse_number(std::string_view(floor_word).substr(6), s.floor_) ||
      unsure_word.rfind("unsure-up-to=", 0) != 0 ||
      !parse_number(std::string_view(unsure_word).substr(13), s.unsure_up_to_) || s.unsure_up_to_ > s.floor_) {
    return std::nullopt;
  }
  s.top_ = s.floor_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  if (!parse_ranges(above, "above", ranges)) return std::nullopt;
  for (const auto& [first, last] : ranges) {
    // Above the floor, inside the window; floor+1 itself would have been absorbed. (Written without
    // floor+1, which wraps for a floor of 2^64-1.)
    if (first <= s.floor_ || first - s.floor_ < 2 || last - s.floor_ > s.span_) return std::nullopt;
    for (std::uint64_t q = first;; ++q) {
      s.set_bit(q, true);
      if (q == last) break;
    }
    s.top_ = last;
  }
  ranges.clear();
  if (!parse_ranges(holes, "holes", ranges) || ranges.size() > s.max_holes_) return std::nullopt;
  for (const auto& [first, last] : ranges) {
    if (last > s.floor_ || first <= s.unsure_up_to_) return std::nullopt;
    s.holes_.emplace(first, last);
  }
  return s;
}

}  // namespace venue::dropcopy
