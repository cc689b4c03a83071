#pragma once
// The operator API's HTTP server (Boost.Beast over Boost.Asio; HTTPS with OpenSSL when a certificate is
// configured) and the console page it serves. It owns everything about a request that is not the venue's
// business: authentication, roles, refusing cross-site requests, JSON in and out, the audit log, time
// limits. The venue adds its views and actions as routes (fix-gateway/src/operator_routes.cpp); the
// contract clients see is spec/operator-api.md.
//
//   Server api(settings, registry);
//   api.view("/api/v1/sessions", [&](const Request& r) { return ok(list_sessions()); });
//   api.action("POST", "/api/v1/sessions/{id}/logout", "session.logout",
//              [&](const Request& r) { return logout(r.params.at("id"), r.deadline); });
//   api.start();
//
// Every request, in this order:
//   1. Host must be an IP address, localhost or a configured allowed_hosts name (DNS rebinding);
//   2. under /api/: an Origin header, when sent, must be the API's own origin or a configured one, and
//      Sec-Fetch-Site must not be cross-site; OPTIONS is refused and no CORS header is ever sent, so a
//      page on another origin can neither send an authenticated request nor read an answer;
//   3. a body (POST, PUT, PATCH, DELETE) must say Content-Type: application/json and be a JSON object;
//   4. except to log in, it must carry Authorization: Bearer <token> of a live login (no cookies: a
//      browser never adds the token by itself);
//   5. actions need the operator role; a viewer's attempt is refused (403) and recorded;
//   6. an action is recorded in the audit log before it runs (if that fails, it does not run) and its
//      result after.
// A refusal is a JSON {"error": code, "message": reason} and changes nothing. Handlers run on a small
// pool of worker threads, never on the server's network thread; each request carries a deadline
// (request_timeout) that handlers pass on to the gateway, whose work is dropped if not started by then.
//
// Thread rules: view()/action() before start(); start()/stop() from the owner; handlers on the worker
// threads (several at once: they must be thread-safe).

#include <prometheus/registry.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "venue/operator_api/audit_log.h"
#include "venue/operator_api/auth.h"

namespace venue::operator_api {

struct ServerSettings {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;                 // 0: a free port (see port())
  std::filesystem::path tls_certificate;  // both set: HTTPS
  std::filesystem::path tls_private_key;
  std::vector<User> users;
  std::chrono::seconds token_ttl{8 * 3600};
  std::chrono::milliseconds request_timeout{3000};
  std::filesystem::path audit_log;
  std::vector<std::string> allowed_origins;
  std::vector<std::string> allowed_hosts;
  std::size_t workers = 2;
  std::size_t max_queued = 64;  // requests waiting for a worker; more are answered 503
};

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> params;  // the {name} parts of the route's pattern
  std::map<std::string, std::string> query;   // decoded
  nlohmann::json body = nlohmann::json::object();
  Identity who;
  std::string remote_address;
  std::chrono::steady_clock::time_point deadline;
};

struct Reply {
  int status = 200;
  nlohmann::json body;
};
Reply ok(nlohmann::json body);
Reply error(int status, const std::string& code, const std::string& message);

// A static file of the console page, compiled in (operator-api/console/).
struct Asset {
  const char* path;  // "/", "/console.js", ...
  const char* content_type;
  const char* body;
};
const std::vector<Asset>& console_assets();

class Server {
 public:
  using Handler = std::function<Reply(const Request&)>;

  Server(ServerSettings settings, prometheus::Registry& registry);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // GET, any logged-in user.
  void view(const std::string& pattern, Handler handler);
  // Operators only, audited under `name` (e.g. "session.logout"). The audit entry's target is the
  // route's path parameters, or else the first of `target_fields` present in the body.
  void action(const std::string& method, const std::string& pattern, const std::string& name, Handler handler,
              std::vector<std::string> target_fields = {});

  // Binds and serves. Throws std::runtime_error (address in use, a bad certificate, an unreadable audit
  // log).
  void start();
  void stop();
  std::uint16_t port() const;
  bool tls() const;
  AuditLog& audit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace venue::operator_api
