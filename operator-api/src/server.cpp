// The operator API's server (server.h): on the network thread of its transport (HttpListener,
// common/http_listener.h, the one every HTTP endpoint uses) it makes every check that costs nothing
// (Host, Origin, Content-Type, JSON, token, role), then hands the request to a worker thread (logins:
// PBKDF2; routes: the venue's handlers, which wait for the gateway thread); the transport writes the
// answer when the worker is done.
#include "venue/operator_api/server.h"

#include <prometheus/counter.h>

#include <atomic>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <mutex>
#include <optional>

#include "venue/common/http_listener.h"
#include "venue/common/log.h"

namespace venue::operator_api {

namespace asio = boost::asio;

Reply ok(nlohmann::json body) { return Reply{200, std::move(body)}; }

Reply error(int status, const std::string& code, const std::string& message) {
  return Reply{status, nlohmann::json{{"error", code}, {"message", message}}};
}

namespace {

constexpr std::size_t kBodyLimit = 64 * 1024;

// What goes back on the wire.
using Answer = HttpResponse;

Answer json_answer(const Reply& r) {
  Answer a;
  a.status = r.status;
  a.content_type = "application/json";
  a.body = r.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return a;
}

// The headers on every answer: nothing cached, sniffed, framed or sent to another origin.
std::vector<std::pair<std::string, std::string>> security_headers() {
  return {{"Cache-Control", "no-store"},
          {"X-Content-Type-Options", "nosniff"},
          {"X-Frame-Options", "DENY"},
          {"Referrer-Policy", "no-referrer"},
          {"Cross-Origin-Resource-Policy", "same-origin"},
          {"Content-Security-Policy",
           "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
           "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"}};
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= path.size()) {
    const auto j = path.find('/', i);
    const auto part = path.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if (!part.empty()) out.push_back(part);
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return out;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) != 0 &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2])) != 0) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const auto pair = q.substr(0, amp);
    const auto eq = pair.find('=');
    if (!pair.empty()) {
      out[percent_decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Host is an IP literal (IPv4, [IPv6]) or localhost, with an optional port: an attacker's DNS name
// rebound to this address never is.
bool literal_or_localhost(const std::string& host) {
  std::string h = lower(host);
  if (!h.empty() && h[0] == '[') return h.find(']') != std::string::npos;  // [::1]:port
  if (const auto colon = h.rfind(':'); colon != std::string::npos) h = h.substr(0, colon);
  if (h == "localhost") return true;
  boost::system::error_code ec;
  asio::ip::make_address_v4(h, ec);
  return !ec;
}

}  // namespace

struct Server::Impl {
  ServerSettings settings;
  Authenticator auth;
  AuditLog audit;
  struct Route {
    std::string method;
    std::vector<std::string> parts;
    bool action = false;
    std::string name;
    Handler handler;
    std::vector<std::string> target_fields;
  };
  std::vector<Route> routes;
  std::unique_ptr<asio::thread_pool> workers;
  std::atomic<std::size_t> queued{0};

  prometheus::Family<prometheus::Counter>* requests_family;
  prometheus::Family<prometheus::Counter>* actions_family;
  prometheus::Counter* logins_ok;
  prometheus::Counter* logins_refused;
  std::mutex metrics_mutex;

  Impl(ServerSettings s, prometheus::Registry& registry)
      : settings(std::move(s)), auth(settings.users, settings.token_ttl), audit(settings.audit_log) {
    requests_family = &prometheus::BuildCounter()
                           .Name("venue_operator_api_requests_total")
                           .Help("Operator API requests answered, by HTTP status")
                           .Register(registry);
    actions_family = &prometheus::BuildCounter()
                          .Name("venue_operator_api_actions_total")
                          .Help("Operator actions, by action and result (ok, refused, failed)")
                          .Register(registry);
    auto& logins = prometheus::BuildCounter()
                       .Name("venue_operator_api_logins_total")
                       .Help("Operator API logins, by result")
                       .Register(registry);
    logins_ok = &logins.Add({{"result", "ok"}});
    logins_refused = &logins.Add({{"result", "refused"}});
  }

  // The transport (common/http_listener.h); every answer it writes is counted by status.
  HttpListener listener{
      HttpListenerSettings{.name = "operator API",
                           .bind_address = settings.bind,
                           .port = settings.port,
                           .body_limit = kBodyLimit,
                           .server = "venue-operator-api",
                           .headers = security_headers(),
                           .www_authenticate = "Bearer",
                           .tls_certificate = settings.tls_certificate,
                           .tls_private_key = settings.tls_private_key,
                           .refusal =
                               [this](int status, const std::string& reason) {
                                 count_request(status);
                                 return json_answer(error(status, status == 413 ? "too_large" : "bad_request",
                                                          "bad request: " + reason));
                               }},
      [this](const HttpRequest& req, HttpListener::Respond respond) {
        handle(req, [this, respond = std::move(respond)](Answer a) {
          count_request(a.status);
          respond(std::move(a));
        });
      }};

  void count_request(int status) {
    std::lock_guard lock(metrics_mutex);
    requests_family->Add({{"status", std::to_string(status)}}).Increment();
  }
  void count_action(const std::string& name, int status) {
    std::lock_guard lock(metrics_mutex);
    const char* result = status < 300 ? "ok" : status < 500 ? "refused" : "failed";
    actions_family->Add({{"action", name}, {"result", result}}).Increment();
  }

  bool host_allowed(const std::string& host) const {
    if (host.empty()) return false;
    if (literal_or_localhost(host)) return true;
    const std::string h = lower(host);
    for (const auto& a : settings.allowed_hosts) {
      const std::string allowed = lower(a);
      if (h == allowed || (allowed.find(':') == std::string::npos && h.rfind(allowed + ":", 0) == 0)) return true;
    }
    return false;
  }

  bool origin_allowed(const std::string& origin, const std::string& host) const {
    const std::string own = std::string(listener.tls() ? "https://" : "http://") + lower(host);
    if (lower(origin) == own) return true;
    for (const auto& a : settings.allowed_origins) {
      if (lower(origin) == lower(a)) return true;
    }
    return false;
  }

  const Route* match(const std::string& method, const std::vector<std::string>& parts,
                     std::map<std::string, std::string>& params, bool& path_known) const {
    path_known = false;
    for (const auto& r : routes) {
      if (r.parts.size() != parts.size()) continue;
      std::map<std::string, std::string> p;
      bool same = true;
      for (std::size_t i = 0; i < parts.size() && same; ++i) {
        const auto& want = r.parts[i];
        if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
          p[want.substr(1, want.size() - 2)] = percent_decode(parts[i]);
        } else {
          same = want == parts[i];
        }
      }
      if (!same) continue;
      path_known = true;
      if (r.method == method) {
        params = std::move(p);
        return &r;
      }
    }
    return nullptr;
  }

  // Runs on a worker thread; `done` is called there with the answer.
  template <class Done>
  void run_async(Done done, std::function<Answer()> work) {
    if (queued.fetch_add(1) >= settings.max_queued) {
      queued.fetch_sub(1);
      done(json_answer(error(503, "busy", "too many requests waiting: try again")));
      return;
    }
    asio::post(*workers, [this, done = std::move(done), work = std::move(work)]() mutable {
      queued.fetch_sub(1);
      Answer a;
      try {
        a = work();
      } catch (const std::exception& e) {
        VENUE_LOG_KV(error, "operator API: a request failed", {{"error", e.what()}});
        a = json_answer(error(500, "internal", e.what()));
      }
      done(std::move(a));
    });
  }

  Answer login(const nlohmann::json& body, const std::string& remote) {
    // Looked up with find(): operator[] on a const object with a missing key is undefined behaviour in
    // a release build (an assertion in the fuzz build: a body without "user" stopped the process).
    if (!body.is_object()) return json_answer(error(400, "invalid", "the body must be a JSON object"));
    std::optional<std::chrono::seconds> ttl;
    if (const auto t = body.find("ttl_seconds"); t != body.end()) {
      if (!t->is_number_integer() || t->get<std::int64_t>() < 1) {
        return json_answer(error(400, "invalid", "ttl_seconds must be a positive integer"));
      }
      ttl = std::chrono::seconds(t->get<std::int64_t>());
    }
    const auto u = body.find("user");
    const auto pw = body.find("password");
    if (u == body.end() || pw == body.end() || !u->is_string() || !pw->is_string() ||
        u->get_ref<const std::string&>().empty()) {
      return json_answer(error(400, "invalid", "give \"user\" and \"password\" as strings"));
    }
    const auto& user = u->get_ref<const std::string&>();
    const auto& password = pw->get_ref<const std::string&>();
    const auto result = auth.login(user, password, remote, std::chrono::system_clock::now(), ttl);
    AuditEntry e;
    e.user = user;
    e.from = remote;
    e.action = "login";
    e.role = result.ok ? std::string(to_string(result.who.role)) : "";
    std::uint64_t seq = 0;
    try {
      seq = audit.begin(std::move(e));
    } catch (const std::exception& ex) {
      VENUE_LOG_KV(error, "operator audit log: a login could not be recorded", {{"error", ex.what()}});
      return json_answer(error(503, "audit_unavailable", "the audit log cannot be written: no login"));
    }
    if (!result.ok) {
      logins_refused->Increment();
      audit.finish(seq, 401, result.error, result.message);
      VENUE_LOG_KV(warning, "operator login refused", {{"user", user}, {"from", remote}, {"reason", result.error}});
      return json_answer(error(401, result.error, result.message));
    }
    logins_ok->Increment();
    audit.finish(seq, 200, "", "logged in");
    VENUE_LOG_KV(info, "operator logged in", {{"user", user}, {"from", remote}});
    const auto expires =
        std::chrono::duration_cast<std::chrono::seconds>(result.who.expires.time_since_epoch()).count();
    return json_answer(ok({{"token", result.token},
                           {"user", result.who.name},
                           {"role", to_string(result.who.role)},
                           {"expires_at", expires}}));
  }

  Answer run_route(const Route& route, Request req) {
    if (!route.action) {
      try {
        return json_answer(route.handler(req));
      } catch (const std::exception& e) {
        return json_answer(error(500, "internal", e.what()));
      }
    }
    AuditEntry e;
    e.user = req.who.name;
    e.role = std::string(to_string(req.who.role));
    e.from = req.remote_address;
    e.action = route.name;
    for (const auto& [k, v] : req.params) e.target += (e.target.empty() ? "" : "/") + v;
    for (const auto& f : route.target_fields) {
      if (!e.target.empty()) break;
      if (req.body.contains(f) && req.body[f].is_string()) e.target = req.body[f].get<std::string>();
    }
    e.request = req.body;
    std::uint64_t seq = 0;
    try {
      seq = audit.begin(std::move(e));
    } catch (const std::exception& ex) {
      VENUE_LOG_KV(error, "operator audit log cannot be written: action refused",
                   {{"action", route.name}, {"user", req.who.name}, {"error", ex.what()}});
      count_action(route.name, 503);
      return json_answer(error(503, "audit_unavailable", "the audit log cannot be written: nothing was done"));
    }
    Reply r;
    try {
      r = route.handler(req);
    } catch (const std::exception& ex) {
      r = error(500, "internal", ex.what());
    }
    audit.finish(seq, r.status, r.body.is_object() ? r.body.value("error", "") : "",
                 r.body.is_object() ? r.body.value("message", "") : "");
    count_action(route.name, r.status);
    VENUE_LOG_KV(warning, "operator action",
                 {{"action", route.name}, {"user", req.who.name}, {"from", req.remote_address}, {"status", r.status}});
    if (r.body.is_object()) r.body["audit_seq"] = seq;
    return json_answer(r);
  }

  // Everything the network thread decides; the rest is queued to a worker. `done` may be called on
  // either thread.
  template <class Done>
  void handle(const HttpRequest& req, Done done) {
    const std::string& method = req.method;
    const std::string& path = req.path;
    const std::string& remote = req.remote_address;
    auto header = [&req](const std::string& name) {
      const auto h = req.headers.find(name);
      return h == req.headers.end() ? std::string() : h->second;
    };
    const std::string host = header("host");
    auto refuse = [&](int status, const std::string& code, const std::string& message) {
      done(json_answer(error(status, code, message)));
    };
    if (!host_allowed(host)) {
      return refuse(403, "host_refused", "Host \"" + host + "\" is not this API's (allowed_hosts)");
    }
    const bool api = path.rfind("/api/", 0) == 0;
    if (method == "OPTIONS") {
      return refuse(405, "method_not_allowed", "cross-origin requests are not accepted (no CORS)");
    }
    if (!api) {
      if (method != "GET" && method != "HEAD") return refuse(405, "method_not_allowed", "the console is GET only");
      for (const auto& a : console_assets()) {
        if (path == a.path || (path == "/index.html" && std::string(a.path) == "/")) {
          Answer out;
          out.content_type = a.content_type;
          out.body = a.body;
          return done(std::move(out));
        }
      }
      return refuse(404, "not_found", "no such page: " + path);
    }
    if (const auto origin = req.headers.find("origin");
        origin != req.headers.end() && !origin_allowed(origin->second, host)) {
      return refuse(403, "cross_origin", "requests from " + origin->second + " are not accepted (allowed_origins)");
    }
    if (const auto site = req.headers.find("sec-fetch-site");
        site != req.headers.end() && lower(site->second) == "cross-site") {
      return refuse(403, "cross_origin", "cross-site requests are not accepted");
    }
    Request r;
    r.method = method;
    r.path = path;
    r.remote_address = remote;
    r.query = parse_query(req.query);
    bool path_known = false;
    const Route* route = match(method, split_path(path), r.params, path_known);
    const bool builtin_login = path == "/api/v1/login";
    const bool builtin_logout = path == "/api/v1/logout";
    if (builtin_login || builtin_logout) {
      path_known = true;
      if (method != "POST") return refuse(405, "method_not_allowed", path + " takes POST");
    } else if (route == nullptr) {
      return path_known ? refuse(405, "method_not_allowed", "method " + method + " is not allowed on " + path)
                        : refuse(404, "not_found", "no such endpoint: " + path);
    }
    if (method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE") {
      const std::string type = lower(header("content-type"));
      if (type.rfind("application/json", 0) != 0) {
        return refuse(415, "unsupported_media_type", "send Content-Type: application/json");
      }
      if (!req.body.empty()) {
        r.body = nlohmann::json::parse(req.body, nullptr, false);
        if (r.body.is_discarded() || !r.body.is_object()) {
          return refuse(400, "bad_json", "the body must be a JSON object");
        }
      }
    }
    if (builtin_login) {
      return run_async(std::move(done), [this, body = std::move(r.body), remote] { return login(body, remote); });
    }
    const std::string auth_header = header("authorization");
    if (auth_header.rfind("Bearer ", 0) != 0 || auth_header.size() <= 7) {
      return refuse(401, "unauthenticated", "log in (POST /api/v1/login) and send Authorization: Bearer <token>");
    }
    const std::string token = auth_header.substr(7);
    std::string why;
    const auto who = auth.check(token, std::chrono::system_clock::now(), &why);
    if (!who) {
      return refuse(401, why, why == "token_expired" ? "the token expired: log in again" : "unknown or ended token");
    }
    r.who = *who;
    if (builtin_logout) {
      auth.logout(token);
      return done(json_answer(ok({{"logged_out", who->name}})));
    }
    if (route->action && who->role != Role::kOperator) {
      AuditEntry e;
      e.user = who->name;
      e.role = std::string(to_string(who->role));
      e.from = remote;
      e.action = route->name;
      e.request = r.body;
      try {
        const auto seq = audit.begin(std::move(e));
        audit.finish(seq, 403, "forbidden", "the viewer role may not act");
      } catch (const std::exception& ex) {
        VENUE_LOG_KV(error, "operator audit log: a refusal could not be recorded", {{"error", ex.what()}});
      }
      count_action(route->name, 403);
      return refuse(403, "forbidden", "user " + who->name + " has the viewer role: actions need the operator role");
    }
    r.deadline = std::chrono::steady_clock::now() + settings.request_timeout;
    run_async(std::move(done), [this, route, r = std::move(r)]() mutable { return run_route(*route, std::move(r)); });
  }
};

