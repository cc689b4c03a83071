#define BOOST_TEST_MODULE e2e_session
// FIX session behaviour of the real venue process, as a broker's engine sees it: logon and its
// refusals (credentials, CompIDs, allow-lists, TLS), heartbeats, read-only sessions, unsupported and
// malformed messages, and a clean shutdown.
#include <boost/test/unit_test.hpp>
#include <string>
#include <thread>

#include "e2e/support/raw_session.h"
#include "e2e/support/suite.h"

using namespace venue::e2e;
using namespace std::chrono_literals;

BOOST_TEST_GLOBAL_FIXTURE(SuiteVenueFixture);

namespace {

TestVenue& the_venue() { return suite_venue(); }

// A raw Logon that the venue must refuse: returns the venue's Logout (and checks the connection closes).
RawMessage refused_logon(std::uint16_t port, const std::string& sender, const std::string& target, int seq,
                         const RawFields& fields) {
  RawFixClient c(port);
  c.send(raw_message("A", seq, sender, target, fields));
  auto answer = c.read(5s);
  BOOST_REQUIRE_MESSAGE(answer.has_value(), "the venue sent nothing back to a refused Logon");
  BOOST_TEST(c.closed_within(3s), "the venue should close the connection after refusing the Logon");
  return *answer;
}

int json_int(const nlohmann::json& j, const char* key) { return j.value(key, -1); }

}  // namespace

BOOST_AUTO_TEST_SUITE(session)

BOOST_AUTO_TEST_CASE(logon_with_good_credentials_is_answered_with_a_logon) {
  FixClient& c = the_venue().client("BRK1");
  const auto logon = c.expect(of_type("A"));
  BOOST_TEST(field(logon, FIX::FIELD::SenderCompID) == "VENUE");
  BOOST_TEST(field(logon, FIX::FIELD::TargetCompID) == "BRK1");
  BOOST_TEST(field(logon, FIX::FIELD::HeartBtInt) == "5");
  const auto s = the_venue().session("BRK1");
  BOOST_TEST(s.value("logged_on", false));
  BOOST_TEST(s.value("peer", "") == "127.0.0.1");
  BOOST_TEST(s.value("firm", "") == "ALPHA");
}

BOOST_AUTO_TEST_CASE(wrong_password_gets_a_logout_with_the_reason_and_moves_no_broker_sequence_number) {
  // Rules of Engagement (2): the refusal's Logout uses up the venue's next number (nothing stored under
  // it; a resend gap-fills it); the broker's numbers do not move.
  const auto before = the_venue().session("BRK2");
  const int next_in = json_int(before, "next_in_seq");
  const int next_out = json_int(before, "next_out_seq");
  const auto logout =
      refused_logon(the_venue().fix_port(), "BRK2", "VENUE", next_in, raw_logon_fields("BRK2", "not-the-password"));
  BOOST_TEST(logout.type() == "5");
  BOOST_TEST(logout.get(58).value_or("").find("authentication failed") != std::string::npos, printable(logout.text));
  BOOST_TEST(logout.get(34).value_or("") == std::to_string(next_out));

  const auto after = the_venue().session("BRK2");
  BOOST_TEST(json_int(after, "next_in_seq") == next_in, "the refused Logon must not count as received");
  BOOST_TEST(json_int(after, "next_out_seq") == next_out + 1, "the Logout used up one number");
  BOOST_TEST(!after.value("logged_on", true));

  // The right password still works: the venue's Logon carries the next number, and a broker that never
  // saw the refusal's Logout gets the gap filled.
  FixClient& c = the_venue().client("BRK2");
  const auto logon = c.expect(of_type("A"));
  BOOST_TEST(field(logon, FIX::FIELD::MsgSeqNum) == std::to_string(next_out + 1));
  BOOST_TEST(c.logged_on());
  c.logout();
}

