#include "venue/fix_session/acceptor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <set>
#include <unordered_map>

#include <quickfix/SessionFactory.h>

#include "venue/common/log.h"
#include "venue/fix_session/auth.h"
#include "venue/fix_session/fix_framer.h"
#include "venue/fix_session/fix_text.h"
#include "venue/fix_session/message_store.h"

namespace venue::fix_session {

namespace {

// The one FIX version the venue speaks (session_settings.cpp configures every session with it).
const std::string kBeginString = "FIX.4.4";

constexpr char kSoh = '\x01';
constexpr std::size_t kReadChunk = 64 * 1024;

std::string errno_text() { return std::strerror(errno); }

std::string utc_now_fix() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d-%02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

// A Logout for a refused Logon, built by hand: it must not go through the session (which would
// persist it and move the sequence number).
std::string refusal_logout(std::string_view begin_string, std::string_view sender, std::string_view target, int seq,
                           std::string_view text) {
  std::string body = "35=5\x01";
  body += "34=" + std::to_string(seq) + "\x01";
  body += "49=" + std::string(sender) + "\x01";
  body += "52=" + utc_now_fix() + "\x01";
  body += "56=" + std::string(target) + "\x01";
  body += "58=";
  for (char c : text) body += c == kSoh ? ' ' : c;
  body += "\x01";
  std::string msg = "8=" + std::string(begin_string) + "\x01" + "9=" + std::to_string(body.size()) + "\x01" + body;
  unsigned sum = 0;
  for (unsigned char c : msg) sum += c;
  char trailer[16];
  std::snprintf(trailer, sizeof trailer, "10=%03u\x01", sum % 256);
  return msg + trailer;
}

int listen_on(const std::string& address, std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
    throw FIX::RuntimeError("cannot listen on " + address + ": not an IPv4 address");
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw FIX::RuntimeError("socket: " + errno_text());
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0) {
    const std::string why = errno_text();
    ::close(fd);
    throw FIX::RuntimeError("cannot listen on " + address + ":" + std::to_string(port) + ": " + why);
  }
  return fd;
}

std::uint16_t local_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return ntohs(addr.sin_port);
}

std::string ssl_error_text() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

// One client connection. QuickFIX sends through it (Responder); the acceptor reads, frames and feeds
// its session.
struct VenueAcceptor::Connection final : FIX::Responder {
  enum class State : std::uint8_t { kAwaitLogon, kAuthenticating, kActive, kClosing };

  Impl* owner = nullptr;
  int fd = -1;
  bool tls = false;
  bool handshake_done = false;
  SSL* ssl = nullptr;
  std::string peer;
  State state = State::kAwaitLogon;
  std::chrono::steady_clock::time_point accepted_at = std::chrono::steady_clock::now();
  FixFramer framer{64 * 1024};
  std::string out;
  std::size_t out_sent = 0;
  bool want_write = false;  // EPOLLOUT registered
  FIX::Session* session = nullptr;
  FIX::SessionID session_id;
  std::string logon;              // the Logon waiting for its password check
  std::vector<std::string> held;  // messages that arrived meanwhile
  std::uint64_t ticket = 0;
  std::string refusal_after_check;  // non-empty: refuse with this once the password check is done
  bool registered = false;          // Session::registerSession done

  bool send(const std::string& msg) override;
  void disconnect() override;
};

struct VenueAcceptor::Impl {
  VenueStoreFactory* stores = nullptr;  // flushed before any socket write (null: another store kind)
  VenueAcceptor* self = nullptr;
  AcceptorSettings settings;
  int epoll_fd = -1;
  int wake_fd = -1;
  int plain_fd = -1;
  int tls_fd = -1;
  SSL_CTX* ssl_ctx = nullptr;
  // Keyed by a connection number, not the socket: the kernel reuses a closed socket's number at once,
  // while the closed connection is still here until the end of the loop turn.
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections;
  std::uint64_t next_connection = 1;
  std::vector<Connection*> dirty;
  std::vector<Connection*> closing;
  std::unique_ptr<PasswordChecker> checker;
  std::chrono::steady_clock::time_point next_timer{};
  // Sessions added at runtime (created and destroyed by `factory`) and configured ones removed.
  std::unique_ptr<FIX::SessionFactory> factory;
  std::map<FIX::SessionID, FIX::Session*> added;
  std::set<FIX::SessionID> removed;
  // Sessions whose refused Logons have used up a sequence number since their last logon: the next
  // refusals carry that number again, so refused Logons cannot push a session's numbers up without end.
  std::set<FIX::SessionID> refusal_numbered;

  // epoll tags: listeners and the eventfd are told apart from connections by these addresses.
  static inline int kPlainTag = 0;
  static inline int kTlsTag = 0;
  static inline int kWakeTag = 0;

