#define BOOST_TEST_MODULE fix_gateway_framer
// Cutting the byte stream into FIX messages: whatever TCP does to the bytes, complete messages come out
// whole, garbage is skipped and counted, and a client cannot make the venue buffer without bound.
#include <boost/test/unit_test.hpp>

#include "venue/fix_session/fix_framer.h"

namespace fsn = venue::fix_session;

namespace {

std::string msg(const std::string& body_fields) {
  std::string body;
  for (char c : body_fields) body += c == '|' ? '\x01' : c;
  std::string m =
      "8=FIX.4.4\x01"
      "9=" +
      std::to_string(body.size()) + "\x01" + body;
  unsigned sum = 0;
  for (unsigned char c : m) sum += c;
  char trailer[16];
  std::snprintf(trailer, sizeof trailer, "10=%03u\x01", sum % 256);
  return m + trailer;
}

}  // namespace

BOOST_AUTO_TEST_CASE(messages_split_across_reads_come_out_whole) {
  const std::string a = msg("35=0|34=2|49=B|56=V|52=20260101-00:00:00|");
  const std::string b = msg("35=1|34=3|49=B|56=V|52=20260101-00:00:00|112=X|");
  const std::string stream = a + b;
  for (std::size_t chunk : {1U, 2U, 7U, 64U}) {
    fsn::FixFramer f(64 * 1024);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < stream.size(); i += chunk) {
      BOOST_REQUIRE(
          (f.push(stream.data() + i, std::min(chunk, stream.size() - i), out) == fsn::FixFramer::Status::kOk));
    }
    BOOST_REQUIRE_EQUAL(out.size(), 2U);
    BOOST_TEST(out[0] == a);
    BOOST_TEST(out[1] == b);
    BOOST_TEST(f.errors() == 0U);
    BOOST_TEST(f.buffered() == 0U);
  }
}

BOOST_AUTO_TEST_CASE(garbage_before_a_message_is_skipped_and_counted) {
  const std::string a = msg("35=0|34=2|");
  fsn::FixFramer f(1024);
  std::vector<std::string> out;
  const std::string stream = "hello\r\n" + a;
  f.push(stream.data(), stream.size(), out);
  BOOST_REQUIRE_EQUAL(out.size(), 1U);
  BOOST_TEST(out[0] == a);
  BOOST_TEST(f.errors() > 0U);
}

BOOST_AUTO_TEST_CASE(a_wrong_body_length_drops_that_message_and_the_next_one_still_arrives) {
  std::string bad = msg("35=D|11=X|");
  bad.replace(bad.find("9=") + 2, 2, "99");  // claims more than it has: no CheckSum where it points
  const std::string good = msg("35=0|34=3|");
  fsn::FixFramer f(1024);
  std::vector<std::string> out;
  // The framer cannot tell until the 99 bytes have arrived; the messages that follow provide them.
  const std::string stream = bad + good + good + good + good;
  f.push(stream.data(), stream.size(), out);
  BOOST_REQUIRE_GE(out.size(), 2U);
  BOOST_TEST(out.back() == good);
  BOOST_TEST(f.errors() > 0U);
}

