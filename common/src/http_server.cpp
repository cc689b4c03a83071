// HttpServer (http_server.h): a route table by path and method on the shared transport (HttpListener).
#include "venue/common/http_server.h"

#include <map>
#include <nlohmann/json.hpp>

#include "venue/common/log.h"

namespace venue {

HttpResponse json_response(int status, const std::string& json_body) {
  return HttpResponse{status, "application/json", json_body + "\n"};
}

namespace {

HttpResponse error_response(int status, const std::string& message) {
  return json_response(status, nlohmann::json{{"error", message}}.dump());
}

}  // namespace

struct HttpServer::Impl {
  std::map<std::string, std::map<std::string, Handler>> routes;  // path -> method -> handler
  HttpListener listener;

  Impl(std::string bind_address, std::uint16_t port)
      : listener(HttpListenerSettings{.name = "http",
                                      .bind_address = std::move(bind_address),
                                      .port = port,
                                      .refusal =
                                          [](int status, const std::string& reason) {
                                            return error_response(status, "bad request: " + reason);
                                          }},
                 [this](const HttpRequest& req, const HttpListener::Respond& respond) { respond(dispatch(req)); }) {}

  HttpResponse dispatch(const HttpRequest& req) {
    auto by_path = routes.find(req.path);
    if (by_path == routes.end()) return error_response(404, "no such endpoint: " + req.path);
    auto by_method = by_path->second.find(req.method);
    if (by_method == by_path->second.end()) {
      return error_response(405, "method " + req.method + " is not allowed on " + req.path);
    }
    try {
      return by_method->second(req);
    } catch (const std::exception& e) {
      VENUE_LOG_KV(error, "http handler failed", {{"path", req.path}, {"error", e.what()}});
      return error_response(500, e.what());
    }
  }
};

HttpServer::HttpServer(std::string bind_address, std::uint16_t port)
    : impl_(std::make_unique<Impl>(std::move(bind_address), port)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(const std::string& method, const std::string& path, Handler handler) {
  impl_->routes[path][method] = std::move(handler);
}

void HttpServer::start() { impl_->listener.start(); }
void HttpServer::stop() { impl_->listener.stop(); }
std::uint16_t HttpServer::port() const { return impl_->listener.port(); }

}  // namespace venue
