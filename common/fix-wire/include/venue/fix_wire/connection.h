#pragma once
// One TCP connection to a FIX acceptor, plain or TLS (OpenSSL), non-blocking after open().
//
//   TlsContext   the client SSL_CTX: certificate verification against a CA file or the system store,
//                TLS 1.2 or later. Built once per run.
//   Connection   open() connects (every address of the host in turn), sets TCP_NODELAY and does the
//                TLS handshake, all within a deadline; then read()/write() never block and say when
//                the socket would block. The caller polls fd() for POLLIN, and for POLLOUT when it has
//                bytes left to write or wants_pollout() says TLS needs it.
//
// Misuse: after a kWouldBlock from a TLS write the caller must offer at least the same bytes again
// (OpenSSL's retry rule; fixload's output buffer only grows at its end, so it does).
//
// Thread rules: a TlsContext may be shared by threads once built; a Connection belongs to one thread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace venue::fix_wire {

class TlsContext {
 public:
  // Throws std::runtime_error with OpenSSL's reason when the context or the CA file cannot be loaded.
  TlsContext(bool verify_peer, const std::string& ca_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* native() const { return ctx_; }
  bool verify_peer() const { return verify_peer_; }

 private:
  SSL_CTX* ctx_ = nullptr;
  bool verify_peer_;
};

enum class IoStatus : std::uint8_t { kOk, kWouldBlock, kClosed, kError };

struct IoResult {
  IoStatus status;
  std::size_t bytes = 0;
};

class Connection {
 public:
  Connection() = default;
  ~Connection() { close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects and, with `tls`, completes the handshake before `deadline_ns` (CLOCK_MONOTONIC). Returns
  // an empty string on success, else what went wrong.
  std::string open(const std::string& host, std::uint16_t port, std::int64_t deadline_ns, const TlsContext* tls);

  int fd() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  IoResult read(char* buf, std::size_t n);
  IoResult write(const char* buf, std::size_t n);
  bool wants_pollout() const { return tls_wants_write_; }
  bool has_buffered_input() const;
  // Text of the last kError (errno or OpenSSL).
  const std::string& error() const { return error_; }
  // Sends TLS close_notify when it can, then closes the socket. Idempotent.
  void close();

 private:
  std::string handshake(const std::string& host, std::int64_t deadline_ns, const TlsContext& tls);
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool tls_wants_write_ = false;
  std::size_t tls_retry_len_ = 0;
  std::string error_;
};

}  // namespace venue::fix_wire
