// Sessions changed at runtime through the operator API, kept in <state_dir>/sessions.toml (config.h,
// SessionChanges): written as [[session]] tables that the configuration's own reader (read_session)
// reads back, so one reader checks the file, the changes and the API's requests alike.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <sstream>

#include "venue/fix_gateway/config.h"

namespace venue::fix_gateway {

namespace cfg = venue::config;

namespace {

std::string toml_string(std::string_view v) {
  std::string out = "\"";
  for (char ch : v) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20 || ch == '\x7f') {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(ch)));
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string toml_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i > 0 ? ", " : "") + toml_string(items[i]);
  return out + "]";
}

void fsync_or_throw(int fd, const std::string& what) {
  if (::fsync(fd) != 0) throw std::runtime_error("fsync " + what + ": " + std::strerror(errno));
}

}  // namespace

std::string session_toml(const SessionConfig& s, const GatewayConfig& c) {
  const FirmConfig* firm = c.firm(s.firm);
  std::vector<std::string> accounts;
  for (const AccountId id : s.accounts) {
    if (const AccountConfig* a = c.account(id)) accounts.push_back(a->name);
  }
  const char* cod = s.cancel_on_disconnect == CancelOnDisconnect::kAll       ? "all"
                    : s.cancel_on_disconnect == CancelOnDisconnect::kDayOnly ? "day"
                                                                             : "off";
  const char* stp = s.default_stp == StpMode::kCancelNewest         ? "cancel_newest"
                    : s.default_stp == StpMode::kCancelOldest       ? "cancel_oldest"
                    : s.default_stp == StpMode::kCancelBoth         ? "cancel_both"
                    : s.default_stp == StpMode::kDecrementAndCancel ? "decrement_and_cancel"
                                                                    : "none";
  std::ostringstream t;
  t << "[[session]]\n"
    << "id = " << s.id.value() << "\n"
    << "sender_comp_id = " << toml_string(s.sender_comp_id) << "\n"
    << "firm = " << toml_string(firm != nullptr ? firm->name : "") << "\n"
    << "role = " << toml_string(s.role == SessionRole::kReadOnly ? "read_only" : "order_entry") << "\n"
    << "username = " << toml_string(s.username) << "\n"
    << "password_hash = " << toml_string(s.password_hash) << "\n"
    << "transport = " << toml_string(s.transport == Transport::kTls ? "tls" : "plain") << "\n"
    << "allow_from = " << toml_list(s.allow_from) << "\n"
    << "accounts = " << toml_list(accounts) << "\n"
    << "cancel_on_disconnect = " << toml_string(cod) << "\n"
    << "self_trade_prevention = " << toml_string(stp) << "\n"
    << "orders_per_second = " << s.throttle.orders_per_second << "\n"
    << "burst = " << s.throttle.burst << "\n"
    << "cancels_per_second = " << s.throttle.cancels_per_second << "\n"
    << "throttle_logout_after_seconds = " << s.throttle.logout_after_seconds << "\n"
    << "max_heartbeat_seconds = " << s.heartbeat_seconds_max << "\n"
    << "extended_fields = " << (s.extended_fields ? "true" : "false") << "\n"
    << "reset_on_logon = " << (s.reset_on_logon ? "true" : "false") << "\n"
    << "enabled = " << (s.enabled ? "true" : "false") << "\n";
  return t.str();
}

SessionChanges read_session_changes(const GatewayConfig& c) {
  SessionChanges out;
  const auto file = c.session_changes_file();
  if (!std::filesystem::exists(file)) return out;
  cfg::load_file(file, [&](cfg::Table& root) {
    std::set<std::string> names;
    for (auto& t : root.tables("session", "A session added or changed at runtime", false)) {
      SessionConfig sc;
      read_session(t, c, sc);
      if (!names.insert("#" + std::to_string(sc.id.value())).second) t.fail("id", "is listed twice");
      if (!names.insert(":" + sc.sender_comp_id).second) t.fail("sender_comp_id", "is listed twice");
      out.sessions.push_back(std::move(sc));
    }
    for (auto& t : root.tables("removed_session", "A session removed at runtime", false)) {
      out.removed.emplace_back(
          static_cast<std::uint32_t>(t.integer("id", "The removed session's id", cfg::kRequired, {1, 1'000'000})));
    }
  });
  return out;
}

void apply_session_changes(GatewayConfig& c, const SessionChanges& changes, std::vector<std::string>* notes) {
  std::vector<std::string> problems;
  const std::string file = c.session_changes_file().string();
  for (const SessionId id : changes.removed) {
    const auto before = c.sessions.size();
    std::erase_if(c.sessions, [&](const SessionConfig& s) { return s.id == id; });
    if (notes != nullptr && before != c.sessions.size()) {
      notes->push_back("session id " + std::to_string(id.value()) + " removed at runtime (" + file + ")");
    }
  }
  for (const SessionConfig& changed : changes.sessions) {
    auto same_id =
        std::find_if(c.sessions.begin(), c.sessions.end(), [&](const SessionConfig& s) { return s.id == changed.id; });
    for (const SessionConfig& s : c.sessions) {
      if (s.id != changed.id && s.sender_comp_id == changed.sender_comp_id) {
        problems.push_back(file + ": session " + changed.sender_comp_id + " (id " + std::to_string(changed.id.value()) +
                           ") is also in the configuration file under id " + std::to_string(s.id.value()) +
                           ": remove one of them");
      }
    }
    if (same_id == c.sessions.end()) {
      c.sessions.push_back(changed);
      if (notes != nullptr) notes->push_back("session " + changed.sender_comp_id + " added at runtime (" + file + ")");
    } else if (same_id->sender_comp_id != changed.sender_comp_id) {
      problems.push_back(file + ": session id " + std::to_string(changed.id.value()) + " is " + changed.sender_comp_id +
                         " there but " + same_id->sender_comp_id +
                         " in the configuration file: an id names one session for good");
    } else {
      *same_id = changed;
      if (notes != nullptr) {
        notes->push_back("session " + changed.sender_comp_id + " as changed at runtime (" + file +
                         "), not as in the configuration file");
      }
    }
  }
  if (!problems.empty()) throw cfg::ConfigError(std::move(problems));
}

void write_session_changes(const GatewayConfig& c, const SessionChanges& changes) {
  std::ostringstream t;
  t << "# Sessions operators added, changed or removed through the operator API (spec/operator-api.md).\n"
       "# Written by the venue; applied over the configuration file's [[session]] entries at every start.\n"
       "# An entry here replaces the file's entry with the same id. Edit only while the venue is stopped.\n";
  for (const auto& s : changes.sessions) t << "\n" << session_toml(s, c);
  for (const SessionId id : changes.removed) t << "\n[[removed_session]]\nid = " << id.value() << "\n";
  const std::string text = t.str();
  const auto file = c.session_changes_file();
  std::filesystem::create_directories(file.parent_path());
  const auto tmp = file.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw std::runtime_error("cannot write " + tmp + ": " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  try {
    fsync_or_throw(fd, tmp);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  std::filesystem::rename(tmp, file);
  const int dir = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    const int rc = ::fsync(dir);
    ::close(dir);
    if (rc != 0) throw std::runtime_error("fsync " + file.parent_path().string() + ": " + std::strerror(errno));
  }
}

}  // namespace venue::fix_gateway
