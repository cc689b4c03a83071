#pragma once
// A logged-on raw FIX session for tests that must send what a FIX engine never would: it logs on with
// ResetSeqNumFlag=Y (both sides start again at 1), numbers what it sends, and logs out at the end.
//
//   RawSession s(venue, "RAW");                // Logon 34=1 141=Y, waits for the venue's Logon
//   s.send("D", {{11, "X1"}, ...});            // 34=2, 49=RAW, 56=VENUE, 52=now
//   s.send_bytes(with_bad_checksum(s.build("D", {...})));   // the same number, spoiled
//   auto ack = s.read_until("8", 2s);
//
// Thread rules: one thread.

#include <chrono>
#include <memory>
#include <string>

#include "e2e/support/raw_fix.h"
#include "e2e/support/test_venue.h"

namespace venue::e2e {

// Waits (up to `timeout`) until the operator API's session grid says the session is not logged on.
bool wait_session_logged_out(const TestVenue& venue, const std::string& comp_id,
                             std::chrono::milliseconds timeout = std::chrono::seconds(5));

// The raw Logon fields for a session of the test venue (Username, Password, HeartBtInt).
RawFields raw_logon_fields(const std::string& comp_id, const std::string& password, int heartbeat_seconds = 30,
                           bool reset = false);

class RawSession {
 public:
  RawSession(const TestVenue& venue, const std::string& comp_id, int heartbeat_seconds = 30);
  ~RawSession();
  RawSession(const RawSession&) = delete;
  RawSession& operator=(const RawSession&) = delete;

  // Builds the next message (taking a sequence number) without sending it.
  std::string build(const std::string& type, const RawFields& body);
  // Builds and sends; returns the sequence number used.
  int send(const std::string& type, const RawFields& body);
  void send_bytes(const std::string& bytes) { conn_->send(bytes); }
  // Gives a sequence number back (after a message the venue ignored).
  void unuse_seq() { --next_seq_; }
  std::optional<RawMessage> read_until(const std::string& type, std::chrono::milliseconds timeout) {
    return conn_->read_until(type, timeout);
  }
  RawFixClient& connection() { return *conn_; }
  const RawMessage& venue_logon() const { return logon_; }
  // Sends Logout and waits for the venue's Logout and the close.
  void logout();

 private:
  std::string comp_id_;
  std::unique_ptr<RawFixClient> conn_;
  int next_seq_ = 1;
  RawMessage logon_;
  bool logged_out_ = false;
};

}  // namespace venue::e2e
