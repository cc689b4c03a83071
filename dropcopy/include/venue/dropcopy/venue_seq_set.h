#pragma once
// VenueSeqSet: which venue-seqs have been copied already, in bounded memory, so that a report the venue
// publishes again under the same venue-seq is not copied twice. The venue does that after a crash: it
// publishes again everything after its saved publish cursor (spec/kafka-topics.md, spec/recovery.md).
//
// Venue-seqs are 1, 2, 3, ... across all partitions and every one is published, so what has been seen is
// kept as a floor (every venue-seq up to it has been seen) plus the venue-seqs seen above it, as bits in a
// window of `span` venue-seqs (the default, 4,194,304, takes 512 KB). Partitions read unevenly only widen
// what lies above the floor. A venue-seq more than `span` above the floor (a partition far behind the
// others, or a first start in the middle of a topic) moves the floor up; the venue-seqs it passes
// without having seen them are kept as holes (ranges) and still count as new when they come. At most
// `max_holes` ranges are kept; when more would be needed the lowest are forgotten, and a venue-seq at or
// below a forgotten one is answered kUnsure: copy it, marked PossResend(97)=Y, since it may be a repeat.
// Nothing is ever dropped for want of memory. A set that starts without its history (its file lost)
// is told so with unknown_below(first venue-seq seen): everything below is kUnsure.
//
//   VenueSeqSet seen;
//   switch (seen.check(seq)) {
//     case Seen::kNew: copy(); break;
//     case Seen::kRepeat: skip(); break;           // already copied
//     case Seen::kUnsure: copy_marked(); break;    // beyond what is remembered
//   }
//   seen.insert(seq);
//
// text() and parse() write and read it as a few lines, so the drop copy keeps it in a file across its
// restarts (dropcopy/README.md).
//
// Thread rules: a plain value, used by one thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace venue::dropcopy {

class VenueSeqSet {
 public:
  enum class Seen : std::uint8_t { kNew, kRepeat, kUnsure };
  static constexpr std::uint64_t kDefaultSpan = std::uint64_t{1} << 22;
  static constexpr std::size_t kDefaultMaxHoles = 65536;

  // `span` is rounded up to a multiple of 64.
  explicit VenueSeqSet(std::uint64_t span = kDefaultSpan, std::size_t max_holes = kDefaultMaxHoles);

  Seen check(std::uint64_t seq) const;
  // On an empty set: nothing is known below `seq` (it may all have been copied): kUnsure there.
  void unknown_below(std::uint64_t seq);
  // Records `seq` as seen. True when the window had to move up past venue-seqs not seen (they became holes).
  bool insert(std::uint64_t seq);

  // Every venue-seq up to here was seen, except the holes.
  std::uint64_t floor() const { return floor_; }
  // The highest venue-seq seen (the floor when none above it).
  std::uint64_t top() const { return top_; }
  std::uint64_t span() const { return span_; }
  std::size_t holes() const { return holes_.size(); }
  // Venue-seqs up to here that are not holes are answered kUnsure (holes were forgotten).
  std::uint64_t unsure_up_to() const { return unsure_up_to_; }
  // Bytes the set holds (bounded: the window's bits plus at most max_holes ranges).
  std::size_t memory_bytes() const;

  // Three lines: "venue-seq-set 1 floor=F unsure-up-to=U", "above R ...", "holes R ..." where each R is
  // "a" or "a-b".
  std::string text() const;
  // nullopt when `text` is not what text() writes for a set of this span (the caller logs it).
  static std::optional<VenueSeqSet> parse(std::string_view text, std::uint64_t span = kDefaultSpan,
                                          std::size_t max_holes = kDefaultMaxHoles);

 private:
  bool bit(std::uint64_t seq) const;
  void set_bit(std::uint64_t seq, bool on);
  void advance_floor_to(std::uint64_t new_floor);
  void absorb();
  void add_hole(std::uint64_t first, std::uint64_t last);
  bool in_hole(std::uint64_t seq) const;
  void remove_from_hole(std::uint64_t seq);

  std::uint64_t span_;
  std::size_t max_holes_;
  std::uint64_t floor_ = 0;
  std::uint64_t top_ = 0;
  std::vector<std::uint64_t> bits_;               // bit (seq % span_) for floor_ < seq <= floor_ + span_
  std::map<std::uint64_t, std::uint64_t> holes_;  // first -> last, all at or below floor_, never seen
  std::uint64_t unsure_up_to_ = 0;
};

}  // namespace venue::dropcopy
