#define BOOST_TEST_MODULE kafka_config
// The [kafka] connection keys every process reads (venue/common/kafka_config.h): TLS and SASL configured
// as an operator writes them become the librdkafka properties that make them happen, librdkafka accepts
// them, and every misuse is refused at load time with the key it is about; a password never sits in the
// file.
#include "venue/common/kafka_config.h"

#include <prometheus/registry.h>
#include <stdlib.h>  // NOLINT(modernize-deprecated-headers): setenv

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

namespace cfg = venue::config;
namespace kafka = venue::kafka;

namespace {

struct Dir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("kafka-config-test-" + std::to_string(::getpid()));
  Dir() {
    std::filesystem::create_directories(path);
    std::ofstream(path / "ca.pem") << "not read by the reader\n";
  }
  ~Dir() { std::filesystem::remove_all(path); }
};

std::vector<std::string> problems(const std::string& text, kafka::Connection& c, const std::filesystem::path& base) {
  try {
    cfg::load("[kafka]\n" + text, "x.toml", [&](cfg::Table& root) {
      auto k = root.table("kafka", "Kafka");
      kafka::read_connection(k, c, base);
    });
  } catch (const cfg::ConfigError& e) {
    return e.problems();
  }
  return {};
}

bool has(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& s : v) {
    if (s.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string property(const kafka::Properties& p, const std::string& key) {
  for (const auto& [k, v] : p) {
    if (k == key) return v;
  }
  return "(absent)";
}

}  // namespace

BOOST_AUTO_TEST_CASE(plaintext_by_default_adds_nothing) {
  kafka::Connection c;
  BOOST_TEST(problems("brokers = \"k1:9092,k2:9092\"\n", c, ".").empty());
  BOOST_TEST(c.brokers == "k1:9092,k2:9092");
  BOOST_TEST(c.properties().empty());
}

BOOST_AUTO_TEST_CASE(sasl_over_tls_becomes_the_librdkafka_properties_and_librdkafka_takes_them) {
  Dir d;
  ::setenv("KAFKA_CONFIG_TEST_PASSWORD", "s3cret", 1);
  kafka::Connection c;
  const auto p = problems(
      "brokers = \"b:9094\"\nsecurity_protocol = \"sasl_ssl\"\nssl_ca_file = \"ca.pem\"\n"
      "sasl_mechanism = \"SCRAM-SHA-256\"\nsasl_username = \"dropcopy\"\nsasl_password = "
      "\"$KAFKA_CONFIG_TEST_PASSWORD\"\n",
      c, d.path);
  BOOST_TEST_REQUIRE(p.empty(), p.front());
  const auto props = c.properties();
  BOOST_TEST(property(props, "security.protocol") == "sasl_ssl");
  BOOST_TEST(property(props, "ssl.ca.location") == (d.path / "ca.pem").string());
  BOOST_TEST(property(props, "ssl.endpoint.identification.algorithm") == "https");
  BOOST_TEST(property(props, "sasl.mechanisms") == "SCRAM-SHA-256");
  BOOST_TEST(property(props, "sasl.username") == "dropcopy");
  BOOST_TEST(property(props, "sasl.password") == "s3cret");
  // librdkafka (as built here) knows every one of them; the CA is left out (the file is no certificate).
  kafka::Properties usable;
  for (const auto& [k, v] : props) {
    if (k != "ssl.ca.location") usable.emplace_back(k, v);
  }
  const auto make_consumer = [&usable] {
    prometheus::Registry registry;
    const kafka::Consumer consumer(
        kafka::ConsumerSettings{.brokers = "127.0.0.1:1", .group_id = "g", .client_id = "c", .properties = usable},
        registry);
  };
  BOOST_CHECK_NO_THROW(make_consumer());
}

BOOST_AUTO_TEST_CASE(misuses_are_refused_with_their_key) {
  Dir d;
  ::setenv("KAFKA_CONFIG_TEST_PASSWORD", "s3cret", 1);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"security_protocol = \"sasl_ssl\"\nsasl_username = \"u\"\nsasl_password = \"written-here\"\n",
       "sasl_password"},  // password in the file
      {"security_protocol = \"sasl_ssl\"\nsasl_password = \"$KAFKA_CONFIG_TEST_PASSWORD\"\n", "sasl_username"},
      {"security_protocol = \"sasl_ssl\"\nsasl_username = \"u\"\n", "sasl_password"},
      {"sasl_username = \"u\"\n", "sasl_"},           // SASL keys, no SASL
      {"ssl_ca_file = \"ca.pem\"\n", "ssl_ca_file"},  // TLS keys, no TLS
      {"security_protocol = \"ssl\"\nssl_ca_file = \"missing.pem\"\n", "no such file"},
      {"security_protocol = \"ssl\"\nssl_certificate_file = \"ca.pem\"\n",
       "both ssl_certificate_file and ssl_key_file"},
      {"security_protocol = \"sasl_plaintext\"\nsasl_mechanism = \"PLAIN\"\nsasl_username = \"u\"\n"
       "sasl_password = \"$KAFKA_CONFIG_TEST_PASSWORD\"\n",
       "PLAIN"},  // PLAIN without TLS
      {"security_protocol = \"tls\"\n", "security_protocol"},
      {"brokers2 = \"x\"\n", "brokers2"},  // a typo
  };
  for (const auto& [text, expected] : cases) {
    BOOST_TEST_CONTEXT(text) {
      kafka::Connection c;
      const auto p = problems("brokers = \"b:9092\"\n" + text, c, d.path);
      BOOST_TEST(has(p, expected), (p.empty() ? std::string("accepted") : p.front()));
    }
  }
}
