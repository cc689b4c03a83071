#pragma once
// VenueAcceptor: the venue's FIX acceptor. It is a QuickFIX Acceptor (sessions, message stores,
// dictionary validation, the whole session layer are QuickFIX's) with the venue's own socket layer
// instead of QuickFIX's SocketAcceptor, because the venue must do things SocketAcceptor cannot:
//
//   - refuse a Logon before QuickFIX sees it: unknown CompIDs, a source address not on the session's
//     allow-list, the wrong listener (plain vs TLS), a wrong Username(553)/Password(554) or a session
//     already connected. A refused Logon gets a Logout with the reason and is never handed to QuickFIX,
//     so nothing it asks for (ResetSeqNumFlag, its MsgSeqNum) takes effect: QuickFIX would apply
//     ResetSeqNumFlag before authenticating. The refusal's Logout carries the session's next outgoing
//     number and uses it up (nothing is stored under it: a resend gap-fills it), so a client that counts
//     the Logout and one that does not both stay in step; while the session is logged on from another
//     connection its numbers are left alone;
//   - check passwords (slow on purpose) on another thread while the FIX thread keeps serving;
//   - serve plain and TLS (OpenSSL) listeners side by side from one thread;
//   - batch output: messages a loop turn produces for a connection leave in one write;
//   - bound everything a client can make the venue hold: message size, unsent output (a reader too slow
//     is disconnected; its messages stay in the store for resend);
//   - be woken through an eventfd, so the gateway loop can block in poll() without adding latency.
//
// Use: construct, then poll(timeout) from one thread (the gateway thread), send through QuickFIX
// sessions as usual, flush() after sending, stop(true) at the end.
//
// Sessions at runtime: QuickFIX's Acceptor knows only the sessions of the settings it was built with.
// add_session() creates a further session (its own QuickFIX Session and message store) while the
// acceptor runs, remove_session() closes a session's connection and forgets it (configured or added);
// find_session() sees both kinds. Logons, timers and lookups use find_session(), never the base class's
// getSession(), which knows only the configured ones.
//
// Thread rules: everything on the thread that calls poll(); wake() from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <span>

#include "venue/fix_session/out_message.h"
#include "venue/fix_session/quickfix.h"

namespace venue::fix_session {

class PasswordChecker;

struct AcceptorSettings {
  std::uint16_t plain_port = 0;           // 0: no plain listener
  std::uint16_t tls_port = 0;             // 0: no TLS listener
  std::string plain_address = "0.0.0.0";  // IPv4 address each listener binds (0.0.0.0: every interface)
  std::string tls_address = "0.0.0.0";
  std::string tls_certificate;
  std::string tls_private_key;
  std::size_t max_message_bytes = 64 * 1024;
  std::size_t max_output_bytes = 64 * 1024 * 1024;
  std::string comp_id;  // ours, for Logouts to refused logons
  // A connection that has not completed a Logon this long after it was accepted is closed (silent
  // clients, TLS to the plain port, port scanners).
  std::chrono::milliseconds logon_timeout{10'000};
  // Bounds on what clients that have not logged on can cost (anyone who reaches the port is one):
  // connections not yet logged on (more are closed as they are accepted), password checks waiting or
  // running (more Logons are refused "busy, retry"), and messages held while a Logon's password is
  // checked (more close the connection).
  std::size_t max_pending_logons = 256;
  std::size_t max_password_checks = 32;
  std::size_t max_held_messages = 64;
  // Bytes read from one connection per turn of the loop: one fast client cannot starve the others (nor
  // the engine's output, drained between turns). The rest is read on the next turn.
  std::size_t read_budget_bytes = 256 * 1024;
  // Application message types the venue handles. Any other FIX 4.4 application type is answered with
  // a BusinessMessageReject(380=3) instead of QuickFIX's session Reject (the dictionary does not know it).
  std::vector<std::string> supported_app_types;
  // Application message types taken straight from their text when they are plainly in order (see
  // VenueAcceptor::Impl::take_direct in acceptor_direct_in.cpp): in sequence, from the right CompIDs,
  // no PossDup, every field one the data dictionary allows for the type, with a value of its type, the
  // required ones present. The application gets them through fromApp as from QuickFIX; anything else
  // goes through QuickFIX's session layer. Empty: every message goes through QuickFIX.
  std::vector<std::string> direct_app_types;
};

// The gateway's say on a Logon, asked before QuickFIX sees it.
class LogonGate {
 public:
  virtual ~LogonGate() = default;
  struct Verdict {
    bool ok = false;
    std::string reason;         // for the Logout's Text when refused
    std::string password_hash;  // to check the password against when ok
    // Refuse with `reason` once the password check is done, whatever its result (a wrong Username gets
    // the same PBKDF2 work, against a decoy hash, as a wrong password: no timing oracle).
    bool refuse_after_check = false;
  };
  virtual Verdict admit(const FIX::SessionID& id, std::string_view address, bool tls, std::string_view username,
                        bool has_password) = 0;
  virtual void refused(const FIX::SessionID* id, std::string_view address, std::string_view reason) = 0;
  virtual void authenticated(const FIX::SessionID& id, std::string_view address, bool tls) = 0;
};

struct AcceptorCounters {
  std::uint64_t connections = 0;
  std::uint64_t logons_refused = 0;
  std::uint64_t framing_errors = 0;
  std::uint64_t oversized = 0;
  std::uint64_t slow_consumers = 0;
  std::uint64_t tls_handshake_failures = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t writes = 0;
  std::uint64_t unsupported_messages = 0;
  std::uint64_t logon_timeouts = 0;
  std::uint64_t connections_shed = 0;  // closed at accept: too many connections not logged on
  std::uint64_t read_budget_hits = 0;  // a connection's turn ended with input still waiting
  std::uint64_t direct_in = 0;         // application messages taken from their text (direct_app_types)
  std::uint64_t direct_out = 0;        // application messages sent from their text (send_app)
};

// The acceptor's counters on /metrics, as `<prefix>_acceptor_events_total{event="..."}` (connections,
// refused logons, logon timeouts, framing errors, oversized messages, slow consumers, TLS handshake
// failures, unsupported messages) and `<prefix>_acceptor_bytes_total{direction="in"|"out"}`. update()
// adds what changed since the last call; call it from the acceptor's thread.
class AcceptorMetrics {
 public:
  AcceptorMetrics(prometheus::Registry& registry, const std::string& prefix);
  void update(const AcceptorCounters& now);

