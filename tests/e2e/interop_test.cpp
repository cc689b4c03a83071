#define BOOST_TEST_MODULE e2e_interop
// A broker whose FIX engine validates with a stock FIX 4.4 dictionary (QuickFIX/J 2.3.1's FIX44.xml, as
// that engine ships it, fetched by ci/setup; its path in VENUE_STOCK_FIX44) receives every message the
// venue sends it: acknowledgements, fills, replaces, cancels, refusals, cancel rejects, status answers
// and mass cancel reports. A message such an engine refuses is answered with a session Reject and never
// reaches the broker's application: a fill lost to that broker. Fields beyond FIX 4.4 (TrdMatchID(880),
// tag 8000) go only to sessions configured with extended_fields (RoE 3.3).
//
// Also: a TLS 1.3 logon gets its Logon answer with no session ticket before it (engines that read one TLS
// record per read, QuickFIX/J 2.3 on MINA 2.1, otherwise leave the answer unread), and a session
// configured to reset on every Logon starts again at 1 without asking.
//
// Sessions: STD (firm BETA, standard fields only, validating), BRK1 (firm ALPHA, extended_fields), RST
// (firm ALPHA, reset_on_logon), TLS1 (firm BETA, TLS).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "e2e/support/raw_session.h"
#include "e2e/support/suite.h"

using namespace venue::e2e;
using namespace std::chrono_literals;

BOOST_TEST_GLOBAL_FIXTURE(SuiteVenueFixture);

namespace {

TestVenue& the_venue() { return suite_venue(); }
std::string id(const std::string& hint = "o") { return the_venue().id(hint); }

// The STD session's broker, validating everything that arrives against the stock dictionary.
FixClient& stock_broker() {
  static std::unique_ptr<FixClient> client;
  if (!client) {
    ClientOptions o = the_venue().options("STD");
    o.dictionary = stock_dictionary();
    client = std::make_unique<FixClient>(o);
    client->logon();
  }
  return *client;
}

OrderFields limit(const std::string& symbol, const char* side, const std::string& price, const std::string& qty,
                  const std::string& account) {
  return limit_order(id(side == std::string(kBuy) ? "buy" : "sell"), symbol, side, price, qty, account);
}

int tickets_seen = 0;
int count_ticket(SSL* /*ssl*/, SSL_SESSION* /*session*/) {
  ++tickets_seen;
  return 0;  // not kept
}

// Logs TLS1 on over TLS 1.3 with OpenSSL directly; returns the number of session tickets the venue sent
// by the time its Logon answer was read, or -1 when no Logon answer came.
int tickets_before_logon_answer(std::uint16_t port) {
  tickets_seen = 0;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, count_ticket);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int result = -1;
  SSL* ssl = nullptr;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) == 1) {
      const std::string logon = raw_message("A", 1, "TLS1", "VENUE", raw_logon_fields("TLS1", kPassword, 30, true));
      SSL_write(ssl, logon.data(), static_cast<int>(logon.size()));
      std::string in;
      char buf[4096];
      const std::string logon_type = std::string(1, '\x01') + "35=A\x01";
      const std::string checksum = std::string(1, '\x01') + "10=";
      while (in.find(logon_type) == std::string::npos || in.find(checksum, in.find(logon_type)) == std::string::npos) {
        const int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
      }
      if (in.find(logon_type) != std::string::npos) result = tickets_seen;
      const std::string logout = raw_message("5", 2, "TLS1", "VENUE", {});
      SSL_write(ssl, logout.data(), static_cast<int>(logout.size()));
      SSL_shutdown(ssl);
    }
  }
  if (ssl != nullptr) SSL_free(ssl);
  ::close(fd);
  SSL_CTX_free(ctx);
  return result;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_tls13_logon_is_answered_without_session_tickets_ahead_of_it) {
  const int tickets = tickets_before_logon_answer(the_venue().tls_port());
  BOOST_TEST(tickets == 0, "tickets before the Logon answer: " << tickets << " (-1: no Logon answer)");
  BOOST_TEST(wait_session_logged_out(the_venue(), "TLS1"));
}

