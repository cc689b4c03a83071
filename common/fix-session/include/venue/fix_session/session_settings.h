#pragma once
// The QuickFIX settings of the venue's acceptors, built in one place for every process that accepts FIX
// sessions (order entry, drop copy): FIX 4.4, this side's CompID, the session schedule, the venue's data
// dictionary with strict validation, every message persisted (ExecutionReports must stay resendable), no
// sequence reset on logon, logout or disconnect, millisecond timestamps.
//
//   FIX::SessionSettings settings;
//   settings.set(acceptor_defaults({.comp_id = "VENUE", ...}));
//   const FIX::SessionID id = add_session(settings, "VENUE", "BRK1");
//
// Thread rules: pure functions.

#include <filesystem>
#include <string>

#include "venue/fix_session/quickfix.h"

namespace venue::fix_session {

struct AcceptorDefaults {
  std::string comp_id;                          // our SenderCompID(49)
  std::string session_start_time = "00:00:00";  // UTC; sequence numbers reset when a session day starts
  std::string session_end_time = "00:00:00";    // UTC; equal to the start: a 24-hour day
  std::filesystem::path data_dictionary;
  std::filesystem::path store_dir;
  // false: fields out of the dictionary's order are accepted (QuickFIX's ValidateFieldsOutOfOrder=N).
  bool validate_field_order = true;
};

FIX::Dictionary acceptor_defaults(const AcceptorDefaults& d);

struct SessionOptions {
  bool reset_on_logon = false;  // every Logon starts both sides at 1 (QuickFIX ResetOnLogon=Y)
};

// Adds the session between us (`comp_id`) and a counterparty (`counterparty_comp_id`, its SenderCompID)
// and returns its id.
FIX::SessionID add_session(FIX::SessionSettings& settings, const std::string& comp_id,
                           const std::string& counterparty_comp_id, const SessionOptions& options = {});

}  // namespace venue::fix_session
