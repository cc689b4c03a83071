// risk positions, exposure and status (cli.h): the running service's views over HTTP (positions also
// from PostgreSQL's snapshot).
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli_internal.h"
#include "venue/risk/book.h"
#include "venue/risk/instruments.h"
#include "venue/risk/views.h"

namespace venue::risk::cli_detail {

namespace {

// --- the service over HTTP ---------------------------------------------------------------------------

std::string http_get(const Config& cfg, const Args& a, const std::string& target) {
  std::string host = cfg.metrics_bind == "0.0.0.0" ? "127.0.0.1" : cfg.metrics_bind;
  std::string port = std::to_string(cfg.metrics_port);
  if (a.has("url")) {
    std::string url = a.get("url");
    if (url.rfind("http://", 0) == 0) url = url.substr(7);
    while (!url.empty() && url.back() == '/') url.pop_back();
    const auto colon = url.rfind(':');
    if (colon == std::string::npos) fail(2, "E204 --url must be http://HOST:PORT");
    host = url.substr(0, colon);
    port = url.substr(colon + 1);
  } else if (cfg.metrics_port == 0) {
    fail(2, "E205 the configuration has no [risk] metrics_port: give --url http://HOST:PORT");
  }
  namespace beast = boost::beast;
  namespace http = beast::http;
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    stream.connect(resolver.resolve(host, port));
    http::request<http::string_body> req{http::verb::get, target, 11};
    req.set(http::field::host, host);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    beast::error_code ec;
    stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    if (res.result_int() == 400) fail(2, "E204 the service refused the request: " + res.body());
    if (res.result_int() != 200) {
      fail(3, "E302 the risk service answered " + std::to_string(res.result_int()) + ": " + res.body());
    }
    return res.body();
  } catch (const boost::system::system_error& e) {
    fail(3, "E302 the risk service at " + host + ":" + port + " is not reachable (" + e.what() +
                "); `risk positions --snapshot` reads what PostgreSQL holds");
  }
}

std::string query(const Args& a, std::initializer_list<const char*> keys) {
  std::string q;
  for (const char* k : keys) {
    if (!a.has(k)) continue;
    std::string v;
    for (unsigned char c : a.get(k)) {
      if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.') {
        v += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        v += buf;
      }
    }
    q += (q.empty() ? "?" : "&") + std::string(k) + "=" + v;
  }
  return q;
}

}  // namespace

int positions(const Args& a) {
  const Config cfg = cli_config(a);
  const auto format = choose(a, "format", {"csv", "json"});
  const auto by = choose(a, "by", {"account", "firm"});
  if (by == "firm" && a.has("account")) fail(2, "E206 --by firm takes --firm, not --account");
  if (a.flags.count("snapshot") == 0) {
    std::string q = query(a, {"firm", "account", "by", "format"});
    if (!a.has("format")) q += (q.empty() ? "?" : "&") + std::string("format=csv");
    std::cout << http_get(cfg, a, "/positions" + q);
    return 0;
  }
  const auto refs = load_reference_prices(cfg.instruments);
  const auto state = with_db(cfg, [](pqxx::work& tx) { return load_state(tx); });
  Book book(BookSettings{refs, cfg.day_start_offset_ns});
  book.set_now(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
                   .count());
  for (const auto& b : state.baselines) book.restore_baseline(b);
  for (auto f : state.fills) book.restore_fill(std::move(f));
  for (const auto& o : state.orders) book.restore_order(o);
  for (const auto& m : state.marks) book.restore_mark(m);
  book.finish_restore();
  const auto rows = by == "firm" ? book.firm_positions(a.get("firm")) : book.positions(a.get("firm"), a.get("account"));
  std::cout << (format == "json" ? positions_json(rows) : positions_csv(rows));
  return 0;
}

int exposure(const Args& a) {
  const Config cfg = cli_config(a);
  choose(a, "format", {"csv", "json"});
  std::string q = query(a, {"firm", "account", "format"});
  if (!a.has("format")) q += (q.empty() ? "?" : "&") + std::string("format=csv");
  std::cout << http_get(cfg, a, "/exposure" + q);
  return 0;
}

int status(const Args& a) {
  const Config cfg = cli_config(a);
  const auto format = choose(a, "format", {"text", "json"});
  const std::string body = http_get(cfg, a, "/status");
  if (format == "json") {
    std::cout << body;
    return 0;
  }
  const json s = json::parse(body);
  std::cout << "ready: " << (s.value("ready", false) ? "yes" : "NO") << " (";
  bool first = true;
  for (const auto& [k, v] : s["checks"].items()) {
    std::cout << (first ? "" : ", ") << k << " " << (v.get<bool>() ? "ok" : "FAILING");
    first = false;
  }
  std::cout << ")\nlast venue-seq applied: " << s["last_venue_seq"] << ", held back: " << s["records_held"]
            << ", gaps skipped: " << s["gaps_skipped"] << "\nconsumer lag: " << s["lag"]["total"] << " records";
  for (const auto& [p, n] : s["lag"]["partitions"].items()) std::cout << " [p" << p << " " << n << "]";
  std::cout << "\nunwritten fills: " << s["unwritten_fills"]
            << ", last write to PostgreSQL: " << s["last_write"].get<std::string>()
            << (s.value("reading_paused", false) ? " (READING PAUSED)" : "") << "\npositions: " << s["positions"]
            << ", live orders: " << s["live_orders"] << ", fills kept: " << s["fills_kept"]
            << ", limits version: " << s["limits_version"] << "\n\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& u : s["limit_usage"]) {
    rows.push_back({u["scope"], u["entity"], u["limit"], u["symbol"], u["usage"], u["limit_value"],
                    u["usage_percent"].get<std::string>() + "%",
                    u["warning_level"].get<int>() > 0 ? std::to_string(u["warning_level"].get<int>()) + "%" : "-",
                    u["breached"].get<bool>() ? "BREACHED" : "-"});
  }
  print_rows("table", {"scope", "entity", "limit", "symbol", "usage", "limit", "used", "warned", "breach"}, rows);
  std::cout << "\nblocks in force:";
  if (s["blocks"].empty()) std::cout << " none";
  std::cout << "\n";
  for (const auto& b : s["blocks"]) {
    std::cout << "  " << b["scope"].get<std::string>() << " "
              << (b["scope"] == "firm" ? b["firm"].get<std::string>() : b["account"].get<std::string>()) << " since "
              << b["applied_at"].get<std::string>() << " (" << b["command_id"].get<std::string>() << ", "
              << b["orders_cancelled"] << " orders cancelled)\n";
  }
  if (!s["unanswered_commands"].empty()) {
    std::cout << "commands not answered by the venue yet:";
    for (const auto& id : s["unanswered_commands"]) std::cout << " " << id.get<std::string>();
    std::cout << "\n";
  }
  return 0;
}

}  // namespace venue::risk::cli_detail