BOOST_AUTO_TEST_CASE(a_broker_validating_with_a_stock_fix44_dictionary_receives_every_fill) {
  FixClient& std_broker = stock_broker();
  FixClient& alpha = the_venue().client("BRK1");
  const std::string sym = the_venue().symbol();
  // A resting sell from ALPHA (with an STP instruction, echoed on its reports), taken in two fills.
  auto sell = limit(sym, kSell, "100.00", "10", "ALPHA-1");
  sell.stp = "N";
  alpha.send(new_order(sell));
  alpha.expect(er(sell.clordid, "0"));
  const auto buy1 = limit(sym, kBuy, "100.00", "4", "BETA-1");
  std_broker.send(new_order(buy1));
  std_broker.expect(er(buy1.clordid, "0"));
  const auto fill1 = std_broker.expect(er(buy1.clordid, "F"));
  const auto buy2 = limit(sym, kBuy, "100.00", "6", "BETA-2");
  std_broker.send(new_order(buy2));
  const auto fill2 = std_broker.expect(er(buy2.clordid, "F"));
  BOOST_TEST(field(fill1, FIX::FIELD::LastQty) == "4");
  BOOST_TEST(field(fill2, FIX::FIELD::OrdStatus) == "2");
  // What the standard leaves out stays out; the extended session gets its TrdMatchID and tag 8000.
  BOOST_TEST(!find_field(fill1, 880).has_value(), printable(fill1));
  const auto maker = alpha.expect(er(sell.clordid, "F"));
  BOOST_TEST(!field(maker, 880).empty(), printable(maker));
  BOOST_TEST(field(maker, 8000) == "N", printable(maker));
}

BOOST_AUTO_TEST_CASE(replaces_cancels_refusals_and_status_answers_pass_a_stock_dictionary) {
  FixClient& std_broker = stock_broker();
  const std::string sym = the_venue().symbol();
  const auto order = limit(sym, kBuy, "99.00", "5", "BETA-1");
  std_broker.send(new_order(order));
  const auto ack = std_broker.expect(er(order.clordid, "0"));
  const std::string replace_id = id("rep");
  std_broker.send(replace_request({.clordid = replace_id,
                                   .orig_clordid = order.clordid,
                                   .symbol = sym,
                                   .side = kBuy,
                                   .price = "99.50",
                                   .qty = "7",
                                   .account = "BETA-1"}));
  std_broker.expect(er(replace_id, "5"));
  std_broker.send(status_request(replace_id, kBuy, sym, "st-1"));
  std_broker.expect(er(replace_id, "I"));
  const std::string cancel_id = id("can");
  std_broker.send(cancel_request(
      {.clordid = cancel_id, .orig_clordid = replace_id, .side = kBuy, .symbol = sym, .account = "BETA-1"}));
  std_broker.expect(er(cancel_id, "4"));
  // A cancel of an order that is gone: an OrderCancelReject.
  const std::string late = id("late");
  std_broker.send(
      cancel_request({.clordid = late, .orig_clordid = replace_id, .side = kBuy, .symbol = sym, .account = "BETA-1"}));
  std_broker.expect(cancel_reject(late));
  // An order refused (price outside the band): a rejected ExecutionReport with its code and reason.
  const auto wild = limit(sym, kBuy, "150.00", "1", "BETA-1");
  std_broker.send(new_order(wild));
  const auto refused = std_broker.expect(er(wild.clordid, "8"));
  BOOST_TEST(!field(refused, FIX::FIELD::Text).empty());
  // A mass cancel of the instrument: its report.
  const auto rest = limit(sym, kBuy, "98.00", "1", "BETA-1");
  std_broker.send(new_order(rest));
  std_broker.expect(er(rest.clordid, "0"));
  const std::string mass = id("mass");
  std_broker.send(mass_cancel_request(mass, "1", sym));
  std_broker.expect(of_type("r").with(FIX::FIELD::ClOrdID, mass));
  std_broker.expect(er(rest.clordid, "4"));
  (void)ack;
}

BOOST_AUTO_TEST_CASE(a_session_that_resets_on_logon_starts_again_at_one_without_asking) {
  // A broker whose engine starts every day (every logon) at 1 and does not send ResetSeqNumFlag(141).
  for (int round = 0; round < 2; ++round) {
    RawFixClient c(the_venue().fix_port());
    c.send(raw_message("A", 1, "RST", "VENUE", raw_logon_fields("RST", kPassword)));
    auto logon = c.read_until("A", 5s);
    BOOST_REQUIRE_MESSAGE(logon.has_value(), "round " << round << ": no Logon answer");
    BOOST_TEST(logon->get(34).value_or("") == "1", logon->text);
    c.send(raw_message("5", 2, "RST", "VENUE", {}));
    BOOST_TEST(c.read_until("5", 5s).has_value());
    BOOST_TEST(c.closed_within(5s));
    BOOST_TEST(wait_session_logged_out(the_venue(), "RST"));
  }
}
