// libFuzzer target over the report log's readers (report_log.h): what the venue finds on disk after a
// crash, a power cut or a bad disk, read by the writer at start-up (recovery of the next venue seq and
// of what was reported, cutting a torn tail) and by the Kafka publisher's ReportReader.
//
// An input is: byte 0 flags (bit 0: the segment starts with a valid header, so the fuzzer gets past it
// at once); bytes 1-2 the length of report.state; then report.state; the rest is the first segment,
// reports-00000000000000000001.log. They are written as files in a temporary folder and opened.
// Checked on every input:
//   - a ReportReader over the files returns reports with venue seq 1, 2, 3, ... each of which encodes and
//     decodes to itself, or throws its error (std::runtime_error), never anything else, never a hang;
//   - the writer opens the folder or throws its error; when it opens, it resumes after the last whole
//     report: two reports appended (each flushed, the segment rolled over between them) are then read
//     back by a fresh reader after every report before them, with no error.
//
//   build-fuzz/bin/report_log_fuzz fix-gateway/fuzz/corpus/report_log
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "venue/fix_gateway/report_log.h"

namespace {

namespace fg = venue::fix_gateway;
namespace fs = std::filesystem;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "report_log_fuzz: invariant broken: %s\n", what);
    std::abort();
  }
}

bool same(const fg::Report& a, const fg::Report& b) {
  return a.venue_seq == b.venue_seq && a.shard == b.shard && a.engine_seq == b.engine_seq && a.order_id == b.order_id &&
         a.msg_type == b.msg_type && a.exec_type == b.exec_type && a.session == b.session && a.firm == b.firm &&
         a.account == b.account && a.payload == b.payload;
}

// Reads every report there is; the seq of the last one read (0: none). Throws what the reader throws.
std::uint64_t read_all(const fs::path& dir, const fg::Report* expect_last, std::uint64_t expect_last_seq) {
  fg::ReportReader reader(dir, 0);
  std::uint64_t seq = 0;
  for (int i = 0; i < 100'000; ++i) {
    const auto r = reader.next();
    if (!r) return seq;
    check(r->venue_seq == seq + 1, "reports come in venue seq order without a gap");
    seq = r->venue_seq;
    const std::string bytes = fg::encode_report(*r);
    fg::Report back;
    check(fg::decode_report(bytes.data() + 8, bytes.size() - 8, back) && same(back, *r),
          "a report read encodes and decodes to itself");
    if (expect_last != nullptr && seq == expect_last_seq) check(same(*r, *expect_last), "the report appended");
  }
  check(false, "a finite log gives a finite number of reports");
  return seq;
}

fs::path g_dir;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  if (g_dir.empty()) g_dir = fs::temp_directory_path() / ("venue-report-log-fuzz-" + std::to_string(::getpid()));
  fs::remove_all(g_dir);
  fs::create_directories(g_dir);
  const std::size_t state_len = std::min<std::size_t>(data[1] | (data[2] << 8), size - 3);
  const std::string state(reinterpret_cast<const char*>(data) + 3, state_len);
  std::string segment(reinterpret_cast<const char*>(data) + 3 + state_len, size - 3 - state_len);
  if ((data[0] & 1) != 0) {
    const std::uint64_t first = 1;
    segment.insert(0, std::string("VENUERPT") + std::string(reinterpret_cast<const char*>(&first), 8));
  }
  if (!state.empty()) std::ofstream(g_dir / "report.state", std::ios::binary) << state;
  std::ofstream(g_dir / "reports-00000000000000000001.log", std::ios::binary) << segment;

  try {
    (void)read_all(g_dir, nullptr, 0);
  } catch (const std::runtime_error&) {
    // a damaged log: the publisher stops with this error and the venue's alert says why
  }

  std::uint64_t last = 0;
  try {
    fg::ReportLog log(g_dir, 64);
    last = log.last_venue_seq();
    (void)log.reported_up_to(0);
  } catch (const std::runtime_error&) {
    return 0;  // not a report log: the venue refuses to start and says why
  }
  fg::Report a;
  fg::Report b;
  {
    fg::ReportLog log(g_dir, 64);
    check(log.last_venue_seq() == last, "opening twice finds the same last report");
    a.shard = 0;
    a.engine_seq = 7;
    a.order_id = 42;
    a.msg_type = '8';
    a.exec_type = '0';
    a.session = "BRK1";
    a.firm = "ALPHA";
    a.account = "ALPHA-1";
    a.payload = std::string(80, 'x');  // longer than the segment size: the next append rolls over
    check(log.append(a) == last + 1, "the next report follows the last whole one");
    log.mark_reported(0, 6);
    log.flush();
    b = a;
    b.engine_seq = 8;
    b.payload = "8=FIX.4.4";
    check(log.append(b) == last + 2, "venue seqs have no gap");
    log.flush();
  }
  check(read_all(g_dir, &b, last + 2) == last + 2, "everything before and the two appended are read back");
  fg::ReportLog again(g_dir, 64);
  check(again.last_venue_seq() == last + 2 && again.reported_up_to(0) >= 6, "reopened, it resumes after them");
  return 0;
}
