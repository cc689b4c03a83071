#include "venue/dropcopy/cursor.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <sstream>

namespace venue::dropcopy {

std::string cursor_text(const Cursor& c) {
  const auto mark = [](const Mark& m) { return std::to_string(m.seq) + ":" + std::to_string(m.ns); };
  return "venue-dropcopy-cursor 1 store-seq=" + std::to_string(c.store_seq) + " stored=" + mark(c.stored) +
         " sent=" + mark(c.sent) + " catch-up=" + (c.catch_up ? mark(*c.catch_up) : std::string("none")) + "\n";
}

std::optional<Cursor> parse_cursor(const std::string& text) {
  std::istringstream in(text);
  std::string magic;
  int version = 0;
  std::string store_seq;
  std::string words[3];
  if (!(in >> magic >> version >> store_seq >> words[0] >> words[1] >> words[2]) || magic != "venue-dropcopy-cursor" ||
      version != 1) {
    return std::nullopt;
  }
  if (std::string extra; in >> extra) return std::nullopt;
  const auto mark = [](const std::string& word, const char* name) -> std::optional<Mark> {
    const std::string prefix = std::string(name) + "=";
    if (word.rfind(prefix, 0) != 0) return std::nullopt;
    const auto colon = word.find(':', prefix.size());
    if (colon == std::string::npos) return std::nullopt;
    Mark m;
    char* end = nullptr;
    const std::string seq = word.substr(prefix.size(), colon - prefix.size());
    const std::string ns = word.substr(colon + 1);
    if (seq.empty() || ns.empty() || seq[0] == '-' || ns[0] == '-' || seq[0] == '+' || ns[0] == '+')
      return std::nullopt;
    errno = 0;
    m.seq = std::strtoull(seq.c_str(), &end, 10);
    if (*end != '\0' || errno == ERANGE) return std::nullopt;
    m.ns = std::strtoll(ns.c_str(), &end, 10);
    if (*end != '\0' || errno == ERANGE) return std::nullopt;
    return m;
  };
  Cursor c;
  {
    const std::string prefix = "store-seq=";
    if (store_seq.rfind(prefix, 0) != 0 || store_seq.size() == prefix.size() || store_seq[prefix.size()] == '-' ||
        store_seq[prefix.size()] == '+') {
      return std::nullopt;
    }
    char* end = nullptr;
    errno = 0;
    const long n = std::strtol(store_seq.c_str() + prefix.size(), &end, 10);
    if (*end != '\0' || errno == ERANGE || n < 1 || n > INT32_MAX) return std::nullopt;
    c.store_seq = static_cast<int>(n);
  }
  const auto stored = mark(words[0], "stored");
  const auto sent = mark(words[1], "sent");
  if (!stored || !sent) return std::nullopt;
  c.stored = *stored;
  c.sent = *sent;
  if (words[2] != "catch-up=none") {
    c.catch_up = mark(words[2], "catch-up");
    if (!c.catch_up) return std::nullopt;
  }
  return c;
}

}  // namespace venue::dropcopy
