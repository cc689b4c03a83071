// risk limits, release, alerts and commands (cli.h): limits listed, set and deleted in PostgreSQL, a
// block or kill switch released over Kafka, the alerts and commands sent.
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "cli_internal.h"
#include "venue/common/kafka.h"
#include "venue/risk/messages.h"

namespace venue::risk::cli_detail {

namespace {

Limit limit_from_args(const Args& a, bool need_value) {
  Limit l;
  const bool account = a.has("account");
  const bool firm = a.has("firm");
  if (account == firm) fail(2, "E206 give exactly one of --account and --firm");
  l.scope = account ? Scope::kAccount : Scope::kFirm;
  l.entity = account ? a.get("account") : a.get("firm");
  if (!a.has("limit")) fail(2, "E205 --limit TYPE is required");
  const auto type = parse_limit_type(a.get("limit"));
  if (!type) {
    fail(2, "E204 --limit \"" + a.get("limit") +
                "\" is not one of max_net_position, gross_exposure, open_order_exposure, daily_traded_notional, "
                "max_loss");
  }
  l.type = *type;
  l.symbol = a.get("symbol");
  if (need_value) {
    if (!a.has("value")) fail(2, "E205 --value V is required");
    std::string why;
    const auto v = parse_limit_value(a.get("value"), &why);
    if (!v) fail(2, "E204 --value \"" + a.get("value") + "\" " + why);
    l.value = *v;
  } else if (a.has("value")) {
    fail(2, "E202 --value is not taken by delete");
  } else {
    l.value = Amount::of(Decimal::from_units(Decimal::kOne));
  }
  if (const auto problem = check_limit(l); !problem.empty()) fail(2, "E204 " + problem);
  return l;
}

}  // namespace

int limits(const Args& a) {
  const Config cfg = cli_config(a);
  if (a.sub == "set" || a.sub == "delete") {
    for (const char* k : {"last", "format"}) {
      if (a.has(k)) fail(2, std::string("E202 --") + k + " is not taken by limits " + a.sub);
    }
    const Limit l = limit_from_args(a, a.sub == "set");
    const auto by = operator_name(a);
    const auto note = a.get("note");
    const std::string what = std::string(to_string(l.scope)) + " " + l.entity + " " + std::string(to_string(l.type)) +
                             (l.symbol.empty() ? "" : " " + l.symbol);
    if (a.sub == "set") {
      const auto old = with_db(cfg, [&](pqxx::work& tx) { return set_limit(tx, l, by, note); });
      std::cout << "limit set: " << what << " = " << l.value.to_string()
                << (old ? " (was " + old->to_string() + ")" : " (new)") << ", by " << by << "\n";
    } else {
      const bool existed = with_db(cfg, [&](pqxx::work& tx) { return delete_limit(tx, l, by, note); });
      if (!existed) fail(1, "E102 no such limit: " + what);
      std::cout << "limit deleted: " << what << ", by " << by << "\n";
    }
    return 0;
  }
  for (const char* k : {"limit", "symbol", "value", "by", "note"}) {
    if (a.has(k)) fail(2, std::string("E202 --") + k + " is not taken by limits " + a.sub);
  }
  const auto format = choose(a, "format", {"table", "csv", "json"});
  std::vector<std::vector<std::string>> rows;
  if (a.sub == "list") {
    if (a.has("last")) fail(2, "E202 --last is not taken by limits list");
    for (const auto& r : with_db(cfg, [](pqxx::work& tx) { return read_limits(tx); })) {
      const auto& l = r.limit;
      if (a.has("firm") && !(l.scope == Scope::kFirm && l.entity == a.get("firm"))) continue;
      if (a.has("account") && !(l.scope == Scope::kAccount && l.entity == a.get("account"))) continue;
      rows.push_back({std::string(to_string(l.scope)), l.entity, std::string(to_string(l.type)), l.symbol,
                      l.value.to_string(), r.updated_at, r.updated_by});
    }
    print_rows(format, {"scope", "entity", "limit", "symbol", "value", "updated_at", "updated_by"}, rows);
    return 0;
  }
  if (a.has("firm") && a.has("account")) fail(2, "E206 give --firm or --account, not both");
  const std::string entity = a.has("firm") ? a.get("firm") : a.get("account");
  const int n = last_n(a);
  for (const auto& c : with_db(cfg, [&](pqxx::work& tx) { return limit_history(tx, entity, n); })) {
    rows.push_back({std::to_string(c.id), c.at, c.by, c.action, std::string(to_string(c.limit.scope)), c.limit.entity,
                    std::string(to_string(c.limit.type)), c.limit.symbol,
                    c.old_value.empty() ? "" : Amount::parse(c.old_value).value_or(Amount()).to_string(),
                    c.new_value.empty() ? "" : Amount::parse(c.new_value).value_or(Amount()).to_string(), c.note});
  }
  print_rows(format, {"change", "at", "by", "action", "scope", "entity", "limit", "symbol", "old", "new", "note"},
             rows);
  return 0;
}

int release(const Args& a) {
  const Config cfg = cli_config(a);
  if (!a.has("firm") && !a.has("account")) fail(2, "E205 give --firm F (kill switch) or --account A (block)");
  if (!a.has("reason") || a.get("reason").empty()) fail(2, "E205 --reason TEXT is required (it is recorded)");
  int wait_s = 10;
  if (a.has("wait")) {
    char* end = nullptr;
    const long w = std::strtol(a.get("wait").c_str(), &end, 10);
    if (end == a.get("wait").c_str() || *end != '\0' || w < 0 || w > 3600) fail(2, "E204 --wait must be 0 to 3600");
    wait_s = static_cast<int>(w);
  }
  const Scope scope = a.has("account") ? Scope::kAccount : Scope::kFirm;
  std::string firm = a.get("firm");
  const std::string account = a.get("account");
  if (scope == Scope::kAccount && firm.empty()) {
    firm = with_db(cfg, [&](pqxx::work& tx) {
      const auto r = tx.exec("select firm from (select firm from fills where account = " + tx.quote(account) +
                             " union select firm from baselines where account = " + tx.quote(account) +
                             " union select firm from orders where account = " + tx.quote(account) + ") f limit 1");
      return r.empty() ? std::string() : std::string(r[0][0].c_str());
    });
    if (firm.empty()) fail(2, "E205 the firm of account " + account + " is not known here: give --firm F");
  }
  if (cfg.brokers.empty()) fail(2, "E205 [kafka] brokers is empty (is VENUE_KAFKA_BROKERS set? source .local/env)");
  const auto now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const Command c = release_command(scope, firm, account, operator_name(a), a.get("reason"), now_ns);
  // Who and when are recorded before anything is sent.
  with_db(cfg, [&](pqxx::work& tx) { record_command(tx, c); });
  prometheus::Registry registry;
  std::unique_ptr<kafka::Consumer> acks;
  try {
    if (wait_s > 0) {
      acks = std::make_unique<kafka::Consumer>(kafka::ConsumerSettings{.brokers = cfg.brokers,
                                                                       .group_id = "risk-cli",
                                                                       .client_id = "risk-cli",
                                                                       .properties = cfg.kafka.properties()},
                                               registry);
      const auto parts = acks->partitions(cfg.acks_topic, 5000);
      auto from = acks->offsets_for_time(cfg.acks_topic, parts, now_ns / 1'000'000 - 1000, 5000);
      for (auto& p : from) {
        if (p.next_offset == kafka::Consumer::kNoOffset) p.next_offset = RdKafka::Topic::OFFSET_END;
      }
      acks->assign(from);
    }
    kafka::Producer producer({.brokers = cfg.brokers, .client_id = "risk-cli", .properties = cfg.kafka.properties()},
                             registry, nullptr);
    if (producer.produce(cfg.control_topic, firm, command_json(c), {}) != kafka::Enqueue::kOk ||
        !producer.flush(10'000)) {
      fail(3, "E304 the release could not be published to " + cfg.control_topic + " (Kafka unreachable?)");
    }
  } catch (const kafka::KafkaError& e) {
    fail(3, std::string("E304 Kafka: ") + e.what());
  }
  with_db(cfg, [&](pqxx::work& tx) { mark_published(tx, c.id); });
  std::cout << "release published: " << c.id << " (" << c.action << " " << (account.empty() ? firm : account) << ", by "
            << c.issuer << ")\n";
  if (wait_s == 0) return 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = acks->poll(100);
    if (!m) continue;
    auto ack = parse_ack(std::string_view(static_cast<const char*>(m->payload()), m->len()), nullptr);
    if (!ack || ack->command_id != c.id) continue;
    std::cout << "venue: " << ack->result << (ack->reason.empty() ? "" : " (" + ack->reason + ")")
              << (ack->applied_ns > 0 ? " at " + iso_time_ms(ack->applied_ns) : "") << "\n";
    return ack->result == "applied" || ack->result == "duplicate" ? 0 : 1;
  }
  fail(1, "E101 no answer from the venue within " + std::to_string(wait_s) + " s: the release is on " +
              cfg.control_topic + " and applies when the venue reads it");
}

int alerts(const Args& a) {
  const Config cfg = cli_config(a);
  const auto format = choose(a, "format", {"table", "csv", "json"});
  const int n = last_n(a);
  std::vector<std::vector<std::string>> rows;
  for (const auto& x : with_db(cfg, [&](pqxx::work& tx) { return list_alerts(tx, a.get("firm"), n); })) {
    rows.push_back({x.at, x.kind, x.scope, x.firm, x.account, x.limit, x.symbol, std::to_string(x.level), x.usage,
                    x.limit_value, x.command_id, x.id});
  }
  print_rows(format,
             {"at", "kind", "scope", "firm", "account", "limit", "symbol", "level", "usage", "limit_value",
              "command_id", "id"},
             rows);
  return 0;
}

int commands(const Args& a) {
  const Config cfg = cli_config(a);
  const auto format = choose(a, "format", {"table", "csv", "json"});
  const int n = last_n(a);
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : with_db(cfg, [&](pqxx::work& tx) { return list_commands(tx, a.get("firm"), n); })) {
    const auto& c = r.command;
    rows.push_back({iso_time_ms(c.issued_ns), c.issuer, c.action, c.firm, c.account, r.published_at,
                    r.ack ? r.ack->result : "", r.ack && r.ack->applied_ns > 0 ? iso_time_ms(r.ack->applied_ns) : "",
                    r.ack ? std::to_string(r.ack->orders_cancelled) : "", c.id, c.reason});
  }
  print_rows(format,
             {"issued_at", "issuer", "action", "firm", "account", "published_at", "answer", "applied_at",
              "orders_cancelled", "id", "reason"},
             rows);
  return 0;
}

}  // namespace venue::risk::cli_detail