  void add(int fd, void* tag, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = tag;
    if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) throw FIX::RuntimeError("epoll_ctl: " + errno_text());
  }

  void watch_output(Connection& c, bool on) {
    if (c.want_write == on || c.fd < 0) return;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0U);
    ev.data.ptr = &c;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
    c.want_write = on;
  }

  void accept_from(int listen_fd, bool tls) {
    for (;;) {
      sockaddr_in addr{};
      socklen_t len = sizeof addr;
      const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          VENUE_LOG_KV(warning, "accept failed", {{"error", errno_text()}});
        }
        return;
      }
      if (pending_logons() >= settings.max_pending_logons) {
        // Closed at once, unread: a flood of connections that never log on costs a socket for a moment.
        if (self->counters_.connections_shed++ % 1000 == 0) {
          VENUE_LOG_KV(warning, "connection closed at accept: too many connections not logged on",
                       {{"limit", settings.max_pending_logons}, {"shed_so_far", self->counters_.connections_shed}});
        }
        ::close(fd);
        continue;
      }
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<Connection>();
      c->owner = this;
      c->fd = fd;
      c->tls = tls;
      char ip[INET_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof ip);
      c->peer = ip;
      c->framer = FixFramer(settings.max_message_bytes);
      if (tls) {
        c->ssl = SSL_new(ssl_ctx);
        SSL_set_fd(c->ssl, fd);
        SSL_set_accept_state(c->ssl);
      }
      add(fd, c.get(), EPOLLIN | EPOLLRDHUP);
      ++self->counters_.connections;
      VENUE_LOG_KV(info, "connection accepted", {{"peer", c->peer}, {"tls", tls}});
      connections.emplace(next_connection++, std::move(c));
    }
  }

  // Reads what is there; false when the connection is gone.
  std::size_t pending_logons() const {
    std::size_t n = 0;
    for (const auto& [number, c] : connections) {
      n += c->state == Connection::State::kAwaitLogon || c->state == Connection::State::kAuthenticating ? 1 : 0;
    }
    return n;
  }

  std::size_t password_checks() const {
    std::size_t n = 0;
    for (const auto& [number, c] : connections) n += c->state == Connection::State::kAuthenticating ? 1 : 0;
    return n;
  }

  bool read_some(Connection& c) {
    char buf[kReadChunk];
    std::size_t read_this_turn = 0;
    for (;;) {
      // The turn's budget spent: the rest waits for the next turn (epoll is level-triggered, so the
      // socket is reported again; bytes TLS already decrypted are read first, as epoll cannot see them).
      if (read_this_turn >= settings.read_budget_bytes && (!c.tls || SSL_pending(c.ssl) == 0)) {
        ++self->counters_.read_budget_hits;
        return true;
      }
      ssize_t n = 0;
      if (c.tls) {
        const int r = SSL_read(c.ssl, buf, static_cast<int>(sizeof buf));
        if (r <= 0) {
          const int err = SSL_get_error(c.ssl, r);
          if (err == SSL_ERROR_WANT_READ) return true;
          if (err == SSL_ERROR_WANT_WRITE) {
            watch_output(c, true);
            return true;
          }
          if (!c.handshake_done) {
            ++self->counters_.tls_handshake_failures;
            VENUE_LOG_KV(warning, "TLS handshake failed", {{"peer", c.peer}, {"error", ssl_error_text()}});
          }
          ERR_clear_error();
          return false;
        }
        c.handshake_done = true;
        n = r;
      } else {
        n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n == 0) return false;
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
          if (errno == EINTR) continue;
          return false;
        }
      }
      self->counters_.bytes_in += static_cast<std::uint64_t>(n);
      read_this_turn += static_cast<std::size_t>(n);
      if (!frame(c, buf, static_cast<std::size_t>(n))) return false;
      if (c.state == Connection::State::kClosing) return true;
    }
  }

  // Cuts complete FIX messages off the input and hands them on. False: drop the connection.
  bool frame(Connection& c, const char* data, std::size_t size) {
    std::vector<std::string> messages;
    const auto errors_before = c.framer.errors();
    const auto status = c.framer.push(data, size, messages);
    self->counters_.framing_errors += c.framer.errors() - errors_before;
    // Before a Logon there is no session whose sequence gap FIX's "ignore a garbled message" protects: a
    // first message that cannot be framed (a BodyLength that does not lead to its CheckSum, or bytes that
    // are not FIX at all) closes the connection at once instead of holding it until the logon timeout.
    if (c.state == Connection::State::kAwaitLogon && messages.empty() &&
        (c.framer.errors() > errors_before || c.framer.holds_trailer())) {
      ++self->counters_.logons_refused;
      VENUE_LOG_KV(warning, "connection refused", {{"peer", c.peer}, {"reason", "garbled first message"}});
      self->gate_.refused(nullptr, c.peer, "garbled first message: BodyLength(9) does not lead to its CheckSum(10)");
      close_later(c);
      return true;
    }
    for (auto& m : messages) {
      if (c.state == Connection::State::kClosing) break;
      deliver(c, std::move(m));
    }
    if (status == FixFramer::Status::kOversized) {
      ++self->counters_.oversized;
      VENUE_LOG_KV(warning, "message too large, disconnecting",
                   {{"peer", c.peer}, {"limit", settings.max_message_bytes}});
      return false;
    }
    return true;
  }

  void deliver(Connection& c, std::string msg) {
    switch (c.state) {
      case Connection::State::kActive: feed(c, msg); return;
      case Connection::State::kAuthenticating:
        if (c.held.size() >= settings.max_held_messages) {
          refuse_and_close(c, nullptr,
                           "more than " + std::to_string(settings.max_held_messages) +
                               " messages sent before the Logon was answered");
          return;
        }
        c.held.push_back(std::move(msg));
        return;
      case Connection::State::kAwaitLogon: first_message(c, std::move(msg)); return;
      case Connection::State::kClosing: return;
    }
  }

  // FIX 4.4's application message types (the venue supports a few; the rest get 380=3).
  static bool is_fix44_app_type(std::string_view t) {
    static constexpr std::string_view kTypes[] = {
        "6",  "7",  "8",  "9",  "B",  "C",  "D",  "E",  "F",  "G",  "H",  "J",  "K",  "L",  "M",  "N",  "P",
        "Q",  "R",  "S",  "T",  "V",  "W",  "X",  "Y",  "Z",  "a",  "b",  "c",  "d",  "e",  "f",  "g",  "h",
        "i",  "j",  "k",  "l",  "m",  "o",  "p",  "q",  "r",  "s",  "t",  "u",  "v",  "w",  "x",  "y",  "z",
        "AA", "AB", "AC", "AD", "AE", "AF", "AG", "AH", "AI", "AJ", "AK", "AL", "AM", "AN", "AO", "AP", "AQ",
        "AR", "AS", "AT", "AU", "AV", "AW", "AX", "AY", "AZ", "BA", "BB", "BC", "BD", "BE", "BF", "BG", "BH"};
    for (auto k : kTypes) {
      if (k == t) return true;
    }
    return false;
  }

  // A valid FIX application message the venue does not support, arriving in sequence, is answered with
  // a BusinessMessageReject(380=3); anything else goes to QuickFIX.
  // The session checks QuickFIX would make before anything else, made here for the messages it never
  // sees: a garbled message (CheckSum wrong) is ignored; one with the wrong CompIDs is answered with a
  // session Reject (373=9) and a Logout, and the connection is closed.
  static bool checksum_ok(std::string_view msg) {
    constexpr std::size_t kTrailer = 7;  // 10=ccc<SOH>
    if (msg.size() < kTrailer + 1 || msg.compare(msg.size() - kTrailer, 3, "10=") != 0) return false;
    unsigned sum = 0;
    for (std::size_t i = 0; i < msg.size() - kTrailer; ++i) sum += static_cast<unsigned char>(msg[i]);
    unsigned stated = 0;
    if (std::from_chars(msg.data() + msg.size() - 4, msg.data() + msg.size() - 1, stated).ec != std::errc())
      return false;
    return (sum & 0xFFU) == stated;
  }

  bool unsupported(Connection& c, const std::string& msg) {
    const auto type = raw_field(msg, "35");
    if (!type || !c.session->isLoggedOn() || !is_fix44_app_type(*type)) return false;
    for (const auto& t : settings.supported_app_types) {
      if (t == *type) return false;
    }
    if (!checksum_ok(msg)) {
      ++self->counters_.framing_errors;
      VENUE_LOG_KV(warning, "garbled message ignored (CheckSum)", {{"peer", c.peer}, {"msg_type", std::string(*type)}});
      return true;
    }
    const auto seq_text = raw_field(msg, "34");
    int seq = 0;
    if (!seq_text || std::from_chars(seq_text->data(), seq_text->data() + seq_text->size(), seq).ec != std::errc() ||
        seq != c.session->getExpectedTargetNum()) {
      return false;  // out of sequence: the session layer deals with it first
    }
    const FIX::SessionID& id = c.session->getSessionID();
    if (raw_field(msg, "49") != id.getTargetCompID().getString() ||
        raw_field(msg, "56") != id.getSenderCompID().getString()) {
      FIX::Message reject;
      reject.getHeader().setField(FIX::FIELD::MsgType, "3");
      reject.setField(FIX::FIELD::RefSeqNum, std::string(*seq_text));
      reject.setField(FIX::FIELD::RefMsgType, std::string(*type));
      reject.setField(FIX::FIELD::SessionRejectReason, "9");
      reject.setField(FIX::FIELD::Text, "CompID problem");
      c.session->setNextTargetMsgSeqNum(seq + 1);
      c.session->send(reject);
      FIX::Message logout;
      logout.getHeader().setField(FIX::FIELD::MsgType, "5");
      logout.setField(FIX::FIELD::Text, "CompID problem");
      c.session->send(logout);
      VENUE_LOG_KV(warning, "wrong CompIDs: rejected and logged out", {{"peer", c.peer}, {"session", id.toString()}});
      close_later(c);
      return true;
    }
    ++self->counters_.unsupported_messages;
    FIX::Message reject;
    reject.getHeader().setField(FIX::FIELD::MsgType, "j");
    reject.setField(FIX::FIELD::RefSeqNum, std::string(*seq_text));
    reject.setField(FIX::FIELD::RefMsgType, std::string(*type));
    reject.setField(FIX::FIELD::BusinessRejectReason, "3");
    reject.setField(FIX::FIELD::Text,
                    "3010 UnsupportedMessage: the venue does not support MsgType " + std::string(*type));
    c.session->setNextTargetMsgSeqNum(seq + 1);
    c.session->send(reject);
    return true;
  }

  void feed(Connection& c, const std::string& msg) {
    if (c.session == nullptr) return;
    if (unsupported(c, msg)) return;
    try {
      c.session->next(msg, FIX::UtcTimeStamp());
    } catch (const FIX::InvalidMessage& e) {
      // A garbled message (bad checksum, bad length): FIX says ignore it; the sequence gap it leaves is
      // caught by the session. Before logon there is nothing to keep.
      // (The session may have let go of the connection while handling it: c.session is then null.)
      ++self->counters_.framing_errors;
      if (c.session == nullptr) {
        close_later(c);
      } else if (!c.session->isLoggedOn()) {
        refuse_and_close(c, nullptr, "invalid message before logon");
      }
    } catch (const std::exception& e) {
      VENUE_LOG_KV(error, "session failed on a message", {{"peer", c.peer}, {"error", e.what()}});
      c.disconnect();
    }
  }

  void first_message(Connection& c, std::string msg) {
    const std::string_view m(msg);
    const auto type = raw_field(m, "35");
    const auto begin = raw_field(m, "8");
    const auto sender = raw_field(m, "49");
    const auto target = raw_field(m, "56");
    if (!type || *type != "A" || !begin || !sender || !target) {
      refuse_and_close(c, nullptr, "the first message must be a Logon (35=A) with SenderCompID and TargetCompID");
      return;
    }
    if (*begin != kBeginString) {
      // Answered in the venue's own FIX version (the client's may not be one the venue can write), under
      // the session's rules when the CompIDs name one.
      const std::string reason = "unsupported BeginString(8) " + std::string(*begin) + ": the venue speaks FIX.4.4";
      const FIX::SessionID as_44{kBeginString, std::string(*target), std::string(*sender)};
      if (FIX::Session* known = self->find_session(as_44); known != nullptr) {
        refuse(c, as_44, *known, reason);
      } else {
        refuse_with_logout(c, kBeginString, *target, *sender, 1, reason);
        self->gate_.refused(nullptr, c.peer, reason);
      }
      return;
    }
    const FIX::SessionID id{std::string(*begin), std::string(*target), std::string(*sender)};
    FIX::Session* s = self->find_session(id);
    if (s == nullptr) {
      // Unknown CompIDs: answered with a Logout from the CompID they asked for.
      refuse_with_logout(c, *begin, *target, *sender, 1, "unknown SenderCompID/TargetCompID");
      self->gate_.refused(nullptr, c.peer, "unknown CompID " + std::string(*sender) + "->" + std::string(*target));
      return;
    }
    if (FIX::Session::isSessionRegistered(id)) {
      refuse(c, id, *s, "session already connected from another connection");
      return;
    }
    const auto username = raw_field(m, "553");
    const auto password = raw_field(m, "554");
    auto verdict = self->gate_.admit(id, c.peer, c.tls, username.value_or(""), password.has_value());
    if (!verdict.ok) {
      refuse(c, id, *s, verdict.reason);
      return;
    }
    if (password_checks() >= settings.max_password_checks) {
      // Checking passwords is deliberately slow (PBKDF2): a burst of Logons waits in line for it only
      // up to a bound; beyond, the Logon is refused at once and the broker's engine retries.
      refuse(c, id, *s, "the venue is busy checking other logons: retry in a few seconds");
      return;
    }
    c.session_id = id;
    c.logon = std::move(msg);
    c.state = Connection::State::kAuthenticating;
    c.refusal_after_check = verdict.refuse_after_check ? verdict.reason : std::string();
    c.ticket = checker->submit(std::string(password.value_or("")), verdict.password_hash);
  }

  void password_checked(Connection& c, bool ok) {
    FIX::Session* s = self->find_session(c.session_id);
    if (s == nullptr) {  // removed while its password was checked
      refuse_and_close(c, nullptr, "unknown SenderCompID/TargetCompID");
      return;
    }
    if (!ok || !c.refusal_after_check.empty()) {
      refuse(c, c.session_id, *s,
             c.refusal_after_check.empty() ? "authentication failed: wrong Username(553) or Password(554)"
                                           : c.refusal_after_check);
      return;
    }
    if (FIX::Session::isSessionRegistered(c.session_id)) {
      refuse(c, c.session_id, *s, "session already connected from another connection");
      return;
    }
    c.session = s;
    s->setResponder(&c);
    FIX::Session::registerSession(c.session_id);
    c.registered = true;
    c.state = Connection::State::kActive;
    refusal_numbered.erase(c.session_id);
    self->gate_.authenticated(c.session_id, c.peer, c.tls);
    feed(c, c.logon);
    c.logon.clear();
    auto held = std::move(c.held);
    c.held.clear();
    for (const auto& m : held) {
      if (c.state != Connection::State::kActive) break;
      feed(c, m);
    }
  }

  // The refusal's Logout carries the venue's next sequence number and uses it up (nothing is stored under
  // it: a resend gap-fills it), so a client that counts the Logout and one that does not both stay in
  // step. One number at most between two logons: later refusals carry the number the first one used
  // (so anyone who can reach the port cannot push a session's numbers up, nor make it write to its
  // store, by failing to log on). While the session is logged on from another connection, its numbers
  // are left alone.
  void refuse(Connection& c, const FIX::SessionID& id, FIX::Session& s, const std::string& reason) {
    int seq = s.getExpectedSenderNum();
    const bool idle = !FIX::Session::isSessionRegistered(id);
    const bool use_one = idle && (seq <= 1 || refusal_numbered.insert(id).second);
    if (idle && !use_one) --seq;
    refuse_with_logout(c, id.getBeginString().getString(), id.getSenderCompID().getString(),
                       id.getTargetCompID().getString(), seq, reason);
    if (use_one) {
      s.setNextSenderMsgSeqNum(seq + 1);
      refusal_numbered.insert(id);
    }
    self->gate_.refused(&id, c.peer, reason);
  }

  void refuse_with_logout(Connection& c, std::string_view begin, std::string_view sender, std::string_view target,
                          int seq, const std::string& reason) {
    ++self->counters_.logons_refused;
    VENUE_LOG_KV(warning, "logon refused", {{"peer", c.peer}, {"sender", std::string(target)}, {"reason", reason}});
    c.out.append(refusal_logout(begin, sender, target, seq, reason));
    mark_dirty(c);
    close_later(c);
  }

  void refuse_and_close(Connection& c, const FIX::SessionID* id, const std::string& reason) {
    ++self->counters_.logons_refused;
    VENUE_LOG_KV(warning, "connection refused", {{"peer", c.peer}, {"reason", reason}});
    self->gate_.refused(id, c.peer, reason);
    close_later(c);
  }

  void mark_dirty(Connection& c) {
    if (c.out.size() - c.out_sent == 0) return;
    dirty.push_back(&c);
  }

  void close_later(Connection& c) {
    if (c.state == Connection::State::kClosing) return;
    c.state = Connection::State::kClosing;
    closing.push_back(&c);
  }

  // Writes pending output; false when the connection broke. Whatever the sessions stored is written
  // to their stores first: nothing goes out that a restart could not resend.
  bool write_out(Connection& c) {
    if (stores != nullptr) stores->flush_all();
    while (c.out_sent < c.out.size()) {
      const char* p = c.out.data() + c.out_sent;
      const std::size_t n = c.out.size() - c.out_sent;
      ssize_t w = 0;
      if (c.tls) {
        const int r = SSL_write(c.ssl, p, static_cast<int>(std::min<std::size_t>(n, 1 << 30)));
        if (r <= 0) {
          const int err = SSL_get_error(c.ssl, r);
          if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
            watch_output(c, true);
            return true;
          }
          ERR_clear_error();
          return false;
        }
        w = r;
      } else {
        w = ::send(c.fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) {
            watch_output(c, true);
            return true;
          }
          if (errno == EINTR) continue;
          return false;
        }
      }
      ++self->counters_.writes;
      self->counters_.bytes_out += static_cast<std::uint64_t>(w);
      c.out_sent += static_cast<std::size_t>(w);
    }
    c.out.clear();
    c.out_sent = 0;
    watch_output(c, false);
    return true;
  }

  void flush_dirty() {
    // Connections may be marked more than once; writing an empty buffer is a no-op.
    auto list = std::move(dirty);
    dirty.clear();
    for (Connection* c : list) {
      if (c->fd < 0) continue;
      if (!write_out(*c)) {
        drop(*c);
        continue;
      }
      if (c->out.size() - c->out_sent > settings.max_output_bytes) {
        ++self->counters_.slow_consumers;
        VENUE_LOG_KV(warning, "client reads too slowly, disconnecting (its messages stay in the store for resend)",
                     {{"peer", c->peer}, {"unsent_bytes", c->out.size() - c->out_sent}});
        drop(*c);
      }
    }
  }

  // Closes a connection at once (after trying to write what is pending if it was closing anyway).
  void drop(Connection& c) {
    if (c.fd < 0) return;
    FIX::Session* s = c.session;
    c.session = nullptr;
    if (s != nullptr) s->disconnect();  // calls back c.disconnect(); tells the application
    if (c.registered) FIX::Session::unregisterSession(c.session_id);
    c.registered = false;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
    if (c.ssl != nullptr) {
      SSL_shutdown(c.ssl);
      SSL_free(c.ssl);
      c.ssl = nullptr;
    }
    ::close(c.fd);
    VENUE_LOG_KV(info, "connection closed", {{"peer", c.peer}});
    c.fd = -1;
    c.state = Connection::State::kClosing;
  }

  void finish_closing() {
    auto list = std::move(closing);
    closing.clear();
    for (Connection* c : list) {
      if (c->fd >= 0) {
        write_out(*c);  // the Logout, if any: best effort
        drop(*c);
      }
    }
    // Free the dropped ones (nothing refers to them any more).
    for (auto it = connections.begin(); it != connections.end();) {
      if (it->second->fd < 0) {
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
  }
};

bool VenueAcceptor::Connection::send(const std::string& msg) {
  if (fd < 0 || state == State::kClosing) return false;
  const bool was_empty = out.size() == out_sent;
  out.append(msg);
  if (was_empty) owner->dirty.push_back(this);
  return true;
}

void VenueAcceptor::Connection::disconnect() {
  // Called by QuickFIX from inside the session; the connection closes after this loop turn, once the
  // Logout (if one was just queued) is written.
  session = nullptr;
  owner->close_later(*this);
}

VenueAcceptor::VenueAcceptor(FIX::Application& app, FIX::MessageStoreFactory& stores,
                             const FIX::SessionSettings& settings, FIX::LogFactory& logs, AcceptorSettings acceptor,
                             LogonGate& gate)
    : FIX::Acceptor(app, stores, settings, logs), impl_(std::make_unique<Impl>()), gate_(gate) {
  impl_->self = this;
  impl_->stores = dynamic_cast<VenueStoreFactory*>(&stores);
  impl_->settings = std::move(acceptor);
  impl_->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  impl_->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl_->epoll_fd < 0 || impl_->wake_fd < 0) throw FIX::RuntimeError("epoll/eventfd: " + errno_text());
  impl_->add(impl_->wake_fd, &Impl::kWakeTag, EPOLLIN);
  impl_->checker = std::make_unique<PasswordChecker>([this] { wake(); });
  impl_->factory = std::make_unique<FIX::SessionFactory>(app, stores, &logs);
}

