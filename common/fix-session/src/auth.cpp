#include "venue/fix_session/auth.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <charconv>
#include <stdexcept>

namespace venue::fix_session {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

std::optional<std::string> unbase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * text.size() / 4, '\0');
  const int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (len < 0) return std::nullopt;
  std::size_t size = static_cast<std::size_t>(len);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (text.back() == '=') --size;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

struct Parsed {
  int iterations = 0;
  std::string salt;
  std::string hash;
};

std::optional<Parsed> parse(std::string_view encoded, std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<Parsed> {
    if (why != nullptr) *why = reason;
    return std::nullopt;
  };
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= encoded.size(); ++i) {
    if (i == encoded.size() || encoded[i] == '$') {
      parts.push_back(encoded.substr(start, i - start));
      start = i + 1;
    }
  }
  if (parts.size() != 4 || parts[0] != kScheme) return fail("not a pbkdf2-sha256$<iterations>$<salt>$<hash> string");
  Parsed p;
  auto [ptr, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), p.iterations);
  if (ec != std::errc() || ptr != parts[1].data() + parts[1].size() || p.iterations < 1000 ||
      p.iterations > 10'000'000) {
    return fail("iterations must be a number between 1000 and 10000000");
  }
  auto salt = unbase64(parts[2]);
  auto hash = unbase64(parts[3]);
  if (!salt || salt->size() < 8) return fail("salt is not base64 of at least 8 bytes");
  if (!hash || hash->size() != kHashBytes) return fail("hash is not base64 of 32 bytes");
  p.salt = std::move(*salt);
  p.hash = std::move(*hash);
  return p;
}

std::string derive(std::string_view password, const std::string& salt, int iterations) {
  std::string out(kHashBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                        EVP_sha256(), static_cast<int>(kHashBytes),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    throw std::runtime_error("PBKDF2 failed");
  }
  return out;
}

}  // namespace

std::string hash_password(std::string_view password, int iterations) {
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) throw std::runtime_error("no randomness for a salt");
  const std::string salt_str(reinterpret_cast<const char*>(salt), sizeof salt);
  const std::string hash = derive(password, salt_str, iterations);
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + base64(salt, sizeof salt) + "$" +
         base64(reinterpret_cast<const unsigned char*>(hash.data()), hash.size());
}

bool valid_password_hash(std::string_view encoded, std::string* why) { return parse(encoded, why).has_value(); }

bool verify_password(std::string_view password, std::string_view encoded) {
  auto p = parse(encoded, nullptr);
  if (!p) return false;
  const std::string got = derive(password, p->salt, p->iterations);
  return CRYPTO_memcmp(got.data(), p->hash.data(), kHashBytes) == 0;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const std::string addr(text.substr(0, slash));
  int bits = 32;
  if (slash != std::string_view::npos) {
    const auto b = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (ec != std::errc() || ptr != b.data() + b.size() || bits < 0 || bits > 32) return std::nullopt;
  }
  in_addr a{};
  if (inet_pton(AF_INET, addr.c_str(), &a) != 1) return std::nullopt;
  const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return Cidr{ntohl(a.s_addr) & mask, mask};
}

bool address_allowed(const std::vector<Cidr>& allow, std::string_view address) {
  if (allow.empty()) return true;
  in_addr a{};
  if (inet_pton(AF_INET, std::string(address).c_str(), &a) != 1) return false;
  const std::uint32_t ip = ntohl(a.s_addr);
  for (const auto& c : allow) {
    if ((ip & c.mask) == c.network) return true;
  }
  return false;
}

PasswordChecker::PasswordChecker(std::function<void()> wake) : wake_(std::move(wake)), thread_([this] { run(); }) {}

PasswordChecker::~PasswordChecker() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::uint64_t PasswordChecker::submit(std::string password, std::string encoded_hash) {
  std::lock_guard lock(mutex_);
  const std::uint64_t ticket = next_ticket_++;
  jobs_.push_back(Job{ticket, std::move(password), std::move(encoded_hash)});
  cv_.notify_one();
  return ticket;
}

std::vector<PasswordChecker::Result> PasswordChecker::poll() {
  std::lock_guard lock(mutex_);
  std::vector<Result> out;
  out.swap(results_);
  return out;
}

void PasswordChecker::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
      if (stop_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    const bool ok = verify_password(job.password, job.hash);
    OPENSSL_cleanse(job.password.data(), job.password.size());
    {
      std::lock_guard lock(mutex_);
      results_.push_back(Result{job.ticket, ok});
    }
    if (wake_) wake_();
  }
}

}  // namespace venue::fix_session
