#define BOOST_TEST_MODULE e2e_resend
// Sequence gaps and resends, as a broker's engine meets them: ExecutionReports the venue produced while
// the broker was offline (its resting order traded) arrive after it logs on again, resent with
// PossDupFlag=Y; a broker's ResendRequest gets application messages again and admin messages as gap
// fills; and a gap in what the broker sends makes the venue ask for a resend.
//
// Sessions: BRK3 (cancel_on_disconnect "off", so its orders rest while it is away), BRK2 the other side,
// RAW (raw FIX).
#include <boost/test/unit_test.hpp>
#include <string>

#include "e2e/support/raw_session.h"
#include "e2e/support/suite.h"

using namespace venue::e2e;
using namespace std::chrono_literals;

BOOST_TEST_GLOBAL_FIXTURE(SuiteVenueFixture);

namespace {

TestVenue& the_venue() { return suite_venue(); }
std::string id(const std::string& hint = "o") { return the_venue().id(hint); }

int seq_of(const FIX::Message& m) { return std::stoi(field(m, FIX::FIELD::MsgSeqNum)); }

}  // namespace

BOOST_AUTO_TEST_SUITE(resend)

BOOST_AUTO_TEST_CASE(fills_made_while_the_broker_was_offline_arrive_after_it_logs_on_again) {
  FixClient& away = the_venue().client("BRK3");
  FixClient& other = the_venue().client("BRK2");
  const std::string sym = the_venue().symbol();
  const OrderFields s1{
      .clordid = id("s1"), .symbol = sym, .side = kSell, .price = "100.00", .qty = "10", .account = "GAMMA-1"};
  const OrderFields s2{
      .clordid = id("s2"), .symbol = sym, .side = kSell, .price = "100.50", .qty = "5", .account = "GAMMA-1"};
  place(away, s1);
  const auto last_ack = place(away, s2);
  // What the client expects next from the venue (its store moves just after the message is handed over).
  const int expected_next = seq_of(last_ack) + 1;

  away.drop();
  BOOST_TEST(wait_session_logged_out(the_venue(), "BRK3"));
  // While BRK3 is away its orders trade: the venue sends it two fills it cannot receive yet.
  const OrderFields buy{
      .clordid = id("buy"), .symbol = sym, .side = kBuy, .price = "100.50", .qty = "12", .account = "BETA-1"};
  other.send(new_order(buy));
  other.expect(er(buy.clordid, "F").with(FIX::FIELD::CumQty, "12"));
  const int venue_next_out = the_venue().session("BRK3").value("next_out_seq", 0);
  BOOST_TEST(venue_next_out == expected_next + 2, "two ExecutionReports stored for the offline session");

  const std::size_t from = away.count();
  const std::size_t from_sent = away.sent().size();
  away.logon();
  const auto logon = away.expect(of_type("A"), 5s, from);
  BOOST_TEST(seq_of(logon) == venue_next_out, "the venue's Logon shows the gap: " << printable(logon));
  // The client's engine asked for the missing range.
  bool asked = false;
  const auto sent = away.sent();
  for (std::size_t i = from_sent; i < sent.size(); ++i) {
    if (msg_type(sent[i]) == "2") {
      asked = true;
      BOOST_TEST(field(sent[i], FIX::FIELD::BeginSeqNo) == std::to_string(expected_next), printable(sent[i]));
    }
  }
  BOOST_TEST(asked, "no ResendRequest sent by the client");
  const auto f1 = away.expect(er(s1.clordid, "F"), 5s, from);
  const auto f2 = away.expect(er(s2.clordid, "F"), 5s, from);
  for (const auto* f : {&f1, &f2}) {
    BOOST_TEST_CONTEXT(printable(*f)) {
      BOOST_TEST(field(*f, FIX::FIELD::PossDupFlag) == "Y");
      BOOST_TEST(!field(*f, FIX::FIELD::OrigSendingTime).empty());
    }
  }
  BOOST_TEST(field(f1, FIX::FIELD::OrdStatus) == "2");
  BOOST_TEST(field(f2, FIX::FIELD::OrdStatus) == "1");
  BOOST_TEST(seq_of(f1) == expected_next);
  BOOST_TEST(seq_of(f2) == expected_next + 1);
  BOOST_TEST(field(f1, FIX::FIELD::LastQty) == "10");
  BOOST_TEST(field(f2, FIX::FIELD::LastQty) == "2");
  // In step again: the next order is answered normally, not as a resend.
  const OrderFields next{
      .clordid = id("next"), .symbol = sym, .side = kSell, .price = "101.00", .qty = "1", .account = "GAMMA-1"};
  const auto ack = place(away, next);
  BOOST_TEST(field(ack, FIX::FIELD::PossDupFlag) != "Y", printable(ack));
  BOOST_TEST(seq_of(ack) + 1 == the_venue().session("BRK3").value("next_out_seq", 0));
}

