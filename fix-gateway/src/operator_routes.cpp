// The venue's operator API routes (operator_routes.h, spec/operator-api.md): requests checked and turned
// into Gateway::admin_* calls; the answers turned into JSON with the HTTP status their code means.
#include "venue/fix_gateway/operator_routes.h"

#include <toml++/toml.h>

#include <algorithm>
#include <sstream>

#include "venue/common/log.h"
#include "venue/fix_gateway/report_log.h"
#include "venue/fix_session/auth.h"

namespace venue::fix_gateway {

namespace api = venue::operator_api;
using nlohmann::json;

namespace {

int status_of(const AdminResult& r) {
  if (r.ok) return 200;
  if (r.code == "not_found") return 404;
  if (r.code == "conflict") return 409;
  if (r.code == "invalid") return 400;
  if (r.code == "timeout" || r.code == "unavailable") return 503;
  if (r.code == "failed") return 500;
  // The kill switch and trading status answer without a code: their refusals name what is unknown or
  // wrong in the request.
  if (r.message.rfind("unknown", 0) == 0) return 404;
  if (r.message == "timed out") return 503;
  return 400;
}

std::string code_of(const AdminResult& r, int status) {
  if (!r.code.empty()) return r.code;
  return status == 404 ? "not_found" : status == 503 ? "timeout" : "invalid";
}

// An action's answer: {"ok": true, "message": ..., "result": ...} or the error.
api::Reply action_reply(const AdminResult& r) {
  const int status = status_of(r);
  if (!r.ok) {
    api::Reply refused = api::error(status, code_of(r, status), r.message);
    // More about a refusal (a trade bust's engine reject code) joins the error's fields.
    for (const char* key : {"reject_code", "reject_reason"}) {
      if (r.data.is_object() && r.data.contains(key)) refused.body[key] = r.data[key];
    }
    return refused;
  }
  json body{{"ok", true}, {"message", r.message}};
  if (!r.data.is_null()) body["result"] = r.data;
  return api::Reply{200, body};
}

// A view's answer: its data under `key` (or as the body when key is empty).
api::Reply view_reply(const AdminResult& r, const std::string& key) {
  const int status = status_of(r);
  if (!r.ok) return api::error(status, code_of(r, status), r.message);
  if (key.empty()) return api::ok(r.data);
  return api::ok(json{{key, r.data}});
}

// Refuses fields a request does not know (a typo must not be silently ignored).
std::optional<api::Reply> unknown_fields(const json& body, std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      return api::error(400, "invalid", "unknown field \"" + k + "\"");
    }
  }
  return std::nullopt;
}

std::optional<std::string> optional_string(const json& body, const char* key, std::string& error) {
  if (!body.contains(key)) return std::nullopt;
  if (!body[key].is_string()) {
    error = std::string("\"") + key + "\" must be a string";
    return std::nullopt;
  }
  return body[key].get<std::string>();
}

// The reports of an order in the report log (newest segments as they are on disk), read on the API's
// worker thread: the report log's reader reads what the gateway thread flushed, never more.
json reports_of(const std::filesystem::path& dir, std::uint64_t order_id, const std::string& clordid,
                const std::string& session, std::string& note) {
  json out = json::array();
  const std::uint64_t first = oldest_report_seq(dir);
  if (first == 0) return out;
  const std::string tag11 =
      "\x01"
      "11=" +
      clordid + "\x01";
  const std::string tag41 =
      "\x01"
      "41=" +
      clordid + "\x01";
  try {
    ReportReader reader(dir, first - 1);
    while (auto r = reader.next()) {
      const bool by_id = order_id != 0 && r->order_id == order_id;
      const bool by_clordid =
          !clordid.empty() && (session.empty() || r->session == session) &&
          (r->payload.find(tag11) != std::string::npos || r->payload.find(tag41) != std::string::npos);
      if (!by_id && !by_clordid) continue;
      std::string fix = r->payload;
      std::replace(fix.begin(), fix.end(), '\x01', '|');
      out.push_back({{"venue_seq", r->venue_seq},
                     {"msg_type", std::string(1, r->msg_type)},
                     {"exec_type", r->exec_type != 0 ? json(std::string(1, r->exec_type)) : json(nullptr)},
                     {"session", r->session},
                     {"account", r->account},
                     {"fix", fix}});
      if (out.size() >= 1000) {
        note = "the first 1000 reports";
        break;
      }
    }
  } catch (const std::exception& e) {
    note = std::string("the report log could not be read to its end: ") + e.what();
  }
  return out;
}