BOOST_AUTO_TEST_CASE(a_brokers_fix_engine_logs_on_at_the_first_attempt_after_a_refused_logon) {
  // A broker's QuickFIX engine with a wrong password gets the venue's Logout and processes it like any
  // Logout: it counts the Logout's MsgSeqNum as received. The venue used that number up too (Rules of
  // Engagement 2), so the retry with the right password simply logs on.
  ClientOptions wrong = the_venue().options("BACK");
  wrong.password = "not-the-password";
  {
    FixClient c(wrong);
    c.connect();
    const auto logout = c.expect(of_type("5"));
    BOOST_TEST(field(logout, FIX::FIELD::Text).find("authentication failed") != std::string::npos, printable(logout));
    c.close();
  }
  FixClient& c = the_venue().client_object("BACK");
  c.connect();
  BOOST_TEST(
      c.wait_logged_on(5s), "the retry with the right password did not log on; the client received:\n"
                                << c.recent() << "and sent:\n"
                                << [&] {
                                     std::string s;
                                     for (const auto& m : c.sent()) s += "  " + printable(m) + "\n";
                                     return s;
                                   }());
  c.close();
}

// Issue 11 (14): failing to log on must not push a session's numbers up without end (nor write to its
// store each time): the refusals between two logons use one number, the first one's.
BOOST_AUTO_TEST_CASE(refused_logons_use_one_sequence_number_between_two_logons) {
  const int next_out = json_int(the_venue().session("BRK2"), "next_out_seq");
  const int next_in = json_int(the_venue().session("BRK2"), "next_in_seq");
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto logout = refused_logon(the_venue().fix_port(), "BRK2", "VENUE", next_in,
                                      raw_logon_fields("BRK2", "not-the-password-" + std::to_string(attempt)));
    BOOST_TEST(logout.get(34).value_or("") == std::to_string(next_out), "refusal " << attempt + 1);
  }
  BOOST_TEST(json_int(the_venue().session("BRK2"), "next_out_seq") == next_out + 1);
  // A logon in between: the next refusal may use a number again.
  FixClient& c = the_venue().client("BRK2");
  BOOST_TEST(c.logged_on());
  BOOST_TEST(json_int(the_venue().session("BRK2"), "next_out_seq") >= next_out + 2, "the Logon came after it");
  c.logout();
  const int after_logon = json_int(the_venue().session("BRK2"), "next_out_seq");
  const auto logout =
      refused_logon(the_venue().fix_port(), "BRK2", "VENUE", json_int(the_venue().session("BRK2"), "next_in_seq"),
                    raw_logon_fields("BRK2", "not-the-password"));
  BOOST_TEST(logout.get(34).value_or("") == std::to_string(after_logon));
  BOOST_TEST(json_int(the_venue().session("BRK2"), "next_out_seq") == after_logon + 1);
}

// Issue 11 (16): a garbled first message is not waited on until the logon timeout.
BOOST_AUTO_TEST_CASE(a_first_message_with_a_wrong_body_length_closes_the_connection_at_once) {
  const std::string good = raw_message("A", 1, "RAW", "VENUE", raw_logon_fields("RAW", kPassword));
  const auto body_at = good.find("\0019=") + 3;
  const auto body_end = good.find('\001', body_at);
  const int length = std::stoi(good.substr(body_at, body_end - body_at));
  for (const int wrong : {length + 40, length - 7}) {
    std::string garbled = good;
    garbled.replace(body_at, body_end - body_at, std::to_string(wrong));
    RawFixClient c(the_venue().fix_port());
    c.send(garbled);
    BOOST_TEST(c.closed_within(2s), "BodyLength " << wrong << " for " << length << ": still open after 2 s");
    BOOST_TEST(c.skipped().empty(), "nothing is sent to a connection that did not log on");
  }
}

BOOST_AUTO_TEST_CASE(a_logon_in_another_fix_version_is_answered_in_fix44_with_the_reason) {
  const std::string soh = "\x01";
  std::string body =
      "35=A" + soh + "34=1" + soh + "49=BRK2" + soh + "52=" + utc_timestamp_from_now(0) + soh + "56=VENUE" + soh;
  for (const auto& [tag, value] : raw_logon_fields("BRK2", kPassword)) body += std::to_string(tag) + "=" + value + soh;
  RawFixClient c(the_venue().fix_port());
  c.send(frame_fix(body, "FIX.4.2"));
  const auto answer = c.read(5s);
  BOOST_REQUIRE_MESSAGE(answer.has_value(), "no answer to a FIX.4.2 Logon");
  BOOST_TEST(answer->text.rfind("8=FIX.4.4\001", 0) == 0U, printable(answer->text));
  BOOST_TEST(answer->type() == "5");
  BOOST_TEST(answer->get(58).value_or("").find("unsupported BeginString(8) FIX.4.2") != std::string::npos,
             printable(answer->text));
  BOOST_TEST(c.closed_within(3s));
}

