#include "e2e/support/venue_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace venue::e2e {

namespace {

std::filesystem::path env_path(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') throw std::runtime_error(std::string(name) + " is not set (ctest sets it)");
  return v;
}

}  // namespace

std::filesystem::path bin_dir() { return env_path("VENUE_BIN_DIR"); }
std::filesystem::path source_dir() { return env_path("VENUE_SOURCE_DIR"); }

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (keep_) {
    std::fprintf(stderr, "e2e: kept %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {

// Binds a TCP socket to PORT on every address (0: the kernel picks); returns the port bound, or 0.
std::uint16_t try_bind(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons(port);
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  return ok ? ntohs(addr.sin_port) : 0;
}

// The first port of the kernel's ephemeral range (the source ports of outgoing connections).
unsigned ephemeral_low() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 0;
  unsigned high = 0;
  if (!(in >> low >> high) || low > 65535) return 32768;
  return low;
}

}  // namespace

std::uint16_t free_port() {
  // Not from the ephemeral range: any outgoing connection on the machine (a Kafka client, a build
  // tool beside the tests) can take such a port between this probe and the server's bind, which
  // made the venue fail its start with "Address already in use" in CI. Below that range only an
  // explicit bind takes a port. Each test process walks its own stretch of the range, starting at
  // a point drawn from its pid and the clock, so processes running side by side rarely meet, and
  // the probe bind skips what is taken.
  constexpr unsigned kFirst = 10000;
  const unsigned low = ephemeral_low();
  if (low <= kFirst + 1000) {
    const std::uint16_t p = try_bind(0);
    if (p == 0) throw std::runtime_error(std::string("bind to a free port: ") + std::strerror(errno));
    return p;
  }
  const unsigned span = low - kFirst;
  static std::mutex mutex;
  static unsigned next = [span] {
    const auto now = static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count());
    return (static_cast<unsigned>(::getpid()) * 2654435761U ^ now) % span;
  }();
  const std::lock_guard lock(mutex);
  for (unsigned tries = 0; tries < span; ++tries) {
    const auto port = static_cast<std::uint16_t>(kFirst + next);
    next = (next + 1) % span;
    if (try_bind(port) == port) return port;
  }
  throw std::runtime_error("no free TCP port between " + std::to_string(kFirst) + " and " + std::to_string(low - 1));
}

std::filesystem::path stock_dictionary() {
  const char* p = std::getenv("VENUE_STOCK_FIX44");
  if (p == nullptr || !std::filesystem::exists(p)) {
    throw std::runtime_error(std::string("no stock FIX 4.4 dictionary at VENUE_STOCK_FIX44=") +
                             (p != nullptr ? p : "(unset)") + ": run bash ci/setup, which fetches it");
  }
  return p;
}

std::string run_command(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) throw std::runtime_error("popen " + command + ": " + std::strerror(errno));
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  if (status != 0) throw std::runtime_error("command failed (status " + std::to_string(status) + "): " + command);
  return out;
}

CommandResult run_merged(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) throw std::runtime_error("cannot run " + command);
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    throw std::runtime_error(std::string(name) +
                             " is not set: run under deploy/local/with-services (--pg, --kafka: as the test needs)");
  }
  return v;
}

