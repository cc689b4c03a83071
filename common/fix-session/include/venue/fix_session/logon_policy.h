#pragma once
// LogonPolicy: the logon gate (acceptor.h's LogonGate) of every FIX acceptor of the venue, so that order
// entry and drop copy apply the same rules before QuickFIX sees a Logon:
//
//   - the session must be enabled (an operator can disable it: every Logon refused until enabled);
//   - the source address must be on the session's allow-list (empty: any address);
//   - the connection must have come in on the session's listener (plain or TLS);
//   - the Logon must carry Username(553) and Password(554); the password is checked against the
//     session's salted hash on the acceptor's password thread (auth.h);
//   - lock-out: after `LockoutSettings::failures` failed passwords in a row from one source address, that
//     address may not log on to that session for `LockoutSettings::duration`. The lock is per session and
//     address, so someone who can reach the port cannot lock a broker out from where it connects.
//
// A wrong Username is answered exactly like a wrong password, after the same PBKDF2 work (the hash
// checked is the session's own hash under another salt), so the time of the answer does not tell which usernames exist.
//
//   LogonPolicy gate;
//   gate.set(session_id, LogonRules{"brk1", hash, allow, /*tls=*/false});
//   VenueAcceptor acceptor(app, stores, settings, logs, acceptor_settings, gate);
//
// Rules can be changed, added and removed at any time (on the acceptor's thread); a change applies to
// the next Logon. Thread rules: everything on the acceptor's thread (the thread that calls poll()).

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "venue/fix_session/acceptor.h"
#include "venue/fix_session/auth.h"

namespace venue::fix_session {

struct LogonRules {
  std::string username;       // Username(553) the Logon must carry
  std::string password_hash;  // auth.h's format
  std::vector<Cidr> allow;    // source addresses allowed; empty: any
  bool tls = false;           // true: the TLS listener only; false: the plain listener only
  bool enabled = true;        // false: every Logon is refused until it is enabled again
};

struct LockoutSettings {
  int failures = 5;                             // failed passwords in a row from one address that lock it
  std::int64_t duration_ns = 60'000'000'000LL;  // how long the address stays locked out of the session
  std::size_t addresses_kept = 1024;            // per session, the failure counts kept (oldest forgotten)
};

class LogonPolicy final : public LogonGate {
 public:
  // `now_ns` is a monotonic clock (tests pass their own).
  explicit LogonPolicy(LockoutSettings lockout = {}, std::function<std::int64_t()> now_ns = {});

  // Adds or replaces a session's rules (its lock-out state is kept).
  void set(const FIX::SessionID& id, LogonRules rules);
  void erase(const FIX::SessionID& id);
  const LogonRules* rules(const FIX::SessionID& id) const;
  void set_enabled(const FIX::SessionID& id, bool enabled);
  // Lifts every lock-out of a session (an operator's reset).
  void clear_lockouts(const FIX::SessionID& id);
  bool locked_out(const FIX::SessionID& id, std::string_view address) const;

  // Told of every refusal (id null when the CompIDs name no session) and every authenticated Logon.
  std::function<void(const FIX::SessionID* id, std::string_view address, std::string_view reason)> on_refused;
  std::function<void(const FIX::SessionID& id, std::string_view address, bool tls)> on_authenticated;

  Verdict admit(const FIX::SessionID& id, std::string_view address, bool tls, std::string_view username,
                bool has_password) override;
  void refused(const FIX::SessionID* id, std::string_view address, std::string_view reason) override;
  void authenticated(const FIX::SessionID& id, std::string_view address, bool tls) override;

  static constexpr std::string_view kAuthenticationFailed =
      "authentication failed: wrong Username(553) or Password(554)";

 private:
  struct Failures {
    int count = 0;
    std::int64_t locked_until_ns = 0;
    std::uint64_t touched = 0;  // for forgetting the oldest
  };
  struct Entry {
    LogonRules rules;
    std::map<std::string, Failures, std::less<>> by_address;
  };
  LockoutSettings lockout_;
  std::function<std::int64_t()> now_ns_;
  std::map<FIX::SessionID, Entry> sessions_;
  std::uint64_t tick_ = 0;
};

}  // namespace venue::fix_session
