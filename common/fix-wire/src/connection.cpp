#include "venue/fix_wire/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "venue/fix_wire/wire.h"

namespace venue::fix_wire {
namespace {

std::string openssl_error(const char* what) {
  std::string out = what;
  char buf[256];
  unsigned long e = 0;
  bool first = true;
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof(buf));
    out += first ? ": " : "; ";
    out += buf;
    first = false;
  }
  return out;
}

// Waits for `events` on fd until the deadline; false on timeout.
bool wait_for(int fd, short events, std::int64_t deadline_ns) {
  while (true) {
    const std::int64_t left_ns = deadline_ns - monotonic_ns();
    if (left_ns <= 0) return false;
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>((left_ns + 999'999) / 1'000'000));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

bool is_ip_literal(const std::string& host) {
  in6_addr a6{};
  in_addr a4{};
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

}  // namespace

TlsContext::TlsContext(bool verify_peer, const std::string& ca_file) : verify_peer_(verify_peer) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) throw std::runtime_error(openssl_error("SSL_CTX_new"));
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (verify_peer_) {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    const int ok = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx_)
                                   : SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    if (ok != 1) {
      const auto msg = openssl_error(("loading CA certificates " + ca_file).c_str());
      SSL_CTX_free(ctx_);
      throw std::runtime_error(msg);
    }
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::string Connection::open(const std::string& host, std::uint16_t port, std::int64_t deadline_ns,
                             const TlsContext* tls) {
  close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const auto port_text = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), port_text.c_str(), &hints, &res); rc != 0) {
    return "cannot resolve " + host + ": " + gai_strerror(rc);
  }
  std::string last_error = "no address for " + host;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::string("socket: ") + std::strerror(errno);
      continue;
    }
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (wait_for(fd, POLLOUT, deadline_ns)) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = err == 0 ? 0 : -1;
        errno = err;
      } else {
        errno = ETIMEDOUT;
      }
    }
    if (rc != 0) {
      last_error = "connect to " + host + ":" + port_text + ": " + std::strerror(errno);
      ::close(fd);
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fd_ = fd;
    break;
  }
  freeaddrinfo(res);
  if (fd_ < 0) return last_error;
  if (tls != nullptr) {
    auto err = handshake(host, deadline_ns, *tls);
    if (!err.empty()) {
      close();
      return err;
    }
  }
  return {};
}

std::string Connection::handshake(const std::string& host, std::int64_t deadline_ns, const TlsContext& tls) {
  ssl_ = SSL_new(tls.native());
  if (ssl_ == nullptr) return openssl_error("SSL_new");
  SSL_set_fd(ssl_, fd_);
  if (!is_ip_literal(host)) SSL_set_tlsext_host_name(ssl_, host.c_str());
  if (tls.verify_peer()) {
    if (is_ip_literal(host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str());
    } else {
      SSL_set1_host(ssl_, host.c_str());
    }
  }
  while (true) {
    const int rc = SSL_connect(ssl_);
    if (rc == 1) return {};
    const int e = SSL_get_error(ssl_, rc);
    short events = 0;
    if (e == SSL_ERROR_WANT_READ) {
      events = POLLIN;
    } else if (e == SSL_ERROR_WANT_WRITE) {
      events = POLLOUT;
    } else {
      const long verify = SSL_get_verify_result(ssl_);
      std::string msg = openssl_error("TLS handshake");
      if (verify != X509_V_OK) msg += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
      return msg;
    }
    if (!wait_for(fd_, events, deadline_ns)) return "TLS handshake timed out";
  }
}

IoResult Connection::read(char* buf, std::size_t n) {
  if (ssl_ == nullptr) {
    const ssize_t r = ::recv(fd_, buf, n, 0);
    if (r > 0) return {IoStatus::kOk, static_cast<std::size_t>(r)};
    if (r == 0) return {IoStatus::kClosed};
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {IoStatus::kWouldBlock};
    error_ = std::string("recv: ") + std::strerror(errno);
    return {IoStatus::kError};
  }
  std::size_t got = 0;
  const int rc = SSL_read_ex(ssl_, buf, n, &got);
  if (rc == 1) {
    tls_wants_write_ = false;
    return {IoStatus::kOk, got};
  }
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ: return {IoStatus::kWouldBlock};
    case SSL_ERROR_WANT_WRITE: tls_wants_write_ = true; return {IoStatus::kWouldBlock};
    case SSL_ERROR_ZERO_RETURN: return {IoStatus::kClosed};
    default: error_ = openssl_error("TLS read"); return {IoStatus::kError};
  }
}

IoResult Connection::write(const char* buf, std::size_t n) {
  if (ssl_ == nullptr) {
    const ssize_t r = ::send(fd_, buf, n, MSG_NOSIGNAL);
    if (r >= 0) return {IoStatus::kOk, static_cast<std::size_t>(r)};
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {IoStatus::kWouldBlock};
    error_ = std::string("send: ") + std::strerror(errno);
    return {errno == EPIPE || errno == ECONNRESET ? IoStatus::kClosed : IoStatus::kError};
  }
  if (tls_retry_len_ > 0) n = tls_retry_len_;
  std::size_t done = 0;
  const int rc = SSL_write_ex(ssl_, buf, n, &done);
  if (rc == 1) {
    tls_retry_len_ = 0;
    tls_wants_write_ = false;
    return {IoStatus::kOk, done};
  }
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_WRITE:
      tls_retry_len_ = n;
      tls_wants_write_ = true;
      return {IoStatus::kWouldBlock};
    case SSL_ERROR_WANT_READ: tls_retry_len_ = n; return {IoStatus::kWouldBlock};
    case SSL_ERROR_ZERO_RETURN: return {IoStatus::kClosed};
    default: error_ = openssl_error("TLS write"); return {IoStatus::kError};
  }
}

bool Connection::has_buffered_input() const { return ssl_ != nullptr && SSL_pending(ssl_) > 0; }

void Connection::close() {
  if (ssl_ != nullptr) {
    SSL_shutdown(ssl_);  // one close_notify, no wait for the peer's
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  tls_wants_write_ = false;
  tls_retry_len_ = 0;
}

}  // namespace venue::fix_wire
