#pragma once
// Records framed as u32 length, u32 crc32c of the payload, then the payload: the format of the report log
// and of the identity log. After a crash the end of such a file may be torn (a record cut short, or a
// tail of zeros); a bad disk can damage a record in the middle. The two look alike at the damaged byte:
// what tells them apart is whether a whole, checksummed record follows.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "venue/common/crc32c.h"

namespace venue::fix_gateway::framed {

constexpr std::size_t kFrame = 8;
constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// A field as the records hold it: its bytes in the machine's order (the venue runs on little-endian
// machines only; the files are not carried to others).
template <class T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// A string after its length as a Len; a longer string is cut at Len's largest value.
template <class Len>
void put_str(std::string& s, const std::string& v) {
  const auto n = static_cast<Len>(std::min<std::size_t>(v.size(), std::numeric_limits<Len>::max()));
  put(s, n);
  s.append(v.data(), n);
}

// Reads back what put and put_str<Len> wrote; a get that would read past the end fails (false).
template <class Len>
struct Reader {
  const char* p;
  const char* end;
  template <class T>
  bool get(T& v) {
    if (end - p < static_cast<std::ptrdiff_t>(sizeof(T))) return false;
    std::memcpy(&v, p, sizeof(T));
    p += sizeof(T);
    return true;
  }
  bool get_str(std::string& v) {
    Len n = 0;
    if (!get(n) || end - p < static_cast<std::ptrdiff_t>(n)) return false;
    v.assign(p, n);
    p += n;
    return true;
  }
};

// The framed record of a payload: its length, its checksum, then the payload.
inline std::string frame(const std::string& payload) {
  std::string rec;
  rec.reserve(kFrame + payload.size());
  put(rec, static_cast<std::uint32_t>(payload.size()));
  put(rec, crc32c(payload.data(), payload.size()));
  return rec + payload;
}

// The payload of the record at `off` when it is whole (within `max_len`) and its checksum holds; a view
// with data() == nullptr otherwise.
inline std::string_view record_at(std::string_view data, std::size_t off, std::uint32_t max_len) {
  if (off > data.size() || data.size() - off < kFrame) return {};
  std::uint32_t len = 0;
  std::uint32_t crc = 0;
  std::memcpy(&len, data.data() + off, 4);
  std::memcpy(&crc, data.data() + off + 4, 4);
  if (len > max_len || data.size() - off - kFrame < len) return {};
  const char* p = data.data() + off + kFrame;
  if (crc32c(p, len) != crc) return {};
  return {p, len};
}

// The first offset from `from` on at which a record of at least `min_len` bytes is whole, has a good
// checksum and is accepted by `accept(payload)`; kNone when there is none. `min_len` above zero keeps a
// run of zero bytes (a length of 0 with a checksum of 0) from passing for a record.
template <class Accept>
std::size_t next_good(std::string_view data, std::size_t from, std::uint32_t min_len, std::uint32_t max_len,
                      Accept&& accept) {
  for (std::size_t off = from; off + kFrame <= data.size(); ++off) {
    std::uint32_t len = 0;
    std::memcpy(&len, data.data() + off, 4);
    if (len < min_len || len > max_len || data.size() - off - kFrame < len) continue;
    const std::string_view payload = record_at(data, off, max_len);
    if (payload.data() != nullptr && accept(payload)) return off;
  }
  return kNone;
}

}  // namespace venue::fix_gateway::framed
