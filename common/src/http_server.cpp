#include "venue/common/http_server.h"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "venue/common/log.h"

namespace venue {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

HttpResponse json_response(int status, const std::string& json_body) {
  return HttpResponse{status, "application/json", json_body + "\n"};
}

namespace {

constexpr std::size_t kBodyLimit = 1 << 20;
constexpr auto kIdleTimeout = std::chrono::seconds(30);

HttpResponse error_response(int status, const std::string& message) {
  return json_response(status, nlohmann::json{{"error", message}}.dump());
}

}  // namespace

struct HttpServer::Impl {
  std::string bind_address;
  std::uint16_t port;
  std::map<std::string, std::map<std::string, Handler>> routes;  // path -> method -> handler
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::atomic<bool> running{false};

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

  // One connection: read a request, answer, repeat while keep-alive.
  struct Session : std::enable_shared_from_this<Session> {
    Impl* server;
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    std::optional<http::request_parser<http::string_body>> parser;
    http::response<http::string_body> response;

    Session(Impl* s, tcp::socket socket) : server(s), stream(std::move(socket)) {}

    void read() {
      parser.emplace();
      parser->body_limit(kBodyLimit);
      parser->header_limit(16 * 1024);
      stream.expires_after(kIdleTimeout);
      http::async_read(stream, buffer, *parser,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
      if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::connection_reset) {
        close();
        return;
      }
      if (ec) {
        // Malformed or oversized: answer 400/413 and close.
        const int status = ec == http::error::body_limit ? 413 : 400;
        write(error_response(status, "bad request: " + ec.message()), false, 11);
        return;
      }
      if (!parser) {
        close();
        return;
      }
      const auto& req = parser->get();
      HttpRequest r;
      r.method = std::string(req.method_string());
      const std::string target(req.target());
      const auto q = target.find('?');
      r.path = target.substr(0, q);
      if (q != std::string::npos) r.query = target.substr(q + 1);
      r.body = req.body();
      beast::error_code ep_ec;
      auto ep = stream.socket().remote_endpoint(ep_ec);
      if (!ep_ec) r.remote_address = ep.address().to_string();
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = std::string(f.value());
      }
      write(server->dispatch(r), req.keep_alive(), req.version());
    }

    void write(const HttpResponse& out, bool keep_alive, unsigned version) {
      response = http::response<http::string_body>(static_cast<http::status>(out.status), version);
      response.set(http::field::server, "venue");
      response.set(http::field::content_type, out.content_type);
      response.keep_alive(keep_alive);
      response.body() = out.body;
      response.prepare_payload();
      http::async_write(stream, response, [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
        if (ec || !keep_alive) {
          self->close();
          return;
        }
        self->read();
      });
    }

    void close() {
      beast::error_code ec;
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      stream.socket().close(ec);
    }
  };

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted) return;
        VENUE_LOG_KV(warning, "http accept failed", {{"error", ec.message()}});
      } else {
        std::make_shared<Session>(this, std::move(socket))->read();
      }
      if (acceptor.is_open()) accept();
    });
  }
};

HttpServer::HttpServer(std::string bind_address, std::uint16_t port) : impl_(std::make_unique<Impl>()) {
  impl_->bind_address = std::move(bind_address);
  impl_->port = port;
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(const std::string& method, const std::string& path, Handler handler) {
  impl_->routes[path][method] = std::move(handler);
}

void HttpServer::start() {
  beast::error_code ec;
  const auto address = asio::ip::make_address(impl_->bind_address, ec);
  if (ec) throw std::runtime_error("http: bad bind address \"" + impl_->bind_address + "\": " + ec.message());
  const tcp::endpoint ep(address, impl_->port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("http: cannot listen on " + impl_->bind_address + ":" + std::to_string(impl_->port) +
                             ": " + ec.message());
  }
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  impl_->running = true;
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

void HttpServer::stop() {
  if (!impl_->running.exchange(false)) return;
  asio::post(impl_->io, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::uint16_t HttpServer::port() const { return impl_->port; }

}  // namespace venue
