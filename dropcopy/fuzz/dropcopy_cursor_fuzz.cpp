// libFuzzer target over what the drop copy reads back at start (dropcopy/README.md): a session's cursor
// line (cursor.h: parse_cursor) and the file of copied venue-seqs (venue_seq_set.h: VenueSeqSet::parse),
// as found on disk after a crash, a torn write or a hand edit, then used as the service uses them.
//
// An input is a file's text, optionally followed by a NUL byte and operations: each 3 bytes after it are
// one venue-seq offered to the parsed set (check, then insert), relative to its floor (a 16-bit distance
// and a direction byte), so the fuzzer reaches the window's edge, the holes and their forgetting. The
// text is read both as a cursor and as a set (a small span and few holes, so both limits are reached).
// Checked on every input:
//   - parse_cursor returns a cursor or nothing, never a crash; a cursor read back from what cursor_text
//     writes is the same cursor (what is written is what is read after a restart), store-seq >= 1;
//   - VenueSeqSet::parse returns a set or nothing; its text() read back gives the same text; floor <= top,
//     at most max_holes holes, its memory bounded;
//   - after insert(seq), check(seq) is never kNew (a copy is never sent twice unmarked), and a venue-seq
//     above the top never seen is kNew; the set written after the operations reads back the same.
//
//   build-fuzz/bin/dropcopy_cursor_fuzz dropcopy/fuzz/corpus/dropcopy_cursor
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "venue/dropcopy/cursor.h"
#include "venue/dropcopy/venue_seq_set.h"

namespace {

namespace dc = venue::dropcopy;

constexpr std::uint64_t kSpan = 256;
constexpr std::size_t kMaxHoles = 8;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "dropcopy_cursor_fuzz: invariant broken: %s\n", what);
    std::abort();
  }
}

void cursor_round_trip(const std::string& text) {
  const auto c = dc::parse_cursor(text);
  if (!c) return;
  check(c->store_seq >= 1, "store-seq is at least 1");
  check(c->topic.empty() == c->sent_through.empty(), "sent-through has a topic exactly when it has partitions");
  const std::string written = dc::cursor_text(*c);
  const auto again = dc::parse_cursor(written);
  check(again.has_value(), "what cursor_text writes is read back");
  check(*again == *c, "the cursor read back is the cursor written");
  check(dc::cursor_text(*again) == written, "written again, the same line");
}

void set_round_trip(const dc::VenueSeqSet& s, const char* when) {
  const std::string text = s.text();
  const auto again = dc::VenueSeqSet::parse(text, kSpan, kMaxHoles);
  if (!again) {
    std::fprintf(stderr, "dropcopy_cursor_fuzz: %s: text() not read back:\n%s", when, text.c_str());
    check(false, "what text() writes is read back");
  }
  check(again->text() == text, "the set read back writes the same text");
  check(again->floor() == s.floor() && again->top() == s.top() && again->holes() == s.holes() &&
            again->unsure_up_to() == s.unsure_up_to(),
        "the set read back has the same floor, top, holes and unsure range");
}

void set_operations(const std::string& text, std::string_view ops) {
  auto parsed = dc::VenueSeqSet::parse(text, kSpan, kMaxHoles);
  if (!parsed) return;
  dc::VenueSeqSet s = std::move(*parsed);
  check(s.floor() <= s.top(), "floor <= top");
  check(s.holes() <= kMaxHoles, "at most max_holes holes");
  set_round_trip(s, "as parsed");
  const std::size_t bounded = s.memory_bytes();
  for (std::size_t i = 0; i + 3 <= ops.size(); i += 3) {
    const std::uint64_t distance =
        static_cast<std::uint8_t>(ops[i]) | static_cast<std::uint64_t>(static_cast<std::uint8_t>(ops[i + 1])) << 8;
    const bool below = (static_cast<std::uint8_t>(ops[i + 2]) & 1U) != 0;
    const std::uint64_t floor = s.floor();
    std::uint64_t seq = 0;
    if (below) {
      seq = distance < floor ? floor - distance : 1;
    } else {
      // The readers take any positive 64-bit venue-seq header: saturate rather than wrap.
      seq = floor > UINT64_MAX - distance - 1 ? UINT64_MAX : floor + 1 + distance;
    }
    if (seq > s.top()) check(s.check(seq) == dc::VenueSeqSet::Seen::kNew, "above the top is new");
    s.insert(seq);
    // Never "new" again: a repeat, or "unsure" where the set no longer remembers (copied marked).
    check(s.check(seq) != dc::VenueSeqSet::Seen::kNew, "a venue-seq inserted is never new again");
    check(s.floor() <= s.top(), "floor <= top after insert");
    check(s.holes() <= kMaxHoles, "at most max_holes holes after insert");
    check(s.memory_bytes() <= bounded + kMaxHoles * 64, "memory stays bounded");
  }
  set_round_trip(s, "after the operations");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nul = in.find('\0');
  const std::string text(in.substr(0, nul));
  const std::string_view ops = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
  cursor_round_trip(text);
  set_operations(text, ops);
  return 0;
}
