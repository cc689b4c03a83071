// The officers' commands (commands.h): the dispatch, the help texts, the argument parser and the helpers
// the commands share (commands_internal.h). Each command is in its own file: commands_verify.cpp,
// commands_export.cpp, commands_alerts.cpp, commands_status.cpp (status and gaps).
#include "venue/compliance/commands.h"

#include <charconv>
#include <ctime>
#include <map>
#include <set>

#include "commands_internal.h"
#include "venue/common/pg_migrations.h"
#include "venue/compliance/audit_row.h"
#include "venue/compliance/store.h"

namespace venue::compliance {

using detail::Args;
using detail::cmd_alerts;
using detail::cmd_export;
using detail::cmd_gaps;
using detail::cmd_status;
using detail::cmd_verify;
using detail::RuntimeFailure;
using detail::UsageError;

namespace {

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

}  // namespace

namespace detail {

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
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

}  // namespace detail

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
