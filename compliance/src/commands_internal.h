#pragma once
// The officers' commands' shared parts (commands.h): the argument parser, the connection, the error
// types and the formatting helpers of commands.cpp, used by each command's file (commands_verify.cpp,
// commands_export.cpp, commands_alerts.cpp, commands_status.cpp). Private to the library.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "venue/compliance/config.h"

namespace venue::compliance::detail {

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

bool parse_u64(std::string_view s, std::uint64_t& out);

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

std::int64_t need_time(const Args& a, const std::string& k);
std::optional<std::int64_t> opt_time(const Args& a, const std::string& k);

struct Target {
  std::string db_url;
  std::optional<Config> config;
};

Target target_of(const Args& a);
std::unique_ptr<pqxx::connection> connect(const Target& t);
std::string who(const Args& a, const char* key);
std::string iso_of(const pqxx::field& f);
std::string csv_field(const std::string& s);

// The ExecIDs of an alert's evidence fills that a trade bust (ExecType H) has cancelled since, as a JSON
// array (a select-list expression over compliance.alerts).
inline constexpr const char* kBustedExecIds =
    "(select coalesce(json_agg(f.exec_id order by f.venue_seq), '[]') from compliance.audit f where f.exec_id = "
    "any(alerts.evidence_exec_ids) and f.exec_type = 'F' and f.repeat_of_venue_seq is null and exists (select 1 "
    "from compliance.audit b where b.exec_type = 'H' and b.bust_of_venue_seq = f.venue_seq))::text";

// The commands, each in its file.
int cmd_verify(const Args& a, std::ostream& out);                     // commands_verify.cpp
int cmd_export(const Args& a, std::ostream& out, std::ostream& err);  // commands_export.cpp
int cmd_alerts(const Args& a, std::ostream& out);                     // commands_alerts.cpp
int cmd_status(const Args& a, std::ostream& out);                     // commands_status.cpp
int cmd_gaps(const Args& a, std::ostream& out);                       // commands_status.cpp

}  // namespace venue::compliance::detail
