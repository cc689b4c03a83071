#include "e2e/support/raw_fix.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "e2e/support/messages.h"

namespace venue::e2e {

namespace {

constexpr char kSoh = '\x01';

std::string checksum_of(const std::string& s) {
  unsigned sum = 0;
  for (unsigned char c : s) sum += c;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%03u", sum % 256);
  return buf;
}

}  // namespace

std::string frame_fix(const std::string& body, const std::string& begin_string) {
  std::string msg = "8=" + begin_string + kSoh + "9=" + std::to_string(body.size()) + kSoh + body;
  return msg + "10=" + checksum_of(msg) + kSoh;
}

std::string raw_message(const std::string& type, int seq, const std::string& sender, const std::string& target,
                        const RawFields& body) {
  std::string b = "35=" + type + kSoh;
  b += "34=" + std::to_string(seq) + kSoh;
  b += "49=" + sender + kSoh;
  b += "52=" + utc_timestamp_from_now(0) + kSoh;
  b += "56=" + target + kSoh;
  for (const auto& [tag, value] : body) b += std::to_string(tag) + "=" + value + kSoh;
  return frame_fix(b);
}

std::string with_bad_checksum(std::string msg) {
  const auto pos = msg.rfind("10=");
  if (pos == std::string::npos || pos + 6 > msg.size()) throw std::runtime_error("no CheckSum to spoil");
  const int good = std::stoi(msg.substr(pos + 3, 3));
  char buf[8];
  std::snprintf(buf, sizeof buf, "%03d", (good + 17) % 256);
  msg.replace(pos + 3, 3, buf);
  return msg;
}

std::optional<std::string> RawMessage::get(int tag) const {
  for (const auto& [t, v] : fields) {
    if (t == tag) return v;
  }
  return std::nullopt;
}

std::optional<RawMessage> parse_fix(const std::string& text) {
  RawMessage m;
  m.text = text;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto eq = text.find('=', pos);
    const auto end = text.find(kSoh, pos);
    if (eq == std::string::npos || end == std::string::npos || eq > end) return std::nullopt;
    int tag = 0;
    try {
      tag = std::stoi(text.substr(pos, eq - pos));
    } catch (const std::exception&) {
      return std::nullopt;
    }
    m.fields.emplace_back(tag, text.substr(eq + 1, end - eq - 1));
    pos = end + 1;
  }
  return m;
}

RawFixClient::RawFixClient(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("connect to port " + std::to_string(port) + ": " + why);
  }
}

RawFixClient::~RawFixClient() {
  if (fd_ >= 0) ::close(fd_);
}

void RawFixClient::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t w = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    }
    sent += static_cast<std::size_t>(w);
  }
}

bool RawFixClient::fill(std::chrono::milliseconds timeout) {
  if (closed_) return false;
  pollfd p{fd_, POLLIN, 0};
  const int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (r <= 0) return false;
  char buf[65536];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  buffer_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::optional<RawMessage> RawFixClient::take() {
  // 8=...<SOH>9=<n><SOH><n bytes>10=xxx<SOH>
  const auto soh1 = buffer_.find(kSoh);
  if (soh1 == std::string::npos) return std::nullopt;
  const auto soh2 = buffer_.find(kSoh, soh1 + 1);
  if (soh2 == std::string::npos) return std::nullopt;
  if (buffer_.compare(soh1 + 1, 2, "9=") != 0) throw std::runtime_error("bad framing from the venue");
  const std::size_t body = std::stoul(buffer_.substr(soh1 + 3, soh2 - soh1 - 3));
  const std::size_t total = soh2 + 1 + body + 7;
  if (buffer_.size() < total) return std::nullopt;
  std::string text = buffer_.substr(0, total);
  buffer_.erase(0, total);
  return parse_fix(text);
}

std::optional<RawMessage> RawFixClient::read(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto m = take()) return m;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || closed_) return std::nullopt;
    fill(left);
  }
}

std::optional<RawMessage> RawFixClient::read_until(const std::string& type, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto m = read(std::max(left, std::chrono::milliseconds(0)));
    if (!m) return std::nullopt;
    if (m->type() == type) return m;
    skipped_.push_back(std::move(*m));
  }
}

bool RawFixClient::closed_within(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_) {
    for (;;) {
      auto m = take();
      if (!m) break;
      skipped_.push_back(std::move(*m));
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    fill(left);
  }
  return true;
}

}  // namespace venue::e2e
