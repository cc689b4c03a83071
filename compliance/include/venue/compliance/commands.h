#pragma once
// The officers' and auditors' commands of build/bin/compliance (spec/compliance.md, "Commands"):
//
//   compliance verify  [--from SEQ|TIME] [--to SEQ|TIME] [--checkpoints FILE] [--by WHO]
//   compliance export  --kind audit|alerts --from TIME --to TIME [--firm F] [--account A] [--format csv|json]
//                      [--out FILE] [--soh TEXT]
//   compliance alerts  [list] [--state open|closed|all] [--rule R] [--from TIME] [--to TIME] [--firm F]
//                      [--account A] [--format text|json]
//   compliance alerts  show ID [--format text|json]
//   compliance alerts  close ID --by WHO --reason TEXT
//   compliance status  [--format text|json]
//   compliance gaps    [list] [--format text|json]
//   compliance gaps    acknowledge --from-seq A --to-seq B --by WHO --reason TEXT
// each with --config FILE (the service's; its [database] url and [kafka]) or --db URL, and --help.
//
// Exit codes: 0 done (verify: the chain is intact), 1 verify found the chain broken, 2 a bad command line
// (a coded message: CMP0xx), 3 the database or Kafka could not be used.
//
// Thread rules: one call at a time per thread; each opens its own connection.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace venue::compliance {

// `args` without the program name, e.g. {"verify", "--config", "c.toml"}.
int run_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The top-level --help text.
std::string usage_text();

// True when `name` is one of the commands above.
bool is_command(std::string_view name);

// "2026-12-06", "2026-12-06T14:00", "2026-12-06T14:00:05.123Z", "2026-12-06 14:00:05+01:00": microseconds
// since the epoch (UTC unless an offset is given); nullopt when it is none of these.
std::optional<std::int64_t> parse_time_micros(std::string_view text);

// The columns of `compliance export --kind audit` and `--kind alerts`, in order.
const std::vector<std::string>& audit_export_columns();
const std::vector<std::string>& alert_export_columns();

}  // namespace venue::compliance
