// libFuzzer target over the venue's inbound FIX handling: the whole pipeline a broker's bytes go
// through (framing, QuickFIX session layer and dictionary, the gateway's validation, translation and
// pre-trade checks, the engine and the ExecutionReports back) runs in this process, and the fuzzer
// talks to it over loopback like a broker would.
//
// An input is either
//   - raw bytes (first byte even): written to the connection as they are (framing, garbage, bad
//     checksums, oversized messages, anything), or
//   - messages (first byte odd): lines of "tag=value" fields separated by '|'; each line becomes a
//     correctly framed FIX message of the logged-on session (right CompIDs, sequence numbers, length
//     and checksum), so the fuzzer reaches the application layer.
// After each input a TestRequest/Heartbeat round trip makes sure the venue has handled it; if the
// venue dropped the connection, the next input logs on again (ResetSeqNumFlag=Y).
//
// Crashes, sanitizer reports and a venue that stops answering are failures.
//
//   cmake --preset fuzz && cmake --build --preset fuzz --target fix_inbound_fuzz
//   build-fuzz/bin/fix_inbound_fuzz -max_total_time=60 fix-gateway/fuzz/corpus/fix_inbound
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "venue/common/log.h"
#include "venue/fix_gateway/config.h"
#include "venue/fix_gateway/gateway.h"
#include "venue/fix_session/auth.h"

namespace fg = venue::fix_gateway;
namespace fs = std::filesystem;

namespace {

struct Venue {
  fs::path dir;
  std::unique_ptr<fg::Gateway> gateway;
  std::thread loop;
  std::uint16_t port = 0;
};

Venue* g_venue = nullptr;
int g_fd = -1;
int g_seq = 1;
int g_probe_seq = 1;  // the TestRequest being waited for: a gap fill stops short of it
std::uint64_t g_probe = 0;

std::uint16_t free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    std::perror("fix_inbound_fuzz: no free loopback port");
    std::abort();
  }
  ::close(s);
  return ntohs(a.sin_port);
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H:%M:%S", &tm);
  return buf;
}

std::string frame(const std::string& type, const std::string& fields) {
  std::string body = "35=" + type + "\x01" + "34=" + std::to_string(g_seq++) + "\x01" + "49=FUZZ\x01" +
                     "52=" + utc_now() + "\x01" + "56=VENUE\x01" + fields;
  std::string m =
      "8=FIX.4.4\x01"
      "9=" +
      std::to_string(body.size()) + "\x01" + body;
  unsigned sum = 0;
  for (unsigned char c : m) sum += c;
  char trailer[16];
  std::snprintf(trailer, sizeof trailer, "10=%03u\x01", sum % 256);
  return m + trailer;
}

bool send_all(const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t w = ::send(g_fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;  // libFuzzer's watchdog signal
    if (w <= 0) return false;
    off += static_cast<std::size_t>(w);
  }
  return true;
}

