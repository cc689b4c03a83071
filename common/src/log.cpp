#include "venue/common/log.h"

#include <atomic>
#include <boost/core/null_deleter.hpp>
#include <boost/log/attributes/attribute_value_set.hpp>
#include <boost/log/attributes/function.hpp>
#include <boost/log/attributes/value_extraction.hpp>
#include <boost/log/core.hpp>
#include <boost/log/expressions.hpp>
#include <boost/log/sinks/sync_frontend.hpp>
#include <boost/log/sinks/text_file_backend.hpp>
#include <boost/log/sinks/text_ostream_backend.hpp>
#include <boost/log/utility/exception_handler.hpp>
#include <boost/shared_ptr.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <mutex>

namespace venue::log {

BOOST_LOG_GLOBAL_LOGGER_DEFAULT(logger, boost::log::sources::severity_logger_mt<Level>)

namespace {

namespace bl = boost::log;
using StreamSink = bl::sinks::synchronous_sink<bl::sinks::text_ostream_backend>;
using FileSink = bl::sinks::synchronous_sink<bl::sinks::text_file_backend>;

std::string g_component;                      // set once in init(), read by the formatter
boost::shared_ptr<StreamSink> g_stream_sink;  // stderr
boost::shared_ptr<FileSink> g_file_sink;      // [log] file
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

// "dir/venue.log" -> "dir/venue-%Y%m%d-%H%M%S.%N.log": the rotated files' names (the time the file was
// opened, a counter), distinct from the current file's so that the collector never takes that one.
std::filesystem::path rotated_pattern(const std::filesystem::path& file) {
  return file.parent_path() / (file.stem().string() + "-%Y%m%d-%H%M%S.%N" + file.extension().string());
}

boost::shared_ptr<FileSink> make_file_sink(const LogOutput& out) {
  const std::filesystem::path file = std::filesystem::absolute(out.file);
  {
    // text_file_backend opens lazily: fail at start-up, not at the first line, when it cannot be written.
    std::ofstream probe(file, std::ios::app);
    if (!probe) throw std::runtime_error("cannot open log file " + file.string());
  }
  auto backend = boost::make_shared<bl::sinks::text_file_backend>(
      bl::keywords::file_name = file.string(), bl::keywords::open_mode = std::ios::out | std::ios::app,
      bl::keywords::auto_flush = true, bl::keywords::enable_final_rotation = false);
  if (out.rotates()) {
    backend->set_target_file_name_pattern(rotated_pattern(file).string());
    if (out.rotation_size_bytes != 0) backend->set_rotation_size(out.rotation_size_bytes);
    if (!out.rotation_time.empty()) {
      const auto part = [&](std::size_t at) {
        return static_cast<unsigned char>(std::stoi(out.rotation_time.substr(at, 2)));
      };
      backend->set_time_based_rotation(bl::sinks::file::rotation_at_time_point(part(0), part(3), part(6)));
    }
    constexpr auto kAll = std::numeric_limits<std::uintmax_t>::max();
    backend->set_file_collector(bl::sinks::file::make_collector(
        bl::keywords::target = file.parent_path().string(),
        bl::keywords::max_files = out.max_files == 0 ? kAll : out.max_files,
        bl::keywords::max_size = out.max_total_bytes == 0 ? kAll : out.max_total_bytes));
    // Files rotated by earlier runs count towards the limits (and continue the counter).
    backend->scan_for_files(bl::sinks::file::scan_matching, true);
  }
  auto sink = boost::make_shared<FileSink>(backend);
  // A full disk must not throw out of a logging call into the caller's work: the line is lost, and
  // standard error says so (the first time and every 10,000th).
  sink->set_exception_handler(bl::make_exception_handler<std::exception>([file](const std::exception& e) {
    static std::atomic<std::uint64_t> failures{0};
    const auto n = failures.fetch_add(1, std::memory_order_relaxed);
    if (n % 10'000 == 0)
      std::cerr << "venue log: cannot write " << file.string() << " (" << n + 1 << " lines lost so far): " << e.what()
                << '\n';
  }));
  return sink;
}

}  // namespace

void init(const LogSettings& settings) {
  std::lock_guard lock(g_sink_mutex);
  g_component = settings.component;
  auto core = bl::core::get();
  if (g_stream_sink) core->remove_sink(g_stream_sink);
  if (g_file_sink) core->remove_sink(g_file_sink);
  g_stream_sink.reset();
  g_file_sink.reset();
  const auto filter = bl::expressions::attr<Level>("Severity") >= settings.level;
  if (settings.output.file.empty()) {
    auto backend = boost::make_shared<bl::sinks::text_ostream_backend>();
    backend->add_stream(boost::shared_ptr<std::ostream>(&std::clog, boost::null_deleter()));
    backend->auto_flush(true);
    g_stream_sink = boost::make_shared<StreamSink>(backend);
    g_stream_sink->set_formatter(&format);
    g_stream_sink->set_filter(filter);
    core->add_sink(g_stream_sink);
  } else {
    g_file_sink = make_file_sink(settings.output);
    g_file_sink->set_formatter(&format);
    g_file_sink->set_filter(filter);
    core->add_sink(g_file_sink);
  }
  // Every record, from VENUE_LOG or write(), carries the thread's correlation id.
  core->add_global_attribute("Correlation", bl::attributes::make_function([] { return t_correlation; }));
}

void reopen() {
  std::lock_guard lock(g_sink_mutex);
  if (g_file_sink) g_file_sink->locked_backend()->rotate_file();
}

void shutdown() {
  std::lock_guard lock(g_sink_mutex);
  auto core = bl::core::get();
  if (g_stream_sink) {
    g_stream_sink->flush();
    core->remove_sink(g_stream_sink);
    g_stream_sink.reset();
  }
  if (g_file_sink) {
    g_file_sink->flush();
    core->remove_sink(g_file_sink);
    g_file_sink.reset();
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

bool Throttle::allow(std::int64_t now_ns) {
  if (now_ns >= window_end_ns_) {
    told_ += skipped_;
    skipped_ = 0;
    used_ = 0;
    window_end_ns_ = now_ns + 1'000'000'000;
  }
  if (used_ < per_second_) {
    ++used_;
    return true;
  }
  ++skipped_;
  return false;
}

std::uint64_t Throttle::left_out(std::int64_t now_ns) {
  if (now_ns >= window_end_ns_) {  // this second is over: its count may be told
    told_ += skipped_;
    skipped_ = 0;
  }
  const std::uint64_t n = told_;
  told_ = 0;
  return n;
}

}  // namespace venue::log
