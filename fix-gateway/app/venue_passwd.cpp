// build/bin/venue-passwd: makes the password_hash of a [[session]] in the venue's configuration.
//
//   venue-passwd [--iterations N] < password-file      (the password is the first line of standard input)
//   venue-passwd --verify HASH < password-file          (exit 0 when the password matches)
#include <iostream>
#include <string>

#include "venue/fix_session/auth.h"

int main(int argc, char** argv) {
  int iterations = 100'000;
  std::string verify;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc) {
      try {
        iterations = std::stoi(argv[++i]);
      } catch (const std::exception&) {
        iterations = 0;
      }
      if (iterations < 1000 || iterations > 10'000'000) {
        std::cerr << "venue-passwd: --iterations must be between 1000 and 10000000\n";
        return 2;
      }
    } else if (a == "--verify" && i + 1 < argc) {
      verify = argv[++i];
    } else {
      std::cerr << "usage: venue-passwd [--iterations N] | --verify HASH   (password on standard input)\n";
      return 2;
    }
  }
  std::string password;
  if (!std::getline(std::cin, password) || password.empty()) {
    std::cerr << "venue-passwd: no password on standard input\n";
    return 2;
  }
  if (!verify.empty()) {
    const bool ok = venue::fix_session::verify_password(password, verify);
    std::cout << (ok ? "match" : "no match") << "\n";
    return ok ? 0 : 1;
  }
  std::cout << venue::fix_session::hash_password(password, iterations) << "\n";
  return 0;
}
