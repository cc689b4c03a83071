#pragma once
// The HTTP/1.1 transport every HTTP endpoint of the venue shares (Boost.Beast; HTTPS with OpenSSL when a
// certificate is given): it listens, reads requests with a size limit, hands each to one handler, writes
// the answer it is given, keeps connections alive and closes idle ones (30 s). What to answer is the
// handler's business: HttpServer (http_server.h) routes by path for /metrics, /healthz and the services'
// views; the operator API (operator-api/src/server.cpp) checks, authenticates and queues to workers.
//
//   HttpListener l({.name = "http", .bind_address = "127.0.0.1", .port = 0},
//                  [](HttpRequest r, HttpListener::Respond respond) { respond(HttpResponse{200, "text/plain", "ok\n"});
//                  });
//   l.start();
//
// A request that cannot be read (malformed, or a body over body_limit) gets settings.refusal's answer
// (400 or 413) and the connection closes. An answer to HEAD keeps its Content-Length and drops its body.
//
// Thread rules: start()/stop() from the owner; the handler runs on the listener's one I/O thread and
// must not block; it calls `respond` exactly once, from any thread (the answer is written on the I/O
// thread). port() and tls() any time after start().

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace venue {

struct HttpRequest {
  std::string method;
  std::string path;   // without the query string
  std::string query;  // after '?', undecoded
  std::string body;
  std::string remote_address;
  std::map<std::string, std::string> headers;  // lower-case names; the first of repeated headers
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct HttpListenerSettings {
  std::string name = "http";  // starts the errors start() throws and the log lines
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0 asks the kernel for a free port (see port())
  std::size_t body_limit = 1 << 20;
  std::string server = "venue";                              // the Server header
  std::vector<std::pair<std::string, std::string>> headers;  // on every answer
  std::string www_authenticate;                              // set: the WWW-Authenticate of every 401
  std::filesystem::path tls_certificate;                     // both set: HTTPS
  std::filesystem::path tls_private_key;
  // The answer to a request that cannot be read: status 413 (too large) or 400, and the parser's reason.
  std::function<HttpResponse(int status, const std::string& reason)> refusal;
};

class HttpListener {
 public:
  using Respond = std::function<void(HttpResponse)>;
  using Handler = std::function<void(HttpRequest, Respond)>;

  HttpListener(HttpListenerSettings settings, Handler handler);
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds and starts serving on its own thread. Throws std::runtime_error "<name>: ..." when the address
  // cannot be bound or the certificate or key cannot be used.
  void start();
  // Closes the listening socket; connections already open are still served until stop().
  void stop_accepting();
  void stop();
  std::uint16_t port() const;
  bool tls() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace venue