BOOST_AUTO_TEST_CASE(logon_without_username_or_password_is_refused) {
  const auto no_credentials =
      refused_logon(the_venue().fix_port(), "BRK2", "VENUE", 1, RawFields{{98, "0"}, {108, "30"}});
  BOOST_TEST(no_credentials.type() == "5");
  BOOST_TEST(no_credentials.get(58).value_or("").find("Username(553) and Password(554)") != std::string::npos,
             printable(no_credentials.text));
  const auto no_password =
      refused_logon(the_venue().fix_port(), "BRK2", "VENUE", 1, RawFields{{98, "0"}, {108, "30"}, {553, "brk2"}});
  BOOST_TEST(no_password.type() == "5");
  BOOST_TEST(no_password.get(58).value_or("").find("Password(554)") != std::string::npos, printable(no_password.text));
}

BOOST_AUTO_TEST_CASE(wrong_username_is_refused) {
  const auto logout = refused_logon(the_venue().fix_port(), "BRK2", "VENUE", 1,
                                    RawFields{{98, "0"}, {108, "30"}, {553, "somebody-else"}, {554, kPassword}});
  BOOST_TEST(logout.type() == "5");
  BOOST_TEST(logout.get(58).value_or("").find("authentication failed") != std::string::npos, printable(logout.text));
}

BOOST_AUTO_TEST_CASE(unknown_comp_ids_get_a_logout_and_the_connection_closes) {
  const auto unknown_sender =
      refused_logon(the_venue().fix_port(), "NOBODY", "VENUE", 1, raw_logon_fields("NOBODY", "x"));
  BOOST_TEST(unknown_sender.type() == "5");
  BOOST_TEST(unknown_sender.get(49).value_or("") == "VENUE");
  BOOST_TEST(unknown_sender.get(56).value_or("") == "NOBODY");
  BOOST_TEST(unknown_sender.get(58).value_or("").find("unknown SenderCompID/TargetCompID") != std::string::npos,
             printable(unknown_sender.text));

  const auto unknown_target =
      refused_logon(the_venue().fix_port(), "BRK2", "NOTVENUE", 1, raw_logon_fields("BRK2", kPassword));
  BOOST_TEST(unknown_target.type() == "5");
  BOOST_TEST(unknown_target.get(58).value_or("").find("unknown SenderCompID/TargetCompID") != std::string::npos,
             printable(unknown_target.text));
}

BOOST_AUTO_TEST_CASE(logon_from_an_address_outside_the_allow_list_is_refused) {
  const auto logout = refused_logon(the_venue().fix_port(), "FAR", "VENUE", 1, raw_logon_fields("FAR", kPassword));
  BOOST_TEST(logout.type() == "5");
  BOOST_TEST(logout.get(58).value_or("").find("logon from 127.0.0.1 is not allowed") != std::string::npos,
             printable(logout.text));
}

BOOST_AUTO_TEST_CASE(tls_session_logs_on_over_tls) {
  FixClient& c = the_venue().client("TLS1");
  BOOST_TEST(c.logged_on());
  const auto s = the_venue().session("TLS1");
  BOOST_TEST(s.value("logged_on", false));
  // The session works over TLS: a test request is answered.
  c.send(app_message("1", {{FIX::FIELD::TestReqID, "over-tls"}}));
  c.expect(Match{"0", {{FIX::FIELD::TestReqID, "over-tls"}}});
  c.logout();
  BOOST_TEST(wait_session_logged_out(the_venue(), "TLS1"));
}

