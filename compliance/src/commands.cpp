// The officers' commands (commands.h). Longer than most files: five commands with their help texts,
// argument checks and output formats, kept together so they share one argument parser and one style.
#include "venue/compliance/commands.h"

#include <prometheus/registry.h>
#include <unistd.h>

#include <charconv>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>

#include "venue/common/kafka.h"
#include "venue/compliance/audit_row.h"
#include "venue/compliance/config.h"
#include "venue/compliance/store.h"
#include "venue/compliance/surveillance.h"

namespace venue::compliance {

namespace {

// A command-line mistake: printed as "compliance: CMPnnn: text" with exit code 2.
struct UsageError {
  std::string code;
  std::string text;
};
// The database or Kafka could not be used: exit code 3.
struct RuntimeFailure {
  std::string code;
  std::string text;
};

const std::map<std::string, std::string>& help_texts() {
  static const std::map<std::string, std::string> kHelp{
      {"", R"(usage: compliance COMMAND [OPTIONS]     (compliance COMMAND --help for each)

  compliance --config FILE          run the service (also: compliance run --config FILE)
  compliance verify                 check the audit trail's hash chain; names the first bad row
  compliance export                 write audit rows or alerts as CSV or JSON
  compliance alerts                 list, show and close surveillance alerts
  compliance status                 lag, last venue-seq, gaps, rule counts
  compliance gaps                   list gaps in venue-seq; acknowledge a lost one
  compliance --print-config-reference

Every command takes --config FILE (the service's configuration: [database] url, [kafka]) or --db URL.
Exit codes: 0 done, 1 verify found the chain broken, 2 bad command line, 3 database or Kafka unusable.
)"},
      {"verify", R"(usage: compliance verify [--from SEQ|TIME] [--to SEQ|TIME] [--checkpoints FILE] [--by WHO]
                         (--config FILE | --db URL)

Reads the audit rows in venue-seq order and checks each row's hash (its content), its link to the row
before (prev_hash), that no venue-seq is missing unless acknowledged lost (compliance gaps), none is
there twice, and that the last row is the head the service recorded. With --checkpoints, also that the
rows named in the service's checkpoint file still have the hashes written there (a rewritten chain).
Then, always whole, the alerts' chain and the alert actions' chain (every officer's close) the same way,
and each alert's closure against its chained close.
--from/--to: a venue-seq (digits) or a time (rows reported from then on / before then).
Prints "intact" and exits 0, or names the first bad row, alert or alert action and exits 1. Each run is recorded in
compliance.verifications (--by: who ran it; default the login name).
)"},
      {"export", R"(usage: compliance export --kind audit|alerts --from TIME --to TIME [--firm F] [--account A]
                         [--format csv|json] [--out FILE] [--soh TEXT] (--config FILE | --db URL)

Writes the audit rows (report time in [from, to)) or the alerts (event time in [from, to)), optionally of
one firm and/or account, in venue-seq order: CSV with a header line (default), or a JSON array of objects
with the same names. TIME: 2026-12-06, 2026-12-06T14:00:00Z, 2026-12-06T14:00:00.123+01:00 (UTC when no
offset). Columns: spec/compliance.md. --soh: write the raw FIX message's SOH separators as TEXT.
)"},
      {"alerts", R"(usage: compliance alerts [list] [--state open|closed|all] [--rule RULE] [--from TIME] [--to TIME]
                         [--firm F] [--account A] [--format text|json]
       compliance alerts show ID [--format text|json]
       compliance alerts close ID --by WHO --reason TEXT
       (each with --config FILE | --db URL)

list: the alerts (default: open ones), newest last. show: one alert with its evidence (the orders and
fills by ExecID). close: closes an open alert; who, when and why are kept (compliance.alert_actions).
Rules: wash_trade, spoofing, order_to_trade, momentum_ignition.
)"},
      {"status", R"(usage: compliance status [--format text|json] (--config FILE | --db URL)

The chain's head (last venue-seq), rows waiting behind gaps and the gaps, parked records, the running
service's heartbeat and readiness, consumer lag per partition (asked from Kafka now, when --config gives
the brokers), alerts per rule, the last verification.
)"},
      {"gaps", R"(usage: compliance gaps [list] [--format text|json] (--config FILE | --db URL)
       compliance gaps acknowledge --from-seq A --to-seq B --by WHO --reason TEXT (--config FILE | --db URL)

list: the venue-seqs the chain waits for, and the acknowledgements. acknowledge: declares venue-seqs
A..B lost for good (e.g. past the topic's retention), so the chain passes over them; recorded with who,
when and why, and checked by verify. A report of an acknowledged venue-seq that arrives later is parked.
)"}};
  return kHelp;
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// --name value options, positional words and flags.
struct Args {
  std::string command;
  std::vector<std::string> words;
  std::map<std::string, std::string> options;
  bool help = false;

  bool has(const std::string& k) const { return options.contains(k); }
  std::string get(const std::string& k, const std::string& def = "") const {
    const auto it = options.find(k);
    return it == options.end() ? def : it->second;
  }
  std::string need(const std::string& k) const {
    if (!has(k)) throw UsageError{"CMP004", command + " needs --" + k + " (see compliance " + command + " --help)"};
    return get(k);
  }
  std::string choice(const std::string& k, std::initializer_list<const char*> allowed, const std::string& def) const {
    std::string v = get(k, def);
    for (const char* a : allowed) {
      if (v == a) return v;
    }
    std::string list;
    for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    throw UsageError{"CMP005", "--" + k + " \"" + v + "\" is not one of " + list};
  }
};

Args parse_args(const std::vector<std::string>& args, const std::set<std::string>& allowed) {
  Args a;
  a.command = args.at(0);
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s == "--help" || s == "-h") {
      a.help = true;
    } else if (s.rfind("--", 0) == 0) {
      std::string name = s.substr(2);
      std::string value;
      if (const auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      } else {
        if (i + 1 >= args.size()) throw UsageError{"CMP003", "--" + name + " needs a value"};
        value = args[++i];
      }
      if (!allowed.contains(name)) {
        throw UsageError{
            "CMP002", "unknown option --" + name + " for " + a.command + " (see compliance " + a.command + " --help)"};
      }
      a.options[name] = value;
    } else {
      a.words.push_back(s);
    }
  }
  return a;
}

std::int64_t need_time(const Args& a, const std::string& k) {
  const auto v = a.need(k);
  const auto t = parse_time_micros(v);
  if (!t) {
    throw UsageError{"CMP005", "--" + k + " \"" + v +
                                   "\" is not a time (2026-12-06, 2026-12-06T14:00:00Z, 2026-12-06T14:00:00+01:00)"};
  }
  return *t;
}

std::optional<std::int64_t> opt_time(const Args& a, const std::string& k) {
  if (!a.has(k)) return std::nullopt;
  return need_time(a, k);
}

struct Target {
  std::string db_url;
  std::optional<Config> config;
};

Target target_of(const Args& a) {
  Target t;
  if (a.has("config")) {
    try {
      t.config = load_config(a.get("config"));
    } catch (const config::ConfigError& e) {
      throw UsageError{"CMP006", std::string("configuration refused:\n") + e.what()};
    }
    t.db_url = t.config->db_url;
  }
  if (a.has("db")) t.db_url = a.get("db");
  if (t.db_url.empty()) {
    if (const char* env = std::getenv("VENUE_PG_URL"); env != nullptr && *env != '\0') t.db_url = env;
  }
  if (t.db_url.empty()) {
    throw UsageError{"CMP004", a.command + " needs --config FILE or --db URL (or VENUE_PG_URL in the environment)"};
  }
  return t;
}

std::unique_ptr<pqxx::connection> connect(const Target& t) {
  std::unique_ptr<pqxx::connection> c;
  try {
    c = std::make_unique<pqxx::connection>(t.db_url);
  } catch (const std::exception& e) {
    throw RuntimeFailure{"CMP010", std::string("cannot connect to PostgreSQL: ") + e.what()};
  }
  const int version = pg::schema_version(*c, kSchema);
  const int known = static_cast<int>(compliance_migrations().size());
  if (version == 0) throw RuntimeFailure{"CMP011", "the database has no compliance schema yet: start the service once"};
  if (version > known) {
    throw RuntimeFailure{"CMP011", "database schema compliance is at version " + std::to_string(version) +
                                       "; this binary knows versions up to " + std::to_string(known)};
  }
  return c;
}

std::string who(const Args& a, const char* key) {
  if (a.has(key)) return a.get(key);
  if (const char* u = std::getenv("USER"); u != nullptr && *u != '\0') return u;
  return "unknown";
}

std::string iso_of(const pqxx::field& f) {
  if (f.is_null()) return "";
  return iso_timestamp(f.as<std::int64_t>());
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// ---------------------------------------------------------------- verify

struct Verdict {
  bool intact = true;
  std::uint64_t rows = 0;
  std::uint64_t first_bad = 0;
  std::string detail;
};

struct AlertVerdict {
  bool intact = true;
  std::uint64_t alerts = 0;
  AlertHead head;
  std::string detail;
};

// The alerts' chain (store.h), always whole: alert-seqs 1..head without a hole, each prev_hash the hash of
// the alert before, each row_hash its content's, the last one the head the service recorded.
AlertVerdict verify_alerts(pqxx::transaction_base& tx) {
  AlertVerdict v;
  v.head = load_alert_head(tx);
  Hash expected = kGenesisHash;
  std::uint64_t last = 0;
  const auto rows = tx.exec("select " + alert_chain_select_list() +
                            ", encode(prev_hash, 'hex'), encode(row_hash, 'hex') from compliance.alerts order by "
                            "alerts.alert_seq, alerts.alert_id");
  for (const auto& r : rows) {
    const auto seq = r[0].as<std::uint64_t>();
    const auto prev = hash_from_hex(r[kAlertChainColumns].as<std::string>());
    const auto own = hash_from_hex(r[kAlertChainColumns + 1].as<std::string>());
    const std::string where = "alert-seq " + std::to_string(seq) + " (alert " + r[1].as<std::string>() + ")";
    if (seq == last) {
      v.detail = where + ": alert-seq " + std::to_string(seq) + " is stored twice (an alert was inserted)";
    } else if (seq != last + 1) {
      v.detail = where + ": alert-seq " + std::to_string(last + 1) + ".." + std::to_string(seq - 1) +
                 " before it are missing (alerts deleted?)";
    } else if (!prev || *prev != expected) {
      v.detail = where + ": prev_hash does not match the alert before it (alert-seq " + std::to_string(last) +
                 "): an alert before it was deleted, inserted or rewritten";
    } else if (!own || *own != alert_chain_hash(expected, r)) {
      v.detail = where + ": row_hash does not match the alert's content: the alert was edited";
    }
    if (!v.detail.empty()) {
      v.intact = false;
      return v;
    }
    expected = *own;
    last = seq;
    ++v.alerts;
  }
  if (last < v.head.alert_seq) {
    v.detail = "alert-seq " + std::to_string(last + 1) + ".." + std::to_string(v.head.alert_seq) +
               " are missing at the end: the head the service recorded is alert-seq " +
               std::to_string(v.head.alert_seq) + " (alerts deleted?)";
  } else if (last > v.head.alert_seq) {
    v.detail =
        "alerts after the recorded head (alert-seq " + std::to_string(v.head.alert_seq) + ") are stored: inserted?";
  } else if (expected != v.head.row_hash) {
    v.detail = "the last alert's hash differs from the head the service recorded";
  }
  v.intact = v.detail.empty();
  return v;
}

struct ActionVerdict {
  bool intact = true;
  std::uint64_t actions = 0;
  ActionHead head;
  std::string detail;
};

// The alert actions' chain (store.h), always whole, as the alerts' chain; then each alert's closure
// columns (state, closed_by, closed_at, close_reason: outside the alerts' chain because they change by
// design) against its last chained close, so a closure edited in place, or an alert closed without one,
// is found too.
ActionVerdict verify_actions(pqxx::transaction_base& tx) {
  ActionVerdict v;
  v.head = load_action_head(tx, false);
  Hash expected = kGenesisHash;
  std::uint64_t last = 0;
  const auto rows = tx.exec("select " + action_chain_select_list() +
                            ", encode(prev_hash, 'hex'), encode(row_hash, 'hex') from compliance.alert_actions order "
                            "by alert_actions.action_seq, alert_actions.id");
  for (const auto& r : rows) {
    const auto seq = r[0].as<std::uint64_t>();
    const auto prev = hash_from_hex(r[kActionChainColumns].as<std::string>());
    const auto own = hash_from_hex(r[kActionChainColumns + 1].as<std::string>());
    const std::string where = "action-seq " + std::to_string(seq) + " (" + r[2].as<std::string>() + " of alert " +
                              r[1].as<std::string>() + " by " + r[3].as<std::string>() + ")";
    if (seq == last) {
      v.detail = where + ": action-seq " + std::to_string(seq) + " is stored twice (an action was inserted)";
    } else if (seq != last + 1) {
      v.detail = where + ": action-seq " + std::to_string(last + 1) + ".." + std::to_string(seq - 1) +
                 " before it are missing (actions deleted?)";
    } else if (!prev || *prev != expected) {
      v.detail = where + ": prev_hash does not match the action before it (action-seq " + std::to_string(last) +
                 "): an action before it was deleted, inserted or rewritten";
    } else if (!own || *own != action_chain_hash(expected, r)) {
      v.detail = where + ": row_hash does not match the action's content: the action was edited";
    }
    if (!v.detail.empty()) {
      v.intact = false;
      return v;
    }
    expected = *own;
    last = seq;
    ++v.actions;
  }
  if (last < v.head.action_seq) {
    v.detail = "action-seq " + std::to_string(last + 1) + ".." + std::to_string(v.head.action_seq) +
               " are missing at the end: the head recorded is action-seq " + std::to_string(v.head.action_seq) +
               " (actions deleted?)";
  } else if (last > v.head.action_seq) {
    v.detail =
        "actions after the recorded head (action-seq " + std::to_string(v.head.action_seq) + ") are stored: inserted?";
  } else if (expected != v.head.row_hash) {
    v.detail = "the last action's hash differs from the head recorded";
  }
  if (!v.detail.empty()) {
    v.intact = false;
    return v;
  }
  const auto closures = tx.exec(
      "select a.alert_id, a.state, a.closed_by, a.close_reason, c.action_seq, c.acted_by, c.reason, "
      "a.closed_at is not distinct from c.acted_at from compliance.alerts a left join lateral (select action_seq, "
      "acted_by, acted_at, reason from compliance.alert_actions x where x.alert_id = a.alert_id and x.action = 'close' "
      "order by action_seq desc limit 1) c on true where a.state <> 'open' or a.closed_by is not null or a.closed_at "
      "is not null or a.close_reason is not null or c.action_seq is not null order by a.alert_seq");
  for (const auto& r : closures) {
    const std::string alert = "alert " + r[0].as<std::string>();
    if (r[4].is_null()) {
      v.detail = alert + ": " + r[1].as<std::string>() + ", closed_by " + r[2].c_str() +
                 ", with no close in the actions' chain (the closure was written outside `compliance alerts close`)";
    } else if (r[1].as<std::string>() != "closed" || r[2].is_null() || r[3].is_null() ||
               r[2].as<std::string>() != r[5].as<std::string>() || r[3].as<std::string>() != r[6].as<std::string>() ||
               !r[7].as<bool>()) {
      v.detail = alert +
                 ": its closure (state, closed_by, closed_at, close_reason) differs from its close at action-seq " +
                 r[4].as<std::string>() + " (by " + r[5].as<std::string>() + ": " + r[6].as<std::string>() +
                 "): the closure was edited";
    }
    if (!v.detail.empty()) {
      v.intact = false;
      return v;
    }
  }
  return v;
}

int cmd_verify(const Args& a, std::ostream& out) {
  const Target t = target_of(a);
  std::optional<std::uint64_t> from_seq;
  std::optional<std::uint64_t> to_seq;
  std::optional<std::int64_t> from_time;
  std::optional<std::int64_t> to_time;
  for (const char* k : {"from", "to"}) {
    if (!a.has(k)) continue;
    std::uint64_t n = 0;
    const bool is_from = std::string(k) == "from";
    if (parse_u64(a.get(k), n)) {
      (is_from ? from_seq : to_seq) = n;
    } else {
      (is_from ? from_time : to_time) = need_time(a, k);
    }
  }
  std::map<std::uint64_t, std::pair<std::string, std::string>> checkpoints;  // seq -> (hash, line)
  if (a.has("checkpoints")) {
    std::ifstream in(a.get("checkpoints"));
    if (!in) throw UsageError{"CMP005", "cannot read --checkpoints " + a.get("checkpoints")};
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      try {
        const auto j = nlohmann::json::parse(line);
        checkpoints[j.at("venue_seq").get<std::uint64_t>()] = {j.at("row_hash").get<std::string>(), line};
      } catch (const std::exception&) {
        throw UsageError{"CMP005", "--checkpoints: not a checkpoint line: " + line};
      }
    }
  }
  auto c = connect(t);
  Verdict v;
  AlertVerdict av;
  ActionVerdict xv;
  Head head;
  std::uint64_t last_seq = 0;
  std::uint64_t start = 1;
  {
    pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only> tx(*c);
    head = load_head(tx, false);
    const auto acks = load_gap_acks(tx);
    auto acked = [&](std::uint64_t lo, std::uint64_t hi) {
      for (std::uint64_t s = lo; s <= hi;) {
        const auto it =
            std::find_if(acks.begin(), acks.end(), [&](const GapAck& g) { return s >= g.from && s <= g.to; });
        if (it == acks.end()) return false;
        s = it->to + 1;
      }
      return true;
    };
    if (from_seq) start = *from_seq;
    if (from_time) {
      const auto r = tx.exec_params1(
          "select coalesce(min(venue_seq), 0) from compliance.audit where trading_day >= (to_timestamp($1 / 1e6) at "
          "time zone 'UTC')::date - 1 and report_time >= to_timestamp($1 / 1e6)",
          static_cast<double>(*from_time));
      start = r[0].as<std::uint64_t>();
      if (start == 0) start = head.venue_seq + 1;
    }
    std::uint64_t end = to_seq.value_or(UINT64_MAX);
    if (to_time) {
      const auto r = tx.exec_params1(
          "select coalesce(max(venue_seq), 0) from compliance.audit where trading_day <= (to_timestamp($1 / 1e6) at "
          "time zone 'UTC')::date + 1 and report_time < to_timestamp($1 / 1e6)",
          static_cast<double>(*to_time));
      end = std::min<std::uint64_t>(end, r[0].as<std::uint64_t>());
    }
    Hash expected = kGenesisHash;
    std::uint64_t prev_seq = 0;
    if (start > 1) {
      const auto p = tx.exec_params(
          "select venue_seq, encode(row_hash, 'hex') from compliance.audit where venue_seq < $1 order by venue_seq "
          "desc limit 1",
          static_cast<std::int64_t>(start));
      if (!p.empty()) {
        prev_seq = p[0][0].as<std::uint64_t>();
        expected = hash_from_hex(p[0][1].as<std::string>()).value_or(kGenesisHash);
      }
    }
    last_seq = prev_seq;
    auto bad = [&](std::uint64_t seq, const std::string& why) {
      if (!v.intact) return;
      v.intact = false;
      v.first_bad = seq;
      v.detail = why;
    };
    tx.exec_params("declare rows no scroll cursor for select " + verify_select_list() +
                       " from compliance.audit where venue_seq >= $1 and venue_seq <= $2 order by audit.venue_seq, "
                       "audit.trading_day",
                   static_cast<std::int64_t>(start),
                   static_cast<std::int64_t>(std::min<std::uint64_t>(end, static_cast<std::uint64_t>(INT64_MAX))));
    while (v.intact) {
      const auto rows = tx.exec("fetch 5000 from rows");
      if (rows.empty()) break;
      for (const auto& r : rows) {
        AuditRow row;
        for (std::size_t i = 0; i < kColumnCount; ++i) {
          if (!r[static_cast<int>(i)].is_null()) row.v[i] = r[static_cast<int>(i)].as<std::string>();
        }
        const auto prev = hash_from_hex(r[static_cast<int>(kColumnCount)].as<std::string>());
        const auto own = hash_from_hex(r[static_cast<int>(kColumnCount) + 1].as<std::string>());
        const std::uint64_t seq = row.venue_seq();
        std::uint64_t skipped = 0;
        parse_u64(row.v[kSkippedBefore].value_or("0"), skipped);
        const std::string where = "venue-seq " + std::to_string(seq) + " (trading day " +
                                  row.v[kTradingDay].value_or("?") + ", exec_id " + row.v[kExecId].value_or("-") +
                                  ", kafka partition " + row.v[kKafkaPartition].value_or("?") + " offset " +
                                  row.v[kKafkaOffset].value_or("?") + ")";
        if (seq == last_seq) {
          bad(seq, where + ": venue-seq " + std::to_string(seq) + " is stored twice (a row was inserted)");
        } else if (seq != last_seq + 1 && !(start > 1 && last_seq == 0 && prev_seq == 0)) {
          if (skipped != seq - last_seq - 1 || !acked(last_seq + 1, seq - 1)) {
            bad(seq, where + ": venue-seq " + std::to_string(last_seq + 1) + ".." + std::to_string(seq - 1) +
                         " before it are missing and not acknowledged as lost (rows deleted?)");
          }
        } else if (skipped != 0 && seq == last_seq + 1) {
          bad(seq, where + ": skipped_before is " + std::to_string(skipped) + " but no venue-seq is missing (edited)");
        }
        if (!prev || *prev != expected) {
          bad(seq, where + ": prev_hash does not match the row before it (venue-seq " + std::to_string(last_seq) +
                       "): a row before it was deleted, inserted or rewritten");
        }
        if (!own || *own != chain_hash(expected, row)) {
          bad(seq, where + ": row_hash does not match the row's content: the row was edited");
        }
        if (const auto cp = checkpoints.find(seq); cp != checkpoints.end() && own && hex(*own) != cp->second.first) {
          bad(seq, where + ": differs from the checkpoint " + cp->second.second + ": the chain was rewritten");
        }
        if (!v.intact) break;
        expected = own.value_or(kGenesisHash);
        last_seq = seq;
        ++v.rows;
      }
    }
    if (v.intact && end >= head.venue_seq && !to_time) {
      if (last_seq < head.venue_seq) {
        bad(last_seq + 1, "venue-seq " + std::to_string(last_seq + 1) + ".." + std::to_string(head.venue_seq) +
                              " are missing at the end: the head the service recorded is venue-seq " +
                              std::to_string(head.venue_seq) + " (rows deleted?)");
      } else if (last_seq > head.venue_seq) {
        bad(head.venue_seq + 1,
            "rows after the recorded head (venue-seq " + std::to_string(head.venue_seq) + ") are stored: inserted?");
      } else if (last_seq != 0 && expected != head.row_hash) {
        bad(last_seq, "the last row's hash differs from the head the service recorded");
      }
    }
    for (const auto& [seq, cp] : checkpoints) {
      if (!v.intact) break;
      if (seq > head.venue_seq && seq >= start && seq <= end) {
        bad(seq, "checkpoint " + cp.second + " names venue-seq " + std::to_string(seq) + ", beyond the stored head " +
                     std::to_string(head.venue_seq) + ": rows were deleted");
      }
    }
    av = verify_alerts(tx);
    xv = verify_actions(tx);
    tx.commit();
  }
  if (v.intact && !av.intact) {
    v.intact = false;
    v.detail = "alerts: " + av.detail;
  }
  if (v.intact && !xv.intact) {
    v.intact = false;
    v.detail = "alert actions: " + xv.detail;
  }
  try {
    pqxx::work tx(*c);
    tx.exec_params(
        "insert into compliance.verifications (run_by, from_seq, to_seq, rows_checked, intact, first_bad_seq, detail) "
        "values ($1, $2, $3, $4, $5, $6, $7)",
        who(a, "by"), static_cast<std::int64_t>(start), static_cast<std::int64_t>(last_seq),
        static_cast<std::int64_t>(v.rows), v.intact,
        v.intact || v.first_bad == 0 ? std::optional<std::int64_t>()
                                     : std::optional<std::int64_t>(static_cast<std::int64_t>(v.first_bad)),
        v.intact ? std::string("intact") : v.detail);
    tx.commit();
  } catch (const std::exception& e) {
    out << "(this run could not be recorded in compliance.verifications: " << e.what() << ")\n";
  }
  if (v.intact) {
    out << "intact: " << v.rows << " rows checked";
    if (v.rows > 0) out << ", venue-seq " << start << ".." << last_seq;
    out << "; head venue-seq " << head.venue_seq << " " << hex(head.row_hash) << "\n";
    out << "intact: " << av.alerts << " alerts checked; head alert-seq " << av.head.alert_seq << " "
        << hex(av.head.row_hash) << "\n";
    out << "intact: " << xv.actions << " alert actions checked, and every alert's closure; head action-seq "
        << xv.head.action_seq << " " << hex(xv.head.row_hash) << "\n";
    return 0;
  }
  if (!xv.intact && v.detail.starts_with("alert actions: ")) {
    out << "BROKEN: first bad alert action: " << xv.detail << "\n"
        << xv.actions << " alert actions before it checked intact; " << av.alerts << " alerts and " << v.rows
        << " audit rows checked intact\n";
    return 1;
  }
  if (!av.intact && v.detail.starts_with("alerts: ")) {
    out << "BROKEN: first bad alert: " << av.detail << "\n"
        << av.alerts << " alerts before it checked intact; " << v.rows << " audit rows checked intact\n";
    return 1;
  }
  out << "BROKEN: first bad row: " << v.detail << "\n" << v.rows << " rows before it checked intact\n";
  return 1;
}

// ---------------------------------------------------------------- export

}  // namespace

const std::vector<std::string>& audit_export_columns() {
  static const std::vector<std::string> kCols{"venue_seq",
                                              "exec_id",
                                              "order_id",
                                              "cl_ord_id",
                                              "orig_cl_ord_id",
                                              "session",
                                              "firm",
                                              "account",
                                              "symbol",
                                              "side",
                                              "ord_type",
                                              "time_in_force",
                                              "order_qty",
                                              "price",
                                              "stop_px",
                                              "exec_type",
                                              "ord_status",
                                              "last_qty",
                                              "last_px",
                                              "cum_qty",
                                              "leaves_qty",
                                              "avg_px",
                                              "order_capacity",
                                              "transact_time",
                                              "reject_code",
                                              "text",
                                              "poss_resend",
                                              "repeat_of_venue_seq",
                                              "exec_ref_id",
                                              "bust_of_venue_seq",
                                              "kafka_partition",
                                              "kafka_offset",
                                              "raw_fix",
                                              "msg_type",
                                              "trd_match_id",
                                              "last_liquidity_ind",
                                              "trading_day",
                                              "report_time",
                                              "skipped_before",
                                              "shard",
                                              "engine_seq",
                                              "traceparent",
                                              "error",
                                              "prev_hash",
                                              "row_hash"};
  return kCols;
}

// The ExecIDs of an alert's evidence fills that a trade bust (ExecType H) has cancelled since, as a JSON
// array (a select-list expression over compliance.alerts).
constexpr const char* kBustedExecIds =
    "(select coalesce(json_agg(f.exec_id order by f.venue_seq), '[]') from compliance.audit f where f.exec_id = "
    "any(alerts.evidence_exec_ids) and f.exec_type = 'F' and f.repeat_of_venue_seq is null and exists (select 1 "
    "from compliance.audit b where b.exec_type = 'H' and b.bust_of_venue_seq = f.venue_seq))::text";

const std::vector<std::string>& alert_export_columns() {
  static const std::vector<std::string> kCols{
      "alert_id",  "rule",      "state",        "event_time",        "detected_at",       "firm",    "account",
      "owner",     "symbol",    "summary",      "trigger_venue_seq", "evidence_exec_ids", "figures", "evidence",
      "closed_by", "closed_at", "close_reason", "published_at",      "busted_exec_ids"};
  return kCols;
}

namespace {

enum class Json : std::uint8_t { kString, kInt, kBool, kRaw };

// Writes rows as CSV (header line) or a JSON array; each value given as text (nullopt: NULL).
class Writer {
 public:
  Writer(std::ostream& out, bool json, const std::vector<std::string>& cols, std::vector<Json> kinds)
      : out_(out), json_(json), cols_(cols), kinds_(std::move(kinds)) {
    if (json_) {
      out_ << "[";
    } else {
      for (std::size_t i = 0; i < cols_.size(); ++i) out_ << (i ? "," : "") << cols_[i];
      out_ << "\n";
    }
  }
  void row(const std::vector<std::optional<std::string>>& v) {
    if (json_) {
      nlohmann::ordered_json o;
      for (std::size_t i = 0; i < cols_.size(); ++i) {
        if (!v[i]) {
          o[cols_[i]] = nullptr;
        } else if (kinds_[i] == Json::kInt) {
          o[cols_[i]] = std::stoll(*v[i]);
        } else if (kinds_[i] == Json::kBool) {
          o[cols_[i]] = *v[i] == "Y";
        } else if (kinds_[i] == Json::kRaw) {
          o[cols_[i]] = nlohmann::ordered_json::parse(*v[i]);
        } else {
          o[cols_[i]] = *v[i];
        }
      }
      out_ << (rows_ ? ",\n" : "\n") << o.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      for (std::size_t i = 0; i < cols_.size(); ++i) out_ << (i ? "," : "") << (v[i] ? csv_field(*v[i]) : "");
      out_ << "\n";
    }
    ++rows_;
  }
  void finish() {
    if (json_) out_ << (rows_ ? "\n]\n" : "]\n");
    out_.flush();
  }
  std::uint64_t rows() const { return rows_; }

 private:
  std::ostream& out_;
  bool json_;
  const std::vector<std::string>& cols_;
  std::vector<Json> kinds_;
  std::uint64_t rows_ = 0;
};

int cmd_export(const Args& a, std::ostream& out, std::ostream& err) {
  const std::string kind = a.choice("kind", {"audit", "alerts"}, a.need("kind"));
  const std::int64_t from = need_time(a, "from");
  const std::int64_t to = need_time(a, "to");
  if (to <= from) throw UsageError{"CMP005", "--to must be after --from"};
  const bool json = a.choice("format", {"csv", "json"}, "csv") == "json";
  const Target t = target_of(a);
  std::ofstream file;
  if (a.has("out")) {
    file.open(a.get("out"), std::ios::binary | std::ios::trunc);
    if (!file) throw UsageError{"CMP005", "cannot write --out " + a.get("out")};
  }
  std::ostream& o = a.has("out") ? file : out;
  auto c = connect(t);
  pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only> tx(*c);
  std::string where;
  if (a.has("firm")) where += " and firm = " + tx.quote(a.get("firm"));
  if (a.has("account")) where += " and account = " + tx.quote(a.get("account"));
  const double f = static_cast<double>(from);
  const double e = static_cast<double>(to);
  std::uint64_t n = 0;
  if (kind == "audit") {
    const auto& cols = audit_export_columns();
    std::vector<Json> kinds;
    std::string select;
    for (const auto& col : cols) {
      if (!select.empty()) select += ", ";
      if (col == "transact_time" || col == "report_time") {
        select += "(extract(epoch from " + col + ") * 1000000)::bigint";
      } else if (col == "trading_day") {
        select += "to_char(trading_day, 'YYYY-MM-DD')";
      } else if (col == "poss_resend") {
        select += "case when poss_resend then 'Y' else 'N' end";
      } else if (col == "prev_hash" || col == "row_hash") {
        select += "encode(" + col + ", 'hex')";
      } else {
        select += col + "::text";
      }
      const bool is_int = col == "venue_seq" || col == "reject_code" || col == "repeat_of_venue_seq" ||
                          col == "bust_of_venue_seq" || col == "kafka_partition" || col == "kafka_offset" ||
                          col == "skipped_before" || col == "shard" || col == "engine_seq";
      kinds.push_back(is_int ? Json::kInt : col == "poss_resend" ? Json::kBool : Json::kString);
    }
    tx.exec_params("declare x no scroll cursor for select " + select +
                       " from compliance.audit where trading_day >= (to_timestamp($1 / 1e6) at time zone 'UTC')::date "
                       "and trading_day <= (to_timestamp($2 / 1e6) at time zone 'UTC')::date and report_time >= "
                       "to_timestamp($1 / 1e6) and report_time < to_timestamp($2 / 1e6)" +
                       where + " order by audit.venue_seq",
                   f, e);
    Writer w(o, json, cols, kinds);
    const std::string soh = a.get("soh", "\x01");
    for (;;) {
      const auto rows = tx.exec("fetch 5000 from x");
      if (rows.empty()) break;
      for (const auto& r : rows) {
        std::vector<std::optional<std::string>> v(cols.size());
        for (std::size_t i = 0; i < cols.size(); ++i) {
          const auto& fld = r[static_cast<int>(i)];
          if (fld.is_null()) continue;
          if (cols[i] == "transact_time" || cols[i] == "report_time") {
            v[i] = iso_of(fld);
          } else {
            v[i] = fld.as<std::string>();
            if (cols[i] == "raw_fix" && soh != "\x01") {
              std::string s;
              for (const char ch : *v[i]) s += ch == '\x01' ? soh : std::string(1, ch);
              v[i] = std::move(s);
            }
          }
        }
        w.row(v);
      }
    }
    w.finish();
    n = w.rows();
  } else {
    const auto& cols = alert_export_columns();
    const std::vector<Json> kinds{Json::kString, Json::kString, Json::kString, Json::kString, Json::kString,
                                  Json::kString, Json::kString, Json::kString, Json::kString, Json::kString,
                                  Json::kInt,    Json::kRaw,    Json::kRaw,    Json::kRaw,    Json::kString,
                                  Json::kString, Json::kString, Json::kString, Json::kRaw};
    const auto rows = tx.exec_params(
        "select alert_id, rule, state, (extract(epoch from event_time) * 1000000)::bigint, (extract(epoch from "
        "detected_at) * 1000000)::bigint, firm, account, owner, symbol, summary, trigger_venue_seq::text, "
        "to_json(evidence_exec_ids)::text, figures::text, evidence::text, closed_by, (extract(epoch from closed_at) * "
        "1000000)::bigint, close_reason, (extract(epoch from published_at) * 1000000)::bigint, " +
            std::string(kBustedExecIds) +
            " from compliance.alerts "
            "where event_time >= to_timestamp($1 / 1e6) and event_time < to_timestamp($2 / 1e6)" +
            where + " order by trigger_venue_seq, alert_id",
        f, e);
    Writer w(o, json, cols, kinds);
    for (const auto& r : rows) {
      std::vector<std::optional<std::string>> v(cols.size());
      for (std::size_t i = 0; i < cols.size(); ++i) {
        const auto& fld = r[static_cast<int>(i)];
        if (fld.is_null()) continue;
        const bool time_col = i == 3 || i == 4 || i == 15 || i == 17;
        v[i] = time_col ? iso_of(fld) : fld.as<std::string>();
        if (!json && (i == 11 || i == 18)) {  // CSV: the ExecIDs separated by spaces
          std::string s;
          for (const auto& id : nlohmann::json::parse(*v[i])) s += (s.empty() ? "" : " ") + id.get<std::string>();
          v[i] = s;
        }
      }
      w.row(v);
    }
    w.finish();
    n = w.rows();
  }
  tx.commit();
  if (a.has("out")) err << "compliance: " << n << " " << kind << " rows written to " << a.get("out") << "\n";
  return 0;
}

// ---------------------------------------------------------------- alerts

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

// ---------------------------------------------------------------- status and gaps

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

}  // namespace

bool is_command(std::string_view name) {
  return name == "verify" || name == "export" || name == "alerts" || name == "status" || name == "gaps" ||
         name == "help";
}

std::optional<std::int64_t> parse_time_micros(std::string_view s) {
  int y = 0;
  int mo = 0;
  int d = 0;
  int h = 0;
  int mi = 0;
  int sec = 0;
  std::int64_t frac = 0;
  std::size_t i = 0;
  auto digits = [&](int n, int& out) {
    if (i + static_cast<std::size_t>(n) > s.size()) return false;
    out = 0;
    for (int k = 0; k < n; ++k) {
      const char c = s[i++];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    return true;
  };
  auto lit = [&](char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  if (!digits(4, y) || !lit('-') || !digits(2, mo) || !lit('-') || !digits(2, d)) return std::nullopt;
  std::int64_t offset_s = 0;
  if (i < s.size()) {
    if (!lit('T') && !lit(' ')) return std::nullopt;
    if (!digits(2, h) || !lit(':') || !digits(2, mi)) return std::nullopt;
    if (lit(':')) {
      if (!digits(2, sec)) return std::nullopt;
      if (lit('.')) {
        int n = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
          if (n < 6) frac = frac * 10 + (s[i] - '0');
          ++n;
          ++i;
        }
        if (n == 0) return std::nullopt;
        for (int k = n; k < 6; ++k) frac *= 10;
      }
    }
    if (lit('Z')) {
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      const int sign = s[i++] == '+' ? 1 : -1;
      int oh = 0;
      int om = 0;
      if (!digits(2, oh) || !lit(':') || !digits(2, om)) return std::nullopt;
      offset_s = sign * (oh * 3600 + om * 60);
    }
    if (i != s.size()) return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  const std::time_t t = timegm(&tm);
  std::tm check{};
  gmtime_r(&t, &check);
  if (check.tm_mday != d) return std::nullopt;  // 2026-02-31
  return (static_cast<std::int64_t>(t) - offset_s) * 1'000'000 + frac;
}

int run_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::set<std::string> common{"config", "db"};
  const std::map<std::string, std::set<std::string>> options{
      {"verify", {"from", "to", "checkpoints", "by"}},
      {"export", {"kind", "from", "to", "firm", "account", "format", "out", "soh"}},
      {"alerts", {"state", "rule", "from", "to", "firm", "account", "format", "by", "reason"}},
      {"status", {"format"}},
      {"gaps", {"format", "from-seq", "to-seq", "by", "reason"}},
      {"help", {}}};
  try {
    if (args.empty() || !options.contains(args[0])) {
      throw UsageError{"CMP001", args.empty() ? "no command (see compliance --help)"
                                              : "unknown command \"" + args[0] + "\" (see compliance --help)"};
    }
    auto allowed = options.at(args[0]);
    allowed.insert(common.begin(), common.end());
    const Args a = parse_args(args, allowed);
    if (a.command == "help") {
      out << help_texts().at(a.words.empty() ? "" : help_texts().contains(a.words[0]) ? a.words[0] : "");
      return 0;
    }
    if (a.help) {
      out << help_texts().at(a.command);
      return 0;
    }
    if (a.command == "verify") return cmd_verify(a, out);
    if (a.command == "export") return cmd_export(a, out, err);
    if (a.command == "alerts") return cmd_alerts(a, out);
    if (a.command == "status") return cmd_status(a, out);
    return cmd_gaps(a, out);
  } catch (const UsageError& e) {
    err << "compliance: " << e.code << ": " << e.text << "\n";
    return 2;
  } catch (const RuntimeFailure& e) {
    err << "compliance: " << e.code << ": " << e.text << "\n";
    return 3;
  } catch (const std::exception& e) {
    err << "compliance: CMP012: " << e.what() << "\n";
    return 3;
  }
}

std::string usage_text() { return help_texts().at(""); }

}  // namespace venue::compliance
