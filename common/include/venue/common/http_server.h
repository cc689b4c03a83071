#pragma once
// A small HTTP/1.1 server on Boost.Beast for the operational endpoints of every venue process:
// /metrics, /healthz, /readyz, and the admin API of the venue.
//
// Use: construct, add routes, start(); it serves on its own thread until stop() or destruction.
//   venue::HttpServer http("127.0.0.1", 9100);
//   http.route("GET", "/healthz", [](const HttpRequest&) { return HttpResponse{200, "text/plain", "ok\n"}; });
//   http.start();
//
// Handlers run on the server's thread, one request at a time, and must not block for long. A handler
// that throws gives a 500 with the message (logged and counted by the caller's wrapper, not here).
// Requests over 1 MiB, malformed requests and idle connections (30 s) are refused or closed (the
// transport, HttpListener in http_listener.h, is the one the operator API uses too). An unknown path
// answers 404, a known path with another method 405, both as JSON {"error": ...}.
//
// Thread rules: route() before start(); start()/stop() from one owning thread; port() any time after
// start().

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "venue/common/http_listener.h"

namespace venue {

HttpResponse json_response(int status, const std::string& json_body);

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // port 0 asks the kernel for a free port (see port()).
  HttpServer(std::string bind_address, std::uint16_t port);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void route(const std::string& method, const std::string& path, Handler handler);
  // Binds and starts serving. Throws std::runtime_error when the address cannot be bound.
  void start();
  void stop();
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace venue