BOOST_AUTO_TEST_CASE(tls_session_is_refused_on_the_plain_port) {
  const auto logout = refused_logon(the_venue().fix_port(), "TLS1", "VENUE", 1, raw_logon_fields("TLS1", kPassword));
  BOOST_TEST(logout.type() == "5");
  BOOST_TEST(logout.get(58).value_or("").find("must connect over TLS") != std::string::npos, printable(logout.text));
}

BOOST_AUTO_TEST_CASE(plain_session_is_refused_on_the_tls_port) {
  // A separate store, so the refusal leaves no trace in the KF client's sequence numbers.
  ClientOptions o = the_venue().options("KF");
  o.tls = true;
  o.port = the_venue().tls_port();
  o.dir = the_venue().dir() / "clients-refused";
  FixClient c(o);
  c.connect();
  const auto logout = c.expect(of_type("5"));
  BOOST_TEST(field(logout, FIX::FIELD::Text).find("must connect to the plain listener") != std::string::npos,
             printable(logout));
  BOOST_TEST(!c.logged_on());
  c.close();
}

BOOST_AUTO_TEST_CASE(test_request_is_answered_with_a_heartbeat_carrying_its_id) {
  FixClient& c = the_venue().client("BRK1");
  c.send(app_message("1", {{FIX::FIELD::TestReqID, "TR-1"}}));
  const auto hb = c.expect(Match{"0", {{FIX::FIELD::TestReqID, "TR-1"}}});
  BOOST_TEST(field(hb, FIX::FIELD::SenderCompID) == "VENUE");
}

BOOST_AUTO_TEST_CASE(an_idle_session_gets_heartbeats_at_its_interval) {
  RawSession s(the_venue(), "RAW", 1);
  const auto start = std::chrono::steady_clock::now();
  auto hb = s.read_until("0", 4s);
  BOOST_REQUIRE_MESSAGE(hb.has_value(), "no Heartbeat within 4 s at HeartBtInt=1");
  BOOST_TEST(!hb->get(112).has_value(), "an unsolicited Heartbeat carries no TestReqID");
  const bool in_time = std::chrono::steady_clock::now() - start < 3s;
  BOOST_TEST(in_time, "the Heartbeat should come about 1 s after the logon");
}

BOOST_AUTO_TEST_CASE(heartbeat_interval_above_the_session_maximum_is_refused) {
  const auto logout = refused_logon(the_venue().fix_port(), "HB", "VENUE", 1, raw_logon_fields("HB", kPassword, 60));
  BOOST_TEST(logout.type() == "5");
  BOOST_TEST(logout.get(58).value_or("").find("HeartBtInt(108) must be between 1 and 30") != std::string::npos,
             printable(logout.text));
}

BOOST_AUTO_TEST_CASE(read_only_session_orders_get_business_reject_not_authorized) {
  FixClient& c = the_venue().client("WATCH");
  const std::string id = the_venue().id("ro");
  c.send(new_order({.clordid = id, .symbol = "S001", .side = kBuy, .price = "100.00", .qty = "1"}));
  const auto rej = c.expect(Match{"j", {{FIX::FIELD::BusinessRejectRefID, id}}});
  check_business_reject(rej, 2001);
  BOOST_TEST(field(rej, FIX::FIELD::RefMsgType) == "D");
  BOOST_TEST(c.none_within(of_type("8"), 200ms), "a read-only session gets no ExecutionReport");

  const std::string cxl = the_venue().id("ro-cxl");
  c.send(cancel_request({.clordid = cxl, .orig_clordid = id, .side = kBuy, .symbol = "S001"}));
  check_business_reject(c.expect(Match{"j", {{FIX::FIELD::BusinessRejectRefID, cxl}}}), 2001);
}

BOOST_AUTO_TEST_CASE(unsupported_message_type_gets_business_reject_380_3_and_the_session_goes_on) {
  FixClient& c = the_venue().client("BRK1");
  c.send(app_message("R", {{131, "QR-1"}, {146, "1"}, {55, "S001"}}));  // QuoteRequest
  const auto rej = c.expect(Match{"j", {{FIX::FIELD::RefMsgType, "R"}}});
  check_business_reject(rej, 3010);
  BOOST_TEST(!field(rej, FIX::FIELD::RefSeqNum).empty());
  c.send(app_message("1", {{FIX::FIELD::TestReqID, "after-R"}}));
  c.expect(Match{"0", {{FIX::FIELD::TestReqID, "after-R"}}});
}

