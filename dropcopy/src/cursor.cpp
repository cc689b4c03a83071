#include "venue/dropcopy/cursor.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <sstream>

namespace venue::dropcopy {

namespace {

std::optional<Mark> parse_mark(const std::string& word, const char* name) {
  const std::string prefix = std::string(name) + "=";
  if (word.rfind(prefix, 0) != 0) return std::nullopt;
  const auto colon = word.find(':', prefix.size());
  if (colon == std::string::npos) return std::nullopt;
  Mark m;
  char* end = nullptr;
  const std::string seq = word.substr(prefix.size(), colon - prefix.size());
  const std::string ns = word.substr(colon + 1);
  if (seq.empty() || ns.empty() || seq[0] == '-' || ns[0] == '-' || seq[0] == '+' || ns[0] == '+') return std::nullopt;
  errno = 0;
  m.seq = std::strtoull(seq.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return std::nullopt;
  m.ns = std::strtoll(ns.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return std::nullopt;
  return m;
}

// A non-negative decimal that fits `max`; nullopt otherwise.
std::optional<std::int64_t> parse_count(const std::string& s, std::int64_t max) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(s.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE || n > max) return std::nullopt;
  return n;
}

// "sent-through=none" or "sent-through=<topic>/<p>@<offset>,<p>@<offset>,..." (partitions ascending).
bool parse_sent_through(const std::string& word, Cursor& c) {
  const std::string prefix = "sent-through=";
  if (word.rfind(prefix, 0) != 0) return false;
  return parse_offsets(word.substr(prefix.size()), c.topic, c.sent_through);
}

}  // namespace

std::string offsets_text(const std::string& topic, const std::map<std::int32_t, std::int64_t>& offsets) {
  if (topic.empty() || offsets.empty()) return "none";
  std::string text = topic + "/";
  for (const auto& [p, offset] : offsets) {
    if (text.back() != '/') text += ',';
    text += std::to_string(p) + "@" + std::to_string(offset);
  }
  return text;
}

bool parse_offsets(const std::string& value, std::string& topic, std::map<std::int32_t, std::int64_t>& offsets) {
  if (value == "none") return true;
  const auto slash = value.find('/');
  if (slash == std::string::npos || slash == 0) return false;
  topic = value.substr(0, slash);
  std::istringstream list(value.substr(slash + 1));
  std::int64_t previous = -1;
  for (std::string item; std::getline(list, item, ',');) {
    const auto at = item.find('@');
    if (at == std::string::npos) return false;
    const auto partition = parse_count(item.substr(0, at), INT32_MAX);
    const auto offset = parse_count(item.substr(at + 1), INT64_MAX);
    if (!partition || !offset || *partition <= previous) return false;
    offsets[static_cast<std::int32_t>(*partition)] = *offset;
    previous = *partition;
  }
  return !offsets.empty();
}

std::string cursor_text(const Cursor& c) {
  const auto mark = [](const Mark& m) { return std::to_string(m.seq) + ":" + std::to_string(m.ns); };
  const std::string through = offsets_text(c.topic, c.sent_through);
  return "venue-dropcopy-cursor 2 store-seq=" + std::to_string(c.store_seq) + " stored=" + mark(c.stored) +
         " sent=" + mark(c.sent) + " catch-up=" + (c.catch_up ? mark(*c.catch_up) : std::string("none")) +
         " sent-through=" + through + "\n";
}

std::optional<Cursor> parse_cursor(const std::string& text) {
  std::istringstream in(text);
  std::string magic;
  int version = 0;
  std::string store_seq;
  std::string words[4];
  if (!(in >> magic >> version >> store_seq >> words[0] >> words[1] >> words[2]) || magic != "venue-dropcopy-cursor" ||
      (version != 1 && version != 2)) {
    return std::nullopt;
  }
  if (version == 2 && !(in >> words[3])) return std::nullopt;
  if (std::string extra; in >> extra) return std::nullopt;
  Cursor c;
  {
    const std::string prefix = "store-seq=";
    if (store_seq.rfind(prefix, 0) != 0) return std::nullopt;
    const auto n = parse_count(store_seq.substr(prefix.size()), INT32_MAX);
    if (!n || *n < 1) return std::nullopt;
    c.store_seq = static_cast<int>(*n);
  }
  const auto stored = parse_mark(words[0], "stored");
  const auto sent = parse_mark(words[1], "sent");
  if (!stored || !sent) return std::nullopt;
  c.stored = *stored;
  c.sent = *sent;
  if (words[2] != "catch-up=none") {
    c.catch_up = parse_mark(words[2], "catch-up");
    if (!c.catch_up) return std::nullopt;
  }
  if (version == 2 && !parse_sent_through(words[3], c)) return std::nullopt;
  return c;
}

}  // namespace venue::dropcopy