VenueAcceptor::~VenueAcceptor() {
  stop(true);
  for (auto& [id, c] : impl_->connections) impl_->drop(*c);
  impl_->connections.clear();
  impl_->checker.reset();
  for (auto& [id, s] : impl_->added) impl_->factory->destroy(s);
  impl_->added.clear();
  for (int fd : {impl_->plain_fd, impl_->tls_fd, impl_->wake_fd, impl_->epoll_fd}) {
    if (fd >= 0) ::close(fd);
  }
  if (impl_->ssl_ctx != nullptr) SSL_CTX_free(impl_->ssl_ctx);
}

void VenueAcceptor::onConfigure(const FIX::SessionSettings&) QF_THROW(FIX::ConfigError) {}

void VenueAcceptor::onInitialize(const FIX::SessionSettings&) QF_THROW(FIX::RuntimeError) {
  auto& s = impl_->settings;
  if (s.plain_port != 0 && impl_->plain_fd < 0) {
    impl_->plain_fd = listen_on(s.plain_address, s.plain_port);
    impl_->add(impl_->plain_fd, &Impl::kPlainTag, EPOLLIN);
  }
  if (s.tls_port != 0 && impl_->tls_fd < 0) {
    impl_->ssl_ctx = SSL_CTX_new(TLS_server_method());
    if (impl_->ssl_ctx == nullptr) throw FIX::RuntimeError("TLS: " + ssl_error_text());
    SSL_CTX_set_min_proto_version(impl_->ssl_ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(impl_->ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // No TLS 1.3 session tickets: OpenSSL sends two by default, and engines that read one TLS record per
    // read (QuickFIX/J 2.3 on MINA 2.1) then leave the Logon reply unread in their buffer. A FIX session
    // lives all day; resuming a TLS session saves nothing worth that.
    SSL_CTX_set_num_tickets(impl_->ssl_ctx, 0);
    if (SSL_CTX_use_certificate_chain_file(impl_->ssl_ctx, s.tls_certificate.c_str()) != 1) {
      throw FIX::RuntimeError("TLS: cannot load certificate " + s.tls_certificate + ": " + ssl_error_text());
    }
    if (SSL_CTX_use_PrivateKey_file(impl_->ssl_ctx, s.tls_private_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(impl_->ssl_ctx) != 1) {
      throw FIX::RuntimeError("TLS: cannot use private key " + s.tls_private_key + ": " + ssl_error_text());
    }
    impl_->tls_fd = listen_on(s.tls_address, s.tls_port);
    impl_->add(impl_->tls_fd, &Impl::kTlsTag, EPOLLIN);
  }
}

void VenueAcceptor::onStart() {
  while (!isStopped()) onPoll(1.0);
}

bool VenueAcceptor::onPoll(double timeout) {
  Impl& m = *impl_;
  if (isStopped()) return false;
  // Password checks that finished.
  for (const auto& r : m.checker->poll()) {
    for (auto& [id, c] : m.connections) {
      if (c->state == Connection::State::kAuthenticating && c->ticket == r.ticket) {
        m.password_checked(*c, r.ok);
        break;
      }
    }
  }
  epoll_event events[128];
  const int ms = timeout <= 0 ? 0 : std::max(1, static_cast<int>(timeout * 1000));
  const int n = ::epoll_wait(m.epoll_fd, events, 128, ms);
  for (int i = 0; i < n; ++i) {
    void* tag = events[i].data.ptr;
    if (tag == &Impl::kWakeTag) {
      std::uint64_t v = 0;
      [[maybe_unused]] auto r = ::read(m.wake_fd, &v, sizeof v);
      continue;
    }
    if (tag == &Impl::kPlainTag) {
      m.accept_from(m.plain_fd, false);
      continue;
    }
    if (tag == &Impl::kTlsTag) {
      m.accept_from(m.tls_fd, true);
      continue;
    }
    auto* c = static_cast<Connection*>(tag);
    if (c->fd < 0) continue;
    bool alive = true;
    if ((events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) alive = m.read_some(*c);
    if (alive && (events[i].events & EPOLLOUT) != 0) alive = m.write_out(*c);
    if (!alive) m.drop(*c);
  }
  // Session timers (heartbeats, test requests, logon and logout timeouts, the session schedule).
  const auto now = std::chrono::steady_clock::now();
  if (now >= m.next_timer) {
    m.next_timer = now + std::chrono::seconds(1);
    for (auto& [number, c] : m.connections) {
      if ((c->state == Connection::State::kAwaitLogon || c->state == Connection::State::kAuthenticating) &&
          now - c->accepted_at >= m.settings.logon_timeout) {
        ++m.self->counters_.logon_timeouts;
        VENUE_LOG_KV(warning, "no Logon in time: connection closed", {{"peer", c->peer}});
        m.close_later(*c);
      }
    }
    for (const auto& id : session_ids()) {
      if (FIX::Session* s = find_session(id)) {
        try {
          s->next();
        } catch (const std::exception& e) {
          VENUE_LOG_KV(error, "session timer failed", {{"session", id.toString()}, {"error", e.what()}});
        }
      }
    }
  }
  if (m.stores != nullptr) m.stores->flush_all();
  m.flush_dirty();
  m.finish_closing();
  return true;
}

void VenueAcceptor::onStop() {
  for (auto& [id, c] : impl_->connections) {
    impl_->write_out(*c);
    impl_->drop(*c);
  }
  impl_->connections.clear();
  impl_->dirty.clear();
  impl_->closing.clear();
}

void VenueAcceptor::flush() {
  if (impl_->stores != nullptr) impl_->stores->flush_all();  // even with no one to write to
  impl_->flush_dirty();
  impl_->finish_closing();
}

void VenueAcceptor::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto r = ::write(impl_->wake_fd, &one, sizeof one);
}

std::uint16_t VenueAcceptor::plain_port() const { return impl_->plain_fd >= 0 ? local_port(impl_->plain_fd) : 0; }
std::uint16_t VenueAcceptor::tls_port() const { return impl_->tls_fd >= 0 ? local_port(impl_->tls_fd) : 0; }

std::string VenueAcceptor::peer_address(const FIX::SessionID& id) const {
  for (const auto& [key, c] : impl_->connections) {
    if (c->fd >= 0 && c->state == Connection::State::kActive && c->session_id == id) return c->peer;
  }
  return {};
}

FIX::Session* VenueAcceptor::find_session(const FIX::SessionID& id) const {
  if (auto it = impl_->added.find(id); it != impl_->added.end()) return it->second;
  if (impl_->removed.contains(id)) return nullptr;
  return getSession(id);
}

std::vector<FIX::SessionID> VenueAcceptor::session_ids() const {
  std::vector<FIX::SessionID> out;
  for (const auto& id : getSessions()) {
    if (!impl_->removed.contains(id)) out.push_back(id);
  }
  for (const auto& [id, s] : impl_->added) out.push_back(id);
  return out;
}

FIX::Session* VenueAcceptor::add_session(const FIX::SessionID& id, const FIX::Dictionary& settings) {
  if (find_session(id) != nullptr) throw FIX::ConfigError("session " + id.toString() + " exists");
  if (impl_->removed.erase(id) > 0) {
    // A configured session comes back as itself: QuickFIX keeps one Session per id in a global registry,
    // so a second one for the same id must never exist.
    VENUE_LOG_KV(info, "session added back", {{"session", id.toString()}});
    return getSession(id);
  }
  FIX::Session* s = impl_->factory->create(id, settings);
  impl_->added.emplace(id, s);
  VENUE_LOG_KV(info, "session added", {{"session", id.toString()}});
  return s;
}

bool VenueAcceptor::remove_session(const FIX::SessionID& id) {
  FIX::Session* s = find_session(id);
  if (s == nullptr) return false;
  for (auto& [number, c] : impl_->connections) {
    if (c->fd >= 0 && c->session_id == id && c->state != Connection::State::kAwaitLogon) impl_->drop(*c);
  }
  if (auto it = impl_->added.find(id); it != impl_->added.end()) {
    impl_->factory->destroy(it->second);
    impl_->added.erase(it);
  } else {
    impl_->removed.insert(id);
  }
  VENUE_LOG_KV(info, "session removed", {{"session", id.toString()}});
  return true;
}

AcceptorMetrics::AcceptorMetrics(prometheus::Registry& registry, const std::string& prefix) {
  auto& events = prometheus::BuildCounter()
                     .Name(prefix + "_acceptor_events_total")
                     .Help("FIX acceptor events: connections, refusals, timeouts, framing and TLS errors")
                     .Register(registry);
  auto& bytes = prometheus::BuildCounter()
                    .Name(prefix + "_acceptor_bytes_total")
                    .Help("Bytes read from and written to FIX connections")
                    .Register(registry);
  const std::pair<std::uint64_t AcceptorCounters::*, const char*> kEvents[] = {
      {&AcceptorCounters::connections, "connection"},
      {&AcceptorCounters::logons_refused, "logon_refused"},
      {&AcceptorCounters::logon_timeouts, "logon_timeout"},
      {&AcceptorCounters::connections_shed, "connection_shed"},
      {&AcceptorCounters::read_budget_hits, "read_budget_hit"},
      {&AcceptorCounters::framing_errors, "framing_error"},
      {&AcceptorCounters::oversized, "oversized_message"},
      {&AcceptorCounters::slow_consumers, "slow_consumer"},
      {&AcceptorCounters::tls_handshake_failures, "tls_handshake_failure"},
      {&AcceptorCounters::unsupported_messages, "unsupported_message"},
      {&AcceptorCounters::writes, "write"}};
  for (const auto& [member, name] : kEvents) counters_.emplace_back(member, &events.Add({{"event", name}}));
  counters_.emplace_back(&AcceptorCounters::bytes_in, &bytes.Add({{"direction", "in"}}));
  counters_.emplace_back(&AcceptorCounters::bytes_out, &bytes.Add({{"direction", "out"}}));
}

void AcceptorMetrics::update(const AcceptorCounters& now) {
  for (const auto& [member, counter] : counters_) {
    const std::uint64_t delta = now.*member - last_.*member;
    if (delta > 0) counter->Increment(static_cast<double>(delta));
  }
  last_ = now;
}

}  // namespace venue::fix_session
