#pragma once
// A broker's FIX engine for the end-to-end tests: a QuickFIX 1.15.1 initiator (SocketInitiator, or
// SSLSocketInitiator over TLS) with a FileStore, so sequence numbers survive reconnects like a real
// broker's. Its Application adds Username(553)/Password(554) to the Logon and keeps every message that
// arrives (admin and application) in order; tests wait for the one they expect.
//
//   FixClient c({.sender = "BRK1", .port = fix_port, .username = "brk1", .password = "pw", .dir = tmp});
//   c.logon();                                   // throws if not logged on in time
//   c.send(new_order({...}));
//   FIX::Message ack = c.expect(er("A1", "0"));  // throws (listing what did arrive) on timeout
//   c.drop();                                    // TCP connection cut, no Logout (like a crash)
//   c.logon();                                   // again; QuickFIX asks for what it missed
//
// The initiator runs in QuickFIX's poll mode on a thread of this class, so a graceful logout or a drop
// takes milliseconds (SocketInitiator's own thread only wakes once a second). It never reconnects by
// itself: logon() connects. The client's side validates nothing (UseDataDictionary=N) unless given a
// dictionary, so tests see exactly what the venue sent.
//
// Thread rules: construct, logon, logout, drop and destroy from one thread (the test's); send, expect,
// wait_for and messages from any thread. QuickFIX calls the Application on the poll thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <quickfix/Application.h>
#include <quickfix/Initiator.h>
#include <quickfix/Log.h>
#include <quickfix/MessageStore.h>
#include <quickfix/SessionID.h>
#include <quickfix/SessionSettings.h>

#include "e2e/support/messages.h"

namespace venue::e2e {

using namespace std::chrono_literals;

struct ClientOptions {
  std::string sender;  // our SenderCompID (the venue's TargetCompID)
  std::string target = "VENUE";
  std::uint16_t port = 0;
  std::string username;  // empty: Username(553) left out
  std::string password;  // empty: Password(554) left out
  bool tls = false;
  int heartbeat_seconds = 5;
  bool reset_seq_num = false;  // ResetSeqNumFlag(141)=Y on the Logon
  std::filesystem::path dir;   // FileStore and FileLog go under dir/<sender>
  // A FIX 4.4 dictionary to validate what arrives against, as a broker's engine does with its defaults
  // (QuickFIX/J's: user-defined and unknown fields refused, fields in order, values present): a message
  // that fails is answered with a session Reject and never reaches the test. Empty: nothing validated.
  std::filesystem::path dictionary;
};

struct Received {
  FIX::Message msg;
  std::chrono::steady_clock::time_point at;
};

class FixClient final : public FIX::Application {
 public:
  explicit FixClient(ClientOptions options);
  ~FixClient() override;
  FixClient(const FixClient&) = delete;
  FixClient& operator=(const FixClient&) = delete;

  // Connects and waits for the venue's Logon. Throws std::runtime_error (with what arrived) if not
  // logged on within `timeout`.
  void logon(std::chrono::milliseconds timeout = 10s);
  // Connects without waiting (for logons the venue refuses).
  void connect();
  bool wait_logged_on(std::chrono::milliseconds timeout);
  // Sends Logout and waits for the venue's answer and the disconnect.
  void logout(std::chrono::milliseconds timeout = 5s);
  // Cuts the TCP connection without a Logout, as a crashed client or a broken network would.
  void drop();
  // Forgets a connection the venue already ended (its Logout, or a disconnect), so logon() can connect
  // again.
  void close();
  bool logged_on() const { return logged_on_.load(); }
  // Waits until the session is no longer logged on.
  bool wait_logged_out(std::chrono::milliseconds timeout);

  // Sends through the session (stored, sequence-numbered). Throws if the session does not exist.
  void send(FIX::Message msg);

  // The first message (from index `from` on) that matches; nullopt after `timeout`.
  std::optional<FIX::Message> wait_for(const std::function<bool(const FIX::Message&)>& pred,
                                       std::chrono::milliseconds timeout = 5s, std::size_t from = 0) const;
  // Like wait_for, but throws std::runtime_error naming `what` and listing the last messages received.
  FIX::Message expect(const Match& m, std::chrono::milliseconds timeout = 5s, std::size_t from = 0) const;
  // True if nothing matching arrives within `quiet` (from index `from` on).
  bool none_within(const Match& m, std::chrono::milliseconds quiet, std::size_t from = 0) const;
  // Every matching message received so far.
  std::vector<FIX::Message> all(const std::function<bool(const FIX::Message&)>& pred) const;
  std::vector<Received> received() const;
  // Messages this client sent (admin and application), in order.
  std::vector<FIX::Message> sent() const;
  std::size_t count() const;
  std::string recent(std::size_t n = 15) const;

  const FIX::SessionID& session_id() const { return id_; }
  const ClientOptions& options() const { return options_; }
  // The sequence numbers in the client's store (next to send, next expected from the venue).
  int next_sender_seq() const;
  int next_target_seq() const;

  // FIX::Application
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID&) override;
  void onLogout(const FIX::SessionID&) override;
  void toAdmin(FIX::Message&, const FIX::SessionID&) override;
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override;
  void fromAdmin(const FIX::Message&, const FIX::SessionID&) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                                                   FIX::IncorrectTagValue, FIX::RejectLogon) override;
  void fromApp(const FIX::Message&, const FIX::SessionID&) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                                                 FIX::IncorrectTagValue,
                                                                 FIX::UnsupportedMessageType) override;

 private:
  void record_in(const FIX::Message& m);
  void record_out(const FIX::Message& m);
  void stop_polling();
  void destroy_initiator();

  ClientOptions options_;
  FIX::SessionID id_;
  std::filesystem::path dir_;
  std::unique_ptr<FIX::SessionSettings> settings_;
  std::unique_ptr<FIX::MessageStoreFactory> stores_;
  std::unique_ptr<FIX::LogFactory> logs_;
  std::unique_ptr<FIX::Initiator> initiator_;
  std::uint16_t source_port_ = 0;
  std::thread poller_;
  std::atomic<bool> polling_{false};
  std::atomic<bool> logged_on_{false};
  std::atomic<std::uint64_t> activity_{0};

  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<Received> in_;
  std::vector<FIX::Message> out_;
};

// Sends an order and returns its acknowledgement (ExecType 0).
inline FIX::Message place(FixClient& c, const OrderFields& o) {
  c.send(new_order(o));
  return c.expect(er(o.clordid, "0"));
}

}  // namespace venue::e2e
