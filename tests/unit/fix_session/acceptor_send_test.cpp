// Messages sent from their text (OutMessage, VenueAcceptor::send_app) are the messages QuickFIX would
// have sent: the same bytes as QuickFIX's Message for the same fields, the session's next MsgSeqNum,
// stored for resend, fields withheld from the broker kept in the record. And QuickFIX keeps sending one
// message a second itself, so its heartbeat timer stays right. Messages taken directly from their text
// (direct_app_types) reach the application as QuickFIX would hand them over; everything unusual still
// goes through QuickFIX, which refuses what it always refused.
#define BOOST_TEST_MODULE fix_session_acceptor_send
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>

#include "acceptor_fixture.h"
#include "e2e/support/messages.h"
#include "venue/fix_session/fix_text.h"
#include "venue/fix_session/out_message.h"

namespace fs = venue::fix_session;
using venue::e2e::raw_message;
using venue::e2e::RawFixClient;
using venue::fix_session::test::Fixture;
using namespace std::chrono_literals;

namespace {

const std::vector<std::pair<int, std::string>> kFill{
    {37, "4711"}, {17, "900"}, {11, "C-1"},   {150, "F"},  {39, "1"},  {1, "ALPHA-1"}, {55, "ACME"},
    {54, "2"},    {40, "2"},   {44, "101.5"}, {59, "0"},   {38, "10"}, {151, "4"},     {14, "6"},
    {6, "101.5"}, {32, "6"},   {31, "101.5"}, {880, "77"}, {851, "1"}, {8000, "O"},    {60, "20261207-12:00:00.123"}};

std::string logon(int seq) { return venue::fix_session::test::logon("BRK1", seq, "brk1"); }

std::string without_soh(std::string s) {
  std::replace(s.begin(), s.end(), '\x01', '|');
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_message_built_in_any_order_is_written_as_quickfix_writes_it) {
  std::mt19937 random(7);
  for (int round = 0; round < 20; ++round) {
    auto fields = kFill;
    std::shuffle(fields.begin(), fields.end(), random);
    fs::OutMessage out("8");
    FIX::Message qf;
    qf.getHeader().setField(FIX::FIELD::MsgType, "8");
    for (const auto& [tag, value] : fields) {
      out.set(tag, value);
      qf.setField(tag, value);
    }
    // A replaced field keeps its place and takes its new value, as in QuickFIX.
    out.set(39, '2');
    qf.setField(39, "2");
    qf.getHeader().setField(FIX::FIELD::BeginString, "FIX.4.4");
    qf.getHeader().setField(FIX::MsgSeqNum(12));
    qf.getHeader().setField(FIX::FIELD::SenderCompID, "VENUE");
    qf.getHeader().setField(FIX::FIELD::SendingTime, "20261207-12:00:01.000");
    qf.getHeader().setField(FIX::FIELD::TargetCompID, "BRK1");
    std::string body;
    out.append_body(body);
    const std::string ours = fs::frame_message("FIX.4.4", "8",
                                               "34=12\x01"
                                               "49=VENUE\x01"
                                               "52=20261207-12:00:01.000\x01"
                                               "56=BRK1\x01",
                                               body);
    BOOST_TEST(without_soh(ours) == without_soh(qf.toString()));
  }
}

BOOST_AUTO_TEST_CASE(withheld_fields_are_left_out_and_the_message_form_has_the_same_fields) {
  fs::OutMessage out("8");
  for (const auto& [tag, value] : kFill) out.set(tag, value);
  const int withheld[] = {880, 8000};
  std::string body;
  out.append_body(body, withheld);
  BOOST_TEST(body.find("880=") == std::string::npos);
  BOOST_TEST(body.find("8000=") == std::string::npos);
  BOOST_TEST(body.find("851=1\x01") != std::string::npos);
  BOOST_TEST(out.has_any(withheld));
  const FIX::Message m = out.to_message(withheld);
  BOOST_TEST(!m.isSetField(880));
  BOOST_TEST(m.getField(55) == "ACME");
  BOOST_TEST(m.getHeader().getField(35) == "8");
  out.remove(880);
  out.remove(8000);
  BOOST_TEST(!out.has_any(withheld));
  BOOST_TEST(out.get(17).value_or("") == "900");
  BOOST_TEST(!out.get(880).has_value());
}

BOOST_AUTO_TEST_CASE(timestamps_have_the_precision_asked_for) {
  const std::int64_t ns = 1796558400LL * 1'000'000'000LL + 123'456'789;  // 20261206-12:00:00.123456789
  for (const auto& [precision, text] : std::vector<std::pair<int, std::string>>{{0, "20261206-12:00:00"},
                                                                                {3, "20261206-12:00:00.123"},
                                                                                {6, "20261206-12:00:00.123456"},
                                                                                {9, "20261206-12:00:00.123456789"}}) {
    std::string out;
    fs::append_utc_timestamp(out, ns, precision);
    BOOST_TEST(out == text);
  }
  BOOST_TEST(fs::utc_timestamp(ns + 1'000'000'000) == "20261206-12:00:01.123");
  BOOST_TEST(fs::utc_timestamp(0) == "19700101-00:00:00.000");
}

BOOST_AUTO_TEST_CASE(a_message_sent_from_text_arrives_in_sequence_is_stored_and_resent) {
  Fixture f;
  const FIX::SessionID id("FIX.4.4", "VENUE", "BRK1");
  fs::OutMessage out("8");
  for (const auto& [tag, value] : kFill) out.set(tag, value);
  const int withheld[] = {880, 8000};

  // Not logged on: QuickFIX's business.
  std::string record;
  BOOST_TEST(!f.run([&] { return f.acceptor->send_app(*f.acceptor->find_session(id), out, withheld, false, record); }));

  RawFixClient c(f.port);
  c.send(logon(1));
  const auto answer = c.read(5s);
  BOOST_REQUIRE(answer.has_value());
  BOOST_REQUIRE(answer->type() == "A");
  BOOST_TEST(answer->get(34).value_or("") == "1");

  BOOST_REQUIRE(f.run([&] {
    const bool sent = f.acceptor->send_app(*f.acceptor->find_session(id), out, withheld, false, record);
    f.acceptor->flush();
    return sent;
  }));
  const auto er = c.read(5s);
  BOOST_REQUIRE(er.has_value());
  BOOST_TEST(er->type() == "8");
  BOOST_TEST(er->get(34).value_or("") == "2");
  BOOST_TEST(er->get(49).value_or("") == "VENUE");
  BOOST_TEST(er->get(56).value_or("") == "BRK1");
  BOOST_TEST(fs::parse_utc_timestamp(er->get(52).value_or("")).has_value());
  BOOST_TEST(er->get(17).value_or("") == "900");
  BOOST_TEST(!er->get(880).has_value(), "a withheld field reached the broker");
  BOOST_TEST(!er->get(97).has_value());
  // The record is the message as sent with the withheld fields back in.
  const auto rec = venue::e2e::parse_fix(record);
  BOOST_REQUIRE(rec.has_value());
  BOOST_TEST(rec->get(34).value_or("") == "2");
  BOOST_TEST(rec->get(52).value_or("") == er->get(52).value_or("-"));
  BOOST_TEST(rec->get(880).value_or("") == "77");
  BOOST_TEST(rec->get(8000).value_or("") == "O");
  BOOST_TEST(f.run([&] { return f.acceptor->find_session(id)->getExpectedSenderNum(); }) == 3);

  // QuickFIX resends it from the store, as it would one it had sent itself.
  c.send(raw_message("2", 2, "BRK1", "VENUE", {{7, "2"}, {16, "2"}}));
  const auto resent = c.read_until("8", 5s);
  BOOST_REQUIRE(resent.has_value());
  BOOST_TEST(resent->get(34).value_or("") == "2");
  BOOST_TEST(resent->get(43).value_or("") == "Y");
  BOOST_TEST(resent->get(17).value_or("") == "900");
  BOOST_TEST(resent->get(122).value_or("") == er->get(52).value_or("-"));
}

BOOST_AUTO_TEST_CASE(quickfix_sends_one_message_a_second_itself_and_replays_are_marked) {
  Fixture f;
  const FIX::SessionID id("FIX.4.4", "VENUE", "BRK1");
  RawFixClient c(f.port);
  c.send(logon(1));
  BOOST_REQUIRE(c.read(5s).has_value());
  fs::OutMessage out("8");
  for (const auto& [tag, value] : kFill) out.set(tag, value);
  std::string record;
  BOOST_TEST(f.run([&] { return f.acceptor->send_app(*f.acceptor->find_session(id), out, {}, true, record); }));
  const auto er = c.read(5s);
  BOOST_REQUIRE(er.has_value());
  BOOST_TEST(er->get(97).value_or("") == "Y");
  BOOST_TEST(er->get(880).value_or("") == "77", "nothing withheld: the extended fields go out");
  BOOST_TEST(record == er->text);
  std::this_thread::sleep_for(1100ms);
  BOOST_TEST(!f.run([&] { return f.acceptor->send_app(*f.acceptor->find_session(id), out, {}, false, record); }),
             "QuickFIX has not sent for a second: its turn");
}

namespace {

venue::e2e::RawFields order(const std::string& clordid) {
  return {{11, clordid}, {1, "ACC-1"}, {55, "ACME"},  {54, "1"}, {60, venue::e2e::utc_timestamp_from_now(0)},
          {38, "100"},   {40, "2"},    {44, "10.25"}, {59, "0"}};
}

// An acceptor that takes D, F and G directly, with BRK1 logged on.
struct Direct {
  Fixture f{[](fs::AcceptorSettings& as) {
    as.supported_app_types = {"D", "F", "G"};
    as.direct_app_types = {"D", "F", "G"};
  }};
  RawFixClient c{f.port};
  const FIX::SessionID id{"FIX.4.4", "VENUE", "BRK1"};
  Direct() {
    c.send(logon(1));
    const auto answer = c.read(5s);
    BOOST_REQUIRE(answer.has_value() && answer->type() == "A");
  }
  std::uint64_t direct_in() {
    return f.run([&] { return f.acceptor->counters().direct_in; });
  }
  int expected() {
    return f.run([&] { return f.acceptor->find_session(id)->getExpectedTargetNum(); });
  }
  // Waits until the application got n messages.
  std::vector<std::string> received(std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (f.app.received().size() < n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    return f.app.received();
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(an_order_in_sequence_reaches_the_application_directly_as_quickfix_would_give_it) {
  Direct d;
  d.c.send(raw_message("D", 2, "BRK1", "VENUE", order("C-1")));
  const auto got = d.received(1);
  BOOST_REQUIRE_EQUAL(got.size(), 1U);
  const auto m = venue::e2e::parse_fix(got[0]);
  BOOST_REQUIRE(m.has_value());
  BOOST_TEST(m->get(35).value_or("") == "D");
  BOOST_TEST(m->get(34).value_or("") == "2");
  BOOST_TEST(m->get(11).value_or("") == "C-1");
  BOOST_TEST(m->get(44).value_or("") == "10.25");
  BOOST_TEST(d.direct_in() == 1U);
  BOOST_TEST(d.expected() == 3);
}

BOOST_AUTO_TEST_CASE(anything_unusual_goes_through_quickfix_which_decides_as_before) {
  Direct d;
  int seq = 2;
  // Each is refused by QuickFIX with a session Reject naming the problem; none was taken directly.
  const std::vector<std::pair<venue::e2e::RawFields, std::string>> refused{
      {[] {
         auto o = order("C-2");
         o.emplace_back(9999, "x");
         return o;
       }(),
       "0"},  // unknown tag: 373=0
      {[] {
         auto o = order("C-3");
         o[3].second = "Z";
         return o;
       }(),
       "5"},  // Side Z: 373=5
      {[] {
         auto o = order("C-4");
         o.erase(o.begin());
         return o;
       }(),
       "1"},  // no ClOrdID: 373=1
      {[] {
         auto o = order("C-5");
         o[7].second = "10.2.5";
         return o;
       }(),
       "6"},  // bad Price: 373=6
      {[] {
         auto o = order("C-6");
         o.emplace_back(11, "again");
         return o;
       }(),
       "13"},  // tag twice: 373=13
  };
  for (const auto& [fields, reason] : refused) {
    d.c.send(raw_message("D", seq, "BRK1", "VENUE", fields));
    const auto reject = d.c.read_until("3", 5s);
    BOOST_REQUIRE(reject.has_value());
    BOOST_TEST(reject->get(45).value_or("") == std::to_string(seq));
    BOOST_TEST(reject->get(373).value_or("") == reason, "message " << seq);
    ++seq;
  }
  BOOST_TEST(d.direct_in() == 0U);
  BOOST_TEST(d.f.app.received().empty());
  d.c.send(raw_message("D", seq, "BRK1", "VENUE", order("C-7")));
  BOOST_REQUIRE_EQUAL(d.received(1).size(), 1U);
  BOOST_TEST(d.direct_in() == 1U, "a plain order after them is taken directly");
  // A possible duplicate goes to QuickFIX (here in sequence, so it is delivered).
  ++seq;
  std::string poss_dup =
      "35=D\x01"
      "34=" +
      std::to_string(seq) +
      "\x01"
      "43=Y\x01"
      "49=BRK1\x01"
      "52=" +
      venue::e2e::utc_timestamp_from_now(0) +
      "\x01"
      "56=VENUE\x01"
      "122=" +
      venue::e2e::utc_timestamp_from_now(-1000) + "\x01";
  for (const auto& [tag, value] : order("C-8")) poss_dup += std::to_string(tag) + "=" + value + "\x01";
  poss_dup = venue::e2e::frame_fix(poss_dup);
  d.c.send(poss_dup);
  BOOST_REQUIRE_EQUAL(d.received(2).size(), 2U);
  BOOST_TEST(d.direct_in() == 1U, "a PossDup was taken directly");
  BOOST_TEST(d.expected() == seq + 1);
}

BOOST_AUTO_TEST_CASE(a_message_ahead_of_sequence_makes_quickfix_ask_for_a_resend_and_nothing_is_taken_directly) {
  Direct d;
  d.c.send(raw_message("D", 5, "BRK1", "VENUE", order("C-9")));
  const auto resend = d.c.read_until("2", 5s);
  BOOST_REQUIRE(resend.has_value());
  BOOST_TEST(resend->get(7).value_or("") == "2");
  // While QuickFIX waits for the resend, even an order with the number it expects goes through it.
  d.c.send(raw_message("D", 2, "BRK1", "VENUE", order("C-10")));
  BOOST_REQUIRE_GE(d.received(1).size(), 1U);
  BOOST_TEST(d.direct_in() == 0U);
}

BOOST_AUTO_TEST_CASE(after_a_quiet_second_quickfix_takes_the_next_message_itself) {
  Direct d;
  std::this_thread::sleep_for(1100ms);
  d.c.send(raw_message("D", 2, "BRK1", "VENUE", order("C-11")));
  BOOST_REQUIRE_EQUAL(d.received(1).size(), 1U);
  BOOST_TEST(d.direct_in() == 0U, "QuickFIX had not seen a message for a second: its turn");
  d.c.send(raw_message("D", 3, "BRK1", "VENUE", order("C-12")));
  BOOST_REQUIRE_EQUAL(d.received(2).size(), 2U);
  BOOST_TEST(d.direct_in() == 1U);
  BOOST_TEST(d.expected() == 4);
}
