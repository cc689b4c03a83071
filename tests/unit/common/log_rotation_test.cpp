#define BOOST_TEST_MODULE log_rotation
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "venue/common/config.h"
#include "venue/common/log.h"
#include "venue/common/log_config.h"

// The [log] table as an operator writes it, and what the log folder then holds: the current file, at
// most max_files rotated ones, each under the rotation size, the oldest lines gone.

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("venue-log-test-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    venue::log::shutdown();
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `count` lines of about 120 bytes, each naming its number.
void write_lines(int first, int count) {
  const std::string pad(60, 'x');
  for (int i = first; i < first + count; ++i) {
    VENUE_LOG_KV(info, "line", {{"n", "line-" + std::to_string(i) + "-end"}, {"pad", pad}});
  }
}

venue::log::LogOutput parse(const std::string& text, const fs::path& base) {
  venue::log::LogOutput out;
  venue::config::load(text, "test.toml", [&](venue::config::Table& t) { out = venue::log::read_log_output(t, base); });
  return out;
}

// A file rotated at 4 KiB keeping `max_files` rotated ones.
venue::log::LogOutput small_rotating(const fs::path& file, std::uint64_t max_files) {
  venue::log::LogOutput out;
  out.file = file.string();
  out.rotation_size_bytes = 4096;
  out.max_files = max_files;
  return out;
}

void start(const venue::log::LogOutput& out) {
  venue::log::init({.component = "test", .level = venue::log::Level::info, .output = out});
}

}  // namespace

BOOST_AUTO_TEST_CASE(writing_past_the_rotation_size_rotates_the_file_and_removes_the_oldest) {
  TempDir dir;
  start(small_rotating(dir.path / "venue.log", 3));
  write_lines(0, 400);  // about 48 KiB: about 12 files' worth
  venue::log::shutdown();

  const auto files = files_in(dir.path);
  BOOST_TEST_INFO("files: " << files.size());
  BOOST_TEST(files.size() == 4u);  // the current file and the 3 newest rotated ones
  BOOST_TEST(fs::exists(dir.path / "venue.log"));
  std::string everything;
  for (const auto& f : files) {
    BOOST_TEST(fs::file_size(f) <= 4096u, f << " is " << fs::file_size(f) << " bytes");
    if (f.filename() != "venue.log") {
      BOOST_TEST(f.filename().string().rfind("venue-", 0) == 0, f);
      BOOST_TEST(f.extension() == ".log", f);
    }
    everything += read_all(f);
  }
  BOOST_TEST(everything.find("\"line-0-end\"") == std::string::npos);  // the oldest file was removed
  BOOST_TEST(everything.find("\"line-399-end\"") != std::string::npos);
  BOOST_TEST(read_all(dir.path / "venue.log").find("\"line-399-end\"") != std::string::npos);
  // Every line that is kept is whole JSON (a rotation never splits a line).
  std::istringstream lines(read_all(dir.path / "venue.log"));
  for (std::string l; std::getline(lines, l);) BOOST_TEST(nlohmann::json::accept(l), l);
}

BOOST_AUTO_TEST_CASE(a_restart_counts_the_files_an_earlier_run_rotated) {
  TempDir dir;
  const auto out = small_rotating(dir.path / "risk.log", 2);
  start(out);
  write_lines(0, 200);
  venue::log::shutdown();
  start(out);
  write_lines(1000, 100);
  venue::log::shutdown();
  BOOST_TEST(files_in(dir.path).size() == 3u);
}

BOOST_AUTO_TEST_CASE(without_rotation_one_file_keeps_every_line) {
  TempDir dir;
  venue::log::LogOutput out;
  out.file = (dir.path / "venue.log").string();
  out.rotation_size_bytes = 0;
  start(out);
  write_lines(0, 400);
  venue::log::shutdown();
  BOOST_TEST(files_in(dir.path).size() == 1u);
  const auto text = read_all(dir.path / "venue.log");
  BOOST_TEST(text.find("\"line-0-end\"") != std::string::npos);
  BOOST_TEST(text.find("\"line-399-end\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reopen_rotates_on_demand) {
  TempDir dir;
  venue::log::LogOutput out;
  out.file = (dir.path / "venue.log").string();
  start(out);
  write_lines(0, 5);
  venue::log::reopen();  // SIGHUP
  write_lines(5, 5);
  venue::log::shutdown();
  BOOST_TEST(files_in(dir.path).size() == 2u);
  BOOST_TEST(read_all(dir.path / "venue.log").find("\"line-0-end\"") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(without_rotation_reopen_keeps_writing_the_same_file) {
  // What an external logrotate relies on: SIGHUP closes the file and the next line opens the path again.
  TempDir dir;
  venue::log::LogOutput out;
  out.file = (dir.path / "venue.log").string();
  out.rotation_size_bytes = 0;
  start(out);
  write_lines(0, 5);
  fs::rename(dir.path / "venue.log", dir.path / "venue.log.1");  // logrotate moves it
  venue::log::reopen();
  write_lines(5, 5);
  venue::log::shutdown();
  BOOST_TEST(files_in(dir.path).size() == 2u);
  BOOST_TEST(read_all(dir.path / "venue.log.1").find("\"line-4-end\"") != std::string::npos);
  const auto fresh = read_all(dir.path / "venue.log");
  BOOST_TEST(fresh.find("\"line-5-end\"") != std::string::npos);
  BOOST_TEST(fresh.find("\"line-4-end\"") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unwritable_log_file_stops_the_start_with_its_name) {
  venue::log::LogOutput out;
  out.file = "/nonexistent-folder/venue.log";
  BOOST_CHECK_EXCEPTION(start(out), std::runtime_error, [](const std::runtime_error& e) {
    return std::string(e.what()).find("/nonexistent-folder/venue.log") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(the_log_table_sets_file_rotation_and_retention) {
  const auto out = parse(
      "[log]\nfile = \"logs/venue.log\"\nrotation_size_mb = 5\nrotation_time = \"23:30:00\"\nmax_files = 7\n"
      "max_total_size_mb = 64\n",
      "/etc/venue");
  BOOST_TEST(out.file == "/etc/venue/logs/venue.log");
  BOOST_TEST(out.rotation_size_bytes == 5u * 1024 * 1024);
  BOOST_TEST(out.rotation_time == "23:30:00");
  BOOST_TEST(out.max_files == 7u);
  BOOST_TEST(out.max_total_bytes == 64u * 1024 * 1024);
}

BOOST_AUTO_TEST_CASE(without_a_log_table_lines_go_to_standard_error) {
  const auto out = parse("", "/etc/venue");
  BOOST_TEST(out.file.empty());
}

BOOST_AUTO_TEST_CASE(bad_log_keys_are_refused_with_their_place) {
  for (const std::string bad : {"[log]\nrotation_time = \"25:00:00\"\n", "[log]\nmax_files = -1\n",
                                "[log]\nrotation_size = 5\n", "[log]\nfile = 3\n"}) {
    BOOST_CHECK_EXCEPTION(parse(bad, "/tmp"), venue::config::ConfigError,
                          [](const venue::config::ConfigError& e) { return e.what()[0] != '\0'; });
  }
  try {
    parse("[log]\nrotation_time = \"25:00:00\"\n", "/tmp");
    BOOST_FAIL("accepted");
  } catch (const venue::config::ConfigError& e) {
    BOOST_TEST(std::string(e.what()).find("log.rotation_time") != std::string::npos, e.what());
  }
}
