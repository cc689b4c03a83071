// fix-null-acceptor: a FIX 4.4 acceptor that does nothing but answer, as fast as it can, so that
// fixload can be measured on its own: every NewOrderSingle gets one ExecutionReport (150=0) echoing its
// ClOrdID, Logon/Logout/TestRequest get their answers, anything else is ignored. Any CompIDs are
// accepted; no store, no validation, no book. One thread, poll(), many connections.
//
// Not a FIX engine: it exists to show where fixload's own ceiling is (see ../README.md).
//
// usage: fix-null-acceptor [--port P] [--work-us U]   (default 5002, 0; stops on SIGINT/SIGTERM)
//
// --work-us U spins U microseconds on the clock before answering each NewOrderSingle: the round trip
// of an acceptor that does U µs of work per order on this machine, with nothing else of it (the
// floor a real acceptor is measured against; ../README.md, "What a round trip costs here").

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "venue/fix_wire/wire.h"

namespace {

using venue::fix_wire::FieldWriter;
using venue::fix_wire::FixEncoder;
using venue::fix_wire::Frame;
using venue::fix_wire::FrameStatus;
using venue::fix_wire::InboundMessage;

volatile sig_atomic_t g_stop = 0;
long g_work_us = 0;

void spin_for_work() {
  if (g_work_us <= 0) return;
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(g_work_us);
  while (std::chrono::steady_clock::now() < until) {
  }
}
void on_signal(int) { g_stop = 1; }

struct Client {
  explicit Client(int socket) : fd(socket) {}
  int fd;
  std::vector<char> in = std::vector<char>(1 << 20);
  std::size_t in_len = 0;
  std::string out;
  std::unique_ptr<FixEncoder> encoder;  // made at Logon, with the client's CompIDs swapped
  std::uint64_t seq = 1;
  std::uint64_t exec_id = 0;
  bool closing = false;
};

// SenderCompID and TargetCompID of a raw message (not kept by next_frame).
std::string_view field(std::string_view raw, std::string_view tag) {
  const std::string needle = "\001" + std::string(tag) + "=";
  const auto at = raw.find(needle);
  if (at == std::string_view::npos) return {};
  const auto start = at + needle.size();
  return raw.substr(start, raw.find('\x01', start) - start);
}

void answer(Client& c, std::string_view raw, const InboundMessage& m, venue::fix_wire::UtcClock& clock) {
  const auto ts = clock.format(venue::fix_wire::realtime_ns());
  FieldWriter body;
  if (m.msg_type == "A") {
    c.encoder = std::make_unique<FixEncoder>(std::string(field(raw, "56")), std::string(field(raw, "49")));
    body.add(98, std::uint64_t{0});
    body.add(108, std::uint64_t{30});
    if (m.reset_seq_num) body.add(141, 'Y');
    c.encoder->append(c.out, "A", c.seq++, ts, body.view());
    return;
  }
  if (!c.encoder) return;
  if (m.msg_type == "D") {
    spin_for_work();
    body.add(37, ++c.exec_id);
    body.add(17, c.exec_id);
    body.add(11, m.cl_ord_id);
    for (const int tag : {150, 39}) body.add(tag, '0');
    body.add(54, '1');
    for (const int tag : {151, 14, 6}) body.add(tag, std::uint64_t{0});
    c.encoder->append(c.out, "8", c.seq++, ts, body.view());
  } else if (m.msg_type == "1") {
    body.add(112, m.test_req_id);
    c.encoder->append(c.out, "0", c.seq++, ts, body.view());
  } else if (m.msg_type == "5") {
    c.encoder->append(c.out, "5", c.seq++, ts, body.view());
    c.closing = true;
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 5002;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      const std::string_view v = argv[++i];
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), port);
      if (ec != std::errc() || p != v.data() + v.size() || port < 1 || port > 65535) {
        std::fprintf(stderr, "fix-null-acceptor: --port: expected 1..65535\n");
        return 2;
      }
    } else if (arg == "--work-us" && i + 1 < argc) {
      const std::string_view v = argv[++i];
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), g_work_us);
      if (ec != std::errc() || p != v.data() + v.size() || g_work_us < 0 || g_work_us > 1000000) {
        std::fprintf(stderr, "fix-null-acceptor: --work-us: expected 0..1000000\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: fix-null-acceptor [--port P] [--work-us U]\n");
      return arg == "--help" ? 0 : 2;
    }
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (::bind(listener, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(listener, 64) != 0) {
    std::fprintf(stderr, "fix-null-acceptor: port %d: %s\n", port, std::strerror(errno));
    return 1;
  }
  std::fprintf(stderr, "fix-null-acceptor: listening on port %d\n", port);

  std::vector<std::unique_ptr<Client>> clients;
  venue::fix_wire::UtcClock clock;
  std::vector<pollfd> fds;
  while (g_stop == 0) {
    fds.assign(1, pollfd{listener, POLLIN, 0});
    for (const auto& c : clients)
      fds.push_back({c->fd, static_cast<short>(POLLIN | (c->out.empty() ? 0 : POLLOUT)), 0});
    if (::poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) break;
    if ((fds[0].revents & POLLIN) != 0) {
      const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        clients.push_back(std::make_unique<Client>(fd));
      }
    }
    for (std::size_t i = 1; i < fds.size() && i - 1 < clients.size(); ++i) {
      Client& c = *clients[i - 1];
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        const ssize_t n = ::recv(c.fd, c.in.data() + c.in_len, c.in.size() - c.in_len, 0);
        if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR))) {
          c.closing = true;
          c.out.clear();
        } else if (n > 0) {
          c.in_len += static_cast<std::size_t>(n);
          std::size_t pos = 0;
          while (pos < c.in_len) {
            InboundMessage m;
            const std::string_view data(c.in.data() + pos, c.in_len - pos);
            const Frame f = venue::fix_wire::next_frame(data, m);
            if (f.status == FrameStatus::kNeedMore) break;
            if (f.status == FrameStatus::kMessage) answer(c, data.substr(0, f.consumed), m, clock);
            pos += f.consumed;
          }
          std::memmove(c.in.data(), c.in.data() + pos, c.in_len - pos);
          c.in_len -= pos;
        }
      }
      while (!c.out.empty()) {
        const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n <= 0) {
          if (n < 0 && errno != EAGAIN && errno != EINTR) {
            c.out.clear();
            c.closing = true;
          }
          break;
        }
        c.out.erase(0, static_cast<std::size_t>(n));
      }
    }
    std::erase_if(clients, [](const auto& c) {
      if (!c->closing || !c->out.empty()) return false;
      ::close(c->fd);
      return true;
    });
  }
  for (const auto& c : clients) ::close(c->fd);
  ::close(listener);
  return 0;
}
