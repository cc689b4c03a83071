#pragma once
// The operator audit log: every action taken through the operator API (and every login), who took it,
// when, what it asked for, and what came of it. A JSON-lines file, appended and fsynced, never rewritten;
// read back at start, so the log survives restarts and the API shows it (spec/operator-api.md).
//
// Each action is written twice: when it is asked for (begin(): "phase":"request", before anything is
// done: if that write fails the action is refused and nothing happens) and when it is answered
// (finish(): "phase":"result"). An action whose result line is missing (the venue stopped in between)
// reads back with result "unknown".
//
//   AuditLog audit("state/operator-audit.jsonl");
//   const auto seq = audit.begin({.user = "ops", .role = "operator", .from = "127.0.0.1",
//                                 .action = "session.logout", .target = "BRK1", .request = body});
//   ... do it ...
//   audit.finish(seq, 200, "ok", "logged out");
//
// Secrets never reach the file: request fields named password or password_hash are written as "***".
// The newest kKept entries are also kept in memory for query(); the file holds every entry.
//
// Thread rules: thread-safe (one mutex; each write is a write() and an fdatasync() under it).

#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace venue::operator_api {

struct AuditEntry {
  std::uint64_t seq = 0;
  std::int64_t time_ns = 0;  // when it was asked for (UTC)
  std::string user;
  std::string role;
  std::string from;    // the client's address
  std::string action;  // e.g. "session.logout", "login"
  std::string target;  // what it acted on (a session, a firm, a symbol), "" when none
  nlohmann::json request = nlohmann::json::object();
  // Filled by finish():
  std::string result = "unknown";  // "ok", "refused" (the venue said no), "failed", "unknown"
  int status = 0;                  // the HTTP status answered
  std::string code;                // the error code when not ok
  std::string message;
  std::int64_t done_ns = 0;
};

nlohmann::json to_json(const AuditEntry& e);

class AuditLog {
 public:
  static constexpr std::size_t kKept = 100'000;

  // Opens (creating it and its folder) and reads back the file. Throws std::runtime_error when it cannot
  // be opened or read; lines it cannot understand are skipped and counted (damaged()).
  explicit AuditLog(std::filesystem::path file);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Records a request; returns its seq. Throws std::runtime_error when the file cannot be written.
  std::uint64_t begin(AuditEntry e);
  // Records its outcome (best effort: a failed write is logged; the request line is already there).
  void finish(std::uint64_t seq, int status, const std::string& code, const std::string& message);

  struct Query {
    std::size_t limit = 100;
    std::optional<std::uint64_t> before_seq;  // entries with a smaller seq only (paging back)
    std::string user;                         // "" any
    std::string action;                       // "" any; a prefix ("session.") matches
  };
  // Newest first.
  std::vector<AuditEntry> query(const Query& q) const;
  std::size_t damaged() const { return damaged_; }
  const std::filesystem::path& file() const { return file_; }

  // Replaces secrets in a request body (any depth) with "***".
  static nlohmann::json redact(const nlohmann::json& request);

 private:
  void append_line(const std::string& line);

  std::filesystem::path file_;
  int fd_ = -1;
  mutable std::mutex mutex_;
  std::deque<AuditEntry> entries_;  // ascending seq
  std::uint64_t next_seq_ = 1;
  std::size_t damaged_ = 0;
};

}  // namespace venue::operator_api