Server::Server(ServerSettings settings, prometheus::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(settings), registry)) {
  view("/api/v1/whoami", [](const Request& r) {
    return ok(
        {{"user", r.who.name},
         {"role", to_string(r.who.role)},
         {"expires_at", std::chrono::duration_cast<std::chrono::seconds>(r.who.expires.time_since_epoch()).count()}});
  });
  view("/api/v1/audit", [this](const Request& r) {
    AuditLog::Query q;
    try {
      if (r.query.contains("limit")) q.limit = std::min<std::size_t>(std::stoul(r.query.at("limit")), 1000);
      if (r.query.contains("before")) q.before_seq = std::stoull(r.query.at("before"));
    } catch (const std::exception&) {
      return error(400, "invalid", "limit and before must be numbers");
    }
    q.user = r.query.contains("user") ? r.query.at("user") : "";
    q.action = r.query.contains("action") ? r.query.at("action") : "";
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : impl_->audit.query(q)) out.push_back(to_json(e));
    return ok({{"entries", out}, {"file", impl_->audit.file().string()}});
  });
}

Server::~Server() { stop(); }

void Server::view(const std::string& pattern, Handler handler) {
  impl_->routes.push_back({"GET", split_path(pattern), false, "", std::move(handler), {}});
}

void Server::action(const std::string& method, const std::string& pattern, const std::string& name, Handler handler,
                    std::vector<std::string> target_fields) {
  impl_->routes.push_back({method, split_path(pattern), true, name, std::move(handler), std::move(target_fields)});
}

void Server::start() {
  auto& m = *impl_;
  m.workers = std::make_unique<asio::thread_pool>(m.settings.workers);
  try {
    m.listener.start();
  } catch (...) {
    m.workers->join();
    m.workers.reset();
    throw;
  }
  VENUE_LOG_KV(info, "operator API listening",
               {{"address", m.settings.bind},
                {"port", m.listener.port()},
                {"tls", m.listener.tls()},
                {"users", m.settings.users.size()}});
}

void Server::stop() {
  auto& m = *impl_;
  if (!m.workers) return;
  // No new connections; the requests the workers hold still get their answers, then the network stops.
  m.listener.stop_accepting();
  m.workers->join();
  m.workers.reset();
  m.listener.stop();
}

std::uint16_t Server::port() const { return impl_->listener.port(); }
bool Server::tls() const { return impl_->listener.tls(); }
AuditLog& Server::audit() { return impl_->audit; }

}  // namespace venue::operator_api
