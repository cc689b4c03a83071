// Trading blocks and their persistence (blocks.h). Gateway thread.
#include "venue/fix_gateway/blocks.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "venue/common/fd_io.h"

namespace venue::fix_gateway {

namespace {

using nlohmann::json;

std::string scope_key(const BlockCommand& c, FirmId firm, AccountId account) {
  return c.on_account() ? "account:" + std::to_string(account.value()) : "firm:" + std::to_string(firm.value());
}

bool printable(const std::string& s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

json block_json(const Block& b) {
  return {{"id", b.id},           {"name", b.name}, {"by", b.by}, {"reason", b.reason}, {"command_id", b.command_id},
          {"at", iso_ms(b.at_ms)}};
}

Block block_of(const json& j) {
  Block b;
  b.id = j.at("id").get<std::uint32_t>();
  b.name = j.at("name").get<std::string>();
  b.by = j.at("by").get<std::string>();
  b.reason = j.at("reason").get<std::string>();
  b.command_id = j.at("command_id").get<std::string>();
  b.at_ms = parse_iso_ms(j.at("at").get<std::string>()).value_or(0);
  return b;
}

}  // namespace

const char* to_string(BlockCommand::Action a) {
  switch (a) {
    case BlockCommand::Action::kBlockAccount: return "block_account";
    case BlockCommand::Action::kKillFirm: return "kill_firm";
    case BlockCommand::Action::kReleaseAccount: return "release_account";
    case BlockCommand::Action::kReleaseFirm: return "release_firm";
  }
  return "?";
}

std::optional<std::int64_t> parse_iso_ms(const std::string& t) {
  // YYYY-MM-DDTHH:MM:SS[.mmm]Z
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t.back() != 'Z')
    return std::nullopt;
  std::tm tm{};
  int ms = 0;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) {
    if (t[i] < '0' || t[i] > '9') return std::nullopt;
  }
  tm.tm_year = std::stoi(t.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(t.substr(5, 2)) - 1;
  tm.tm_mday = std::stoi(t.substr(8, 2));
  tm.tm_hour = std::stoi(t.substr(11, 2));
  tm.tm_min = std::stoi(t.substr(14, 2));
  tm.tm_sec = std::stoi(t.substr(17, 2));
  if (t.size() != 20) {
    if (t.size() != 24 || t[19] != '.') return std::nullopt;
    for (std::size_t i = 20; i < 23; ++i) {
      if (t[i] < '0' || t[i] > '9') return std::nullopt;
    }
    ms = std::stoi(t.substr(20, 3));
  }
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

std::string iso_ms(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::optional<BlockCommand> parse_block_command(const std::string& text, std::string* why, std::string* id_out) {
  auto fail = [&](std::string reason) -> std::optional<BlockCommand> {
    if (why != nullptr) *why = std::move(reason);
    return std::nullopt;
  };
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    return fail(std::string("not JSON: ") + e.what());
  }
  if (!j.is_object()) return fail("not a JSON object");
  auto str = [&](const char* key, std::string& out, bool required) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return !required;
    if (!it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  BlockCommand c;
  if (!str("id", c.id, true) || !printable(c.id, 128)) return fail("\"id\" must be 1 to 128 printable characters");
  if (id_out != nullptr) *id_out = c.id;
  std::string issued, action;
  if (!str("issued_at", issued, true)) return fail("\"issued_at\" is required (ISO 8601 UTC)");
  const auto at = parse_iso_ms(issued);
  if (!at) return fail("\"issued_at\" is not an ISO 8601 UTC time like 2026-12-06T14:03:11.402Z");
  c.issued_at_ms = *at;
  if (!str("issuer", c.issuer, true) || !printable(c.issuer, 64)) return fail("\"issuer\" must be 1 to 64 characters");
  if (!str("action", action, true)) return fail("\"action\" is required");
  if (action == "block_account") {
    c.action = BlockCommand::Action::kBlockAccount;
  } else if (action == "kill_firm") {
    c.action = BlockCommand::Action::kKillFirm;
  } else if (action == "release_account") {
    c.action = BlockCommand::Action::kReleaseAccount;
  } else if (action == "release_firm") {
    c.action = BlockCommand::Action::kReleaseFirm;
  } else {
    return fail("\"action\" must be block_account, kill_firm, release_account or release_firm");
  }
  if (!str("firm", c.firm, true) || c.firm.empty()) return fail("\"firm\" is required");
  if (!str("account", c.account, false)) return fail("\"account\" must be a string");
  if (c.on_account() && c.account.empty()) return fail("\"account\" is required for " + action);
  if (!c.on_account() && !c.account.empty()) return fail("\"account\" must be empty for " + action);
  if (!str("reason", c.reason, false)) return fail("\"reason\" must be a string");
  if (c.reason.size() > 512) return fail("\"reason\" is longer than 512 characters");
  for (char& ch : c.reason) {
    if (static_cast<unsigned char>(ch) < 0x20) ch = ' ';  // it goes into FIX Text(58)
  }
  json details = json::object();
  for (const char* key : {"limit", "figures", "trigger"}) {
    if (j.contains(key)) details[key] = j[key];
  }
  c.details = details.dump();
  return c;
}

BlockBook::BlockBook(const std::filesystem::path& dir, int kept_days)
    : file_(dir / "blocks.json"), kept_ms_(static_cast<std::int64_t>(kept_days) * 86'400'000) {
  load();
}

void BlockBook::load() {
  std::ifstream in(file_);
  if (!in) return;  // no blocks yet
  try {
    const json j = json::parse(in);
    for (const auto& b : j.at("firms")) firms_[b.at("id").get<std::uint32_t>()] = block_of(b);
    for (const auto& b : j.at("accounts")) accounts_[b.at("id").get<std::uint32_t>()] = block_of(b);
    for (const auto& [id, at] : j.at("applied").items()) applied_[id] = at.get<std::int64_t>();
    for (const auto& [scope, at] : j.at("last_issued").items()) last_issued_[scope] = at.get<std::int64_t>();
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot read the trading blocks in " + file_.string() + " (" + e.what() +
                             "): the venue does not start without knowing which firms and accounts are blocked; "
                             "restore the file from a backup, or move it away to start with no blocks");
  }
}

void BlockBook::save() const {
  json j;
  j["version"] = 1;
  j["firms"] = json::array();
  for (const auto& [id, b] : firms_) j["firms"].push_back(block_json(b));
  j["accounts"] = json::array();
  for (const auto& [id, b] : accounts_) j["accounts"].push_back(block_json(b));
  j["applied"] = applied_;
  j["last_issued"] = last_issued_;
  const std::string text = j.dump(1) + "\n";
  const auto temp = file_.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write " + temp + ": " + std::strerror(errno));
  const int e = common::write_fully(fd, text);
  const bool synced = e == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (e != 0 || !synced || ::rename(temp.c_str(), file_.c_str()) != 0) {
    throw std::runtime_error("cannot save the trading blocks to " + file_.string() + ": " +
                             std::strerror(e != 0 ? e : errno));
  }
  // Best effort, as it always was: the file itself is synced and renamed.
  static_cast<void>(common::sync_dir(file_.parent_path().c_str()));
}

BlockBook::Decision BlockBook::decide(const BlockCommand& cmd, FirmId firm, AccountId account, std::int64_t now_ms) {
  if (applied_.contains(cmd.id)) return Decision::kDuplicate;
  const std::string scope = scope_key(cmd, firm, account);
  if (auto it = last_issued_.find(scope); it != last_issued_.end() && cmd.issued_at_ms <= it->second) {
    return Decision::kStale;
  }
  auto firms = firms_;
  auto accounts = accounts_;
  auto applied = applied_;
  auto last = last_issued_;
  auto& target = cmd.on_account() ? accounts_ : firms_;
  const std::uint32_t id = cmd.on_account() ? account.value() : firm.value();
  if (cmd.is_block()) {
    target[id] = Block{id, cmd.on_account() ? cmd.account : cmd.firm, cmd.issuer, cmd.reason, cmd.id, now_ms};
  } else {
    target.erase(id);
  }
  applied_[cmd.id] = now_ms;
  last_issued_[scope] = cmd.issued_at_ms;
  std::erase_if(applied_, [&](const auto& kv) { return kv.second < now_ms - kept_ms_; });
  try {
    save();
  } catch (...) {
    firms_ = std::move(firms);
    accounts_ = std::move(accounts);
    applied_ = std::move(applied);
    last_issued_ = std::move(last);
    throw;
  }
  return Decision::kApplied;
}

}  // namespace venue::fix_gateway
