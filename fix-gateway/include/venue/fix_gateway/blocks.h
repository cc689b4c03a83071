#pragma once
// Trading blocks, the venue's kill switch: which firms and accounts may not trade, who blocked them and
// why, and which block and release commands have been applied. One mechanism for every source: the
// operator API (an operator's kill switch and every release) and the risk service's commands on
// venue.risk-control (spec/kafka-topics.md). A block refuses new orders and replaces in its scope
// (2040 KillSwitchActive, its reason in the Text) and cancels the live ones; a release lifts it.
//
// Commands are idempotent and ordered: a command id applied before is a `duplicate`; a command issued
// before the last one applied to the same firm or account is `stale` (a block produced before a release
// never blocks again after it). Neither changes anything.
//
// The state is kept in <state_dir>/blocks.json, written to a temporary file, synced, renamed and the
// folder synced before a decision is returned, so a block that was answered `applied` survives a crash
// or a power cut, and a restart keeps it (spec/recovery.md). The ids of applied commands are kept for
// `kept_days` (stale detection covers older repeats).
//
// Thread rules: the gateway thread.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "venue/common/domain.h"

namespace venue::fix_gateway {

struct BlockCommand {
  enum class Action : std::uint8_t { kBlockAccount, kKillFirm, kReleaseAccount, kReleaseFirm };
  std::string id;                 // unique per command, chosen by the issuer
  std::int64_t issued_at_ms = 0;  // UTC milliseconds
  std::string issuer;             // "risk", or the operator's user name
  Action action = Action::kKillFirm;
  std::string firm;
  std::string account;  // block_account / release_account
  std::string reason;
  std::string details;  // the rest of the command (limit, figures, trigger) as JSON text, for the log

  bool is_block() const { return action == Action::kBlockAccount || action == Action::kKillFirm; }
  bool on_account() const { return action == Action::kBlockAccount || action == Action::kReleaseAccount; }
};

const char* to_string(BlockCommand::Action a);
// Parses one venue.risk-control record (spec/kafka-topics.md). nullopt with the reason when it is not a
// command; `id` is filled when the record had one, so the refusal can be acknowledged.
std::optional<BlockCommand> parse_block_command(const std::string& json, std::string* why, std::string* id);
// "2026-12-06T14:03:11.402Z" <-> UTC milliseconds.
std::optional<std::int64_t> parse_iso_ms(const std::string& text);
std::string iso_ms(std::int64_t ms);

struct Block {
  std::uint32_t id = 0;  // FirmId or AccountId
  std::string name;
  std::string by;
  std::string reason;
  std::string command_id;
  std::int64_t at_ms = 0;
};

class BlockBook {
 public:
  // Opens <dir>/blocks.json (none yet: no blocks). Throws std::runtime_error when the file is damaged,
  // saying what to do (the venue must not start with blocks silently lifted).
  explicit BlockBook(const std::filesystem::path& dir, int kept_days = 7);

  enum class Decision : std::uint8_t { kApplied, kDuplicate, kStale };
  // Decides `cmd` for the scope (`firm`, and `account` for account actions; both already resolved by the
  // caller), changes the state and saves it when applied. Throws std::runtime_error when the state
  // cannot be saved (nothing changed then).
  Decision decide(const BlockCommand& cmd, FirmId firm, AccountId account, std::int64_t now_ms);

  const std::map<std::uint32_t, Block>& firms() const { return firms_; }
  const std::map<std::uint32_t, Block>& accounts() const { return accounts_; }

 private:
  void load();
  void save() const;
  std::filesystem::path file_;
  std::int64_t kept_ms_;
  std::map<std::uint32_t, Block> firms_;
  std::map<std::uint32_t, Block> accounts_;
  std::map<std::string, std::int64_t> applied_;      // command id -> applied at (ms)
  std::map<std::string, std::int64_t> last_issued_;  // "firm:ID" / "account:ID" -> issued_at of the last applied
};

}  // namespace venue::fix_gateway
