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

BOOST_LOG_GLOBAL_LOGGER(logger, boost::log::sources::severity_logger_mt<Level>)

// Logs a message with structured fields.
void write(Level level, std::string_view message, const Fields& fields);

}  // namespace venue::log

#define VENUE_LOG(sev) BOOST_LOG_SEV(::venue::log::logger::get(), ::boost::log::trivial::sev)
#define VENUE_LOG_KV(sev, msg, ...) \
  ::venue::log::write(::boost::log::trivial::sev, msg, ::venue::log::Fields(__VA_ARGS__))