BOOST_AUTO_TEST_CASE(message_type_unknown_to_fix44_gets_session_reject_373_11) {
  // Not a FIX 4.4 message type at all: QuickFIX's session layer answers (spec/fix/README.md).
  FixClient& c = the_venue().client("BRK1");
  c.send(app_message("ZZ", {{58, "hello"}}));
  const auto rej = c.expect(Match{"3", {{FIX::FIELD::RefMsgType, "ZZ"}}});
  BOOST_TEST(field(rej, FIX::FIELD::SessionRejectReason) == "11", printable(rej));
  c.send(app_message("1", {{FIX::FIELD::TestReqID, "after-ZZ"}}));
  c.expect(Match{"0", {{FIX::FIELD::TestReqID, "after-ZZ"}}});
}

BOOST_AUTO_TEST_CASE(message_with_a_bad_checksum_is_ignored_and_the_session_goes_on) {
  RawSession s(the_venue(), "RAW");
  const std::string garbled_id = the_venue().id("garbled");
  const RawFields order{{11, garbled_id}, {1, "ALPHA-1"}, {55, "S002"},  {54, "1"}, {60, utc_timestamp_from_now(0)},
                        {38, "1"},        {40, "2"},      {44, "99.00"}, {59, "0"}};
  s.send_bytes(with_bad_checksum(s.build("D", order)));
  s.unuse_seq();
  // Nothing comes back for it: not a Reject, not an ExecutionReport, not a ResendRequest.
  BOOST_TEST(!s.connection().read(500ms).has_value(), "a garbled message must be ignored");
  // The next message with that number is processed as if the garbled one had never been.
  const std::string good_id = the_venue().id("good");
  RawFields good = order;
  good[0].second = good_id;
  s.send("D", good);
  auto ack = s.read_until("8", 3s);
  BOOST_REQUIRE(ack.has_value());
  BOOST_TEST(ack->get(11).value_or("") == good_id);
  BOOST_TEST(ack->get(150).value_or("") == "0");
  s.send("F", {{11, the_venue().id("cxl")}, {41, good_id}, {54, "1"}, {55, "S002"}, {60, utc_timestamp_from_now(0)}});
  auto cxl = s.read_until("8", 3s);
  BOOST_REQUIRE(cxl.has_value());
  BOOST_TEST(cxl->get(150).value_or("") == "4");
}

BOOST_AUTO_TEST_CASE(a_header_field_after_the_body_gets_session_reject_373_14_and_is_not_processed) {
  RawSession s(the_venue(), "RAW");
  const std::string clordid = the_venue().id("order");
  // OnBehalfOfCompID(115) belongs in the header; here it comes after the body's fields.
  s.send("D", {{11, clordid},
               {1, "ALPHA-1"},
               {55, "S004"},
               {54, "1"},
               {60, utc_timestamp_from_now(0)},
               {38, "1"},
               {40, "2"},
               {44, "99.00"},
               {59, "0"},
               {115, "ELSEWHERE"}});
  const auto reject = s.read_until("3", 3s);
  BOOST_REQUIRE_MESSAGE(reject.has_value(), "no session Reject for a header field after the body");
  BOOST_TEST(reject->get(373).value_or("") == "14", printable(reject->text));
  BOOST_TEST(reject->get(371).value_or("") == "115", printable(reject->text));
  // The order was not entered: no ExecutionReport for it.
  BOOST_TEST(!s.read_until("8", 300ms).has_value(), "the out-of-order NewOrderSingle was processed");
}

