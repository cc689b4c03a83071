#define BOOST_TEST_MODULE observability
#include <prometheus/counter.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/test/unit_test.hpp>

#include "venue/common/observability.h"

namespace http = boost::beast::http;

namespace {

struct Reply {
  int status;
  std::string body;
};

Reply request(std::uint16_t port, http::verb verb, const std::string& target, const std::string& raw = {}) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  if (!raw.empty()) {
    boost::asio::write(socket, boost::asio::buffer(raw));
  } else {
    http::request<http::string_body> req(verb, target, 11);
    req.set(http::field::host, "localhost");
    http::write(socket, req);
  }
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(socket, buf, res);
  return {static_cast<int>(res.result_int()), res.body()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(metrics_health_and_readiness_answer_as_prometheus_and_probes_expect) {
  venue::Observability obs("127.0.0.1", 0);
  auto& c = prometheus::BuildCounter().Name("venue_test_events_total").Help("test").Register(obs.registry()).Add({});
  c.Increment(3);
  bool kafka_ready = false;
  obs.add_readiness_check("kafka", [&] { return kafka_ready; });
  obs.start();

  auto metrics = request(obs.port(), http::verb::get, "/metrics");
  BOOST_TEST(metrics.status == 200);
  BOOST_TEST(metrics.body.find("venue_test_events_total 3") != std::string::npos);

  BOOST_TEST(request(obs.port(), http::verb::get, "/healthz").status == 200);
  auto not_ready = request(obs.port(), http::verb::get, "/readyz");
  BOOST_TEST(not_ready.status == 503);
  BOOST_TEST(not_ready.body.find("\"kafka\"") != std::string::npos);
  kafka_ready = true;
  BOOST_TEST(request(obs.port(), http::verb::get, "/readyz").status == 200);
}

BOOST_AUTO_TEST_CASE(unknown_paths_wrong_methods_and_garbage_get_clear_errors) {
  venue::Observability obs("127.0.0.1", 0);
  obs.start();
  auto missing = request(obs.port(), http::verb::get, "/nope");
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(missing.body.find("no such endpoint") != std::string::npos);
  BOOST_TEST(request(obs.port(), http::verb::post, "/metrics").status == 405);
  BOOST_TEST(request(obs.port(), http::verb::get, "", "NOT HTTP AT ALL\r\n\r\n").status == 400);
  // The server keeps serving after bad input.
  BOOST_TEST(request(obs.port(), http::verb::get, "/healthz").status == 200);
}

BOOST_AUTO_TEST_CASE(a_port_in_use_is_reported_at_start) {
  venue::Observability first("127.0.0.1", 0);
  first.start();
  venue::Observability second("127.0.0.1", first.port());
  BOOST_CHECK_THROW(second.start(), std::runtime_error);
}
