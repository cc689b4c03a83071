// compliance alerts (commands.h): list, show and close surveillance alerts.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "commands_internal.h"
#include "venue/compliance/store.h"
#include "venue/compliance/surveillance.h"

namespace venue::compliance::detail {

namespace {

void print_alert_text(std::ostream& out, const pqxx::row& r, bool with_evidence) {
  out << r[0].as<std::string>() << "  " << r[1].as<std::string>() << "  " << r[2].as<std::string>() << "  "
      << iso_of(r[3]) << "  " << r[4].as<std::string>() << "/" << r[5].as<std::string>() << "  "
      << r[6].as<std::string>() << "\n    " << r[7].as<std::string>() << "\n";
  if (!r[9].is_null()) {
    out << "    closed by " << r[9].as<std::string>() << " at " << iso_of(r[10]) << ": " << r[11].as<std::string>()
        << "\n";
  }
  if (const auto busted = nlohmann::json::parse(r[15].as<std::string>()); !busted.empty()) {
    out << "    BUSTED since the alert: fill(s) ExecID";
    for (const auto& id : busted) out << " " << id.get<std::string>();
    out << " (trade bust, ExecType H)\n";
  }
  if (with_evidence) {
    out << "    figures: " << r[12].as<std::string>() << "\n    evidence:\n";
    for (const auto& e : nlohmann::json::parse(r[8].as<std::string>())) {
      out << "      ExecID " << e.value("exec_id", "") << "  venue-seq " << e.value("venue_seq", 0) << "  "
          << e.value("role", "") << "  order " << e.value("order_id", "") << "  " << e.value("account", "") << " "
          << e.value("side", "") << " " << e.value("qty", "") << " @ " << e.value("price", "") << "\n";
    }
  }
}

std::string alert_select() {
  return "select alert_id, rule, state, (extract(epoch from event_time) * 1000000)::bigint, firm, account, symbol, "
         "summary, evidence::text, closed_by, (extract(epoch from closed_at) * 1000000)::bigint, close_reason, "
         "figures::text, owner, trigger_venue_seq, " +
         std::string(kBustedExecIds) + " from compliance.alerts";
}

nlohmann::json alert_row_json(const pqxx::row& r) {
  nlohmann::json j{{"alert_id", r[0].as<std::string>()},
                   {"rule", r[1].as<std::string>()},
                   {"state", r[2].as<std::string>()},
                   {"event_time", iso_of(r[3])},
                   {"firm", r[4].as<std::string>()},
                   {"account", r[5].as<std::string>()},
                   {"symbol", r[6].as<std::string>()},
                   {"summary", r[7].as<std::string>()},
                   {"evidence", nlohmann::json::parse(r[8].as<std::string>())},
                   {"figures", nlohmann::json::parse(r[12].as<std::string>())},
                   {"owner", r[13].as<std::string>()},
                   {"trigger_venue_seq", r[14].as<std::int64_t>()},
                   {"busted_exec_ids", nlohmann::json::parse(r[15].as<std::string>())}};
  j["closed_by"] = r[9].is_null() ? nlohmann::json() : nlohmann::json(r[9].as<std::string>());
  j["closed_at"] = r[10].is_null() ? nlohmann::json() : nlohmann::json(iso_of(r[10]));
  j["close_reason"] = r[11].is_null() ? nlohmann::json() : nlohmann::json(r[11].as<std::string>());
  return j;
}

}  // namespace

int cmd_alerts(const Args& a, std::ostream& out) {
  const std::string sub = a.words.empty() ? "list" : a.words[0];
  if (sub != "list" && sub != "show" && sub != "close") {
    throw UsageError{"CMP001", "unknown alerts command \"" + sub + "\" (list, show or close)"};
  }
  const bool json = a.choice("format", {"text", "json"}, "text") == "json";
  if (sub == "list") {
    const std::string state = a.choice("state", {"open", "closed", "all"}, "open");
    const auto from = opt_time(a, "from");
    const auto to = opt_time(a, "to");
    if (a.has("rule")) {
      bool known = false;
      for (const char* r : kRules) known = known || a.get("rule") == r;
      if (!known) throw UsageError{"CMP005", "--rule \"" + a.get("rule") + "\" is not a rule (see --help)"};
    }
    const Target t = target_of(a);
    auto c = connect(t);
    pqxx::read_transaction tx(*c);
    std::string where = " where true";
    if (state != "all") where += " and state = " + tx.quote(state);
    if (a.has("rule")) where += " and rule = " + tx.quote(a.get("rule"));
    if (a.has("firm")) where += " and firm = " + tx.quote(a.get("firm"));
    if (a.has("account")) where += " and account = " + tx.quote(a.get("account"));
    if (from) where += " and event_time >= to_timestamp(" + std::to_string(*from) + " / 1e6)";
    if (to) where += " and event_time < to_timestamp(" + std::to_string(*to) + " / 1e6)";
    const auto rows = tx.exec(alert_select() + where + " order by trigger_venue_seq, alert_id");
    if (json) {
      auto arr = nlohmann::json::array();
      for (const auto& r : rows) arr.push_back(alert_row_json(r));
      out << arr.dump(2) << "\n";
    } else {
      for (const auto& r : rows) print_alert_text(out, r, false);
      out << rows.size() << " alert(s)\n";
    }
    return 0;
  }
  if (a.words.size() < 2) throw UsageError{"CMP004", "alerts " + sub + " needs an alert id"};
  const std::string id = a.words[1];
  if (sub == "show") {
    const Target t = target_of(a);
    auto c = connect(t);
    pqxx::read_transaction tx(*c);
    const auto rows = tx.exec_params(alert_select() + " where alert_id = $1", id);
    if (rows.empty()) throw UsageError{"CMP020", "no alert " + id};
    if (json) {
      out << alert_row_json(rows[0]).dump(2) << "\n";
    } else {
      print_alert_text(out, rows[0], true);
    }
    return 0;
  }
  const std::string by = a.need("by");
  const std::string reason = a.need("reason");
  if (by.empty() || reason.empty()) throw UsageError{"CMP005", "--by and --reason must not be empty"};
  const Target t = target_of(a);
  auto c = connect(t);
  pqxx::work tx(*c);
  const auto rows = tx.exec_params(
      "select state, closed_by, (extract(epoch from closed_at) * 1000000)::bigint, close_reason from "
      "compliance.alerts where alert_id = $1 for update",
      id);
  if (rows.empty()) throw UsageError{"CMP020", "no alert " + id};
  if (rows[0][0].as<std::string>() == "closed") {
    throw UsageError{"CMP021", "alert " + id + " was closed by " + rows[0][1].as<std::string>() + " at " +
                                   iso_of(rows[0][2]) + ": " + rows[0][3].as<std::string>()};
  }
  tx.exec_params(
      "update compliance.alerts set state = 'closed', closed_by = $2, closed_at = now(), close_reason = $3 where "
      "alert_id = $1",
      id, by, reason);
  append_alert_action(tx, id, "close", by, reason);
  tx.commit();
  out << "alert " << id << " closed by " << by << ": " << reason << "\n";
  return 0;
}

}  // namespace venue::compliance::detail
