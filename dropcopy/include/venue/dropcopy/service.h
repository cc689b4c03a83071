#pragma once
// The drop-copy service: reads the venue's execution reports from Kafka and copies each to every
// drop-copy FIX session whose scope (all, firms, accounts) and level (all, fills) it matches, with
// CopyMsgIndicator(797)=Y and VenueSequence(8001).
//
//   Kafka (venue.execution-reports) --> Service (one thread) --> FIX sessions (FileStore each)
//
// Nothing is lost: a copy is stored in the session's FileStore by QuickFIX before the Kafka offset past
// it is committed, so after a crash the service re-reads exactly what it may not have stored. A client
// that was offline gets what it missed by FIX resend on logon (PossDupFlag=Y). After a restart the
// service reads the VenueSequence of each session's most recent copies from its store and does not
// copy those again, so a crash produces no duplicate. Reports the venue itself sent again after a crash
// keep their PossResend(97)=Y on the copy. A session whose store is behind (lost, restored, new, or
// emptied by a ResetSeqNumFlag Logon) is caught up from Kafka first, copies marked PossResend(97)=Y
// (dropcopy/README.md, "Catch-up from Kafka").
//
// Clients are read-only: any application message they send is refused (BusinessMessageReject 380=6).
// Logon security is the venue's (Username/Password against a salted hash, allow-lists, TLS).
//
// Thread rules: construct, start(), run() from one thread; request_stop() from any thread.

#include <prometheus/registry.h>
#include <cstdint>
#include <memory>
#include <string>

#include "venue/dropcopy/config.h"

namespace venue::dropcopy {

class Service {
 public:
  Service(Config config, std::shared_ptr<prometheus::Registry> registry);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  void start();
  void run();
  void request_stop();
  bool ready() const;
  std::uint16_t fix_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace venue::dropcopy
