#include "venue/fix_session/out_message.h"

#include "venue/fix_session/fix_text.h"

#include <algorithm>
#include <charconv>
#include <ctime>

namespace venue::fix_session {

OutMessage::OutMessage(std::string_view msg_type) : type_(msg_type) {
  fields_.reserve(24);
  values_.reserve(256);
}

const OutMessage::Field* OutMessage::find(int tag) const {
  const auto it =
      std::lower_bound(fields_.begin(), fields_.end(), tag, [](const Field& f, int t) { return f.tag < t; });
  return it != fields_.end() && it->tag == tag ? &*it : nullptr;
}

void OutMessage::set(int tag, std::string_view value) {
  const Field f{tag, static_cast<std::uint32_t>(values_.size()), static_cast<std::uint32_t>(value.size())};
  values_.append(value);
  // Most fields are set in ascending order: look from the back.
  auto it = fields_.end();
  while (it != fields_.begin() && std::prev(it)->tag > tag) --it;
  if (it != fields_.begin() && std::prev(it)->tag == tag) {
    *std::prev(it) = f;
  } else {
    fields_.insert(it, f);
  }
}

void OutMessage::set_int(int tag, std::int64_t value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  set(tag, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}

std::optional<std::string_view> OutMessage::get(int tag) const {
  const Field* f = find(tag);
  if (f == nullptr) return std::nullopt;
  return std::string_view(values_).substr(f->offset, f->size);
}

void OutMessage::remove(int tag) {
  const auto it =
      std::lower_bound(fields_.begin(), fields_.end(), tag, [](const Field& f, int t) { return f.tag < t; });
  if (it != fields_.end() && it->tag == tag) fields_.erase(it);
}

namespace {
bool withheld_tag(std::span<const int> withheld, int tag) {
  return std::find(withheld.begin(), withheld.end(), tag) != withheld.end();
}
void append_tag(std::string& out, int tag) {
  char buf[12];
  const auto r = std::to_chars(buf, buf + sizeof buf, tag);
  out.append(buf, r.ptr);
  out.push_back('=');
}
}  // namespace

void OutMessage::append_body(std::string& out, std::span<const int> withheld) const {
  for (const Field& f : fields_) {
    if (!withheld.empty() && withheld_tag(withheld, f.tag)) continue;
    append_tag(out, f.tag);
    out.append(values_, f.offset, f.size);
    out.push_back('\x01');
  }
}

bool OutMessage::has_any(std::span<const int> tags) const {
  return std::any_of(tags.begin(), tags.end(), [&](int t) { return has(t); });
}

FIX::Message OutMessage::to_message(std::span<const int> withheld) const {
  FIX::Message m;
  m.getHeader().setField(FIX::FIELD::MsgType, type_);
  for (const Field& f : fields_) {
    if (withheld_tag(withheld, f.tag)) continue;
    m.setField(f.tag, values_.substr(f.offset, f.size));
  }
  return m;
}

std::string frame_message(std::string_view begin_string, std::string_view msg_type, std::string_view header,
                          std::string_view body) {
  const std::size_t body_length = 3 + msg_type.size() + 1 + header.size() + body.size();
  char len[24];
  const auto lr = std::to_chars(len, len + sizeof len, body_length);
  std::string msg;
  msg.reserve(2 + begin_string.size() + 1 + 2 + static_cast<std::size_t>(lr.ptr - len) + 1 + body_length + 7);
  msg.append("8=").append(begin_string).push_back('\x01');
  msg.append("9=").append(len, lr.ptr).push_back('\x01');
  msg.append("35=").append(msg_type).push_back('\x01');
  msg.append(header).append(body);
  const unsigned sum = fix_checksum(msg);
  const char trailer[] = {'1',
                          '0',
                          '=',
                          static_cast<char>('0' + sum / 100),
                          static_cast<char>('0' + sum / 10 % 10),
                          static_cast<char>('0' + sum % 10),
                          '\x01'};
  msg.append(trailer, sizeof trailer);
  return msg;
}

void append_utc_timestamp(std::string& out, std::int64_t ns, int precision) {
  thread_local std::int64_t cached_second = -1;
  thread_local char cached[17];  // "YYYYMMDD-HH:MM:SS"
  std::int64_t secs = ns / 1'000'000'000;
  std::int64_t frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  if (secs != cached_second) {
    const auto t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    auto two = [](char* p, int v) {
      p[0] = static_cast<char>('0' + v / 10);
      p[1] = static_cast<char>('0' + v % 10);
    };
    const int year = tm.tm_year + 1900;
    two(cached, year / 100);
    two(cached + 2, year % 100);
    two(cached + 4, tm.tm_mon + 1);
    two(cached + 6, tm.tm_mday);
    cached[8] = '-';
    two(cached + 9, tm.tm_hour);
    cached[11] = ':';
    two(cached + 12, tm.tm_min);
    cached[14] = ':';
    two(cached + 15, tm.tm_sec);
    cached_second = secs;
  }
  out.append(cached, sizeof cached);
  if (precision != 3 && precision != 6 && precision != 9) return;
  char digits[10];
  digits[0] = '.';
  auto v = static_cast<std::int32_t>(frac);
  for (int i = 9; i >= 1; --i) {
    digits[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(digits, 1 + static_cast<std::size_t>(precision));
}

}  // namespace venue::fix_session