std::string strip_location(std::string problem) {
  // "request:3:1: \"session[].accounts\": ..." -> "\"accounts\": ..."
  if (problem.rfind("request", 0) == 0) {
    const auto colon = problem.find(": ");
    if (colon != std::string::npos) problem = problem.substr(colon + 2);
  }
  for (const std::string from : {"session[].", "session[0]."}) {
    for (auto at = problem.find(from); at != std::string::npos; at = problem.find(from)) problem.erase(at, from.size());
  }
  return problem;
}

}  // namespace

std::optional<SessionConfig> session_from_json(const json& body, const GatewayConfig& c,
                                               std::vector<std::string>& problems) {
  toml::table t;
  for (const auto& [k, v] : body.items()) {
    if (k == "password") continue;
    if (v.is_string()) {
      t.insert(k, v.get<std::string>());
    } else if (v.is_boolean()) {
      t.insert(k, v.get<bool>());
    } else if (v.is_number_integer()) {
      t.insert(k, v.get<std::int64_t>());
    } else if (v.is_array()) {
      toml::array a;
      for (const auto& item : v) {
        if (!item.is_string()) {
          problems.push_back("\"" + k + "\" must be an array of strings");
          break;
        }
        a.push_back(item.get<std::string>());
      }
      t.insert(k, std::move(a));
    } else {
      problems.push_back("\"" + k + "\" must be a string, an integer, a boolean or an array of strings");
    }
  }
  if (!problems.empty()) return std::nullopt;
  toml::array list;
  list.push_back(std::move(t));
  toml::table root;
  root.insert("session", std::move(list));
  std::ostringstream text;
  text << root;
  SessionConfig out;
  try {
    config::load(text.str(), "request", [&](config::Table& r) {
      auto tables = r.tables("session", "the session", true);
      if (!tables.empty()) read_session(tables.front(), c, out);
    });
  } catch (const config::ConfigError& e) {
    for (const auto& p : e.problems()) problems.push_back(strip_location(p));
    return std::nullopt;
  }
  return out;
}

operator_api::ServerSettings operator_api_settings(const GatewayConfig& c) {
  const auto& o = c.operator_api;
  operator_api::ServerSettings s;
  s.bind = o.bind;
  s.port = o.port;
  s.tls_certificate = o.tls_certificate;
  s.tls_private_key = o.tls_private_key;
  s.token_ttl = std::chrono::seconds(o.token_ttl_seconds);
  s.request_timeout = std::chrono::milliseconds(o.request_timeout_ms);
  s.audit_log = o.audit_log;
  s.allowed_origins = o.allowed_origins;
  s.allowed_hosts = o.allowed_hosts;
  for (const auto& u : o.users) {
    s.users.push_back(
        {u.name, u.role == OperatorRole::kOperator ? api::Role::kOperator : api::Role::kViewer, u.password_hash});
  }
  return s;
}

