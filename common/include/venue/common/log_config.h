#pragma once
// Where a process writes its JSON log lines, and how the file is rotated and pruned: the [log] table
// that every process's configuration file shares.
//
//   [log]
//   file = "venue.log"          # empty or absent: standard error (what Kubernetes collects)
//   rotation_size_mb = 100      # rotate when the file would grow past this; 0: not by size
//   rotation_time = "00:00:00"  # also rotate daily at this time (the process's local time; UTC in the
//                               # images); empty: not by time
//   max_files = 10              # rotated files kept; 0: all
//   max_total_size_mb = 0       # total size of the rotated files kept; 0: no limit
//
// Rotation renames the current file to STEM-YYYYMMDD-HHMMSS.N.EXT beside it (the name says
// when it was opened) and starts a new one; the oldest rotated files are deleted past max_files or
// max_total_size_mb, also those left by earlier runs. venue::log::init applies it with Boost.Log's
// text_file_backend and file collector (log.h).
//
// Dependency-free (venue::config only), so that config readers need no Boost.Log.
// Thread rules: read once at start-up, by the thread loading the configuration.

#include <cstdint>
#include <filesystem>
#include <string>

#include "venue/common/config.h"

namespace venue::log {

struct LogOutput {
  std::string file;                                          // empty: standard error
  std::uint64_t rotation_size_bytes = 100ULL * 1024 * 1024;  // 0: never by size
  std::string rotation_time;                                 // "HH:MM:SS" daily; empty: never by time
  std::uint64_t max_files = 10;                              // rotated files kept; 0: all
  std::uint64_t max_total_bytes = 0;                         // 0: no limit

  bool rotates() const { return rotation_size_bytes != 0 || !rotation_time.empty(); }
};

// Reads the optional [log] table of `root`; a relative file is taken relative to `base` (the
// configuration file's folder). Absent table: standard error.
LogOutput read_log_output(config::Table& root, const std::filesystem::path& base);

}  // namespace venue::log
