// fix-baseline-acceptor: the yardstick for the venue's FIX gateway. An idiomatic QuickFIX 1.15 FIX 4.4
// acceptor (SocketAcceptor::start() runs QuickFIX's own thread; this thread waits for SIGINT/SIGTERM)
// with an ordermatch-like application (baseline_application.h). See ../README.md.
//
// Shutdown within a second: logged-on sessions are told to log out and sent a TestRequest (whose
// Heartbeat makes QuickFIX run its timer at once, so the Logout goes out now rather than at the next
// one-second tick); then stop(true), while connecting to our own port wakes QuickFIX's select() so the
// acceptor thread notices the stop without waiting out its one-second timeout.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <quickfix/FileStore.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>
#include <quickfix/fix44/TestRequest.h>

#include "baseline_application.h"
#include "split_commas.h"

namespace {

using venue::fix_gateway::bench::split_commas;

struct AcceptorOptions {
  int port = 5001;
  bool file_store = true;
  std::string store_dir;  // empty: a fresh temporary directory, removed at exit
  std::string sender = "VENUE";
  std::vector<std::string> targets = {"LOAD"};
  bool nodelay = true;
  std::string dictionary;  // empty: look for spec/fix/VENUE-FIX44.xml; "none": no dictionary
};

struct UsageError {
  std::string message;
};

constexpr const char* kUsage = R"(usage: fix-baseline-acceptor [options]
An idiomatic QuickFIX FIX 4.4 acceptor with an ordermatch-like book: the yardstick for the venue.
Accepts NewOrderSingle (limit, day) and OrderCancelRequest; answers with ExecutionReports.
Stops on SIGINT/SIGTERM.

  --port P              listen port, all IPv4 addresses (default 5001)
  --store file|memory   QuickFIX FileStore (default) or MemoryStore
  --store-dir DIR       FileStore directory (default: a fresh temporary directory, removed at exit)
  --sender ID           its SenderCompID (default VENUE)
  --targets A,B,...     client CompIDs it accepts, one session each (default LOAD)
  --nodelay Y|N         SocketNodelay (default Y)
  --dictionary PATH     DataDictionary XML, or none (default: spec/fix/VENUE-FIX44.xml when it exists
                        in the working directory or the source tree, else no dictionary)
  --help                this text
)";

void check_comp_id(std::string_view option, const std::string& id) {
  if (id.empty()) throw UsageError{std::string(option) + ": empty CompID"};
  for (char c : id) {
    if (c <= ' ' || c > '~' || c == '=' || c == ',') {
      throw UsageError{std::string(option) + ": '" + id + "' has a character FIX does not allow here"};
    }
  }
}

std::optional<AcceptorOptions> parse_options(int argc, char** argv) {
  AcceptorOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_inline = false;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline = true;
    }
    auto next = [&]() -> std::string_view {
      if (has_inline) return value;
      if (i + 1 >= argc) throw UsageError{std::string(arg) + " needs a value"};
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") return std::nullopt;
    if (arg == "--port") {
      const auto v = next();
      int port = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), port);
      if (ec != std::errc() || p != v.data() + v.size() || port < 1 || port > 65535) {
        throw UsageError{"--port: expected 1..65535, got '" + std::string(v) + "'"};
      }
      o.port = port;
    } else if (arg == "--store") {
      const auto v = next();
      if (v != "file" && v != "memory")
        throw UsageError{"--store: expected file or memory, got '" + std::string(v) + "'"};
      o.file_store = v == "file";
    } else if (arg == "--store-dir") {
      o.store_dir = next();
      if (o.store_dir.empty()) throw UsageError{"--store-dir: empty"};
    } else if (arg == "--sender") {
      o.sender = next();
      check_comp_id(arg, o.sender);
    } else if (arg == "--targets") {
      o.targets = split_commas(next());
      for (const auto& t : o.targets) check_comp_id(arg, t);
    } else if (arg == "--nodelay") {
      const auto v = next();
      if (v != "Y" && v != "N") throw UsageError{"--nodelay: expected Y or N, got '" + std::string(v) + "'"};
      o.nodelay = v == "Y";
    } else if (arg == "--dictionary") {
      o.dictionary = next();
      if (o.dictionary.empty()) throw UsageError{"--dictionary: empty"};
    } else {
      throw UsageError{"unknown option '" + std::string(argv[i]) + "'"};
    }
  }
  if (!o.store_dir.empty() && !o.file_store) throw UsageError{"--store-dir needs --store file"};
  if (o.dictionary == "none") {
    o.dictionary.clear();
  } else if (o.dictionary.empty()) {
    for (const char* base : {".", VENUE_SOURCE_DIR}) {
      const auto candidate = std::filesystem::path(base) / "spec/fix/VENUE-FIX44.xml";
      if (std::filesystem::exists(candidate)) {
        o.dictionary = candidate.string();
        break;
      }
    }
  } else if (!std::filesystem::exists(o.dictionary)) {
    throw UsageError{"--dictionary: no file " + o.dictionary};
  }
  return o;
}

