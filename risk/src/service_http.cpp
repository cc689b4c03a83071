// The risk service's HTTP views on its metrics port: /positions, /exposure, /status, /limits. Each reads
// the book under the service's mutex, so it shows the figures the limits are checked against.
#include <nlohmann/json.hpp>

#include "service_impl.h"
#include "venue/risk/views.h"

namespace venue::risk {

namespace {

using nlohmann::json;

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of `name` in an application/x-www-form-urlencoded query, decoded; "" when absent.
std::string query_param(const std::string& query, const std::string& name) {
  std::size_t at = 0;
  while (at <= query.size()) {
    const auto amp = query.find('&', at);
    const std::string part = query.substr(at, amp == std::string::npos ? std::string::npos : amp - at);
    const auto eq = part.find('=');
    if (part.substr(0, eq) == name) {
      std::string out;
      const std::string raw = eq == std::string::npos ? "" : part.substr(eq + 1);
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '+') {
          out += ' ';
        } else if (raw[i] == '%' && i + 2 < raw.size() && hex(raw[i + 1]) >= 0 && hex(raw[i + 2]) >= 0) {
          out += static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
          i += 2;
        } else {
          out += raw[i];
        }
      }
      return out;
    }
    if (amp == std::string::npos) break;
    at = amp + 1;
  }
  return "";
}

HttpResponse bad_request(const std::string& why) { return json_response(400, json{{"error", why}}.dump()); }

HttpResponse not_ready() {
  return json_response(503, json{{"error", "the risk state is not loaded yet (see /status)"}}.dump());
}

}  // namespace

void Service::add_routes(HttpServer& http) {
  Impl* impl = impl_.get();
  http.route("GET", "/positions", [impl](const HttpRequest& req) {
    const auto format = query_param(req.query, "format");
    const auto by = query_param(req.query, "by");
    if (!format.empty() && format != "csv" && format != "json") {
      return bad_request("format must be csv or json, not \"" + format + "\"");
    }
    if (!by.empty() && by != "account" && by != "firm") return bad_request("by must be account or firm");
    const auto firm = query_param(req.query, "firm");
    const auto account = query_param(req.query, "account");
    std::lock_guard lock(impl->mu);
    if (!impl->book) return not_ready();
    const auto rows = by == "firm" ? impl->book->firm_positions(firm) : impl->book->positions(firm, account);
    if (format == "csv") return HttpResponse{200, "text/csv; charset=utf-8", positions_csv(rows)};
    return HttpResponse{200, "application/json", positions_json(rows)};
  });
  http.route("GET", "/exposure", [impl](const HttpRequest& req) {
    const auto format = query_param(req.query, "format");
    if (!format.empty() && format != "csv" && format != "json") {
      return bad_request("format must be csv or json, not \"" + format + "\"");
    }
    std::lock_guard lock(impl->mu);
    if (!impl->book) return not_ready();
    const auto rows = exposure_rows(*impl->book, query_param(req.query, "firm"), query_param(req.query, "account"));
    if (format == "csv") return HttpResponse{200, "text/csv; charset=utf-8", exposure_csv(rows)};
    return HttpResponse{200, "application/json", exposure_json(rows)};
  });
  http.route("GET", "/status", [this, impl](const HttpRequest&) {
    auto body = json::parse(impl->status_json());
    body["ready"] = ready();
    return json_response(200, body.dump(1) + "\n");
  });
  http.route("GET", "/limits", [impl](const HttpRequest&) { return json_response(200, impl->limits_json()); });
}

std::string Service::Impl::status_json() const {
  std::lock_guard lock(mu);
  json checks{{"state_loaded", loaded.load()},
              {"kafka", kafka_ok.load()},
              {"postgres", writer.healthy()},
              {"caught_up", caught_up_once.load()},
              {"postgres_lock", !writer.lost_lock()}};
  json lag_json = json::object();
  std::int64_t total = 0;
  for (const auto& [p, n] : lag) {
    lag_json[std::to_string(p)] = n;
    total += n;
  }
  json usage = json::array();
  for (const auto& [key, st] : monitor.states()) {
    usage.push_back(json{{"scope", std::string(to_string(key.scope))},
                         {"entity", key.entity},
                         {"firm", st.firm},
                         {"limit", std::string(to_string(key.type))},
                         {"symbol", key.symbol},
                         {"usage", st.usage.to_string()},
                         {"limit_value", st.limit.to_string()},
                         {"usage_percent", percent_text(st.usage, st.limit)},
                         {"warning_level", st.level},
                         {"breached", st.breached}});
  }
  json block_list = json::array();
  for (const auto& [key, a] : blocks) {
    block_list.push_back(json{{"scope", key.rfind("f:", 0) == 0 ? "firm" : "account"},
                              {"firm", a.firm},
                              {"account", a.account},
                              {"command_id", a.command_id},
                              {"applied_at", a.applied_ns > 0 ? iso_time_ms(a.applied_ns) : ""},
                              {"orders_cancelled", a.orders_cancelled}});
  }
  json waiting = json::array();
  for (const auto& [id, c] : unanswered) waiting.push_back(id);
  const auto last_write = writer.last_write_ns();
  return json{{"checks", checks},
              {"last_venue_seq", last_seq},
              {"next_venue_seq", seq.next_expected()},
              {"records_held", seq.held()},
              {"gaps_skipped", seq.gaps_skipped()},
              {"lag", json{{"total", total}, {"partitions", lag_json}}},
              {"reading_paused", paused},
              {"unwritten_fills", writer.unwritten_fills()},
              {"last_write", last_write > 0 ? iso_time_ms(last_write) : ""},
              {"positions", book ? book->position_count() : 0},
              {"live_orders", book ? book->order_count() : 0},
              {"fills_kept", book ? book->fill_count() : 0},
              {"limits_version", limits_version},
              {"limit_usage", usage},
              {"blocks", block_list},
              {"unanswered_commands", waiting}}
      .dump();
}

std::string Service::Impl::limits_json() const {
  std::lock_guard lock(mu);
  json out = json::array();
  for (const auto& l : monitor.limits()) {
    out.push_back(json{{"scope", std::string(to_string(l.scope))},
                       {"entity", l.entity},
                       {"limit", std::string(to_string(l.type))},
                       {"symbol", l.symbol},
                       {"value", l.value.to_string()}});
  }
  return json{{"version", limits_version}, {"limits", out}}.dump(1) + "\n";
}

}  // namespace venue::risk
