// The shared HTTP transport (http_listener.h): one connection object per client, plain or TLS, reading
// one request at a time and writing the answer the handler gives, on the listener's I/O thread.
#include "venue/common/http_listener.h"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include "venue/common/log.h"

namespace venue {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr std::uint32_t kHeaderLimit = 16 * 1024;

HttpRequest to_request(const http::request<http::string_body>& req, const std::string& remote) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  const std::string target(req.target());
  const auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  r.body = req.body();
  r.remote_address = remote;
  for (const auto& f : req) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace(std::move(name), std::string(f.value()));
  }
  return r;
}

}  // namespace

struct HttpListener::Impl {
  HttpListenerSettings settings;
  Handler handler;
  asio::io_context io{1};
  std::optional<asio::ssl::context> ssl;
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::atomic<bool> running{false};
  std::uint16_t port = 0;

  template <class Stream>
  struct Connection : std::enable_shared_from_this<Connection<Stream>> {
    Impl* listener;
    Stream stream;
    beast::flat_buffer buffer;
    std::optional<http::request_parser<http::string_body>> parser;
    std::shared_ptr<http::response<http::string_body>> response;
    std::string remote;

    template <class... Args>
    Connection(Impl* l, std::string peer, Args&&... args)
        : listener(l), stream(std::forward<Args>(args)...), remote(std::move(peer)) {}

    void start() {
      if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
        read();
      } else {
        beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
        stream.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
          if (!ec) self->read();
        });
      }
    }

    void read() {
      parser.emplace();
      parser->body_limit(listener->settings.body_limit);
      parser->header_limit(kHeaderLimit);
      beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
      http::async_read(stream, buffer, *parser,
                       [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
      if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::connection_reset ||
          ec == asio::error::operation_aborted) {
        close();
        return;
      }
      if (ec) {
        const int status = ec == http::error::body_limit ? 413 : 400;
        write(listener->settings.refusal(status, ec.message()), false, 11, false);
        return;
      }
      auto req = parser->release();
      const bool keep_alive = req.keep_alive();
      const unsigned version = req.version();
      const bool head = req.method() == http::verb::head;
      listener->handler(
          to_request(req, remote), [self = this->shared_from_this(), keep_alive, version, head](HttpResponse a) {
            asio::post(self->stream.get_executor(), [self, a = std::move(a), keep_alive, version, head]() mutable {
              self->write(std::move(a), keep_alive, version, head);
            });
          });
    }

    void write(HttpResponse a, bool keep_alive, unsigned version, bool head) {
      response = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(a.status), version);
      auto& res = *response;
      res.set(http::field::server, listener->settings.server);
      res.set(http::field::content_type, a.content_type);
      for (const auto& [name, value] : listener->settings.headers) res.set(name, value);
      if (a.status == 401 && !listener->settings.www_authenticate.empty()) {
        res.set(http::field::www_authenticate, listener->settings.www_authenticate);
      }
      res.keep_alive(keep_alive);
      res.body() = std::move(a.body);
      res.prepare_payload();
      if (head) res.body().clear();
      http::async_write(stream, res, [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
        if (ec || !keep_alive) {
          self->close();
          return;
        }
        self->read();
      });
    }

    void close() {
      beast::error_code ec;
      if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
      }
      beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
      beast::get_lowest_layer(stream).socket().close(ec);
    }
  };

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted) return;
        VENUE_LOG_KV(warning, settings.name + ": accept failed", {{"error", ec.message()}});
      } else {
        beast::error_code ep_ec;
        const auto ep = socket.remote_endpoint(ep_ec);
        std::string peer = ep_ec ? std::string() : ep.address().to_string();
        if (ssl) {
          std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(this, std::move(peer), std::move(socket),
                                                                             *ssl)
              ->start();
        } else {
          std::make_shared<Connection<beast::tcp_stream>>(this, std::move(peer), std::move(socket))->start();
        }
      }
      if (acceptor.is_open()) accept();
    });
  }
};

HttpListener::HttpListener(HttpListenerSettings settings, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->settings = std::move(settings);
  impl_->handler = std::move(handler);
  impl_->port = impl_->settings.port;
}

HttpListener::~HttpListener() { stop(); }

void HttpListener::start() {
  auto& m = *impl_;
  const std::string& name = m.settings.name;
  if (!m.settings.tls_certificate.empty()) {
    m.ssl.emplace(asio::ssl::context::tls_server);
    m.ssl->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    m.ssl->use_certificate_chain_file(m.settings.tls_certificate.string(), ec);
    if (!ec) m.ssl->use_private_key_file(m.settings.tls_private_key.string(), asio::ssl::context::pem, ec);
    if (ec) throw std::runtime_error(name + ": cannot use its certificate or key: " + ec.message());
  }
  beast::error_code ec;
  const auto address = asio::ip::make_address(m.settings.bind_address, ec);
  if (ec) throw std::runtime_error(name + ": bad bind address \"" + m.settings.bind_address + "\": " + ec.message());
  const tcp::endpoint ep(address, m.settings.port);
  m.acceptor.open(ep.protocol(), ec);
  if (!ec) m.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(ep, ec);
  if (!ec) m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error(name + ": cannot listen on " + m.settings.bind_address + ":" +
                             std::to_string(m.settings.port) + ": " + ec.message());
  }
  m.port = m.acceptor.local_endpoint().port();
  m.accept();
  m.running = true;
  m.thread = std::thread([this] { impl_->io.run(); });
}

void HttpListener::stop_accepting() {
  if (!impl_->running) return;
  asio::post(impl_->io, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
}

void HttpListener::stop() {
  if (!impl_->running) return;
  stop_accepting();
  impl_->running = false;
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::uint16_t HttpListener::port() const { return impl_->port; }
bool HttpListener::tls() const { return impl_->ssl.has_value(); }

}  // namespace venue
