#pragma once
// How a venue process reaches Kafka: the brokers and the transport security (TLS, SASL) of its [kafka]
// table. One reader for every process (the venue's producer, the drop copy's consumer, compliance and
// risk), so the keys, their checks and their meaning are the same everywhere and appear identically in
// each process's generated configuration reference.
//
//   void read_config(venue::config::Table& root, MyConfig& c, const std::filesystem::path& base) {
//     auto k = root.table("kafka", "...");
//     venue::kafka::read_connection(k, c.kafka, base);     // brokers, security_protocol, ssl_*, sasl_*
//     c.topic = k.string("topic", ...);                    // the process's own keys, same table
//   }
//   venue::kafka::Consumer consumer({.brokers = c.kafka.brokers, ..., .properties = c.kafka.properties()}, reg);
//
// Keys (all in the process's [kafka] table):
//   brokers              host:port[,host:port]; "$NAME" reads environment variable NAME
//   security_protocol    "plaintext" (default), "ssl" (TLS), "sasl_plaintext", "sasl_ssl" (SASL over TLS)
//   ssl_ca_file          PEM CA bundle the brokers' certificates are checked against (default: the system's)
//   ssl_certificate_file, ssl_key_file, ssl_key_password
//                        a client certificate for brokers that ask for one (mutual TLS); both files or neither
//   ssl_verify_hostname  true (default): the broker's certificate must name the host it was reached at
//   sasl_mechanism       "SCRAM-SHA-512" (default), "SCRAM-SHA-256" or "PLAIN"
//   sasl_username        required with sasl_*
//   sasl_password        required with sasl_*; only as "$NAME" (an environment variable), never in the file
// A misuse is a configuration error at load time with its line: SASL keys without a sasl_ protocol,
// TLS keys without TLS, a file that does not exist, PLAIN without TLS, a password written in the file.
//
// Thread rules: plain values; read_connection during configuration loading only.

#include <filesystem>
#include <string>

#include "venue/common/config.h"
#include "venue/common/kafka.h"

namespace venue::kafka {

struct Connection {
  std::string brokers;
  std::string security_protocol = "plaintext";  // plaintext | ssl | sasl_plaintext | sasl_ssl
  std::filesystem::path ssl_ca_file;            // empty: the system's CA store
  std::filesystem::path ssl_certificate_file;
  std::filesystem::path ssl_key_file;
  std::string ssl_key_password;
  bool ssl_verify_hostname = true;
  std::string sasl_mechanism = "SCRAM-SHA-512";  // PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
  std::string sasl_username;
  std::string sasl_password;

  bool tls() const { return security_protocol == "ssl" || security_protocol == "sasl_ssl"; }
  bool sasl() const { return security_protocol == "sasl_plaintext" || security_protocol == "sasl_ssl"; }
  // The librdkafka properties of the security settings (not bootstrap.servers): pass them as
  // ProducerSettings/ConsumerSettings::properties. Empty for plaintext.
  Properties properties() const;
  // The same, followed by a client's own properties.
  Properties properties(const Properties& extra) const {
    Properties p = properties();
    p.insert(p.end(), extra.begin(), extra.end());
    return p;
  }
};

// Reads the connection keys of a [kafka] table into `out`; relative file names are taken from `base_dir`.
// lenient_environment: a "$NAME" whose variable is not set reads as empty instead of failing (for a CLI
// whose command may not need Kafka).
void read_connection(config::Table& kafka, Connection& out, const std::filesystem::path& base_dir,
                     bool lenient_environment = false);

}  // namespace venue::kafka
