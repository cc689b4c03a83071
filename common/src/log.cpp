#include "venue/common/log.h"

#include <boost/core/null_deleter.hpp>
#include <boost/log/attributes/attribute_value_set.hpp>
#include <boost/log/attributes/function.hpp>
#include <boost/log/attributes/value_extraction.hpp>
#include <boost/log/core.hpp>
#include <boost/log/expressions.hpp>
#include <boost/log/sinks/sync_frontend.hpp>
#include <boost/log/sinks/text_ostream_backend.hpp>
#include <boost/shared_ptr.hpp>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <mutex>

namespace venue::log {

BOOST_LOG_GLOBAL_LOGGER_DEFAULT(logger, boost::log::sources::severity_logger_mt<Level>)

namespace {

namespace bl = boost::log;
using Sink = bl::sinks::synchronous_sink<bl::sinks::text_ostream_backend>;

std::string g_component;  // set once in init(), read by the formatter
std::string g_file;
boost::shared_ptr<Sink> g_sink;
boost::shared_ptr<std::ostream> g_stream;
std::mutex g_sink_mutex;
thread_local std::string t_correlation;

const char* level_name(Level l) {
  switch (l) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warning: return "warning";
    case Level::error: return "error";
    case Level::fatal: return "fatal";
  }
  return "info";
}

std::string utc_timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(us % 1'000'000));
  return std::string(buf, n) + frac;
}

// The JSON-lines formatter. Field order: ts, level, component, msg, corr, then the record's fields.
void format(const bl::record_view& rec, bl::formatting_ostream& out) {
  nlohmann::ordered_json line;
  line["ts"] = utc_timestamp();
  auto sev = bl::extract<Level>("Severity", rec);
  line["level"] = level_name(sev ? *sev : Level::info);
  line["component"] = g_component;
  auto msg = bl::extract<std::string>("Message", rec);
  line["msg"] = msg ? *msg : std::string();
  auto corr = bl::extract<std::string>("Correlation", rec);
  if (corr && !corr->empty()) line["corr"] = *corr;
  auto fields = bl::extract<Fields>("Fields", rec);
  if (fields && fields->is_object()) {
    for (const auto& [k, v] : fields->items()) {
      if (!line.contains(k)) line[k] = v;
    }
  }
  out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

boost::shared_ptr<std::ostream> open_stream(const std::string& file) {
  if (file.empty()) return boost::shared_ptr<std::ostream>(&std::clog, boost::null_deleter());
  auto f = boost::make_shared<std::ofstream>(file, std::ios::app);
  if (!*f) throw std::runtime_error("cannot open log file " + file);
  return f;
}

}  // namespace

void init(const LogSettings& settings) {
  std::lock_guard lock(g_sink_mutex);
  g_component = settings.component;
  g_file = settings.file;
  auto core = bl::core::get();
  if (g_sink) core->remove_sink(g_sink);
  auto backend = boost::make_shared<bl::sinks::text_ostream_backend>();
  g_stream = open_stream(settings.file);
  backend->add_stream(g_stream);
  backend->auto_flush(true);
  g_sink = boost::make_shared<Sink>(backend);
  g_sink->set_formatter(&format);
  g_sink->set_filter(bl::expressions::attr<Level>("Severity") >= settings.level);
  core->add_sink(g_sink);
  // Every record, from VENUE_LOG or write(), carries the thread's correlation id.
  core->add_global_attribute("Correlation", bl::attributes::make_function([] { return t_correlation; }));
}

void reopen() {
  std::lock_guard lock(g_sink_mutex);
  if (!g_sink || g_file.empty()) return;
  auto locked = g_sink->locked_backend();
  auto fresh = open_stream(g_file);
  locked->remove_stream(g_stream);
  g_stream = fresh;
  locked->add_stream(g_stream);
}

void shutdown() {
  std::lock_guard lock(g_sink_mutex);
  if (g_sink) {
    g_sink->flush();
    bl::core::get()->remove_sink(g_sink);
    g_sink.reset();
    g_stream.reset();
  }
}

bool parse_level(std::string_view text, Level& out) {
  static constexpr std::pair<std::string_view, Level> kLevels[] = {{"trace", Level::trace}, {"debug", Level::debug},
                                                                   {"info", Level::info},   {"warning", Level::warning},
                                                                   {"error", Level::error}, {"fatal", Level::fatal}};
  for (const auto& [name, level] : kLevels) {
    if (name == text) {
      out = level;
      return true;
    }
  }
  return false;
}

ScopedCorrelation::ScopedCorrelation(std::string id) : previous_(std::move(t_correlation)) {
  t_correlation = std::move(id);
}

ScopedCorrelation::~ScopedCorrelation() { t_correlation = std::move(previous_); }

const std::string& current_correlation() { return t_correlation; }

void write(Level level, std::string_view message, const Fields& fields) {
  auto& lg = logger::get();
  bl::record rec = lg.open_record(bl::keywords::severity = level);
  if (!rec) return;
  rec.attribute_values().insert("Fields", bl::attributes::make_attribute_value(fields));
  bl::record_ostream strm(rec);
  strm << message;
  strm.flush();
  lg.push_record(std::move(rec));
}

}  // namespace venue::log
