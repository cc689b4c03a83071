#pragma once
// Who may use the operator API: users with salted password hashes (the same PBKDF2 format as FIX
// sessions: fix_session/auth.h; build/bin/venue-passwd makes them) and one of two roles, and the bearer
// tokens a login hands out.
//
//   Authenticator auth(users, std::chrono::hours(8));
//   auto login = auth.login("ops", "ops-secret", "127.0.0.1", now);   // PBKDF2: tens of milliseconds
//   if (login.ok) use(login.token);
//   if (auto who = auth.check(token, now)) ...                         // who->name, who->role
//
// Tokens are 256 random bits (OpenSSL's RAND_bytes), handed out as 64 hex digits and kept only as their
// SHA-256 in memory: a restart logs everybody out. Each expires a fixed time after the login (the
// login may ask for less, never more); logout() ends one at once. A wrong user name costs the same
// PBKDF2 work as a wrong password (checked against a decoy hash), so the answer's timing does not tell
// which names exist. Five failed logins in a row for one user from one address lock that pair out for
// a minute (the user can still log in from elsewhere, so nobody can lock an operator out remotely).
//
// Thread rules: thread-safe (one mutex; the PBKDF2 work runs outside it).

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace venue::operator_api {

enum class Role : std::uint8_t { kViewer, kOperator };
std::string_view to_string(Role r);

struct User {
  std::string name;
  Role role = Role::kViewer;
  std::string password_hash;
};

struct Identity {
  std::string name;
  Role role = Role::kViewer;
  std::chrono::system_clock::time_point expires;
};

class Authenticator {
 public:
  using Clock = std::chrono::system_clock;

  Authenticator(std::vector<User> users, std::chrono::seconds token_ttl, int lockout_failures = 5,
                std::chrono::seconds lockout = std::chrono::seconds(60));

  struct Login {
    bool ok = false;
    std::string token;  // when ok
    Identity who;       // when ok
    std::string error;  // when not: "unauthenticated" or "locked_out"
    std::string message;
  };
  // `ttl` (optional) shortens the token's life below the configured one.
  Login login(std::string_view user, std::string_view password, std::string_view address, Clock::time_point now,
              std::optional<std::chrono::seconds> ttl = std::nullopt);
  // The token's holder, or nullopt with the reason ("unauthenticated": unknown or logged out;
  // "token_expired").
  std::optional<Identity> check(std::string_view token, Clock::time_point now, std::string* error = nullptr);
  // Ends a token at once; false when it was not valid.
  bool logout(std::string_view token);
  std::chrono::seconds token_ttl() const { return ttl_; }

 private:
  static std::string digest(std::string_view token);
  void forget_expired(Clock::time_point now);

  std::vector<User> users_;
  std::string decoy_hash_;
  std::chrono::seconds ttl_;
  int lockout_failures_;
  std::chrono::seconds lockout_;
  std::mutex mutex_;
  std::map<std::string, Identity, std::less<>> tokens_;  // by SHA-256 of the token
  struct Failures {
    int count = 0;
    Clock::time_point locked_until{};
  };
  std::map<std::string, Failures, std::less<>> failures_;  // by "user\naddress"
};

}  // namespace venue::operator_api