std::optional<double> metric_value(const std::string& body, const std::string& series) {
  const auto at = body.find("\n" + series + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(body.substr(at + series.size() + 2));
}

HttpResponse http_request(std::uint16_t port, const std::string& method, const std::string& target,
                          const std::string& body, std::chrono::milliseconds timeout) {
  std::vector<std::pair<std::string, std::string>> headers{{"Host", "127.0.0.1"}};
  if (!body.empty() || method == "POST") headers.emplace_back("Content-Type", "application/json");
  return http_request(port, method, target, body, headers, timeout);
}

HttpResponse http_request(std::uint16_t port, const std::string& method, const std::string& target,
                          const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers,
                          std::chrono::milliseconds timeout) {
  HttpResponse r;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return r;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return r;
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nConnection: close\r\n";
  bool has_host = false;
  for (const auto& [name, value] : headers) {
    has_host = has_host || strcasecmp(name.c_str(), "Host") == 0;
    req += name + ": " + value + "\r\n";
  }
  if (!has_host) req += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "DELETE" || method == "PUT") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  std::size_t sent = 0;
  while (sent < req.size()) {
    const ssize_t w = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (w <= 0) {
      ::close(fd);
      return r;
    }
    sent += static_cast<std::size_t>(w);
  }
  std::string in;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
  if (in.compare(0, 5, "HTTP/") != 0) return r;
  const auto sp = in.find(' ');
  if (sp == std::string::npos) return r;
  r.status = std::atoi(in.c_str() + sp + 1);
  const auto head_end = in.find("\r\n\r\n");
  if (head_end != std::string::npos) r.body = in.substr(head_end + 4);
  std::size_t line = in.find("\r\n");
  while (line != std::string::npos && line < head_end) {
    const auto next = in.find("\r\n", line + 2);
    const std::string header = in.substr(line + 2, next - line - 2);
    if (const auto colon = header.find(':'); colon != std::string::npos) {
      std::string name = header.substr(0, colon);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string value = header.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
    }
    line = next;
  }
  return r;
}

VenueProcess::VenueProcess(std::filesystem::path config, std::filesystem::path log, std::uint16_t metrics_port,
                           std::string program)
    : config_(std::move(config)), log_(std::move(log)), metrics_port_(metrics_port), program_(std::move(program)) {}

VenueProcess::~VenueProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void VenueProcess::start(std::chrono::milliseconds ready_timeout) {
  if (pid_ > 0) throw std::runtime_error("venue already running");
  const std::string binary = (bin_dir() / program_).string();
  const std::string config = config_.string();
  std::vector<char*> argv{const_cast<char*>(binary.c_str()), const_cast<char*>("--config"),
                          const_cast<char*>(config.c_str()), nullptr};
  // The environment, built before fork (the child may only make async-signal-safe calls).
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    if (!environment_.contains(entry.substr(0, entry.find('=')))) env_strings.push_back(entry);
  }
  for (const auto& [name, value] : environment_) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int log_fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot open " + log_.string() + ": " + std::strerror(errno));
  {
    std::ofstream mark(log_, std::ios::app);
    mark << "----- e2e: starting " << program_ << " -----\n";
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. Dies with the test process.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);
    // Its own process group: signals meant for the test's group (a terminal's Ctrl-C, a harness) do not
    // reach it; it is stopped by stop() or, if the test dies, by the parent-death signal.
    ::setpgid(0, 0);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    // The test's sockets (FIX clients) must not stay open in the venue.
    if (::close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < 65536; ++fd) ::close(fd);
    }
    ::execve(binary.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;
  exit_code_ = -1;
  const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) {
      throw std::runtime_error("the venue exited during start-up with code " + std::to_string(exit_code_) +
                               "; log tail:\n" + log_tail());
    }
    if (http_request(metrics_port_, "GET", "/readyz", "", std::chrono::milliseconds(500)).status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("the venue did not get ready in time; log tail:\n" + log_tail());
}

bool VenueProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  }
  pid_ = -1;
  return false;
}

int VenueProcess::stop(std::chrono::milliseconds timeout) {
  if (!running()) return exit_code_;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return exit_code_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  exit_code_ = -1;
  return -1;
}

void VenueProcess::set_environment(const std::string& name, const std::string& value) {
  if (value.empty()) {
    environment_.erase(name);
  } else {
    environment_[name] = value;
  }
}

int VenueProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return exit_code_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

HttpResponse VenueProcess::http(const std::string& method, const std::string& target, const std::string& body) const {
  return http_request(metrics_port_, method, target, body);
}

std::string VenueProcess::log_tail(std::size_t lines) const {
  std::ifstream in(log_);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += l + "\n";
  return out;
}

}  // namespace venue::e2e