BOOST_AUTO_TEST_CASE(an_oversized_body_length_is_refused_at_once) {
  fsn::FixFramer f(1000);
  std::vector<std::string> out;
  const std::string head =
      "8=FIX.4.4\x01"
      "9=5000\x01"
      "35=D\x01";
  BOOST_TEST((f.push(head.data(), head.size(), out) == fsn::FixFramer::Status::kOversized));
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(input_that_never_becomes_a_message_is_not_kept) {
  fsn::FixFramer f(1000);
  std::vector<std::string> out;
  // "8=FIX.4.4|9=999|" then bytes that do not end in a CheckSum: the framer waits for 999 bytes, then
  // finds no 10= there and discards the lot.
  std::string s =
      "8=FIX.4.4\x01"
      "9=999\x01";
  BOOST_TEST((f.push(s.data(), s.size(), out) == fsn::FixFramer::Status::kOk));
  BOOST_TEST(f.buffered() == s.size());
  const std::string filler(2000, 'x');
  BOOST_TEST((f.push(filler.data(), filler.size(), out) == fsn::FixFramer::Status::kOk));
  BOOST_TEST(out.empty());
  BOOST_TEST(f.buffered() == 0U);
  BOOST_TEST(f.errors() > 0U);
}

BOOST_AUTO_TEST_CASE(a_non_numeric_body_length_is_garbage) {
  fsn::FixFramer f(1000);
  std::vector<std::string> out;
  const std::string s = std::string(
                            "8=FIX.4.4\x01"
                            "9=abc\x01") +
                        msg("35=0|34=2|");
  f.push(s.data(), s.size(), out);
  BOOST_REQUIRE_EQUAL(out.size(), 1U);
  BOOST_TEST(f.errors() > 0U);
}

// Found by fix_framer_fuzz: garbage, then a message whose "8=FIX" is cut by a read boundary. The
// garbage skip threw away the "8=FI" it could not yet recognise, and the message after it was lost (the
// broker then waits for a resend it never asked for).
BOOST_AUTO_TEST_CASE(a_message_after_garbage_survives_a_read_boundary_inside_its_begin_string) {
  const std::string a = msg("35=0|34=2|");
  const std::string stream = "junk" + a;
  for (std::size_t cut = 4; cut <= 9; ++cut) {
    fsn::FixFramer f(1024);
    std::vector<std::string> out;
    f.push(stream.data(), cut, out);
    f.push(stream.data() + cut, stream.size() - cut, out);
    BOOST_REQUIRE_MESSAGE(out.size() == 1U, "read boundary after byte " << cut);
    BOOST_TEST(out[0] == a);
  }
}

// Found by fix_framer_fuzz: a first field longer than 32 bytes was skipped when it arrived in pieces
// and framed when it arrived in one read. It is now refused either way (no BeginString is that long).
BOOST_AUTO_TEST_CASE(what_is_framed_does_not_depend_on_how_the_reads_cut_a_long_first_field) {
  const std::string odd = "8=" + std::string(40, 'F') + "\x01" + "9=5\x01" + "35=0\x01" + "10=000\x01";
  const std::string a = msg("35=0|34=2|");
  const std::string stream = odd + a;
  std::vector<std::string> whole;
  fsn::FixFramer one(1024);
  one.push(stream.data(), stream.size(), whole);
  for (std::size_t chunk : {1U, 7U, 33U}) {
    fsn::FixFramer f(1024);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < stream.size(); i += chunk) {
      f.push(stream.data() + i, std::min(chunk, stream.size() - i), out);
    }
    BOOST_TEST(out == whole, "reads of " << chunk << " bytes");
  }
  BOOST_REQUIRE_EQUAL(whole.size(), 1U);
  BOOST_TEST(whole[0] == a);
}

// Before a Logon, a message whose BodyLength is too long is not waited on: its CheckSum field is already
// in the buffer (the acceptor closes such a connection at once).
BOOST_AUTO_TEST_CASE(a_body_length_too_long_leaves_a_whole_checksum_field_waiting) {
  std::string m = msg("35=A|34=1|49=B|56=V|52=20260101-00:00:00|98=0|108=30|");
  const auto at = m.find("9=") + 2;
  const auto end = m.find('\x01', at);
  m.replace(at, end - at, std::to_string(std::stoi(m.substr(at, end - at)) + 50));
  fsn::FixFramer f(64 * 1024);
  std::vector<std::string> out;
  f.push(m.data(), m.size() - 1, out);  // all but the last SOH: no whole CheckSum field yet
  BOOST_TEST(out.empty());
  BOOST_TEST(!f.holds_trailer());
  f.push(m.data() + m.size() - 1, 1, out);
  BOOST_TEST(out.empty());
  BOOST_TEST(f.holds_trailer());
}
