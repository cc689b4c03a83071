#pragma once
// venuectl's HTTP client for the operator API: one request per connection, plain or TLS (OpenSSL,
// verifying the server's certificate and name unless told not to), JSON in and out.
//
//   Client c({.url = "http://127.0.0.1:19110"});
//   auto r = c.request("POST", "/api/v1/login", R"({"user":"ops","password":"..."})");
//   if (r.status == 200) ...  // r.body: the JSON answer (null when the answer was not JSON)
//
// Thread rules: one thread.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace venue::operator_api {

struct ClientSettings {
  std::string url = "http://127.0.0.1:19110";
  std::string token;      // sent as Authorization: Bearer
  std::string ca_file;    // https: trust this CA (PEM) besides the system's
  bool insecure = false;  // https: do not verify the certificate (tests only)
  std::chrono::seconds timeout{10};
};

struct ClientReply {
  int status = 0;  // 0: no answer (see error)
  nlohmann::json body;
  std::string text;
  std::string error;  // why there is no answer
};

class Client {
 public:
  explicit Client(ClientSettings s);
  // `body` empty: no body (GET); otherwise sent as application/json.
  ClientReply request(const std::string& method, const std::string& target, const std::string& body = "") const;
  void set_token(std::string token) { settings_.token = std::move(token); }
  // False (with why) when the URL is not http(s)://host[:port][/].
  bool valid(std::string* why) const;

 private:
  ClientSettings settings_;
  bool tls_ = false;
  std::string host_;
  std::string port_;
  std::string problem_;
};

}  // namespace venue::operator_api