BOOST_AUTO_TEST_CASE(a_brokers_resend_request_gets_app_messages_again_and_admin_messages_as_gap_fill) {
  const std::string sym = the_venue().symbol();
  {
    // An earlier session day (sequence numbers reset at the next logon) with longer messages, so a store
    // that kept stale offsets after the reset would resend the wrong bytes.
    RawSession earlier(the_venue(), "RAW");
    for (int i = 0; i < 3; ++i) {
      const std::string clordid = id("earlier-with-a-rather-long-client-order-id-" + std::to_string(i));
      earlier.send("D", {{11, clordid},
                         {1, "ALPHA-1"},
                         {55, sym},
                         {54, "1"},
                         {60, utc_timestamp_from_now(0)},
                         {38, "1"},
                         {40, "2"},
                         {44, "98.00"},
                         {59, "1"},
                         {58, std::string(200, 'x')}});
      BOOST_REQUIRE(earlier.read_until("8", 3s).has_value());
    }
  }
  RawSession s(the_venue(), "RAW");  // Logon 1 (reset), so the venue's ack below is message 2
  const std::string o = id("o");
  s.send("D", {{11, o},
               {1, "ALPHA-1"},
               {55, sym},
               {54, "1"},
               {60, utc_timestamp_from_now(0)},
               {38, "1"},
               {40, "2"},
               {44, "99.00"},
               {59, "0"}});
  auto ack = s.read_until("8", 3s);
  BOOST_REQUIRE(ack.has_value());
  const std::string ack_seq = ack->get(34).value_or("");
  s.send("2", {{7, "1"}, {16, "0"}});
  // Message 1 was the Logon (admin): a gap fill; message 2, the ack, again with PossDupFlag=Y.
  auto fill = s.read_until("4", 3s);
  BOOST_REQUIRE_MESSAGE(fill.has_value(), "no SequenceReset-GapFill for the admin messages");
  BOOST_TEST(fill->get(123).value_or("") == "Y", printable(fill->text));
  BOOST_TEST(fill->get(34).value_or("") == "1", printable(fill->text));
  auto again = s.read_until("8", 3s);
  BOOST_REQUIRE_MESSAGE(again.has_value(), "the ExecutionReport was not resent");
  BOOST_TEST_CONTEXT(printable(again->text)) {
    BOOST_TEST(again->get(43).value_or("") == "Y");
    BOOST_TEST(again->get(122).has_value());
    BOOST_TEST(again->get(34).value_or("") == ack_seq);
    BOOST_TEST(again->get(11).value_or("") == o);
    BOOST_TEST(again->get(17).value_or("") == ack->get(17).value_or("-"));
  }
}

BOOST_AUTO_TEST_CASE(a_gap_in_what_the_broker_sends_makes_the_venue_ask_for_a_resend) {
  RawSession s(the_venue(), "RAW");
  const std::string sym = the_venue().symbol();
  const auto order_fields = [&](const std::string& clordid) {
    return RawFields{{11, clordid}, {1, "ALPHA-1"}, {55, sym},     {54, "1"}, {60, utc_timestamp_from_now(0)},
                     {38, "1"},     {40, "2"},      {44, "99.00"}, {59, "0"}};
  };
  // Message 2 is "lost": message 3 arrives first.
  const std::string lost = id("lost");
  const std::string lost_msg = s.build("D", order_fields(lost));
  const std::string later = id("later");
  s.send("D", order_fields(later));
  auto rr = s.read_until("2", 3s);
  BOOST_REQUIRE_MESSAGE(rr.has_value(), "the venue did not ask for the missing message");
  BOOST_TEST(rr->get(7).value_or("") == "2", printable(rr->text));
  // The broker resends message 2 (PossDupFlag=Y, OrigSendingTime): both orders are taken, in order.
  std::string body = lost_msg.substr(lost_msg.find("35="));
  body = body.substr(0, body.rfind("10="));
  const auto at = body.find("52=");
  const std::string sending_time = body.substr(at + 3, body.find('\x01', at) - at - 3);
  body.insert(at,
              "43=Y\x01"
              "122=" +
                  sending_time + "\x01");
  const std::string resent = frame_fix(body);
  s.send_bytes(resent);
  auto a1 = s.read_until("8", 3s);
  auto a2 = s.read_until("8", 3s);
  BOOST_REQUIRE(a1.has_value());
  BOOST_REQUIRE(a2.has_value());
  BOOST_TEST(a1->get(11).value_or("") == lost);
  BOOST_TEST(a2->get(11).value_or("") == later);
  BOOST_TEST(a1->get(150).value_or("") == "0");
  BOOST_TEST(a2->get(150).value_or("") == "0");
}

BOOST_AUTO_TEST_CASE(venue_shuts_down_cleanly) { BOOST_TEST(the_venue().stop() == 0); }

BOOST_AUTO_TEST_SUITE_END()
