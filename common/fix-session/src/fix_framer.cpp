#include "venue/fix_session/fix_framer.h"

#include <string_view>

namespace venue::fix_session {

namespace {
constexpr char kSoh = '\x01';
}

FixFramer::Status FixFramer::push(const char* data, std::size_t size, std::vector<std::string>& out) {
  in_.append(data, size);
  std::size_t pos = 0;
  for (;;) {
    const std::string_view rest(in_.data() + pos, in_.size() - pos);
    if (rest.size() < 2) break;
    if (rest.compare(0, 2, "8=") != 0) {
      // Garbage before a message: skip to the next plausible start.
      ++errors_;
      const std::size_t next = rest.find("8=FIX", 1);
      pos = next == std::string_view::npos ? in_.size() : pos + next;
      continue;
    }
    const std::size_t soh1 = rest.find(kSoh);
    if (soh1 == std::string_view::npos) {
      if (rest.size() > 32) {
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

}  // namespace venue::fix_session