void add_operator_routes(api::Server& server, Gateway& g) {
  // ----- views -----
  server.view("/api/v1/sessions",
              [&g](const api::Request& r) { return view_reply(g.admin_session_list(r.deadline), "sessions"); });
  server.view("/api/v1/sessions/{session}", [&g](const api::Request& r) {
    auto result = g.admin_session(r.params.at("session"), r.deadline);
    if (result.ok) result.data["config"].erase("password_hash");
    return view_reply(result, "");
  });
  server.view("/api/v1/kill-switches",
              [&g](const api::Request& r) { return view_reply(g.admin_kill_switches(r.deadline), ""); });
  server.view("/api/v1/instruments",
              [&g](const api::Request& r) { return view_reply(g.admin_instruments(r.deadline), "instruments"); });
  server.view("/api/v1/instruments/{symbol}/book", [&g](const api::Request& r) {
    std::size_t depth = 5;
    if (r.query.contains("depth")) {
      try {
        depth = std::stoul(r.query.at("depth"));
      } catch (const std::exception&) {
        depth = 0;
      }
      if (depth < 1 || depth > 100) return api::error(400, "invalid", "depth must be 1 to 100");
    }
    return view_reply(g.admin_book(r.params.at("symbol"), depth, r.deadline), "");
  });
  server.view("/api/v1/orders", [&g](const api::Request& r) {
    OrderQuery q;
    if (r.query.contains("order_id")) {
      try {
        q.order_id = std::stoull(r.query.at("order_id"));
      } catch (const std::exception&) {
        return api::error(400, "invalid", "order_id must be a number");
      }
    }
    q.clordid = r.query.contains("clordid") ? r.query.at("clordid") : "";
    q.session = r.query.contains("session") ? r.query.at("session") : "";
    if ((q.order_id == 0) == q.clordid.empty()) {
      return api::error(400, "invalid", "give order_id=N or clordid=X (with session=S to narrow it)");
    }
    const auto found = g.admin_order(q, r.deadline);
    if (!found.ok) return view_reply(found, "");
    json out = found.data;
    const std::string dir = out.value("report_dir", "");
    out.erase("report_dir");
    std::string note;
    const std::string session = out.value("session", "");
    out["reports"] = reports_of(dir, out.value("order_id", std::uint64_t{0}), q.clordid,
                                session.empty() ? q.session : session, note);
    if (!note.empty()) out["note"] = note;
    if (out["live"].is_null() && out["reports"].empty() && !out.contains("final_status")) {
      return api::error(404, "not_found", "no such order in the venue or its report log");
    }
    return api::ok(out);
  });
  server.view("/api/v1/health", [&g](const api::Request& r) { return view_reply(g.admin_health(r.deadline), ""); });

  // ----- sessions -----
  auto session_action = [&g](SessionAction a, std::initializer_list<std::string_view> fields) {
    return [&g, a, fields = std::vector<std::string_view>(fields)](const api::Request& r) {
      for (const auto& [k, v] : r.body.items()) {
        if (std::find(fields.begin(), fields.end(), k) == fields.end()) {
          return api::error(400, "invalid", "unknown field \"" + k + "\"");
        }
      }
      SessionActionArgs args;
      args.action = a;
      std::string error;
      args.reason = optional_string(r.body, "reason", error).value_or("");
      for (const char* key : {"next_in", "next_out"}) {
        if (!r.body.contains(key)) continue;
        if (!r.body[key].is_number_integer() || r.body[key].get<std::int64_t>() < 1 ||
            r.body[key].get<std::int64_t>() > 2'000'000'000) {
          return api::error(400, "invalid", std::string("\"") + key + "\" must be a positive integer");
        }
        (std::string(key) == "next_in" ? args.next_in : args.next_out) = r.body[key].get<int>();
      }
      if (!error.empty()) return api::error(400, "invalid", error);
      return action_reply(g.admin_session_action(r.params.at("session"), args, r.deadline));
    };
  };
  server.action("POST", "/api/v1/sessions/{session}/logout", "session.logout",
                session_action(SessionAction::kLogout, {"reason"}));
  server.action("POST", "/api/v1/sessions/{session}/disconnect", "session.disconnect",
                session_action(SessionAction::kDisconnect, {"reason"}));
  server.action("POST", "/api/v1/sessions/{session}/disable", "session.disable",
                session_action(SessionAction::kDisable, {"reason"}));
  server.action("POST", "/api/v1/sessions/{session}/enable", "session.enable",
                session_action(SessionAction::kEnable, {"reason"}));
  server.action("POST", "/api/v1/sessions/{session}/sequence", "session.sequence",
                session_action(SessionAction::kSetSequence, {"next_in", "next_out", "reason"}));
  server.action("POST", "/api/v1/sessions/{session}/reset", "session.reset",
                session_action(SessionAction::kReset, {"reason"}));
  server.action("POST", "/api/v1/sessions/{session}/unlock", "session.unlock",
                session_action(SessionAction::kUnlock, {"reason"}));

  // Credentials: a "password" is hashed here, on the worker thread (PBKDF2 takes tens of milliseconds).
  auto with_hash = [](json body, std::string& error) {
    if (body.contains("password")) {
      if (body.contains("password_hash")) {
        error = "give \"password\" or \"password_hash\", not both";
      } else if (!body["password"].is_string() || body["password"].get<std::string>().size() < 8) {
        error = "\"password\" must be a string of at least 8 characters";
      } else {
        body["password_hash"] = fix_session::hash_password(body["password"].get<std::string>());
      }
      body.erase("password");
    }
    return body;
  };
  server.action(
      "POST", "/api/v1/sessions", "session.add",
      [&g, with_hash](const api::Request& r) {
        std::string error;
        const json body = with_hash(r.body, error);
        if (!error.empty()) return api::error(400, "invalid", error);
        std::vector<std::string> problems;
        const auto sc = session_from_json(body, g.config(), problems);
        if (!sc) return api::Reply{400, {{"error", "invalid"}, {"message", problems.front()}, {"problems", problems}}};
        auto result = g.admin_put_session(*sc, true, r.deadline);
        return action_reply(result);
      },
      {"sender_comp_id"});
  server.action("PATCH", "/api/v1/sessions/{session}", "session.change", [&g, with_hash](const api::Request& r) {
    for (const char* fixed : {"id", "sender_comp_id"}) {
      if (r.body.contains(fixed)) {
        return api::error(400, "invalid",
                          std::string("\"") + fixed + "\" cannot change: remove the session and add it anew");
      }
    }
    std::string error;
    const json patch = with_hash(r.body, error);
    if (!error.empty()) return api::error(400, "invalid", error);
    auto current = g.admin_session(r.params.at("session"), r.deadline);
    if (!current.ok) return view_reply(current, "");
    json merged = current.data["config"];
    for (const auto& [k, v] : patch.items()) merged[k] = v;
    std::vector<std::string> problems;
    const auto sc = session_from_json(merged, g.config(), problems);
    if (!sc) return api::Reply{400, {{"error", "invalid"}, {"message", problems.front()}, {"problems", problems}}};
    return action_reply(g.admin_put_session(*sc, false, r.deadline));
  });
  server.action("DELETE", "/api/v1/sessions/{session}", "session.remove", [&g](const api::Request& r) {
    if (auto bad = unknown_fields(r.body, {"reason"})) return *bad;
    return action_reply(g.admin_remove_session(r.params.at("session"), r.deadline));
  });

  // ----- kill switch -----
  auto kill = [&g](bool release) {
    return [&g, release](const api::Request& r) {
      if (auto bad = unknown_fields(r.body, {"firm", "account", "reason"})) return *bad;
      std::string error;
      const auto firm = optional_string(r.body, "firm", error).value_or("");
      const auto account = optional_string(r.body, "account", error).value_or("");
      if (!error.empty()) return api::error(400, "invalid", error);
      if (firm.empty() == account.empty())
        return api::error(400, "invalid", "give exactly one of \"firm\" or \"account\"");
      KillSwitchArgs args{firm, account, release, r.who.name, optional_string(r.body, "reason", error).value_or("")};
      if (!error.empty()) return api::error(400, "invalid", error);
      return action_reply(g.admin_kill_switch(args, r.deadline));
    };
  };
  server.action("POST", "/api/v1/kill-switch", "kill_switch.engage", kill(false), {"firm", "account"});
  server.action("POST", "/api/v1/kill-switch/release", "kill_switch.release", kill(true), {"firm", "account"});

  // ----- trade bust -----
  // The engine's journaled BustTradeCmd (trade_busts.cpp): answered once the engine has decided and both
  // brokers were sent ExecType H; a refusal carries the engine's reject code (1060, 1061, 2050).
  server.action("POST", "/api/v1/trades/{trade}/bust", "trade.bust", [&g](const api::Request& r) {
    if (auto bad = unknown_fields(r.body, {"reason"})) return *bad;
    const std::string& trade = r.params.at("trade");
    if (trade.empty() || trade.size() > 19 ||
        !std::all_of(trade.begin(), trade.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return api::error(400, "invalid", "a trade is named by its TrdMatchID(880), a number");
    }
    std::string error;
    const auto reason = optional_string(r.body, "reason", error).value_or("");
    if (!error.empty()) return api::error(400, "invalid", error);
    if (reason.empty())
      return api::error(400, "invalid", "give a \"reason\": both brokers see it in the report's Text");
    if (reason.size() > 200) return api::error(400, "invalid", "\"reason\" is at most 200 characters");
    return action_reply(g.admin_bust_trade(std::stoull(trade), r.who.name, reason, r.deadline));
  });

  // ----- trading status -----
  for (const auto& [verb, status] : {std::pair{"halt", "halted"}, {"resume", "open"}, {"close", "closed"}}) {
    server.action("POST", std::string("/api/v1/instruments/{symbol}/") + verb, std::string("instrument.") + verb,
                  [&g, status = std::string(status)](const api::Request& r) {
                    if (auto bad = unknown_fields(r.body, {"reason"})) return *bad;
                    return action_reply(g.admin_trading_status(r.params.at("symbol"), status, r.deadline));
                  });
  }
}

}  // namespace venue::fix_gateway
