// libFuzzer target over FixFramer (fix_framer.h), the code that cuts a broker's TCP byte stream into FIX
// messages before QuickFIX sees them.
//
// An input is: byte 0 sets the framer's BodyLength limit (small, so the refusal paths are reached);
// byte 1 seeds how the stream is cut into reads; the rest is the byte stream. Checked on every input:
//   - the stream framed in one read and cut into many small reads gives the same messages and the same
//     status (what TCP does to the bytes never changes what is framed; the garbage left buffered may
//     differ, as a skip only sees the bytes read so far);
//   - every message is a substring of the stream, in order, without overlap (nothing invented);
//   - every message is well framed: 8= first, 9=<digits> second and equal to the body's length, 10=
//     followed by three characters and SOH last;
//   - a framed message framed again on its own gives exactly itself, with no error and nothing left over;
//   - an accepted stream leaves at most a message's worth of bytes buffered.
//
//   build-fuzz/bin/fix_framer_fuzz common/fix-session/fuzz/corpus/fix_framer
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "venue/fix_session/fix_framer.h"

namespace {

using venue::fix_session::FixFramer;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fix_framer_fuzz: invariant broken: %s\n", what);
    std::abort();
  }
}

void check_well_framed(std::string_view m, std::size_t max_body) {
  check(m.substr(0, 2) == "8=", "a message starts with 8=");
  const std::size_t soh1 = m.find('\x01');
  check(soh1 != std::string_view::npos && m.substr(soh1 + 1, 2) == "9=", "9= is the second field");
  const std::size_t soh2 = m.find('\x01', soh1 + 1);
  check(soh2 != std::string_view::npos, "BodyLength ends with SOH");
  std::size_t body = 0;
  for (std::size_t i = soh1 + 3; i < soh2; ++i) {
    check(m[i] >= '0' && m[i] <= '9', "BodyLength is digits");
    body = body * 10 + static_cast<std::size_t>(m[i] - '0');
  }
  check(body <= max_body, "BodyLength within the limit");
  check(m.size() == soh2 + 1 + body + 7, "BodyLength bytes, then a 7-byte CheckSum field");
  check(m.substr(soh2 + 1 + body, 3) == "10=" && m.back() == '\x01', "10=nnn<SOH> ends the message");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max_body = 8 + static_cast<std::size_t>(data[0]) * 4;
  std::uint32_t rng = 0x9E3779B9U * (data[1] + 1U);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  FixFramer whole(max_body);
  std::vector<std::string> a;
  const FixFramer::Status status_a = whole.push(stream.data(), stream.size(), a);

  FixFramer parts(max_body);
  std::vector<std::string> b;
  FixFramer::Status status_b = FixFramer::Status::kOk;
  for (std::size_t off = 0; off < stream.size() && status_b == FixFramer::Status::kOk;) {
    rng = rng * 1103515245U + 12345U;
    const std::size_t len = std::min<std::size_t>(1 + (rng >> 16) % 48, stream.size() - off);
    status_b = parts.push(stream.data() + off, len, b);
    off += len;
  }
  check(status_a == status_b, "one read and many reads end in the same status");
  check(a == b, "one read and many reads frame the same messages");
  if (status_a == FixFramer::Status::kOk) {
    check(whole.buffered() <= max_body + 64, "an accepted stream leaves at most a message's worth buffered");
  }

  std::size_t from = 0;
  for (const auto& m : a) {
    const std::size_t at = stream.find(m, from);
    check(at != std::string_view::npos, "a message is a piece of the stream, in order");
    from = at + m.size();
    check_well_framed(m, max_body);
    FixFramer again(max_body);
    std::vector<std::string> c;
    check(again.push(m.data(), m.size(), c) == FixFramer::Status::kOk, "a framed message frames again");
    check(c.size() == 1 && c[0] == m, "a framed message frames again as itself");
    check(again.errors() == 0 && again.buffered() == 0, "a framed message frames again without error or rest");
  }
  return 0;
}