// Reads until `needle` appears (or the connection closes, or the timeout passes).
bool read_until(const std::string& needle, int timeout_ms) {
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[65536];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{g_fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::recv(g_fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got.append(buf, static_cast<std::size_t>(n));
    if (got.find(needle) != std::string::npos) return true;
    // A Logout ends the session: no point waiting for the answer.
    if (got.find("\x01"
                 "35=5\x01") != std::string::npos)
      return false;
    // A ResendRequest (a message of ours was garbled and dropped, as FIX says): fill the gap so the
    // session goes on, like a broker's engine would.
    if (const auto rr = got.find("\x01"
                                 "35=2\x01");
        rr != std::string::npos) {
      const auto b = got.find(
          "\x01"
          "7=",
          rr);
      const auto e = b == std::string::npos ? b : got.find('\x01', b + 3);
      if (e != std::string::npos) {
        const std::string digits = got.substr(b + 3, e - b - 3);
        int begin = 0;  // 0 when BeginSeqNo is not a number, as atoi gave (clang-tidy cert-err34-c)
        if (std::from_chars(digits.data(), digits.data() + digits.size(), begin).ec != std::errc()) begin = 0;
        std::string body =
            "35=4\x01"
            "34=" +
            std::to_string(begin) +
            "\x01"
            "43=Y\x01"
            "49=FUZZ\x01"
            "52=" +
            utc_now() +
            "\x01"
            "56=VENUE\x01"
            "122=" +
            utc_now() +
            "\x01"
            "123=Y\x01"
            "36=" +
            std::to_string(g_probe_seq) + "\x01";
        std::string m =
            "8=FIX.4.4\x01"
            "9=" +
            std::to_string(body.size()) + "\x01" + body;
        unsigned sum = 0;
        for (unsigned char c : m) sum += c;
        char trailer[16];
        std::snprintf(trailer, sizeof trailer, "10=%03u\x01", sum % 256);
        if (!send_all(m + trailer)) return false;
      }
      got.erase(0, rr + 5);
    }
    if (got.size() > (1 << 20)) got.erase(0, got.size() - 4096);
  }
  return false;
}

void disconnect() {
  if (g_fd >= 0) ::close(g_fd);
  g_fd = -1;
}

bool connect_once() {
  disconnect();
  g_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(g_venue->port);
  if (::connect(g_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
  const int one = 1;
  ::setsockopt(g_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  g_seq = 1;
  if (!send_all(frame("A",
                      "98=0\x01"
                      "108=30\x01"
                      "141=Y\x01"
                      "553=fuzz\x01"
                      "554=fuzz-secret\x01")))
    return false;
  return read_until(
      "\x01"
      "35=A\x01",
      5000);
}

// The venue may not have noticed the previous connection's close yet ("already connected"): retry.
bool connect_and_logon() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (connect_once()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// The venue has handled everything sent so far when it answers this TestRequest. After raw bytes the
// venue may legitimately wait for more (a BodyLength it has not got yet): a short wait, then a new
// connection. After well-framed messages it must answer.
bool barrier(int timeout_ms) {
  const std::string id = "P" + std::to_string(++g_probe);
  g_probe_seq = g_seq;
  if (!send_all(frame("1", "112=" + id + "\x01"))) return false;
  return read_until("112=" + id + "\x01", timeout_ms);
}

void start_venue() {
  g_venue = new Venue();
  g_venue->dir = fs::temp_directory_path() / ("venue-fuzz-" + std::to_string(::getpid()));
  fs::remove_all(g_venue->dir);
  fs::create_directories(g_venue->dir);
  const char* src = std::getenv("VENUE_SOURCE_DIR");
  const std::string dictionary = std::string(src != nullptr ? src : ".") + "/spec/fix/VENUE-FIX44.xml";
  if (!fs::exists(dictionary)) {
    std::fprintf(stderr, "fix_inbound_fuzz: %s not found (set VENUE_SOURCE_DIR to the repository)\n",
                 dictionary.c_str());
    std::abort();
  }
  std::ofstream(g_venue->dir / "instruments.toml")
      << "[[instrument]]\nid = 1\nsymbol = \"ACME\"\ntick_size = \"0.01\"\nlot_size = \"1\"\nmax_qty = 100000\n"
         "reference_price = \"100.00\"\nband_bps = 2000\n"
         "[[instrument]]\nid = 2\nsymbol = \"LOTS\"\ntick_size = \"0.05\"\nlot_size = \"100\"\n";
  g_venue->port = free_port();
  std::ofstream(g_venue->dir / "venue.toml")
      << "[venue]\nfix_port = " << g_venue->port
      << "\nstore_dir = \"store\"\nstate_dir = \"state\"\ndata_dictionary = \"" << dictionary
      << "\"\nlog_level = \"error\"\n"
         "[risk]\nprice_collar_bps = 1000\nmax_order_qty = 50000\nmax_order_notional = \"1000000\"\n"
         "[engine]\ninstruments = \"instruments.toml\"\njournal_dir = \"journal\"\nsnapshot_every = 0\n"
         "[[firm]]\nid = 1\nname = \"F\"\n[[account]]\nid = 1\nname = \"A1\"\nfirm = \"F\"\ncredit_limit = "
         "\"2000000\"\n"
         "[[account]]\nid = 2\nname = \"A2\"\nfirm = \"F\"\n"
         "[[session]]\nid = 1\nsender_comp_id = \"FUZZ\"\nfirm = \"F\"\nusername = \"fuzz\"\npassword_hash = \""
      << venue::fix_session::hash_password("fuzz-secret", 1000)
      << "\"\naccounts = [\"A1\", \"A2\"]\ncancel_on_disconnect = \"day\"\norders_per_second = 100000\n";
  auto cfg = fg::load_config(g_venue->dir / "venue.toml");
  venue::log::init({.component = "fuzz", .level = venue::log::Level::error});
  g_venue->gateway = std::make_unique<fg::Gateway>(cfg, std::make_shared<prometheus::Registry>());
  g_venue->gateway->start();
  g_venue->loop = std::thread([] { g_venue->gateway->run(); });
  std::atexit([] {
    g_venue->gateway->request_stop();
    g_venue->loop.join();
    fs::remove_all(g_venue->dir);
  });
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  start_venue();
  if (!connect_and_logon()) {
    std::fprintf(stderr, "fix_inbound_fuzz: cannot log on to the in-process venue\n");
    std::abort();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if (g_fd < 0 && !connect_and_logon()) {
    std::fprintf(stderr, "fix_inbound_fuzz: the venue no longer accepts logons\n");
    std::abort();
  }
  const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  bool ok = true;
  if ((data[0] & 1) == 0) {
    ok = send_all(input);
  } else {
    std::size_t start = 0;
    while (ok && start <= input.size()) {
      std::size_t end = input.find('\n', start);
      if (end == std::string::npos) end = input.size();
      std::string line = input.substr(start, end - start);
      start = end + 1;
      if (line.empty()) continue;
      // "35=X|..." : the first field names the message type.
      std::string type = "D";
      if (line.rfind("35=", 0) == 0) {
        const auto bar = line.find('|');
        type = line.substr(3, bar == std::string::npos ? std::string::npos : bar - 3);
        line = bar == std::string::npos ? "" : line.substr(bar + 1);
      }
      if (type.empty() || type.find('\x01') != std::string::npos || type.find('=') != std::string::npos) continue;
      std::string fields;
      for (char c : line) fields += c == '|' ? '\x01' : c;
      if (!fields.empty() && fields.back() != '\x01') fields += '\x01';
      ok = send_all(frame(type, fields));
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  const bool raw = (data[0] & 1) == 0;
  const bool answered = ok && barrier(raw ? 300 : 3000);
  if (std::getenv("FUZZ_TRACE") != nullptr) {
    if (!answered && !raw) {
      std::string shown(input);
      for (auto& ch : shown) ch = ch == '\n' ? '/' : ch;
      std::fprintf(stderr, "unanswered: %s\n", shown.c_str());
    }
    std::fprintf(
        stderr, "input %zu bytes: sent=%d answered=%d in %lld ms\n", size, ok, answered,
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count()));
  }
  if (!answered) {
    // The venue may drop a session for what it was sent; it must still take the next one.
    if (!connect_and_logon()) {
      std::fprintf(stderr, "fix_inbound_fuzz: the venue stopped accepting logons after an input\n");
      std::abort();
    }
  }
  return 0;
}