// Connects to the acceptor's own port and hangs up: QuickFIX's select() returns at once.
void wake_acceptor(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  (void)::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));  // only to wake accept()
  ::close(fd);
}

void shut_down(FIX::SocketAcceptor& acceptor, int port) {
  using namespace std::chrono_literals;
  for (const auto& id : acceptor.getSessions()) {
    FIX::Session* session = FIX::Session::lookupSession(id);
    if (session == nullptr || !session->isLoggedOn()) continue;
    session->logout("acceptor shutting down");
    FIX44::TestRequest ping(FIX::TestReqID("shutdown"));
    try {
      FIX::Session::sendToTarget(ping, id);
    } catch (const FIX::SessionNotFound& e) {
      std::fprintf(stderr, "baseline: %s: %s\n", id.toString().c_str(), e.what());
    }
  }
  const auto give_up = std::chrono::steady_clock::now() + 500ms;
  while (acceptor.isLoggedOn() && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(5ms);
  if (acceptor.isLoggedOn()) std::fprintf(stderr, "baseline: a session did not log out in time; stopping anyway\n");

  auto stopped = std::async(std::launch::async, [&acceptor] { acceptor.stop(true); });
  while (stopped.wait_for(2ms) != std::future_status::ready) wake_acceptor(port);
  stopped.get();
}

}  // namespace

int main(int argc, char** argv) {
  AcceptorOptions opt;
  try {
    auto parsed = parse_options(argc, argv);
    if (!parsed) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    opt = std::move(*parsed);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "fix-baseline-acceptor: %s (see --help)\n", e.message.c_str());
    return 2;
  }

  bool remove_store_dir = false;
  if (opt.file_store && opt.store_dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fix-baseline-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("fix-baseline-acceptor: mkdtemp");
      return 1;
    }
    opt.store_dir = tmpl;
    remove_store_dir = true;
  }

  // The signals are blocked before QuickFIX's thread exists, so only sigwait() below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  int exit_code = 0;
  try {
    FIX::SessionSettings settings;
    FIX::Dictionary defaults;
    defaults.setString("ConnectionType", "acceptor");
    defaults.setInt("SocketAcceptPort", opt.port);
    defaults.setString("SocketNodelay", opt.nodelay ? "Y" : "N");
    defaults.setString("SocketReuseAddress", "Y");
    // Start = end time: the session is always open.
    defaults.setString("StartTime", "00:00:00");
    defaults.setString("EndTime", "00:00:00");
    defaults.setString("UseDataDictionary", opt.dictionary.empty() ? "N" : "Y");
    if (!opt.dictionary.empty()) defaults.setString("DataDictionary", opt.dictionary);
    if (opt.file_store) defaults.setString("FileStorePath", opt.store_dir);
    settings.set(defaults);
    for (const auto& target : opt.targets) {
      settings.set(FIX::SessionID("FIX.4.4", opt.sender, target), FIX::Dictionary());
    }

    venue::fix_gateway::baseline::BaselineApplication application;
    std::unique_ptr<FIX::MessageStoreFactory> store;
    if (opt.file_store) {
      store = std::make_unique<FIX::FileStoreFactory>(settings);
    } else {
      store = std::make_unique<FIX::MemoryStoreFactory>();
    }
    FIX::SocketAcceptor acceptor(application, *store, settings);  // no LogFactory: no logging at all
    acceptor.start();
    std::string targets;
    for (const auto& t : opt.targets) targets += (targets.empty() ? "" : ",") + t;
    std::fprintf(stderr, "baseline: listening on port %d as %s for %s; store %s%s; dictionary %s; SocketNodelay=%s\n",
                 opt.port, opt.sender.c_str(), targets.c_str(), opt.file_store ? "file " : "memory",
                 opt.file_store ? opt.store_dir.c_str() : "",
                 opt.dictionary.empty() ? "none (UseDataDictionary=N)" : opt.dictionary.c_str(),
                 opt.nodelay ? "Y" : "N");

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    const auto t0 = std::chrono::steady_clock::now();
    shut_down(acceptor, opt.port);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    std::fprintf(stderr, "baseline: %s: stopped in %lld ms after %llu orders (%llu rejected)\n",
                 strsignal(signal_number), static_cast<long long>(ms.count()),
                 static_cast<unsigned long long>(application.orders()),
                 static_cast<unsigned long long>(application.rejects()));
  } catch (const FIX::ConfigError& e) {
    std::fprintf(stderr, "fix-baseline-acceptor: configuration: %s\n", e.what());
    exit_code = 1;
  } catch (const FIX::RuntimeError& e) {
    std::fprintf(stderr, "fix-baseline-acceptor: %s\n", e.what());
    exit_code = 1;
  }

  if (remove_store_dir) {
    std::error_code ec;
    std::filesystem::remove_all(opt.store_dir, ec);
    if (ec) std::fprintf(stderr, "baseline: could not remove %s: %s\n", opt.store_dir.c_str(), ec.message().c_str());
  }
  return exit_code;
}
