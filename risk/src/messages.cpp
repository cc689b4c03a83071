#include "venue/risk/messages.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <ctime>

namespace venue::risk {

namespace {

using nlohmann::json;

// Printable ASCII without spaces, so ids are safe in logs, headers and SQL text.
std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c <= ' ' || c > '~') c = '_';
  }
  return out;
}

std::string trigger_text(const Trigger& t) {
  return t.limits_version > 0 ? "L" + std::to_string(t.limits_version) : std::to_string(t.venue_seq);
}

std::string key_text(const LimitKey& k) {
  std::string s = std::string(k.scope == Scope::kFirm ? "f-" : "a-") + k.entity + "-" + std::string(to_string(k.type));
  if (!k.symbol.empty()) s += "-" + k.symbol;
  return s;
}

std::string clip(std::string s) {
  if (s.size() > 128) s.resize(128);
  return s;
}

std::string figure_name(LimitType t) {
  switch (t) {
    case LimitType::kMaxNetPosition: return "net position";
    case LimitType::kGrossExposure: return "gross exposure";
    case LimitType::kOpenOrderExposure: return "open order exposure";
    case LimitType::kDailyTradedNotional: return "traded notional today";
    case LimitType::kMaxLoss: return "loss (-(realized + unrealized))";
  }
  return "usage";
}

std::string str(const json& j, const char* key, bool* ok) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    *ok = false;
    return {};
  }
  return it->get<std::string>();
}

std::string opt_str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string breach_reason(const LimitEvent& e) {
  std::string who = std::string(to_string(e.key.scope)) + " " + e.key.entity;
  std::string what = figure_name(e.key.type);
  if (!e.key.symbol.empty()) what += " in " + e.key.symbol;
  return std::string(to_string(e.key.type)) + " breached: " + who + " " + what + " " + e.usage.to_string() +
         " against a limit of " + e.limit.to_string();
}

Command breach_command(const LimitEvent& e, std::int64_t now_ns) {
  Command c;
  c.id = clip(printable("risk-" + key_text(e.key) + "-" + trigger_text(e.trigger)));
  c.issued_ns = now_ns;
  c.issuer = "risk";
  c.action = e.key.scope == Scope::kFirm ? "kill_firm" : "block_account";
  c.firm = e.firm;
  c.account = e.key.scope == Scope::kAccount ? e.key.entity : "";
  c.reason = breach_reason(e);
  c.limit = std::string(to_string(e.key.type));
  c.usage = e.usage.to_string();
  c.limit_value = e.limit.to_string();
  c.symbol = e.key.symbol;
  c.trigger_seq = e.trigger.venue_seq;
  c.trigger_exec_id = e.trigger.exec_id;
  c.traceparent = e.trigger.traceparent;
  c.trigger_transact_ns = e.trigger.transact_ns;
  c.trigger_record_ms = e.trigger.record_ms;
  return c;
}

Command release_command(Scope scope, const std::string& firm, const std::string& account, const std::string& issuer,
                        const std::string& reason, std::int64_t now_ns) {
  Command c;
  const std::string who = scope == Scope::kFirm ? "f-" + firm : "a-" + account;
  c.id = clip(printable("release-" + who + "-" + issuer + "-" + std::to_string(now_ns / 1'000'000)));
  c.issued_ns = now_ns;
  c.issuer = issuer;
  c.action = scope == Scope::kFirm ? "release_firm" : "release_account";
  c.firm = firm;
  c.account = scope == Scope::kAccount ? account : "";
  c.reason = reason;
  return c;
}

std::string command_json(const Command& c) {
  json j{{"id", c.id},         {"issued_at", iso_time_ms(c.issued_ns)},
         {"issuer", c.issuer}, {"action", c.action},
         {"firm", c.firm},     {"account", c.account},
         {"reason", c.reason}};
  if (!c.limit.empty()) {
    j["limit"] = c.limit;
    j["figures"] = json{{"usage", c.usage}, {"limit", c.limit_value}, {"symbol", c.symbol}};
  }
  if (c.trigger_seq != 0 || !c.trigger_exec_id.empty()) {
    j["trigger"] = json{{"venue_seq", c.trigger_seq}, {"exec_id", c.trigger_exec_id}};
  }
  return j.dump();
}