 private:
  std::vector<std::pair<std::uint64_t AcceptorCounters::*, prometheus::Counter*>> counters_;
  AcceptorCounters last_;
};

class VenueAcceptor final : public FIX::Acceptor {
 public:
  VenueAcceptor(FIX::Application& app, FIX::MessageStoreFactory& stores, const FIX::SessionSettings& settings,
                FIX::LogFactory& logs, AcceptorSettings acceptor, LogonGate& gate);
  ~VenueAcceptor() override;

  // Writes what sessions sent since the last flush. poll() flushes too.
  void flush();
  // Wakes a poll() blocked waiting (any thread).
  void wake();
  const AcceptorCounters& counters() const { return counters_; }
  std::uint16_t plain_port() const;
  std::uint16_t tls_port() const;
  // The peer address of a session's live connection, "" when none.
  std::string peer_address(const FIX::SessionID& id) const;

  // Adds a session while the acceptor runs. `settings` is the session's complete dictionary (e.g.
  // FIX::SessionSettings::get(id) after add_session() of session_settings.h). A session removed earlier
  // comes back (a configured one as the same QuickFIX Session, with its store). Throws FIX::ConfigError
  // when the session exists or QuickFIX refuses the settings.
  FIX::Session* add_session(const FIX::SessionID& id, const FIX::Dictionary& settings);
  // Closes the session's connection, if any (without a Logout: log it out first for one), and forgets
  // the session: its Logons are refused as unknown CompIDs. False when there is no such session.
  bool remove_session(const FIX::SessionID& id);
  // A configured or added session that was not removed; null otherwise.
  FIX::Session* find_session(const FIX::SessionID& id) const;
  // Every session find_session() knows.
  std::vector<FIX::SessionID> session_ids() const;

  // Sends an application message as QuickFIX's Session::send would (header: BeginString, the CompIDs,
  // the next MsgSeqNum, SendingTime at the session's precision, PossResend(97)=Y when `poss_resend`;
  // stored under its number before the number moves on; queued for the connection's next write), but
  // from the message's text, without QuickFIX's Message objects (they cost the venue about half of its
  // FIX thread at full load). Fields in `withheld` are left out of what is sent; `record` gets the
  // message as sent with them put back (what the venue keeps of it).
  // Returns false, having done nothing, when QuickFIX must send it instead: the session is not logged
  // on through this acceptor (QuickFIX decides what is stored while logged off), or QuickFIX itself has
  // not sent on the session for a second (its heartbeat timer counts from its own sends, so at least one
  // message a second goes through it and no needless Heartbeat is sent).
  bool send_app(FIX::Session& session, const OutMessage& msg, std::span<const int> withheld, bool poss_resend,
                std::string& record);

 private:
  struct Connection;
  struct Impl;

  void onConfigure(const FIX::SessionSettings&) QF_THROW(FIX::ConfigError) override;
  void onInitialize(const FIX::SessionSettings&) QF_THROW(FIX::RuntimeError) override;
  void onStart() override;
  bool onPoll(double timeout) override;
  void onStop() override;

  std::unique_ptr<Impl> impl_;
  LogonGate& gate_;
  AcceptorCounters counters_;
};

}  // namespace venue::fix_session
