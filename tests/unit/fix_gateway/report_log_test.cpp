#define BOOST_TEST_MODULE fix_gateway_report_log
// The report log: what the venue sent, in order, with gap-free venue sequence numbers that survive a
// restart, read back by the publisher as it is written.
#include <unistd.h>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "venue/fix_gateway/report_log.h"

namespace fs = std::filesystem;
namespace fg = venue::fix_gateway;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("venue-reports-test-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

fg::Report report(std::uint16_t shard, std::uint64_t engine_seq, const std::string& payload) {
  fg::Report r;
  r.shard = shard;
  r.engine_seq = engine_seq;
  r.order_id = 42;
  r.msg_type = '8';
  r.exec_type = '0';
  r.session = "BRK1";
  r.firm = "ALPHA";
  r.account = "ALPHA-1";
  r.payload = payload;
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(venue_sequence_numbers_continue_after_a_restart) {
  TempDir dir;
  {
    fg::ReportLog log(dir.path);
    BOOST_TEST(log.fresh());
    for (int i = 0; i < 5; ++i) {
      auto r = report(0, 10 + static_cast<std::uint64_t>(i), "m" + std::to_string(i));
      BOOST_TEST(log.append(r) == static_cast<std::uint64_t>(i + 1));
    }
    log.flush();
  }
  fg::ReportLog again(dir.path);
  BOOST_TEST(!again.fresh());
  BOOST_TEST(again.last_venue_seq() == 5U);
  // A report about engine seq 14 proves 13 reported in full; 14's other events may not have been handled
  // (the gateway never said so): after a crash 14 is reported again.
  BOOST_TEST(again.reported_up_to(0) == 13U);
  BOOST_TEST(again.reported_up_to(3) == 0U);
  auto r = report(0, 15, "m5");
  BOOST_TEST(again.append(r) == 6U);
  again.mark_reported(0, 15);
  again.flush();
  fg::ReportLog third(dir.path);
  BOOST_TEST(third.reported_up_to(0) == 15U);
}

BOOST_AUTO_TEST_CASE(a_command_whose_reports_a_crash_cut_in_two_is_not_counted_as_reported) {
  TempDir dir;
  {
    fg::ReportLog log(dir.path);
    log.mark_reported(0, 20);  // commands up to 20 were reported in full
    auto first_fill = report(0, 21, "fill 1 of command 21");
    log.append(first_fill);
    log.flush();  // then the venue dies before command 21's second fill is handled
  }
  fg::ReportLog after(dir.path);
  BOOST_TEST(after.reported_up_to(0) == 20U);  // replay starts at 21: its second fill is not lost
}

BOOST_AUTO_TEST_CASE(gateway_made_reports_do_not_move_an_engine_cursor) {
  TempDir dir;
  fg::ReportLog log(dir.path);
  auto a = report(1, 7, "a");
  log.append(a);
  auto b = report(0xFFFF, 0, "gateway reject");
  log.append(b);
  log.mark_reported(1, 7);
  log.flush();
  BOOST_TEST(log.reported_up_to(1) == 7U);
  BOOST_TEST(log.reported_up_to(0xFFFF) == 0U);
}

BOOST_AUTO_TEST_CASE(a_torn_record_at_the_end_is_cut_and_its_number_reused) {
  TempDir dir;
  {
    fg::ReportLog log(dir.path);
    for (int i = 0; i < 3; ++i) {
      auto r = report(0, static_cast<std::uint64_t>(i) + 1, "x");
      log.append(r);
    }
    log.flush();
  }
  fs::path seg;
  for (const auto& e : fs::directory_iterator(dir.path)) {
    if (e.path().filename().string().rfind("reports-", 0) == 0) seg = e.path();
  }
  {
    std::ofstream out(seg, std::ios::binary | std::ios::app);
    out << std::string("\x50\x00\x00\x00garbage", 11);
  }
  fg::ReportLog again(dir.path);
  BOOST_TEST(again.last_venue_seq() == 3U);
  auto r = report(0, 4, "y");
  BOOST_TEST(again.append(r) == 4U);
  again.flush();
  fg::ReportReader reader(dir.path, 0);
  for (std::uint64_t want = 1; want <= 4; ++want) {
    auto got = reader.next();
    BOOST_REQUIRE(got.has_value());
    BOOST_TEST(got->venue_seq == want);
  }
}

BOOST_AUTO_TEST_CASE(the_reader_follows_the_writer_across_segments) {
  TempDir dir;
  fg::ReportLog log(dir.path, 4096);  // tiny segments: many rotations
  fg::ReportReader reader(dir.path, 0);
  std::uint64_t read = 0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 25; ++i) {
      auto r = report(0, static_cast<std::uint64_t>(round) * 25 + static_cast<std::uint64_t>(i) + 1,
                      std::string(100, static_cast<char>('a' + round)));
      log.append(r);
    }
    log.flush();
    while (auto got = reader.next()) {
      BOOST_REQUIRE_EQUAL(got->venue_seq, read + 1);
      BOOST_TEST(got->session == "BRK1");
      BOOST_TEST(got->payload.size() == 100U);
      ++read;
    }
  }
  BOOST_TEST(read == 500U);
  BOOST_TEST(!reader.next().has_value());  // nothing more until the writer writes
}

