#include "venue/fix_wire/wire.h"

#include <time.h>

#include <cstring>

namespace venue::fix_wire {
namespace {

constexpr std::string_view kBeginString = "8=FIX.4.4\0019=";
// Longest BodyLength fixload accepts; anything larger is taken as corruption.
constexpr std::uint64_t kMaxBodyLength = 1 << 16;
constexpr std::size_t kTrailerLength = 7;  // 10=ccc<SOH>

std::size_t digits(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

void append_uint(std::string& out, std::uint64_t v) {
  char tmp[20];
  std::size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) out.push_back(tmp[--n]);
}

unsigned checksum(const char* p, std::size_t n) {
  unsigned sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += static_cast<unsigned char>(p[i]);
  return sum & 0xFF;
}

bool three_digits(const char* p, unsigned& out) {
  if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9') return false;
  out = static_cast<unsigned>((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
  return true;
}

bool is_trailer_at(std::string_view data, std::size_t pos) {
  return pos + kTrailerLength <= data.size() && data.compare(pos, 3, "10=") == 0 &&
         data[pos + kTrailerLength - 1] == kSoh;
}

void scan_fields(std::string_view body, InboundMessage& msg) {
  std::size_t pos = 0;
  while (pos < body.size()) {
    int tag = 0;
    while (pos < body.size() && body[pos] >= '0' && body[pos] <= '9') {
      tag = tag * 10 + (body[pos] - '0');
      ++pos;
    }
    if (pos >= body.size() || body[pos] != '=') {
      // Not tag=value: skip to the next field.
      const auto soh = body.find(kSoh, pos);
      if (soh == std::string_view::npos) return;
      pos = soh + 1;
      continue;
    }
    ++pos;
    auto soh = body.find(kSoh, pos);
    if (soh == std::string_view::npos) soh = body.size();
    const std::string_view value = body.substr(pos, soh - pos);
    pos = soh + 1;
    switch (tag) {
      case 35: msg.msg_type = value; break;
      case 34: parse_uint(value, msg.seq); break;
      case 43: msg.poss_dup = value == "Y"; break;
      case 123: msg.gap_fill = value == "Y"; break;
      case 141: msg.reset_seq_num = value == "Y"; break;
      case 7: parse_uint(value, msg.begin_seq); break;
      case 16: parse_uint(value, msg.end_seq); break;
      case 36: parse_uint(value, msg.new_seq); break;
      case 45: parse_uint(value, msg.ref_seq); break;
      case 150: msg.exec_type = value.empty() ? '\0' : value[0]; break;
      case 39: msg.ord_status = value.empty() ? '\0' : value[0]; break;
      case 11: msg.cl_ord_id = value; break;
      case 41: msg.orig_cl_ord_id = value; break;
      case 112: msg.test_req_id = value; break;
      case 379: msg.business_ref_id = value; break;
      case 58: msg.text = value; break;
      default: break;
    }
  }
}

}  // namespace

void FieldWriter::put(std::string_view s) {
  if (!ok_ || len_ + s.size() > kCapacity) {
    ok_ = false;
    return;
  }
  std::memcpy(buf_ + len_, s.data(), s.size());
  len_ += s.size();
}

void FieldWriter::add(int tag, std::string_view value) {
  char tmp[12];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + tag % 10);
    tag /= 10;
  } while (tag != 0);
  char rev[13];
  int m = 0;
  while (n > 0) rev[m++] = tmp[--n];
  rev[m++] = '=';
  put({rev, static_cast<std::size_t>(m)});
  put(value);
  put({&kSoh, 1});
}

void FieldWriter::add(int tag, std::uint64_t value) {
  char tmp[20];
  std::size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  char s[20];
  for (std::size_t i = 0; i < n; ++i) s[i] = tmp[n - 1 - i];
  add(tag, std::string_view(s, n));
}

void FieldWriter::add_raw(std::string_view fields) { put(fields); }

FixEncoder::FixEncoder(const std::string& sender_comp_id, const std::string& target_comp_id)
    : sender_field_("\00149=" + sender_comp_id + "\00152="), target_field_("\00156=" + target_comp_id + "\001") {}

std::size_t FixEncoder::append(std::string& out, std::string_view msg_type, std::uint64_t seq,
                               std::string_view sending_time, std::string_view body,
                               std::string_view extra_header) const {
  const std::size_t body_length = 3 + msg_type.size() + 4 + digits(seq) + sender_field_.size() + sending_time.size() +
                                  target_field_.size() + extra_header.size() + body.size();
  const std::size_t start = out.size();
  out.reserve(start + body_length + 32);
  out.append(kBeginString);
  append_uint(out, body_length);
  out.push_back(kSoh);
  out.append("35=");
  out.append(msg_type);
  out.append("\00134=");
  append_uint(out, seq);
  out.append(sender_field_);
  out.append(sending_time);
  out.append(target_field_);
  out.append(extra_header);
  out.append(body);
  const unsigned sum = checksum(out.data() + start, out.size() - start);
  const char trailer[kTrailerLength] = {'1',
                                        '0',
                                        '=',
                                        static_cast<char>('0' + sum / 100),
                                        static_cast<char>('0' + sum / 10 % 10),
                                        static_cast<char>('0' + sum % 10),
                                        kSoh};
  out.append(trailer, kTrailerLength);
  return out.size() - start;
}

std::string_view UtcClock::format(std::int64_t realtime_ns) {
  const std::int64_t second = realtime_ns / 1'000'000'000;
  if (second != cached_second_) {
    const time_t t = static_cast<time_t>(second);
    struct tm tm {};
    gmtime_r(&t, &tm);
    // strftime writes the calendar part; the milliseconds are patched in below.
    strftime(buf_, sizeof(buf_), "%Y%m%d-%H:%M:%S.000", &tm);
    cached_second_ = second;
  }
  const auto ms = static_cast<int>(realtime_ns / 1'000'000 % 1000);
  buf_[18] = static_cast<char>('0' + ms / 100);
  buf_[19] = static_cast<char>('0' + ms / 10 % 10);
  buf_[20] = static_cast<char>('0' + ms % 10);
  return {buf_, kLength};
}

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

bool parse_uint(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

Frame next_frame(std::string_view data, InboundMessage& msg) {
  constexpr std::string_view kStart = "8=FIX";
  if (data.size() < kStart.size()) {
    return {kStart.starts_with(data) ? FrameStatus::kNeedMore : FrameStatus::kGarbage,
            kStart.starts_with(data) ? 0 : data.size()};
  }
  if (!data.starts_with(kStart)) {
    // Resynchronise on the next BeginString.
    const auto next = data.find("\0018=FIX", 0);
    // Keep a tail that could be the start of a BeginString split across reads.
    if (next == std::string_view::npos) return {FrameStatus::kGarbage, data.size() - (kStart.size() - 1)};
    return {FrameStatus::kGarbage, next + 1};
  }
  const auto soh1 = data.find(kSoh);
  if (soh1 == std::string_view::npos) {
    return data.size() > 32 ? Frame{FrameStatus::kGarbage, 1} : Frame{FrameStatus::kNeedMore, 0};
  }
  if (data.size() < soh1 + 3) return {FrameStatus::kNeedMore, 0};
  if (data.compare(soh1 + 1, 2, "9=") != 0) return {FrameStatus::kGarbage, 1};
  const std::size_t len_start = soh1 + 3;
  const auto soh2 = data.find(kSoh, len_start);
  if (soh2 == std::string_view::npos) {
    return data.size() - len_start > 8 ? Frame{FrameStatus::kGarbage, 1} : Frame{FrameStatus::kNeedMore, 0};
  }
  std::uint64_t body_length = 0;
  if (!parse_uint(data.substr(len_start, soh2 - len_start), body_length) || body_length > kMaxBodyLength) {
    return {FrameStatus::kGarbage, 1};
  }
  const std::size_t body_start = soh2 + 1;
  const std::size_t trailer = body_start + body_length;

  if (is_trailer_at(data, trailer)) {
    unsigned expected = 0;
    if (!three_digits(data.data() + trailer + 3, expected)) return {FrameStatus::kBadChecksum, trailer + 7};
    if (checksum(data.data(), trailer) != expected) return {FrameStatus::kBadChecksum, trailer + kTrailerLength};
    msg = InboundMessage{};
    scan_fields(data.substr(body_start, body_length), msg);
    return {FrameStatus::kMessage, trailer + kTrailerLength};
  }
  if (data.size() < trailer + kTrailerLength) {
    // Not all there yet, unless a trailer shows up before the announced end (BodyLength too large).
    const auto early = data.find("\00110=", body_start);
    if (early != std::string_view::npos && early + 1 + kTrailerLength <= data.size() &&
        data[early + kTrailerLength] == kSoh) {
      return {FrameStatus::kBadLength, early + 1 + kTrailerLength};
    }
    return {FrameStatus::kNeedMore, 0};
  }
  // BodyLength does not land on the trailer: skip to the first trailer after the header.
  const auto real = data.find("\00110=", body_start);
  if (real == std::string_view::npos || real + 1 + kTrailerLength > data.size()) {
    return {FrameStatus::kNeedMore, 0};
  }
  return {FrameStatus::kBadLength, real + 1 + kTrailerLength};
}

}  // namespace venue::fix_wire
