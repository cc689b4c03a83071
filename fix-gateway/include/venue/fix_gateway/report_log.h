#pragma once
// The report log: every application message the venue sends to a broker (ExecutionReports,
// OrderCancelRejects, mass-cancel reports, business rejects), in the order sent, each with a venue
// sequence number (1, 2, 3, ... with no gap, never reused). It is what the Kafka publisher reads, so a
// Kafka outage costs disk, not memory, and nothing is lost: the publisher resumes from its cursor.
//
// It also records, per engine shard, the last engine sequence number whose events have ALL been turned
// into reports (report.state; the gateway says so with mark_reported: a command's events can span
// several polls of the engine's ring, so a report about seq S only proves S - 1 complete). After a crash
// the venue replays the engine journal past that point and reports those events again (with
// PossResend), so an outcome the engine journaled is always reported, and a command whose reports a
// crash cut in two is reported in full (the ones already sent again, marked).
//
// Files: reports-<first venue seq>.log segments (u32 length, u32 crc32c, record) and report.state.
//
// Thread rules: ReportLog belongs to the gateway thread; a ReportReader to one reader thread (it reads
// what the writer flushed, never more).
//
// Its place in the venue's recovery protocol (what is written before what, synced when, replayed how):
// spec/recovery.md.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace venue::fix_gateway {

struct Report {
  std::uint64_t venue_seq = 0;   // assigned by ReportLog::append
  std::uint16_t shard = 0xFFFF;  // 0xFFFF: made by the gateway, not from an engine event
  std::uint64_t engine_seq = 0;  // the engine command it reports (0 for gateway-made reports)
  std::uint64_t order_id = 0;    // the Kafka key: all reports of an order in one partition
  char msg_type = 0;             // '8', '9', 'r', 'j'
  char exec_type = 0;            // ExecType(150) of an ExecutionReport
  std::string session;           // the broker's CompID
  std::string firm;
  std::string account;
  std::string payload;  // the FIX message as sent
};

class ReportLog {
 public:
  explicit ReportLog(std::filesystem::path dir, std::uint64_t segment_bytes = 64ULL << 20);
  ~ReportLog();
  ReportLog(const ReportLog&) = delete;
  ReportLog& operator=(const ReportLog&) = delete;

  std::uint64_t last_venue_seq() const { return next_seq_ - 1; }
  // True when the folder held no report log before: nothing is known about what was reported.
  bool fresh() const { return fresh_; }
  // The last engine seq of `shard` whose events were all reported (0 when none).
  std::uint64_t reported_up_to(std::uint16_t shard) const;
  // Every event of `shard`'s commands up to `engine_seq` has been handled (written with the next flush).
  void mark_reported(std::uint16_t shard, std::uint64_t engine_seq);

  // Buffers a report and gives it the next venue sequence number.
  std::uint64_t append(Report& r);
  // Writes what was appended (one write) and the state; throws std::runtime_error on I/O failure.
  // Durable: the reports are synced to disk (fdatasync) before the state is written and before
  // readable() covers them.
  void flush();
  void set_durable(bool durable) { durable_ = durable; }
  // The last venue seq a reader may publish: written (and synced, when durable) by flush(). A reader
  // must not hand on a report beyond it: after a power cut, a venue seq Kafka holds would be reused.
  // Any thread.
  const std::atomic<std::uint64_t>& readable() const { return readable_; }
  // Deletes segments whose reports all have venue seq <= published (keeping the newest two).
  void prune(std::uint64_t published);
  const std::filesystem::path& dir() const { return dir_; }

 private:
  void open_segment();
  void write_state();
  bool read_state();
  // Reads the segment's whole reports in order from venue seq `next_seq` (advanced past them), learning
  // what was reported; the offset where they end.
  std::size_t scan_segment(const std::string& data, std::uint64_t& next_seq);
  std::filesystem::path dir_;
  std::uint64_t segment_bytes_;
  int fd_ = -1;
  int state_fd_ = -1;
  std::size_t state_bytes_ = 0;
  std::uint64_t segment_size_ = 0;
  std::uint64_t next_seq_ = 1;
  std::map<std::uint16_t, std::uint64_t> reported_;
  bool state_dirty_ = false;
  bool fresh_ = false;
  bool durable_ = false;
  std::atomic<std::uint64_t> readable_{0};
  std::string buffer_;
};

class ReportReader {
 public:
  // Positions after `after_seq` (the first report read is after_seq + 1).
  ReportReader(std::filesystem::path dir, std::uint64_t after_seq);
  ~ReportReader();
  ReportReader(const ReportReader&) = delete;
  ReportReader& operator=(const ReportReader&) = delete;

  // The next report, or nullopt when none is complete yet. Throws std::runtime_error when the log is
  // damaged or reports are missing.
  std::optional<Report> next();

 private:
  bool open_segment_for(std::uint64_t seq);
  std::filesystem::path dir_;
  std::uint64_t want_ = 1;
  int fd_ = -1;
  std::uint64_t segment_first_ = 0;
  std::string buffer_;
};

// The venue seq of the first report of the oldest segment in `dir`, 0 when there is none (or the folder
// cannot be read). Everything the log still keeps: ReportReader(dir, oldest_report_seq(dir) - 1).
std::uint64_t oldest_report_seq(const std::filesystem::path& dir);

std::string encode_report(const Report& r);
bool decode_report(const char* data, std::size_t size, Report& out);

}  // namespace venue::fix_gateway