// The publisher tails the log on its own thread while the gateway writes and rolls segments: it must
// never find a segment before its header is in it (that stopped the publisher once).
BOOST_AUTO_TEST_CASE(a_reader_on_another_thread_never_sees_a_segment_without_its_header) {
  TempDir dir;
  constexpr std::uint64_t kReports = 4000;
  fg::ReportLog log(dir.path, 1024);  // a roll every few reports
  std::atomic<bool> done{false};
  std::string failure;
  std::uint64_t read = 0;
  std::thread tail([&] {
    try {
      fg::ReportReader reader(dir.path, 0);
      while (read < kReports) {
        auto got = reader.next();
        if (!got) {
          if (done.load()) break;
          continue;
        }
        if (got->venue_seq != read + 1) throw std::runtime_error("out of order: " + std::to_string(got->venue_seq));
        ++read;
      }
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  for (std::uint64_t i = 1; i <= kReports; ++i) {
    auto r = report(0, i, std::string(200, 'x'));
    log.append(r);
    log.flush();
  }
  done = true;
  tail.join();
  BOOST_TEST(failure.empty(), "the reader failed: " << failure);
  BOOST_TEST(read == kReports);
}

BOOST_AUTO_TEST_CASE(a_reader_starts_after_its_cursor_and_pruned_reports_are_reported_missing) {
  TempDir dir;
  {
    fg::ReportLog log(dir.path, 2048);
    for (int i = 0; i < 200; ++i) {
      auto r = report(0, static_cast<std::uint64_t>(i) + 1, std::string(64, 'p'));
      log.append(r);
      log.flush();  // segments rotate between flushes
    }
    fg::ReportReader from_middle(dir.path, 150);
    auto got = from_middle.next();
    BOOST_REQUIRE(got.has_value());
    BOOST_TEST(got->venue_seq == 151U);
    log.prune(180);
  }
  fg::ReportReader from_start(dir.path, 0);
  BOOST_CHECK_THROW(from_start.next(), std::runtime_error);  // those were published and deleted
  fg::ReportReader late(dir.path, 180);
  auto got = late.next();
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(got->venue_seq == 181U);
}

BOOST_AUTO_TEST_CASE(a_report_is_publishable_only_once_it_is_written_and_synced) {
  // The publisher hands on nothing beyond readable(): with the power-loss policy on, a report Kafka holds
  // is on the venue's disk too, so its venue seq can never be reused after a power cut.
  TempDir dir;
  {
    fg::ReportLog log(dir.path);
    log.set_durable(true);
    BOOST_TEST(log.readable().load() == 0U);
    auto a = report(0, 1, "a");
    auto b = report(0, 2, "b");
    log.append(a);
    log.append(b);
    BOOST_TEST(log.readable().load() == 0U, "appended, not written: not publishable");
    log.flush();
    BOOST_TEST(log.readable().load() == 2U);
  }
  fg::ReportLog again(dir.path);
  BOOST_TEST(again.readable().load() == 2U, "what is in the log at start is publishable");
}

namespace {

fs::path only_segment(const fs::path& dir) {
  fs::path seg;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("reports-", 0) == 0) seg = e.path();
  }
  return seg;
}

}  // namespace

// Found by fuzzing: report.state is rewritten in place, so a shorter state left the end of a longer one
// behind it, the checksum failed, and a venue that restarted just after a segment rolled over (nothing
// in the new segment to learn from) replayed and reported again everything its journal held.
BOOST_AUTO_TEST_CASE(what_was_reported_survives_a_shorter_state_and_a_fresh_segment) {
  TempDir dir;
  std::ofstream(dir.path / "report.state", std::ios::binary) << std::string(300, 'z');
  {
    fg::ReportLog log(dir.path, 64);  // each report fills a segment: every flush rolls over
    auto a = report(0, 7, std::string(80, 'a'));
    log.append(a);
    log.mark_reported(0, 7);
    log.flush();
    auto b = report(0, 8, std::string(80, 'b'));
    log.append(b);
    log.mark_reported(0, 8);
    log.flush();
  }
  fg::ReportLog again(dir.path, 64);
  BOOST_TEST(again.last_venue_seq() == 2U);
  BOOST_TEST(again.reported_up_to(0) == 8U, "after a restart, engine commands up to 8 are not reported again");
}

BOOST_AUTO_TEST_CASE(without_a_readable_state_what_was_reported_is_learnt_from_every_segment) {
  TempDir dir;
  {
    fg::ReportLog log(dir.path, 64);
    auto a = report(3, 40, std::string(80, 'a'));  // shard 3's last report, in the first segment
    log.append(a);
    log.flush();
    auto b = report(1, 9, std::string(80, 'b'));
    log.append(b);
    log.flush();
  }
  fs::remove(dir.path / "report.state");
  fg::ReportLog again(dir.path, 64);
  BOOST_TEST(again.reported_up_to(3) == 39U);
  BOOST_TEST(again.reported_up_to(1) == 8U);
}

// A torn tail is cut (see above); damage followed by whole reports is not a torn tail. Cutting there
// would give the next reports the venue seqs of reports Kafka may already hold.
BOOST_AUTO_TEST_CASE(damage_in_the_middle_of_the_log_stops_the_start_and_loses_nothing) {
  TempDir dir;
  {
    fg::ReportLog log(dir.path);
    for (int i = 0; i < 3; ++i) {
      auto r = report(0, static_cast<std::uint64_t>(i) + 1, "report " + std::to_string(i + 1));
      log.append(r);
    }
    log.flush();
  }
  const fs::path seg = only_segment(dir.path);
  const auto size_before = fs::file_size(seg);
  {
    std::fstream f(seg, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(16 + 8 + 8);  // into the first report's fields, past the header and its frame
    f.put('\x7f');
  }
  try {
    fg::ReportLog again(dir.path);
    BOOST_FAIL("the venue started on a damaged log, at venue seq " << again.last_venue_seq() + 1);
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("damaged at byte 16") != std::string::npos, e.what());
  }
  BOOST_TEST(fs::file_size(seg) == size_before, "nothing was cut");
}
