#include "venue/fix_session/fix_text.h"

#include "venue/fix_session/out_message.h"

#include <cctype>
#include <ctime>
#include <limits>

namespace venue::fix_session {

std::string utc_timestamp(std::int64_t ns) {
  std::string out;
  append_utc_timestamp(out, ns, 3);
  return out;
}

std::optional<std::int64_t> parse_utc_timestamp(std::string_view t) {
  if (t.size() < 17 || t[8] != '-' || t[11] != ':' || t[14] != ':') return std::nullopt;
  auto num = [&](std::size_t at, std::size_t len) -> int {
    int v = 0;
    for (std::size_t i = at; i < at + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return -1;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(12, 2);
  tm.tm_sec = num(15, 2);
  if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 ||
      tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  std::int64_t frac_ns = 0;
  if (t.size() > 17) {
    if (t[17] != '.' || t.size() < 19 || t.size() > 27) return std::nullopt;
    std::int64_t scale = 100'000'000;
    for (std::size_t i = 18; i < t.size(); ++i) {
      if (t[i] < '0' || t[i] > '9') return std::nullopt;
      frac_ns += (t[i] - '0') * scale;
      scale /= 10;
    }
  }
  const std::time_t secs = timegm(&tm);
  // Nanoseconds since 1970 in an int64 end in April 2262: later times are refused, not wrapped.
  constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
  if (secs < 0 || static_cast<std::int64_t>(secs) > kMaxSeconds) return std::nullopt;
  return static_cast<std::int64_t>(secs) * 1'000'000'000 + frac_ns;
}

unsigned fix_checksum(std::string_view bytes) {
  unsigned sum = 0;
  for (const char c : bytes) sum += static_cast<unsigned char>(c);
  return sum % 256;
}

std::optional<std::string> get_field(const FIX::FieldMap& m, int tag) {
  if (!m.isSetField(tag)) return std::nullopt;
  return m.getField(tag);
}

std::optional<std::string_view> raw_field(std::string_view msg, std::string_view tag) {
  std::size_t pos = 0;
  while (pos < msg.size()) {
    const std::size_t eq = msg.find('=', pos);
    if (eq == std::string_view::npos) return std::nullopt;
    const std::size_t end = msg.find('\x01', eq);
    if (end == std::string_view::npos) return std::nullopt;
    if (msg.substr(pos, eq - pos) == tag) return msg.substr(eq + 1, end - eq - 1);
    pos = end + 1;
  }
  return std::nullopt;
}

bool valid_time_of_day(const std::string& v) {
  auto digits = [&](std::size_t at) {
    return std::isdigit(static_cast<unsigned char>(v[at])) != 0 &&
           std::isdigit(static_cast<unsigned char>(v[at + 1])) != 0;
  };
  if (v.size() != 8 || v[2] != ':' || v[5] != ':' || !digits(0) || !digits(3) || !digits(6)) return false;
  return std::stoi(v.substr(0, 2)) < 24 && std::stoi(v.substr(3, 2)) < 60 && std::stoi(v.substr(6, 2)) < 60;
}

}  // namespace venue::fix_session
