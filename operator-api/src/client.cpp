#include "client.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace venue::operator_api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Client::Client(ClientSettings s) : settings_(std::move(s)) {
  std::string rest;
  if (settings_.url.rfind("http://", 0) == 0) {
    rest = settings_.url.substr(7);
  } else if (settings_.url.rfind("https://", 0) == 0) {
    tls_ = true;
    rest = settings_.url.substr(8);
  } else {
    problem_ = "the URL must start with http:// or https://";
    return;
  }
  if (const auto slash = rest.find('/'); slash != std::string::npos) rest = rest.substr(0, slash);
  if (!rest.empty() && rest[0] == '[') {  // [::1]:19110
    const auto close = rest.find(']');
    host_ = rest.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    port_ =
        close != std::string::npos && close + 1 < rest.size() && rest[close + 1] == ':' ? rest.substr(close + 2) : "";
  } else if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    host_ = rest.substr(0, colon);
    port_ = rest.substr(colon + 1);
  } else {
    host_ = rest;
  }
  if (port_.empty()) port_ = tls_ ? "443" : "80";
  if (host_.empty()) problem_ = "the URL names no host";
}

bool Client::valid(std::string* why) const {
  if (problem_.empty()) return true;
  if (why != nullptr) *why = problem_;
  return false;
}

ClientReply Client::request(const std::string& method, const std::string& target, const std::string& body) const {
  ClientReply out;
  if (!problem_.empty()) {
    out.error = problem_;
    return out;
  }
  try {
    asio::io_context io;
    tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(host_, port_);
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    const bool v6 = host_.find(':') != std::string::npos;
    req.set(http::field::host, (v6 ? "[" + host_ + "]" : host_) + ":" + port_);
    req.set(http::field::user_agent, "venuectl");
    req.set(http::field::accept, "application/json");
    if (!settings_.token.empty()) req.set(http::field::authorization, "Bearer " + settings_.token);
    if (!body.empty() || method == "POST" || method == "PATCH" || method == "DELETE" || method == "PUT") {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::response<http::string_body> res;
    beast::flat_buffer buffer;
    if (tls_) {
      asio::ssl::context ctx(asio::ssl::context::tls_client);
      ctx.set_default_verify_paths();
      if (!settings_.ca_file.empty()) ctx.load_verify_file(settings_.ca_file);
      ctx.set_verify_mode(settings_.insecure ? asio::ssl::verify_none : asio::ssl::verify_peer);
      beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
      if (!settings_.insecure) stream.set_verify_callback(asio::ssl::host_name_verification(host_));
      SSL_set_tlsext_host_name(stream.native_handle(), host_.c_str());
      beast::get_lowest_layer(stream).expires_after(settings_.timeout);
      beast::get_lowest_layer(stream).connect(endpoints);
      stream.handshake(asio::ssl::stream_base::client);
      http::write(stream, req);
      http::read(stream, buffer, res);
      beast::error_code ec;
      stream.shutdown(ec);
    } else {
      beast::tcp_stream stream(io);
      stream.expires_after(settings_.timeout);
      stream.connect(endpoints);
      http::write(stream, req);
      http::read(stream, buffer, res);
      beast::error_code ec;
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    }
    out.status = static_cast<int>(res.result_int());
    out.text = res.body();
    out.body = nlohmann::json::parse(out.text, nullptr, false);
    if (out.body.is_discarded()) out.body = nullptr;
  } catch (const std::exception& e) {
    out.status = 0;
    out.error = e.what();
  }
  return out;
}

}  // namespace venue::operator_api