BOOST_AUTO_TEST_CASE(unsupported_message_type_with_a_bad_checksum_is_ignored_like_any_garbled_message) {
  // FIX (and the Rules of Engagement, 3): a message with a wrong CheckSum is garbled and is ignored (no
  // answer, no sequence number used), whatever its type.
  RawSession s(the_venue(), "RAW");
  s.send_bytes(with_bad_checksum(s.build("R", {{131, "QR-garbled"}, {146, "1"}, {55, "S003"}})));
  s.unuse_seq();
  const auto answer = s.connection().read(500ms);
  BOOST_TEST(!answer.has_value(), "the venue answered a garbled message: " << printable(answer ? answer->text : ""));
  // Number 2 is still the one the venue expects: a TestRequest with it is answered.
  s.send("1", {{112, "after-garbled-R"}});
  auto hb = s.read_until("0", 2s);
  BOOST_TEST(hb.has_value(),
             "no Heartbeat: the garbled message used up a sequence number; got: "
                 << (s.connection().skipped().empty() ? std::string("nothing")
                                                      : printable(s.connection().skipped().back().text)));
}

BOOST_AUTO_TEST_CASE(unsupported_message_type_with_a_wrong_comp_id_gets_the_comp_id_reject) {
  // The CompID check (Reject 373=9, then Logout) comes before any business answer.
  RawSession s(the_venue(), "RAW");
  s.send_bytes(raw_message("R", 2, "RAW", "NOTVENUE", {{131, "QR-wrong-target"}, {146, "1"}, {55, "S003"}}));
  auto first = s.connection().read(3s);
  BOOST_REQUIRE_MESSAGE(first.has_value(), "no answer to a message with a wrong TargetCompID");
  BOOST_TEST(first->type() == "3", "expected a session Reject, got " << printable(first->text));
  BOOST_TEST(first->get(373).value_or("") == "9", printable(first->text));
  s.connection().closed_within(3s);
}

BOOST_AUTO_TEST_CASE(message_with_a_wrong_comp_id_gets_a_reject_and_a_logout) {
  RawSession s(the_venue(), "RAW");
  // MsgSeqNum 2, but TargetCompID is not the venue's.
  s.send_bytes(raw_message("1", 2, "RAW", "NOTVENUE", {{112, "wrong-target"}}));
  auto rej = s.read_until("3", 3s);
  BOOST_REQUIRE_MESSAGE(rej.has_value(), "no Reject for a wrong TargetCompID");
  BOOST_TEST(rej->get(373).value_or("") == "9", printable(rej->text));  // CompID problem
  auto logout = s.read_until("5", 3s);
  BOOST_REQUIRE_MESSAGE(logout.has_value(), "no Logout after a wrong TargetCompID");
  s.logout();  // answering the Logout lets the venue close at once
  BOOST_TEST(s.connection().closed(), "the venue should end the connection");
}

BOOST_AUTO_TEST_CASE(oversized_message_disconnects) {
  RawSession s(the_venue(), "RAW");
  // BodyLength above the 64 KiB limit: the venue cuts the connection at once, without waiting for it.
  s.send_bytes(
      "8=FIX.4.4\x01"
      "9=70000\x01"
      "35=D\x01");
  BOOST_TEST(s.connection().closed_within(3s), "the venue should disconnect a BodyLength over 64 KiB");
  BOOST_TEST(wait_session_logged_out(the_venue(), "RAW"));
}

BOOST_AUTO_TEST_CASE(first_message_other_than_logon_closes_the_connection) {
  RawFixClient c(the_venue().fix_port());
  c.send(raw_message("D", 1, "RAW", "VENUE", {{11, "X"}, {54, "1"}, {40, "2"}, {60, utc_timestamp_from_now(0)}}));
  BOOST_TEST(c.closed_within(3s));
  BOOST_TEST(c.skipped().empty(), "nothing is sent to a connection that did not log on");
}

BOOST_AUTO_TEST_CASE(connections_that_never_log_on_are_closed) {
  // An acceptor must not keep a connection that does not log on: a client that connects and says nothing,
  // or a TLS client that came to the plain port, would otherwise hold a socket (and its buffer) forever.
  // The bound is QuickFIX's default LogonTimeout (10 s) plus slack.
  RawFixClient silent(the_venue().fix_port());
  RawFixClient tls_hello(the_venue().fix_port());
  tls_hello.send(std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11) + std::string(160, 'x'));
  const auto start = std::chrono::steady_clock::now();
  BOOST_TEST(silent.closed_within(12s), "a connection that sent nothing is still open after 12 s");
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(12s - (std::chrono::steady_clock::now() - start));
  BOOST_TEST(tls_hello.closed_within(std::max(left, 0ms)), "a connection that sent no FIX is still open after 12 s");
}

