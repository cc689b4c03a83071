#include "venue/common/log_config.h"

namespace venue::log {

namespace {

bool valid_time_of_day(const std::string& s) {
  if (s.size() != 8 || s[2] != ':' || s[5] != ':') return false;
  for (std::size_t i : {0, 1, 3, 4, 6, 7}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return std::stoi(s.substr(0, 2)) < 24 && std::stoi(s.substr(3, 2)) < 60 && std::stoi(s.substr(6, 2)) < 60;
}

}  // namespace

LogOutput read_log_output(config::Table& root, const std::filesystem::path& base) {
  LogOutput out;
  auto t = root.optional_table("log",
                               "Where the JSON log lines go, and the file's rotation and retention; absent: "
                               "standard error");
  if (!t) return out;
  out.file = t->string("file",
                       "JSON-lines log file (relative to this file's folder); empty: standard error, what Kubernetes "
                       "collects (the keys below then do nothing)",
                       "");
  if (!out.file.empty() && std::filesystem::path(out.file).is_relative()) out.file = (base / out.file).string();
  constexpr std::int64_t kMiB = 1024 * 1024;
  out.rotation_size_bytes =
      static_cast<std::uint64_t>(t->integer("rotation_size_mb",
                                            "Rotate the file before it grows past this many MiB; 0: not by size", 100,
                                            {0, 1024 * 1024})) *
      kMiB;
  out.rotation_time = t->string("rotation_time",
                                "Also rotate daily at this time HH:MM:SS (the process's local time: UTC in the "
                                "images); empty: not by time",
                                "");
  if (!out.rotation_time.empty() && !valid_time_of_day(out.rotation_time)) {
    t->fail("rotation_time", "must be a time HH:MM:SS or empty");
  }
  out.max_files =
      static_cast<std::uint64_t>(t->integer("max_files",
                                            "Rotated files kept (beside the file, named STEM-YYYYMMDD-HHMMSS.N.EXT: "
                                            "when it was opened, a counter); the oldest "
                                            "beyond this are deleted, those of earlier runs too; 0: all",
                                            10, {0, 100'000}));
  out.max_total_bytes = static_cast<std::uint64_t>(t->integer(
                            "max_total_size_mb",
                            "The oldest rotated files are also deleted while theirs total more MiB than this; 0: "
                            "no limit",
                            0, {0, 1024 * 1024 * 1024})) *
                        kMiB;
  return out;
}

}  // namespace venue::log
