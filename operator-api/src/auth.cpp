#include "venue/operator_api/auth.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <stdexcept>

#include "venue/fix_session/auth.h"

namespace venue::operator_api {

std::string_view to_string(Role r) { return r == Role::kOperator ? "operator" : "viewer"; }

namespace {

std::string hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xF];
  }
  return out;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) throw std::runtime_error("no randomness for a token");
  return hex(buf.data(), buf.size());
}

// The iteration count of a hash "pbkdf2-sha256$<iterations>$...", so the decoy costs the same.
int iterations_of(const std::string& hash) {
  const auto a = hash.find('$');
  const auto b = hash.find('$', a + 1);
  int n = 100'000;
  if (a != std::string::npos && b != std::string::npos) std::from_chars(hash.data() + a + 1, hash.data() + b, n);
  return n;
}

}  // namespace

Authenticator::Authenticator(std::vector<User> users, std::chrono::seconds token_ttl, int lockout_failures,
                             std::chrono::seconds lockout)
    : users_(std::move(users)), ttl_(token_ttl), lockout_failures_(lockout_failures), lockout_(lockout) {
  decoy_hash_ =
      fix_session::hash_password(random_hex(16), users_.empty() ? 1000 : iterations_of(users_[0].password_hash));
}

std::string Authenticator::digest(std::string_view token) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(token.data(), token.size(), md.data(), &len, EVP_sha256(), nullptr);
  return hex(md.data(), len);
}

void Authenticator::forget_expired(Clock::time_point now) {
  // Expired tokens are kept an hour, so that using one is answered "token_expired", not "unauthenticated".
  std::erase_if(tokens_, [&](const auto& kv) { return kv.second.expires + std::chrono::hours(1) <= now; });
  std::erase_if(failures_, [&](const auto& kv) { return kv.second.count == 0 && kv.second.locked_until <= now; });
}

Authenticator::Login Authenticator::login(std::string_view user, std::string_view password, std::string_view address,
                                          Clock::time_point now, std::optional<std::chrono::seconds> ttl) {
  const std::string key = std::string(user) + "\n" + std::string(address);
  {
    std::lock_guard lock(mutex_);
    auto f = failures_.find(key);
    if (f != failures_.end() && f->second.locked_until > now) {
      return {
          false, {}, {}, "locked_out", "too many failed logins for this user from this address: try again in a minute"};
    }
  }
  const User* found = nullptr;
  for (const auto& u : users_) {
    if (u.name == user) found = &u;
  }
  // The same PBKDF2 work whether or not the user exists.
  const bool match = fix_session::verify_password(password, found != nullptr ? found->password_hash : decoy_hash_);
  std::lock_guard lock(mutex_);
  forget_expired(now);
  if (found == nullptr || !match) {
    auto& f = failures_[key];
    if (++f.count >= lockout_failures_) {
      f.count = 0;
      f.locked_until = now + lockout_;
    }
    return {false, {}, {}, "unauthenticated", "wrong user name or password"};
  }
  failures_.erase(key);
  const auto life = ttl && *ttl < ttl_ ? *ttl : ttl_;
  Login out;
  out.ok = true;
  out.token = random_hex(32);
  out.who = Identity{found->name, found->role, now + life};
  tokens_.emplace(digest(out.token), out.who);
  return out;
}

std::optional<Identity> Authenticator::check(std::string_view token, Clock::time_point now, std::string* error) {
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(digest(token));
  if (it == tokens_.end()) {
    if (error != nullptr) *error = "unauthenticated";
    return std::nullopt;
  }
  if (it->second.expires <= now) {
    if (error != nullptr) *error = "token_expired";
    return std::nullopt;
  }
  return it->second;
}

bool Authenticator::logout(std::string_view token) {
  std::lock_guard lock(mutex_);
  return tokens_.erase(digest(token)) > 0;
}

}  // namespace venue::operator_api
