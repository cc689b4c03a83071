#pragma once
// Logon security: salted password hashes and source-address allow-lists.
//
// Password hashes are PBKDF2-HMAC-SHA256 strings "pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>"
// (build/bin/venue-passwd makes them); only hashes are ever configured or stored. Verification compares
// in constant time. PBKDF2 is slow on purpose (tens of milliseconds), so the acceptor verifies on the
// PasswordChecker's own thread, never on the FIX thread.
//
// Allow-lists are IPv4 CIDR blocks ("10.0.0.0/8", "127.0.0.1/32"); the acceptors listen on IPv4.
//
// Thread rules: the free functions are thread-safe; PasswordChecker::submit and poll from one thread
// (the FIX thread), the checking happens on the checker's thread.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace venue::fix_session {

std::string hash_password(std::string_view password, int iterations = 100'000);
bool verify_password(std::string_view password, std::string_view encoded);
// True when `encoded` is a well-formed hash this venue can check (the reason otherwise).
bool valid_password_hash(std::string_view encoded, std::string* why = nullptr);

struct Cidr {
  std::uint32_t network;  // host byte order
  std::uint32_t mask;
};
std::optional<Cidr> parse_cidr(std::string_view text);
// An empty list allows every address. `address` is dotted IPv4 text.
bool address_allowed(const std::vector<Cidr>& allow, std::string_view address);

// Checks passwords on a thread of its own. The caller polls for results.
class PasswordChecker {
 public:
  struct Result {
    std::uint64_t ticket;
    bool ok;
  };

  // `wake` is called on the checker's thread after a result is ready (e.g. to wake a poll loop).
  explicit PasswordChecker(std::function<void()> wake);
  ~PasswordChecker();
  PasswordChecker(const PasswordChecker&) = delete;
  PasswordChecker& operator=(const PasswordChecker&) = delete;

  std::uint64_t submit(std::string password, std::string encoded_hash);
  std::vector<Result> poll();

 private:
  void run();
  struct Job {
    std::uint64_t ticket;
    std::string password;
    std::string hash;
  };
  std::function<void()> wake_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::vector<Result> results_;
  bool stop_ = false;
  std::uint64_t next_ticket_ = 1;
  std::thread thread_;
};

}  // namespace venue::fix_session
