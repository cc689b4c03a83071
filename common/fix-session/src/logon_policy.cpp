#include "venue/fix_session/logon_policy.h"

#include <algorithm>
#include <chrono>

#include "venue/common/log.h"

namespace venue::fix_session {

namespace {

// The hash a Logon with a wrong Username is checked against: the session's own hash under another salt,
// so the check costs exactly as many PBKDF2 iterations as a real one (its result is ignored).
std::string decoy_of(const std::string& hash) {
  const auto a = hash.find('$');
  const auto b = a == std::string::npos ? a : hash.find('$', a + 1);
  const auto c = b == std::string::npos ? b : hash.find('$', b + 1);
  if (c == std::string::npos) return hash;
  return hash.substr(0, b + 1) + "ZGVjb3k6IG5vdCBhIHNhbHQ=" + hash.substr(c);
}

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

LogonPolicy::LogonPolicy(LockoutSettings lockout, std::function<std::int64_t()> now_ns)
    : lockout_(lockout), now_ns_(now_ns ? std::move(now_ns) : std::function<std::int64_t()>(steady_now_ns)) {}

void LogonPolicy::set(const FIX::SessionID& id, LogonRules rules) { sessions_[id].rules = std::move(rules); }

void LogonPolicy::erase(const FIX::SessionID& id) { sessions_.erase(id); }

const LogonRules* LogonPolicy::rules(const FIX::SessionID& id) const {
  const auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second.rules;
}

void LogonPolicy::set_enabled(const FIX::SessionID& id, bool enabled) {
  if (auto it = sessions_.find(id); it != sessions_.end()) it->second.rules.enabled = enabled;
}

void LogonPolicy::clear_lockouts(const FIX::SessionID& id) {
  if (auto it = sessions_.find(id); it != sessions_.end()) it->second.by_address.clear();
}

bool LogonPolicy::locked_out(const FIX::SessionID& id, std::string_view address) const {
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  const auto f = it->second.by_address.find(address);
  return f != it->second.by_address.end() && f->second.locked_until_ns > now_ns_();
}

LogonGate::Verdict LogonPolicy::admit(const FIX::SessionID& id, std::string_view address, bool tls,
                                      std::string_view username, bool has_password) {
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return {false, "unknown session", {}};
  const LogonRules& r = it->second.rules;
  if (!r.enabled) return {false, "session disabled by operations: logons are refused until it is enabled", {}};
  if (locked_out(id, address)) return {false, "too many failed logons: try again later", {}};
  if (!address_allowed(r.allow, address)) return {false, "logon from " + std::string(address) + " is not allowed", {}};
  if (tls != r.tls) {
    return {false, tls ? "this session must connect to the plain listener" : "this session must connect over TLS", {}};
  }
  if (username.empty() || !has_password) return {false, "Logon must carry Username(553) and Password(554)", {}};
  if (username != r.username) return {true, std::string(kAuthenticationFailed), decoy_of(r.password_hash), true};
  return {true, {}, r.password_hash};
}

void LogonPolicy::refused(const FIX::SessionID* id, std::string_view address, std::string_view reason) {
  if (on_refused) on_refused(id, address, reason);
  if (id == nullptr || reason != kAuthenticationFailed) return;
  const auto it = sessions_.find(*id);
  if (it == sessions_.end()) return;
  auto& by_address = it->second.by_address;
  auto f = by_address.find(address);
  if (f == by_address.end()) {
    if (by_address.size() >= lockout_.addresses_kept) {
      by_address.erase(std::min_element(by_address.begin(), by_address.end(), [](const auto& a, const auto& b) {
        return a.second.touched < b.second.touched;
      }));
    }
    f = by_address.emplace(std::string(address), Failures{}).first;
  }
  f->second.touched = ++tick_;
  if (++f->second.count >= lockout_.failures) {
    f->second.count = 0;
    f->second.locked_until_ns = now_ns_() + lockout_.duration_ns;
    VENUE_LOG_KV(warning, "session locked out for an address after repeated failed logons",
                 {{"session", id->toString()}, {"peer", std::string(address)}});
  }
}

void LogonPolicy::authenticated(const FIX::SessionID& id, std::string_view address, bool tls) {
  if (auto it = sessions_.find(id); it != sessions_.end()) it->second.by_address.erase(std::string(address));
  if (on_authenticated) on_authenticated(id, address, tls);
}

}  // namespace venue::fix_session