std::optional<Command> parse_command(std::string_view text, std::string* why) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    if (why != nullptr) *why = "not a JSON object";
    return std::nullopt;
  }
  bool ok = true;
  Command c;
  c.id = str(j, "id", &ok);
  const std::string issued_text = str(j, "issued_at", &ok);
  const auto issued = parse_iso_time(issued_text);
  c.issuer = str(j, "issuer", &ok);
  c.action = str(j, "action", &ok);
  c.firm = str(j, "firm", &ok);
  c.account = opt_str(j, "account");
  c.reason = opt_str(j, "reason");
  c.limit = opt_str(j, "limit");
  if (auto f = j.find("figures"); f != j.end() && f->is_object()) {
    c.usage = opt_str(*f, "usage");
    c.limit_value = opt_str(*f, "limit");
    c.symbol = opt_str(*f, "symbol");
  }
  if (auto t = j.find("trigger"); t != j.end() && t->is_object()) {
    if (auto s = t->find("venue_seq"); s != t->end() && s->is_number_unsigned())
      c.trigger_seq = s->get<std::uint64_t>();
    c.trigger_exec_id = opt_str(*t, "exec_id");
  }
  if (!ok || !issued) {
    if (why != nullptr) *why = "id, issued_at, issuer, action or firm missing or malformed";
    return std::nullopt;
  }
  c.issued_ns = *issued;
  return c;
}

std::optional<Ack> parse_ack(std::string_view text, std::string* why) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    if (why != nullptr) *why = "not a JSON object";
    return std::nullopt;
  }
  bool ok = true;
  Ack a;
  a.command_id = str(j, "command_id", &ok);
  a.result = str(j, "result", &ok);
  if (!ok || a.command_id.empty()) {
    if (why != nullptr) *why = "command_id or result missing";
    return std::nullopt;
  }
  if (a.result != "applied" && a.result != "duplicate" && a.result != "stale" && a.result != "refused") {
    if (why != nullptr) *why = "result \"" + a.result + "\" is not applied, duplicate, stale or refused";
    return std::nullopt;
  }
  a.reason = opt_str(j, "reason");
  a.action = opt_str(j, "action");
  a.firm = opt_str(j, "firm");
  a.account = opt_str(j, "account");
  if (auto n = j.find("orders_cancelled"); n != j.end() && n->is_number_integer()) {
    a.orders_cancelled = n->get<std::int64_t>();
  }
  const std::string applied_text = opt_str(j, "applied_at");
  if (auto t = parse_iso_time(applied_text)) a.applied_ns = *t;
  return a;
}

std::string alert_id(const LimitEvent& e) {
  return clip(printable("alert-" + key_text(e.key) + "-" +
                        (e.kind == LimitEvent::Kind::kBreach ? std::string("breach") : std::to_string(e.level)) + "-" +
                        trigger_text(e.trigger)));
}

std::string alert_json(const LimitEvent& e, std::int64_t now_ns, const std::string& command_id) {
  json j{{"id", alert_id(e)},
         {"at", iso_time_ms(now_ns)},
         {"kind", e.kind == LimitEvent::Kind::kBreach ? "breach" : "warning"},
         {"scope", std::string(to_string(e.key.scope))},
         {"firm", e.firm},
         {"account", e.key.scope == Scope::kAccount ? e.key.entity : ""},
         {"limit", std::string(to_string(e.key.type))},
         {"symbol", e.key.symbol},
         {"level", e.level},
         {"usage", e.usage.to_string()},
         {"limit_value", e.limit.to_string()},
         {"usage_percent", percent_text(e.usage, e.limit)},
         {"trigger", json{{"venue_seq", e.trigger.venue_seq}, {"exec_id", e.trigger.exec_id}}}};
  if (e.trigger.limits_version > 0) j["trigger"]["limits_version"] = e.trigger.limits_version;
  if (!command_id.empty()) j["command_id"] = command_id;
  if (e.kind == LimitEvent::Kind::kBreach) j["reason"] = breach_reason(e);
  return j.dump();
}

std::string iso_time_ms(std::int64_t ns) {
  const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  const int ms = static_cast<int>((ns / 1'000'000) % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

std::optional<std::int64_t> parse_iso_time(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s.back() != 'Z') {
    return std::nullopt;
  }
  auto num = [&](std::size_t at, std::size_t len, int& out) {
    // cppcheck-suppress invalidLifetime ; s is the caller's string, alive for this whole call
    const auto [p, ec] = std::from_chars(s.data() + at, s.data() + at + len, out);
    return ec == std::errc() && p == s.data() + at + len;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) || !num(17, 2, se)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  std::int64_t frac_ns = 0;
  const std::string_view rest = s.substr(19, s.size() - 20);
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() < 2 || rest.size() > 10) return std::nullopt;
    std::int64_t scale = 100'000'000;
    for (std::size_t i = 1; i < rest.size(); ++i) {
      if (rest[i] < '0' || rest[i] > '9') return std::nullopt;
      frac_ns += (rest[i] - '0') * scale;
      scale /= 10;
    }
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  const std::time_t t = timegm(&tm);
  return static_cast<std::int64_t>(t) * 1'000'000'000 + frac_ns;
}

}  // namespace venue::risk
