// compliance status and compliance gaps (commands.h): the chain's head, lag, gaps and rule counts; the
// gaps list and their acknowledgement.
#include <prometheus/registry.h>

#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "commands_internal.h"
#include "venue/common/kafka.h"
#include "venue/compliance/store.h"
#include "venue/compliance/surveillance.h"

namespace venue::compliance::detail {

namespace {

nlohmann::json gap_report(pqxx::transaction_base& tx, const Head& head) {
  nlohmann::json j;
  auto gaps = nlohmann::json::array();
  for (const auto& r : tx.exec_params(
           "with p as (select venue_seq, lag(venue_seq) over (order by venue_seq) as prev from compliance.pending "
           "where venue_seq > $1) select coalesce(prev, $1) + 1, venue_seq - 1 from p where venue_seq > coalesce(prev, "
           "$1) + 1",
           static_cast<std::int64_t>(head.venue_seq))) {
    gaps.push_back({{"from_seq", r[0].as<std::int64_t>()}, {"to_seq", r[1].as<std::int64_t>()}});
  }
  j["gaps_before_pending_rows"] = gaps;
  j["pending_rows"] = tx.exec1("select count(*) from compliance.pending")[0].as<std::int64_t>();
  auto acks = nlohmann::json::array();
  for (const auto& r : tx.exec(
           "select from_seq, to_seq, acknowledged_by, (extract(epoch from acknowledged_at) * 1000000)::bigint, reason "
           "from compliance.gap_acknowledgements order by id")) {
    acks.push_back({{"from_seq", r[0].as<std::int64_t>()},
                    {"to_seq", r[1].as<std::int64_t>()},
                    {"by", r[2].as<std::string>()},
                    {"at", iso_of(r[3])},
                    {"reason", r[4].as<std::string>()}});
  }
  j["acknowledged"] = acks;
  return j;
}

nlohmann::json kafka_lag(const Config& cfg) {
  nlohmann::json j;
  try {
    prometheus::Registry reg;
    kafka::Consumer c({.brokers = cfg.brokers,
                       .group_id = cfg.group_id,
                       .client_id = cfg.client_id + "-status",
                       .properties = cfg.kafka.properties({{"log_level", "0"}})},
                      reg);
    const auto parts = c.partitions(cfg.topic, 3000);
    const auto committed = c.committed(cfg.topic, parts, 3000);
    auto per = nlohmann::json::object();
    std::int64_t total = 0;
    for (const auto& p : committed) {
      std::int64_t low = 0;
      std::int64_t high = 0;
      c.handle().query_watermark_offsets(cfg.topic, p.partition, &low, &high, 3000);
      const std::int64_t pos = p.next_offset >= 0 ? p.next_offset : low;
      const std::int64_t lag = std::max<std::int64_t>(0, high - pos);
      per[std::to_string(p.partition)] = lag;
      total += lag;
    }
    j = {{"group", cfg.group_id}, {"topic", cfg.topic}, {"lag", per}, {"total", total}};
    c.close();
  } catch (const std::exception& e) {
    j = {{"error", std::string("Kafka could not be asked: ") + e.what()}};
  }
  return j;
}

}  // namespace

int cmd_status(const Args& a, std::ostream& out) {
  const bool json = a.choice("format", {"text", "json"}, "text") == "json";
  const Target t = target_of(a);
  auto c = connect(t);
  nlohmann::json s;
  {
    pqxx::read_transaction tx(*c);
    const Head head = load_head(tx, false);
    const auto h = tx.exec1("select (extract(epoch from updated_at) * 1000000)::bigint from compliance.chain_head");
    s["head"] = {{"venue_seq", head.venue_seq},
                 {"row_hash", hex(head.row_hash)},
                 {"rows", head.rows},
                 {"updated_at", iso_of(h[0])}};
    s["gaps"] = gap_report(tx, head);
    s["parked_records"] = tx.exec1("select count(*) from compliance.parked")[0].as<std::int64_t>();
    const auto busts = tx.exec1(
        "select count(*), count(*) filter (where bust_of_venue_seq is null) from compliance.audit where exec_type = "
        "'H' and repeat_of_venue_seq is null");
    s["trade_busts"] = {{"total", busts[0].as<std::int64_t>()}, {"unmatched", busts[1].as<std::int64_t>()}};
    const auto svc = tx.exec(
        "select extract(epoch from now() - heartbeat_at)::float8, ready, state::text from compliance.service_state");
    if (svc.empty()) {
      s["service"] = {{"seen", false}};
    } else {
      s["service"] = {{"seen", true},
                      {"heartbeat_seconds_ago", svc[0][0].as<double>()},
                      {"ready", svc[0][1].as<bool>()},
                      {"state", nlohmann::json::parse(svc[0][2].as<std::string>())}};
    }
    auto rules = nlohmann::json::object();
    for (const char* r : kRules) rules[r] = {{"open", 0}, {"closed", 0}};
    for (const auto& r : tx.exec("select rule, state, count(*) from compliance.alerts group by rule, state")) {
      rules[r[0].as<std::string>()][r[1].as<std::string>()] = r[2].as<std::int64_t>();
    }
    s["alerts"] = rules;
    const auto v = tx.exec(
        "select (extract(epoch from run_at) * 1000000)::bigint, run_by, intact, detail from compliance.verifications "
        "order by id desc limit 1");
    if (!v.empty()) {
      s["last_verification"] = {{"at", iso_of(v[0][0])},
                                {"by", v[0][1].as<std::string>()},
                                {"intact", v[0][2].as<bool>()},
                                {"detail", v[0][3].as<std::string>()}};
    }
  }
  if (t.config) s["kafka"] = kafka_lag(*t.config);
  if (json) {
    out << s.dump(2) << "\n";
    return 0;
  }
  out << "chain head:     venue-seq " << s["head"]["venue_seq"] << ", " << s["head"]["rows"] << " rows, written "
      << s["head"]["updated_at"].get<std::string>() << "\n";
  const auto& svc = s["service"];
  if (!svc["seen"].get<bool>()) {
    out << "service:        never seen\n";
  } else {
    const double ago = svc["heartbeat_seconds_ago"].get<double>();
    out << "service:        "
        << (ago < 5 ? (svc["ready"].get<bool>() ? "running, ready" : "running, NOT READY") : "NOT RUNNING")
        << " (heartbeat " << static_cast<long>(ago) << " s ago)\n";
    const auto& st = svc["state"];
    out << "held in memory: " << st.value("held_in_memory", 0) << " records";
    if (st.value("missing_seqs", 0) > 0) out << " behind gaps " << st["gaps_in_memory"].dump();
    out << "\n";
  }
  const auto& g = s["gaps"];
  out << "pending table:  " << g["pending_rows"] << " rows";
  if (!g["gaps_before_pending_rows"].empty()) out << " waiting for venue-seq " << g["gaps_before_pending_rows"].dump();
  out << "\n";
  for (const auto& ack : g["acknowledged"]) {
    out << "acknowledged lost: venue-seq " << ack["from_seq"] << ".." << ack["to_seq"] << " by "
        << ack["by"].get<std::string>() << " at " << ack["at"].get<std::string>() << ": "
        << ack["reason"].get<std::string>() << "\n";
  }
  out << "parked records: " << s["parked_records"] << "\n";
  out << "trade busts:    " << s["trade_busts"]["total"]
      << " (of fills not in the trail: " << s["trade_busts"]["unmatched"] << ")\n";
  if (s.contains("kafka")) {
    const auto& k = s["kafka"];
    if (k.contains("error")) {
      out << "kafka:          " << k["error"].get<std::string>() << "\n";
    } else {
      out << "kafka lag:      " << k["total"] << " records (group " << k["group"].get<std::string>()
          << "; per partition " << k["lag"].dump() << ")\n";
    }
  }
  out << "alerts:\n";
  for (const auto& [rule, counts] : s["alerts"].items()) {
    out << "  " << rule << ": " << counts["open"] << " open, " << counts["closed"] << " closed\n";
  }
  if (s.contains("last_verification")) {
    const auto& v = s["last_verification"];
    out << "last verify:    " << v["at"].get<std::string>() << " by " << v["by"].get<std::string>() << ": "
        << (v["intact"].get<bool>() ? "intact" : "BROKEN: " + v["detail"].get<std::string>()) << "\n";
  }
  return 0;
}

int cmd_gaps(const Args& a, std::ostream& out) {
  const std::string sub = a.words.empty() ? "list" : a.words[0];
  if (sub == "list") {
    const bool json = a.choice("format", {"text", "json"}, "text") == "json";
    const Target t = target_of(a);
    auto c = connect(t);
    pqxx::read_transaction tx(*c);
    const Head head = load_head(tx, false);
    auto g = gap_report(tx, head);
    g["head_venue_seq"] = head.venue_seq;
    const auto svc = tx.exec("select state::text from compliance.service_state");
    if (!svc.empty())
      g["gaps_in_memory"] =
          nlohmann::json::parse(svc[0][0].as<std::string>()).value("gaps_in_memory", nlohmann::json::array());
    if (json) {
      out << g.dump(2) << "\n";
      return 0;
    }
    out << "chain head: venue-seq " << head.venue_seq << "\n";
    out << "waiting for (in the service's memory): " << g.value("gaps_in_memory", nlohmann::json::array()).dump()
        << "\n";
    out << "waiting for (before rows in the pending table): " << g["gaps_before_pending_rows"].dump() << "\n";
    for (const auto& ack : g["acknowledged"]) {
      out << "acknowledged lost: venue-seq " << ack["from_seq"] << ".." << ack["to_seq"] << " by "
          << ack["by"].get<std::string>() << " at " << ack["at"].get<std::string>() << ": "
          << ack["reason"].get<std::string>() << "\n";
    }
    return 0;
  }
  if (sub != "acknowledge") throw UsageError{"CMP001", "unknown gaps command \"" + sub + "\" (list or acknowledge)"};
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  if (!parse_u64(a.need("from-seq"), from) || from == 0) throw UsageError{"CMP005", "--from-seq must be a venue-seq"};
  if (!parse_u64(a.need("to-seq"), to) || to < from)
    throw UsageError{"CMP005", "--to-seq must be a venue-seq >= --from-seq"};
  const std::string by = a.need("by");
  const std::string reason = a.need("reason");
  if (by.empty() || reason.empty()) throw UsageError{"CMP005", "--by and --reason must not be empty"};
  const Target t = target_of(a);
  auto c = connect(t);
  pqxx::work tx(*c);
  const Head head = load_head(tx, false);
  if (from <= head.venue_seq) {
    throw UsageError{"CMP005", "venue-seq " + std::to_string(from) + " is at or below the chain's head (" +
                                   std::to_string(head.venue_seq) +
                                   "): only missing venue-seqs ahead of it can be lost"};
  }
  tx.exec_params(
      "insert into compliance.gap_acknowledgements (from_seq, to_seq, acknowledged_by, reason) values ($1, $2, $3, $4)",
      static_cast<std::int64_t>(from), static_cast<std::int64_t>(to), by, reason);
  tx.commit();
  out << "venue-seq " << from << ".." << to << " acknowledged as lost by " << by
      << "; the service passes over them when the chain reaches them\n";
  return 0;
}

}  // namespace venue::compliance::detail
