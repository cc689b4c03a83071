#include "venue/common/kafka_config.h"

#include <cstdlib>

namespace venue::kafka {

namespace {

std::filesystem::path existing_file(config::Table& t, std::string_view key, const std::string& name,
                                    const std::filesystem::path& base) {
  if (name.empty()) return {};
  const std::filesystem::path p(name);
  auto full = p.is_absolute() ? p : base / p;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(full, ec)) t.fail(key, "no such file: " + full.string());
  return full;
}

}  // namespace

void read_connection(config::Table& k, Connection& c, const std::filesystem::path& base, bool lenient_environment) {
  c.brokers = config::from_environment(
      k, "brokers",
      k.string("brokers", "Bootstrap brokers host:port[,host:port]; \"$NAME\" reads environment variable NAME",
               config::kRequired),
      lenient_environment);
  c.security_protocol = k.choice("security_protocol",
                                 "How the brokers are reached: plaintext, ssl (TLS), sasl_plaintext (SASL without "
                                 "TLS: SCRAM only), sasl_ssl (SASL over TLS)",
                                 {"plaintext", "ssl", "sasl_plaintext", "sasl_ssl"}, "plaintext");
  const std::string ca =
      k.string("ssl_ca_file",
               "PEM file of the CA certificates the brokers' certificates are checked against; empty: the "
               "system's",
               "");
  const std::string cert =
      k.string("ssl_certificate_file", "PEM client certificate, for brokers that ask for one (mutual TLS)", "");
  const std::string key = k.string("ssl_key_file", "PEM private key of ssl_certificate_file", "");
  const std::string key_password = k.string(
      "ssl_key_password", "Password of an encrypted ssl_key_file: \"$NAME\" reads environment variable NAME", "");
  c.ssl_verify_hostname =
      k.boolean("ssl_verify_hostname",
                "The broker's certificate must name the host it was reached at (turn off only for tests)", true);
  c.sasl_mechanism = k.choice("sasl_mechanism", "SASL mechanism (security_protocol sasl_*)",
                              {"SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"}, "SCRAM-SHA-512");
  c.sasl_username = k.string("sasl_username", "SASL user name (required with security_protocol sasl_*)", "");
  const std::string password = k.string(
      "sasl_password",
      "SASL password, only as \"$NAME\": read from environment variable NAME, never written in the file (required "
      "with security_protocol sasl_*)",
      "");

  if (c.tls()) {
    c.ssl_ca_file = existing_file(k, "ssl_ca_file", ca, base);
    c.ssl_certificate_file = existing_file(k, "ssl_certificate_file", cert, base);
    c.ssl_key_file = existing_file(k, "ssl_key_file", key, base);
    if (cert.empty() != key.empty()) {
      k.fail(cert.empty() ? "ssl_key_file" : "ssl_certificate_file",
             "a client certificate needs both ssl_certificate_file and ssl_key_file");
    }
    if (!key_password.empty() && key.empty()) k.fail("ssl_key_password", "needs ssl_key_file");
    c.ssl_key_password = config::from_environment(k, "ssl_key_password", key_password, lenient_environment);
  } else {
    for (const auto& [name, value] : {std::pair<std::string_view, const std::string&>{"ssl_ca_file", ca},
                                      {"ssl_certificate_file", cert},
                                      {"ssl_key_file", key},
                                      {"ssl_key_password", key_password}}) {
      if (!value.empty()) k.fail(name, "needs security_protocol \"ssl\" or \"sasl_ssl\"");
    }
  }
  if (c.sasl()) {
    if (c.sasl_username.empty())
      k.fail("sasl_username", "required with security_protocol \"" + c.security_protocol + "\"");
    if (password.empty()) {
      k.fail("sasl_password", "required with security_protocol \"" + c.security_protocol + "\"");
    } else if (password[0] != '$') {
      k.fail("sasl_password", "must name an environment variable (\"$NAME\"): a password is never written in the file");
    } else {
      c.sasl_password = config::from_environment(k, "sasl_password", password, lenient_environment);
    }
    if (!c.tls() && c.sasl_mechanism == "PLAIN") {
      k.fail("sasl_mechanism", "PLAIN sends the password in clear: use it with security_protocol \"sasl_ssl\"");
    }
  } else if (!c.sasl_username.empty() || !password.empty()) {
    k.fail(c.sasl_username.empty() ? "sasl_password" : "sasl_username",
           "needs security_protocol \"sasl_plaintext\" or \"sasl_ssl\"");
  }
}

Properties Connection::properties() const {
  Properties p;
  if (security_protocol == "plaintext") return p;
  p.emplace_back("security.protocol", security_protocol);
  if (tls()) {
    if (!ssl_ca_file.empty()) p.emplace_back("ssl.ca.location", ssl_ca_file.string());
    if (!ssl_certificate_file.empty()) p.emplace_back("ssl.certificate.location", ssl_certificate_file.string());
    if (!ssl_key_file.empty()) p.emplace_back("ssl.key.location", ssl_key_file.string());
    if (!ssl_key_password.empty()) p.emplace_back("ssl.key.password", ssl_key_password);
    p.emplace_back("ssl.endpoint.identification.algorithm", ssl_verify_hostname ? "https" : "none");
  }
  if (sasl()) {
    p.emplace_back("sasl.mechanisms", sasl_mechanism);
    p.emplace_back("sasl.username", sasl_username);
    p.emplace_back("sasl.password", sasl_password);
  }
  return p;
}

}  // namespace venue::kafka
