#pragma once
// The real venue process (build/bin/venue) for the end-to-end tests: started as a child with its
// output in a log file, ready when GET /readyz answers 200, stopped with SIGTERM (a clean shutdown exits
// 0). It can be started again on the same files (the restart test). Plus the bits around it: a temporary
// folder, free loopback ports, a tiny HTTP client (metrics, health, the operator API), the binaries' paths.
//
//   TempDir dir("venue-e2e");
//   VenueProcess venue(dir.path() / "venue.toml", dir.path() / "venue.log", metrics_port);
//   venue.start();                          // throws (with the log's tail) if it does not get ready
//   auto r = venue.http("GET", "/readyz", "");
//   int code = venue.stop();                // SIGTERM, waits up to 10 s; -1 if it had to be killed
//
// Thread rules: one thread (the test's).

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace venue::e2e {

// VENUE_BIN_DIR (ctest sets it): where venue and venue-passwd are.
std::filesystem::path bin_dir();
// VENUE_SOURCE_DIR (ctest sets it): the repository root.
std::filesystem::path source_dir();
// VENUE_STOCK_FIX44 (bash ci/setup fetches it): QuickFIX's stock FIX 4.4 dictionary, for clients that
// validate what arrives against the standard rather than the venue's dictionary. Throws when missing.
std::filesystem::path stock_dictionary();

// A fresh folder under $TMPDIR (or /tmp), removed at destruction unless keep() was called.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

// A TCP port nobody has bound now, below the kernel's ephemeral range (so no outgoing connection
// takes it before the server binds it); distinct across the calls of one process.
std::uint16_t free_port();

// Runs a command through /bin/sh, returns its standard output; throws when it exits non-zero.
std::string run_command(const std::string& command);

// A command's exit code (-1: killed by a signal) and its output, standard error included.
struct CommandResult {
  int code = -1;
  std::string out;
};
// Runs a command through /bin/sh with standard error merged into the output; a non-zero exit is a result
// for the test to check, not an error (throws only when the command cannot be started).
CommandResult run_merged(const std::string& command);

// An environment variable deploy/local/with-services sets (VENUE_SERVICES_DIR, VENUE_PG_URL, ...);
// throws, naming it, when it is not set or empty, so a test run outside with-services says why.
std::string env(const char* name);

struct HttpResponse {
  int status = 0;  // 0: no answer (connection refused, timeout)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};
// One HTTP/1.1 request to 127.0.0.1:port (Connection: close). A POST, or any request with a body, says
// Content-Type: application/json.
HttpResponse http_request(std::uint16_t port, const std::string& method, const std::string& target,
                          const std::string& body = "", std::chrono::milliseconds timeout = std::chrono::seconds(5));
// The same with the headers given exactly (Host and Content-Length are added unless given; nothing else).
HttpResponse http_request(std::uint16_t port, const std::string& method, const std::string& target,
                          const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers,
                          std::chrono::milliseconds timeout = std::chrono::seconds(5));
// A series' value in the text of a /metrics answer, e.g. metric_value(body, "venue_reports_in_flight") or
// metric_value(body, "dropcopy_copies_delivered_total{session=\"DCFILLS\"}"); nullopt when it is not there.
std::optional<double> metric_value(const std::string& body, const std::string& series);

class VenueProcess {
 public:
  // `program`: the executable in bin_dir() ("venue", or another venue process such as "dropcopy" that
  // takes --config and serves /readyz on metrics_port).
  VenueProcess(std::filesystem::path config, std::filesystem::path log, std::uint16_t metrics_port,
               std::string program = "venue");
  ~VenueProcess();  // kills it if still running
  VenueProcess(const VenueProcess&) = delete;
  VenueProcess& operator=(const VenueProcess&) = delete;

  // Starts the process and waits until /readyz answers 200. Throws std::runtime_error (with the tail of
  // the log) if it exits or is not ready in time.
  void start(std::chrono::milliseconds ready_timeout = std::chrono::seconds(30));
  // SIGTERM, then waits up to `timeout`. Returns the exit code (128 + signal if killed by one), or -1 if
  // it did not stop in time (it is then killed with SIGKILL).
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool running();
  pid_t pid() const { return pid_; }
  // An environment variable for the next start() (on top of the test's environment); an empty value
  // removes it again.
  void set_environment(const std::string& name, const std::string& value);
  // Waits up to `timeout` for the process to end by itself; its exit code (128 + signal), or -1 if it
  // still runs.
  int wait_exit(std::chrono::milliseconds timeout);

  HttpResponse http(const std::string& method, const std::string& target, const std::string& body = "") const;
  // The last `lines` lines of the venue's log.
  std::string log_tail(std::size_t lines = 40) const;
  const std::filesystem::path& log_file() const { return log_; }

 private:
  std::filesystem::path config_;
  std::filesystem::path log_;
  std::uint16_t metrics_port_;
  std::string program_;
  std::map<std::string, std::string> environment_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

}  // namespace venue::e2e