BOOST_AUTO_TEST_CASE(second_connection_for_a_logged_on_session_is_refused_and_the_first_goes_on) {
  FixClient& c = the_venue().client("BRK1");
  const auto logout = refused_logon(the_venue().fix_port(), "BRK1", "VENUE", 1, raw_logon_fields("BRK1", kPassword));
  BOOST_TEST(logout.type() == "5");
  BOOST_TEST(logout.get(58).value_or("").find("already connected") != std::string::npos, printable(logout.text));
  c.send(app_message("1", {{FIX::FIELD::TestReqID, "still-here"}}));
  c.expect(Match{"0", {{FIX::FIELD::TestReqID, "still-here"}}});
  BOOST_TEST(c.logged_on());
}

BOOST_AUTO_TEST_CASE(five_failed_logons_lock_the_session_even_for_the_right_password) {
  for (int i = 0; i < 5; ++i) {
    const auto logout = refused_logon(the_venue().fix_port(), "LOCK", "VENUE", 1,
                                      raw_logon_fields("LOCK", "guess-" + std::to_string(i)));
    BOOST_TEST(logout.get(58).value_or("").find("authentication failed") != std::string::npos);
  }
  const auto locked = refused_logon(the_venue().fix_port(), "LOCK", "VENUE", 1, raw_logon_fields("LOCK", kPassword));
  BOOST_TEST(locked.type() == "5");
  BOOST_TEST(locked.get(58).value_or("").find("too many failed logons") != std::string::npos, printable(locked.text));
}

BOOST_AUTO_TEST_CASE(a_silent_broker_gets_a_test_request_and_is_then_disconnected) {
  RawSession s(the_venue(), "RAW", 1);
  auto tr = s.read_until("1", 5s);
  BOOST_REQUIRE_MESSAGE(tr.has_value(), "no TestRequest to a silent session at HeartBtInt=1");
  BOOST_TEST(tr->get(112).has_value());
  BOOST_TEST(s.connection().closed_within(5s), "a session that answers nothing should be disconnected");
  BOOST_TEST(wait_session_logged_out(the_venue(), "RAW"));
}

BOOST_AUTO_TEST_CASE(logon_with_a_sequence_number_too_low_is_logged_out_with_the_reason) {
  { RawSession s(the_venue(), "RAW"); }  // Logon 1 and Logout 2: the venue now expects 3
  BOOST_TEST(wait_session_logged_out(the_venue(), "RAW"));
  RawFixClient c(the_venue().fix_port());
  c.send(raw_message("A", 1, "RAW", "VENUE", raw_logon_fields("RAW", kPassword)));
  auto logout = c.read_until("5", 3s);
  BOOST_REQUIRE_MESSAGE(logout.has_value(), "no Logout for a Logon with MsgSeqNum too low");
  BOOST_TEST(logout->get(58).value_or("").find("MsgSeqNum too low") != std::string::npos, printable(logout->text));
  BOOST_TEST(c.closed_within(3s));
}

BOOST_AUTO_TEST_CASE(logout_is_answered_with_a_logout) {
  FixClient& c = the_venue().client("BRK1");
  const std::size_t from = c.count();
  c.logout();
  c.expect(of_type("5"), 1s, from);
  BOOST_TEST(wait_session_logged_out(the_venue(), "BRK1"));
}

BOOST_AUTO_TEST_CASE(venue_shuts_down_cleanly_on_sigterm_and_logs_sessions_out) {
  FixClient& c = the_venue().client("BRK3");
  const std::size_t from = c.count();
  const int code = the_venue().process().stop();
  BOOST_TEST(code == 0, "exit code " << code << "; log tail:\n" << the_venue().process().log_tail());
  const auto logout = c.expect(of_type("5"), 1s, from);
  BOOST_TEST(field(logout, FIX::FIELD::Text).find("shutting down") != std::string::npos, printable(logout));
}

BOOST_AUTO_TEST_SUITE_END()
