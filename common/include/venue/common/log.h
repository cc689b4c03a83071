#pragma once
// JSON-lines logging through Boost.Log, one object per line:
//
//   {"ts":"2026-11-27T08:00:00.123456Z","level":"info","component":"venue","msg":"session logged on",
//    "corr":"BRK1","session":"BRK1","seq":12}
//
// Use:
//   venue::log::init({.component = "venue", .level = venue::log::Level::kInfo});   // once, in main
//   VENUE_LOG(info) << "engine started";                                          // free text
//   VENUE_LOG_KV(warning, "logon refused", {{"session", id}, {"reason", why}});   // with fields
//   venue::log::ScopedCorrelation corr("order-42");   // "corr" on every line this thread logs meanwhile
//
// Output goes to stderr, or to a file when LogSettings::output.file is set (appended), rotated by size
// and/or daily and pruned to max_files / max_total_bytes (the [log] table: log_config.h) with
// Boost.Log's text_file_backend and file collector. `venue::log::reopen()` (on SIGHUP) closes the file:
// with rotation configured it rotates it now; without, the next line reopens the path (for an external
// logrotate that moved the file). Never log on the engine's hot path: the engine reports through
// listeners and counters instead.
//
// Thread rules: init() and shutdown() from main only; logging from any thread.

#include <boost/log/sources/global_logger_storage.hpp>
#include <boost/log/sources/record_ostream.hpp>
#include <boost/log/sources/severity_logger.hpp>
#include <boost/log/trivial.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "venue/common/log_config.h"

namespace venue::log {

using Level = boost::log::trivial::severity_level;

struct LogSettings {
  std::string component;
  Level level = Level::info;
  LogOutput output;  // file empty: stderr
};

// Throws std::runtime_error when the log file cannot be opened.
void init(const LogSettings& settings);
void reopen();
void shutdown();
bool parse_level(std::string_view text, Level& out);

// Fields carried by one record; attached with VENUE_LOG_KV.
using Fields = nlohmann::json;

// Sets the "corr" field on every record this thread logs while the object lives.
class ScopedCorrelation {
 public:
  explicit ScopedCorrelation(std::string id);
  ~ScopedCorrelation();
  ScopedCorrelation(const ScopedCorrelation&) = delete;
  ScopedCorrelation& operator=(const ScopedCorrelation&) = delete;

 private:
  std::string previous_;
};

const std::string& current_correlation();

// Lets at most `per_second` lines of one kind through in a second and counts the rest: for a message a
// flood can repeat thousands of times a second (compliance's line per alert, when a load tool's every
// trade is a wash trade), so that the log stays readable and its disk and CPU bounded. The caller says
// how many were left out once their second is over:
//
//   venue::log::Throttle alert_lines(20);
//   if (alert_lines.allow(now_ns)) VENUE_LOG_KV(warning, "surveillance alert", {...});
//   if (const auto n = alert_lines.left_out(now_ns)) VENUE_LOG_KV(warning, "... left out", {{"lines", n}});
//
// Thread rules: one thread (a plain value).
class Throttle {
 public:
  explicit Throttle(std::uint64_t per_second) : per_second_(per_second) {}
  // True when the line may be logged (counted); false when this second's lines are spent (counted as left out).
  bool allow(std::int64_t now_ns);
  // The lines left out in the seconds that are over, not told before (zero when none were): called
  // often, it tells a flood's count about once a second. now_ns = INT64_MAX at shutdown takes the rest.
  std::uint64_t left_out(std::int64_t now_ns);

 private:
  std::uint64_t per_second_;
  std::int64_t window_end_ns_ = INT64_MIN;
  std::uint64_t used_ = 0;
  std::uint64_t skipped_ = 0;  // in the second under way
  std::uint64_t told_ = 0;     // in seconds that are over, to be told
};

BOOST_LOG_GLOBAL_LOGGER(logger, boost::log::sources::severity_logger_mt<Level>)

// Logs a message with structured fields.
void write(Level level, std::string_view message, const Fields& fields);

}  // namespace venue::log

#define VENUE_LOG(sev) BOOST_LOG_SEV(::venue::log::logger::get(), ::boost::log::trivial::sev)
#define VENUE_LOG_KV(sev, msg, ...) \
  ::venue::log::write(::boost::log::trivial::sev, msg, ::venue::log::Fields(__VA_ARGS__))
