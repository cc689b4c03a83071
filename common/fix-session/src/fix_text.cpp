#include "venue/fix_session/fix_text.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <limits>

namespace venue::fix_session {

std::string utc_timestamp(std::int64_t ns) {
  if (ns < 0) {
    const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d%02d%02d-%02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>((ns / 1'000'000) % 1000));
    return buf;
  }
  // Every report carries one: the date and time of day are formatted once per second (per thread), the
  // milliseconds appended by hand (snprintf and gmtime_r were 4% of the gateway thread at full load).
  thread_local std::int64_t cached_secs = -1;
  thread_local char cached[24] = {};
  const std::int64_t secs = ns / 1'000'000'000;
  if (secs != cached_secs) {
    const auto t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::snprintf(cached, sizeof cached, "%04d%02d%02d-%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_secs = secs;
  }
  const int ms = static_cast<int>((ns / 1'000'000) % 1000);
  std::string out(cached);
  out += '.';
  out += static_cast<char>('0' + ms / 100);
  out += static_cast<char>('0' + ms / 10 % 10);
  out += static_cast<char>('0' + ms % 10);
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

std::optional<std::string> with_body_fields(std::string_view msg, const std::vector<FIX::FieldBase>& fields) {
  constexpr char kSoh = '\x01';
  // The trailer: "10=nnn<SOH>" at the very end.
  if (msg.size() < 8 || msg.back() != kSoh) return std::nullopt;
  const std::size_t trailer = msg.rfind(
      "\x01"
      "10=",
      msg.size() - 2);
  if (trailer == std::string_view::npos) return std::nullopt;
  const std::size_t body_end = trailer + 1;  // just after the SOH that ends the last body field
  // BodyLength counts from just after "9=<n><SOH>" up to body_end.
  if (msg.substr(0, 2) != "8=") return std::nullopt;
  const std::size_t nine = msg.find(
      "\x01"
      "9=");
  if (nine == std::string_view::npos) return std::nullopt;
  const std::size_t len_end = msg.find(kSoh, nine + 3);
  if (len_end == std::string_view::npos || len_end >= body_end) return std::nullopt;
  const std::size_t body_start = len_end + 1;
  // Where each field goes: after the last field (from the end) whose tag is below it.
  const auto tag_at = [&](std::size_t at) {
    int tag = 0;
    while (at < msg.size() && msg[at] >= '0' && msg[at] <= '9') tag = tag * 10 + (msg[at++] - '0');
    return tag;
  };
  struct Insert {
    std::size_t at;  // position in msg
    int tag;
    std::string text;  // "tag=value<SOH>"
  };
  std::vector<Insert> inserts;
  for (const auto& f : fields) {
    std::size_t at = body_end;
    while (at > body_start) {
      const std::size_t prev = msg.rfind(kSoh, at - 2);  // the SOH before the field that ends at `at`
      const std::size_t start = prev == std::string_view::npos || prev < len_end ? body_start : prev + 1;
      if (tag_at(start) < f.getTag()) break;
      at = start;
    }
    inserts.push_back({at, f.getTag(), std::to_string(f.getTag()) + "=" + f.getString() + kSoh});
  }
  std::sort(inserts.begin(), inserts.end(),
            [](const Insert& a, const Insert& b) { return a.at != b.at ? a.at < b.at : a.tag < b.tag; });
  std::string body;
  std::size_t from = body_start;
  for (const Insert& i : inserts) {
    body.append(msg.substr(from, i.at - from));
    body += i.text;
    from = i.at;
  }
  body.append(msg.substr(from, body_end - from));
  std::string out;
  out.reserve(msg.size() + 64);
  out.append(msg.substr(0, nine + 3));
  out += std::to_string(body.size());
  out += kSoh;
  out += body;
  unsigned sum = 0;
  for (const char c : out) sum += static_cast<unsigned char>(c);
  char trailer_text[8];
  std::snprintf(trailer_text, sizeof trailer_text, "10=%03u", sum % 256);
  out += trailer_text;
  out += kSoh;
  return out;
}

}  // namespace venue::fix_session
