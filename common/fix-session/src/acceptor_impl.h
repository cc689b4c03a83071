#pragma once
// The acceptor's insides, shared by its three files: acceptor.cpp (the VenueAcceptor API: listeners, the
// poll loop, sessions added and removed, metrics), acceptor_io.cpp (connections: accept, read and frame
// within a budget, write, close) and acceptor_logon.cpp (what the venue does before and around
// QuickFIX's session layer: the first message, the password check, refusals, unsupported messages).
// Not an API: only those files include it.
//
// Thread rules: everything here runs on the acceptor's thread (the one that calls poll()).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <quickfix/SessionFactory.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <set>
#include <unordered_map>
#include "fix_chars.h"
#include "venue/common/log.h"
#include "venue/fix_session/auth.h"
#include "venue/fix_session/fix_framer.h"
#include "venue/fix_session/fix_text.h"
#include "venue/fix_session/message_store.h"
#include "venue/fix_session/out_message.h"

#include "venue/fix_session/acceptor.h"

namespace venue::fix_session::acceptor_detail {

// The one FIX version the venue speaks (session_settings.cpp configures every session with it).
inline const std::string kBeginString = "FIX.4.4";

inline constexpr std::size_t kReadChunk = 64 * 1024;

inline std::string errno_text() { return std::strerror(errno); }

// Nanoseconds since the epoch (UTC), for SendingTime.
inline std::int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Milliseconds of the coarse monotonic clock (a few ms resolution, no system call).
inline std::int64_t coarse_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// A Logout for a refused Logon, built by hand: it must not go through the session (which would
// persist it and move the sequence number).
inline std::string refusal_logout(std::string_view begin_string, std::string_view sender, std::string_view target,
                                  int seq, std::string_view text) {
  std::string header = "34=" + std::to_string(seq) + "\x01" + "49=" + std::string(sender) + "\x01" + "52=";
  append_utc_timestamp(header, realtime_ns(), 3);
  header +=
      "\x01"
      "56=" +
      std::string(target) + "\x01";
  std::string body = "58=";
  for (char c : text) body += c == kSoh ? ' ' : c;
  body += "\x01";
  return frame_message(begin_string, "5", header, body);
}

inline int listen_on(const std::string& address, std::uint16_t port) {
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

inline std::uint16_t local_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return ntohs(addr.sin_port);
}

inline std::string ssl_error_text() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace venue::fix_session::acceptor_detail

namespace venue::fix_session {

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
  std::string refusal_after_check;            // non-empty: refuse with this once the password check is done
  bool registered = false;                    // Session::registerSession done
  std::int64_t quickfix_sent_ms = 0;          // when QuickFIX last sent through it (coarse monotonic clock)
  std::int64_t quickfix_fed_ms = 0;           // when QuickFIX last handled a message from it
  std::int64_t resend_asked_ms = -1'000'000;  // when QuickFIX last sent a ResendRequest through it

  // QuickFIX's way out (Responder); append() is send_app's.
  bool send(const std::string& msg) override;
  bool append(std::string_view msg);
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
  // The connection each logged-on session sends through (its QuickFIX Responder), for send_app().
  std::unordered_map<const FIX::Session*, Connection*> responders;

  // What the data dictionary allows in the messages taken directly (acceptor_direct_in.cpp), built
  // on first use from the first session's dictionary (every session of the venue has the same one).
  struct DirectRules;
  std::shared_ptr<const DirectRules> direct;  // shared_ptr: the type is complete only in its own file
  FIX::Application* app = nullptr;
  // Takes a message straight from its text when it is plainly in order; false: QuickFIX's to handle.
  bool take_direct(Connection& c, const std::string& msg);

  // epoll tags: listeners and the eventfd are told apart from connections by these addresses.
  static inline int kPlainTag = 0;
  static inline int kTlsTag = 0;
  static inline int kWakeTag = 0;

  void add(int fd, void* tag, std::uint32_t events);
  void watch_output(Connection& c, bool on);
  void accept_from(int listen_fd, bool tls);
  // Connections not yet logged on, and those whose password is being checked.
  std::size_t pending_logons() const;
  std::size_t password_checks() const;
  // Reads what is there, up to the turn's budget; false when the connection is gone.
  bool read_some(Connection& c);
  // Cuts complete FIX messages off the input and hands them on. False: drop the connection.
  bool frame(Connection& c, const char* data, std::size_t size);
  void deliver(Connection& c, std::string msg);
  // FIX 4.4's application message types (the venue supports a few; the rest get 380=3).
  static bool is_fix44_app_type(std::string_view t);
  static bool checksum_ok(std::string_view msg);
  // A valid FIX application message the venue does not support, arriving in sequence, is answered with
  // a BusinessMessageReject(380=3); anything else goes to QuickFIX.
  // The session checks QuickFIX would make before anything else, made here for the messages it never
  // sees: a garbled message (CheckSum wrong) is ignored; one with the wrong CompIDs is answered with a
  // session Reject (373=9) and a Logout, and the connection is closed.
  bool unsupported(Connection& c, const std::string& msg);
  void feed(Connection& c, const std::string& msg);
  void first_message(Connection& c, std::string msg);
  void password_checked(Connection& c, bool ok);
  // The refusal's Logout carries the venue's next sequence number and uses it up (nothing is stored under
  // it: a resend gap-fills it), so a client that counts the Logout and one that does not both stay in
  // step. One number at most between two logons: later refusals carry the number the first one used
  // (so anyone who can reach the port cannot push a session's numbers up, nor make it write to its
  // store, by failing to log on). While the session is logged on from another connection, its numbers
  // are left alone.
  void refuse(Connection& c, const FIX::SessionID& id, FIX::Session& s, const std::string& reason);
  void refuse_with_logout(Connection& c, std::string_view begin, std::string_view sender, std::string_view target,
                          int seq, const std::string& reason);
  void refuse_and_close(Connection& c, const FIX::SessionID* id, const std::string& reason);
  void mark_dirty(Connection& c);
  void close_later(Connection& c);
  // Writes pending output; false when the connection broke. Whatever the sessions stored is written
  // to their stores first: nothing goes out that a restart could not resend.
  bool write_out(Connection& c);
  void flush_dirty();
  // Closes a connection at once (after trying to write what is pending if it was closing anyway).
  void drop(Connection& c);
  void finish_closing();
};

}  // namespace venue::fix_session
