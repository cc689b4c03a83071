#define BOOST_TEST_MODULE fix_wire
#include <boost/test/unit_test.hpp>

#include <string>

#include "venue/fix_wire/wire.h"

namespace bench = venue::fix_wire;

namespace {

// Replaces '|' by SOH, so that test messages stay readable.
std::string soh(std::string s) {
  for (char& c : s) {
    if (c == '|') c = '\x01';
  }
  return s;
}

unsigned checksum_of(const std::string& s) {
  unsigned sum = 0;
  for (char c : s) sum += static_cast<unsigned char>(c);
  return sum % 256;
}

// A correctly framed message around `body` ("35=...|...|").
std::string framed(const std::string& body) {
  std::string msg = "8=FIX.4.4\0019=" + std::to_string(body.size()) + "\001" + body;
  char trailer[8];
  std::snprintf(trailer, sizeof(trailer), "10=%03u\001", checksum_of(msg));
  return msg + trailer;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fix_wire)

BOOST_AUTO_TEST_CASE(encoded_messages_have_the_right_body_length_and_checksum) {
  bench::FixEncoder enc("LOAD", "VENUE");
  std::string out;
  const std::string body = soh("11=R-1|1=LOAD|55=ACME|54=1|38=100|40=2|44=100.00|59=0|");
  enc.append(out, "D", 42, "20240102-03:04:05.678", body);

  bench::InboundMessage m;
  const auto f = bench::next_frame(out, m);
  BOOST_TEST(static_cast<int>(f.status) == static_cast<int>(bench::FrameStatus::kMessage));
  BOOST_TEST(f.consumed == out.size());
  BOOST_TEST(m.msg_type == "D");
  BOOST_TEST(m.seq == 42U);
  BOOST_TEST(m.cl_ord_id == "R-1");
  // Header order QuickFIX insists on: 8, 9, 35 first.
  BOOST_TEST(out.starts_with(soh("8=FIX.4.4|9=")));
  BOOST_TEST(out.find(soh("|35=D|34=42|49=LOAD|52=20240102-03:04:05.678|56=VENUE|11=R-1|")) != std::string::npos);
  BOOST_TEST(out == framed(out.substr(out.find("35="), out.find("\00110=") + 1 - out.find("35="))));
}

BOOST_AUTO_TEST_CASE(extra_header_fields_go_before_the_body) {
  bench::FixEncoder enc("LOAD", "VENUE");
  std::string out;
  enc.append(out, "4", 7, "20240102-03:04:05.678", soh("123=Y|36=12|"), soh("43=Y|122=20240102-03:04:05.678|"));
  bench::InboundMessage m;
  BOOST_TEST(static_cast<int>(bench::next_frame(out, m).status) == static_cast<int>(bench::FrameStatus::kMessage));
  BOOST_TEST(m.poss_dup);
  BOOST_TEST(m.gap_fill);
  BOOST_TEST(m.new_seq == 12U);
  BOOST_TEST(m.seq == 7U);
}

BOOST_AUTO_TEST_CASE(execution_report_fields_are_picked_out) {
  const auto msg =
      framed(soh("35=8|34=5|49=VENUE|52=20240102-03:04:05.678|56=LOAD|37=O1|11=R-7|17=E1|150=F|39=2|58=hi|"));
  bench::InboundMessage m;
  const auto f = bench::next_frame(msg, m);
  BOOST_TEST(static_cast<int>(f.status) == static_cast<int>(bench::FrameStatus::kMessage));
  BOOST_TEST(m.exec_type == 'F');
  BOOST_TEST(m.ord_status == '2');
  BOOST_TEST(m.cl_ord_id == "R-7");
  BOOST_TEST(m.text == "hi");
}

BOOST_AUTO_TEST_CASE(a_message_split_across_reads_needs_more_bytes) {
  const auto msg = framed(soh("35=0|34=2|49=VENUE|52=20240102-03:04:05.678|56=LOAD|"));
  for (std::size_t cut = 0; cut < msg.size(); ++cut) {
    bench::InboundMessage m;
    const auto f = bench::next_frame(std::string_view(msg).substr(0, cut), m);
    BOOST_TEST(static_cast<int>(f.status) == static_cast<int>(bench::FrameStatus::kNeedMore), "cut at " << cut);
  }
}

BOOST_AUTO_TEST_CASE(a_wrong_checksum_is_reported_and_skipped) {
  auto msg = framed(soh("35=0|34=2|49=VENUE|52=20240102-03:04:05.678|56=LOAD|"));
  msg[msg.size() - 2] = msg[msg.size() - 2] == '9' ? '0' : static_cast<char>(msg[msg.size() - 2] + 1);
  const auto next = framed(soh("35=0|34=3|49=VENUE|52=20240102-03:04:05.678|56=LOAD|"));
  const std::string data = msg + next;
  bench::InboundMessage m;
  const auto f = bench::next_frame(data, m);
  BOOST_TEST(static_cast<int>(f.status) == static_cast<int>(bench::FrameStatus::kBadChecksum));
  BOOST_TEST(f.consumed == msg.size());
  const auto g = bench::next_frame(std::string_view(data).substr(f.consumed), m);
  BOOST_TEST(static_cast<int>(g.status) == static_cast<int>(bench::FrameStatus::kMessage));
  BOOST_TEST(m.seq == 3U);
}

BOOST_AUTO_TEST_CASE(a_wrong_body_length_is_reported_and_the_stream_resynchronises) {
  const std::string body = soh("35=0|34=2|49=VENUE|52=20240102-03:04:05.678|56=LOAD|");
  auto good = framed(body);
  // Announce 3 bytes fewer than there are.
  const std::string bad = "8=FIX.4.4\0019=" + std::to_string(body.size() - 3) + good.substr(good.find('\x01', 10));
  const auto next = framed(soh("35=0|34=3|49=VENUE|52=20240102-03:04:05.678|56=LOAD|"));
  const std::string data = bad + next;
  bench::InboundMessage m;
  const auto f = bench::next_frame(data, m);
  BOOST_TEST(static_cast<int>(f.status) == static_cast<int>(bench::FrameStatus::kBadLength));
  BOOST_TEST(f.consumed == bad.size());
  const auto g = bench::next_frame(std::string_view(data).substr(f.consumed), m);
  BOOST_TEST(static_cast<int>(g.status) == static_cast<int>(bench::FrameStatus::kMessage));
  BOOST_TEST(m.seq == 3U);
}

BOOST_AUTO_TEST_CASE(bytes_before_a_message_are_skipped_as_garbage) {
  const auto msg = framed(soh("35=0|34=2|49=VENUE|52=20240102-03:04:05.678|56=LOAD|"));
  const std::string data = "xx|junk\001" + msg;
  bench::InboundMessage m;
  const auto f = bench::next_frame(data, m);
  BOOST_TEST(static_cast<int>(f.status) == static_cast<int>(bench::FrameStatus::kGarbage));
  const auto g = bench::next_frame(std::string_view(data).substr(f.consumed), m);
  BOOST_TEST(static_cast<int>(g.status) == static_cast<int>(bench::FrameStatus::kMessage));
}

BOOST_AUTO_TEST_CASE(garbage_without_a_message_is_consumed_not_looped_on) {
  bench::InboundMessage m;
  std::string_view data = "nothing to see here";
  int steps = 0;
  while (!data.empty() && steps < 100) {
    const auto f = bench::next_frame(data, m);
    if (f.status == bench::FrameStatus::kNeedMore) break;
    BOOST_TEST(f.consumed > 0U);
    data.remove_prefix(f.consumed);
    ++steps;
  }
  BOOST_TEST(steps < 100);
}

BOOST_AUTO_TEST_CASE(timestamps_are_utc_with_milliseconds) {
  bench::UtcClock clock;
  // 2024-01-02 03:04:05.678 UTC
  const std::int64_t ns = 1704164645678000000LL;
  BOOST_TEST(clock.format(ns) == "20240102-03:04:05.678");
  BOOST_TEST(clock.format(ns + 1'000'000) == "20240102-03:04:05.679");
  BOOST_TEST(clock.format(ns + 1'000'000'000) == "20240102-03:04:06.678");
}

BOOST_AUTO_TEST_SUITE_END()
