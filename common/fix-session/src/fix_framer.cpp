#include "venue/fix_session/fix_framer.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "fix_chars.h"

namespace venue::fix_session {

namespace {
constexpr std::string_view kStart = "8=FIX";
constexpr std::size_t kMaxBeginField = 32;  // "8=" and a BeginString; FIX's are 9 to 11 bytes

// The length of the longest end of `rest` (shorter than `rest`) that is a start of "8=FIX".
std::size_t start_prefix_at_end(std::string_view rest) {
  for (std::size_t n = std::min(kStart.size() - 1, rest.size() - 1); n > 0; --n) {
    if (rest.substr(rest.size() - n) == kStart.substr(0, n)) return n;
  }
  return 0;
}
}  // namespace

FixFramer::Status FixFramer::push(const char* data, std::size_t size, std::vector<std::string>& out) {
  in_.append(data, size);
  std::size_t pos = 0;
  for (;;) {
    const std::string_view rest(in_.data() + pos, in_.size() - pos);
    // A message starts with "8=FIX" (every FIX BeginString does); fewer bytes that may begin it: wait.
    if (kStart.starts_with(rest)) break;
    if (!rest.starts_with(kStart)) {
      // Garbage before a message: skip to the next plausible start. The end of the input may hold the
      // first bytes of one ("8=F" with "IX" in the next read): those are kept, so that where TCP cuts
      // the stream never decides whether a message is seen.
      ++errors_;
      const std::size_t next = rest.find(kStart, 1);
      pos = next == std::string_view::npos ? in_.size() - start_prefix_at_end(rest) : pos + next;
      continue;
    }
    // BeginString is short: its SOH is looked for only where it can be, so a long first field is
    // garbage whether it arrives in one read or in many.
    const std::size_t soh1 = rest.substr(0, kMaxBeginField + 1).find(kSoh);
    if (soh1 == std::string_view::npos) {
      if (rest.size() > kMaxBeginField) {
        ++errors_;
        pos += 1;
        continue;
      }
      break;
    }
    if (rest.size() < soh1 + 3) break;
    if (rest.compare(soh1 + 1, 2, "9=") != 0) {
      ++errors_;
      pos += 1;
      continue;
    }
    const std::size_t soh2 = rest.find(kSoh, soh1 + 3);
    if (soh2 == std::string_view::npos) {
      if (rest.size() > soh1 + 16) {
        ++errors_;
        pos += 1;
        continue;
      }
      break;
    }
    std::size_t body = 0;
    bool digits = soh2 > soh1 + 3 && soh2 - soh1 - 3 <= 10;
    for (std::size_t i = soh1 + 3; i < soh2 && digits; ++i) {
      const char ch = rest[i];
      digits = ch >= '0' && ch <= '9';
      body = body * 10 + static_cast<std::size_t>(ch - '0');
    }
    if (!digits) {
      ++errors_;
      pos += 1;
      continue;
    }
    if (body > max_body_) {
      ++errors_;
      in_.erase(0, pos);
      return Status::kOversized;
    }
    const std::size_t trailer = soh2 + 1 + body;
    if (rest.size() < trailer + 7) break;
    if (rest.compare(trailer, 3, "10=") != 0 || rest[trailer + 6] != kSoh) {
      // BodyLength does not lead to a CheckSum: a garbled message, ignored as FIX asks.
      ++errors_;
      pos += 1;
      continue;
    }
    out.emplace_back(rest.substr(0, trailer + 7));
    pos += trailer + 7;
  }
  in_.erase(0, pos);
  if (in_.size() > max_body_ + 64) return Status::kOversized;
  return Status::kOk;
}

bool FixFramer::holds_trailer() const {
  for (auto at = in_.find("\00110="); at != std::string::npos; at = in_.find("\00110=", at + 1)) {
    if (in_.size() < at + 8) return false;
    const bool digits = std::isdigit(static_cast<unsigned char>(in_[at + 4])) != 0 &&
                        std::isdigit(static_cast<unsigned char>(in_[at + 5])) != 0 &&
                        std::isdigit(static_cast<unsigned char>(in_[at + 6])) != 0;
    if (digits && in_[at + 7] == kSoh) return true;
  }
  return false;
}

}  // namespace venue::fix_session
