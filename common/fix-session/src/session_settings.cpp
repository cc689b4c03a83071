#include "venue/fix_session/session_settings.h"

namespace venue::fix_session {

FIX::Dictionary acceptor_defaults(const AcceptorDefaults& d) {
  FIX::Dictionary s;
  s.setString("ConnectionType", "acceptor");
  s.setString("BeginString", "FIX.4.4");
  s.setString("SenderCompID", d.comp_id);
  s.setString("StartTime", d.session_start_time);
  s.setString("EndTime", d.session_end_time);
  s.setString("UseDataDictionary", "Y");
  s.setString("DataDictionary", d.data_dictionary.string());
  s.setString("ValidateUserDefinedFields", "Y");
  s.setString("AllowUnknownMsgFields", "N");
  s.setString("ValidateFieldsHaveValues", "Y");
  s.setString("ValidateFieldsOutOfOrder", d.validate_field_order ? "Y" : "N");
  s.setString("PersistMessages", "Y");
  s.setString("FileStorePath", d.store_dir.string());
  s.setString("ResetOnLogon", "N");
  s.setString("ResetOnLogout", "N");
  s.setString("ResetOnDisconnect", "N");
  s.setString("RefreshOnLogon", "N");
  s.setString("CheckLatency", "Y");
  s.setString("MaxLatency", "120");
  s.setString("TimeStampPrecision", "3");
  return s;
}

FIX::SessionID add_session(FIX::SessionSettings& settings, const std::string& comp_id,
                           const std::string& counterparty_comp_id, const SessionOptions& options) {
  FIX::SessionID id("FIX.4.4", comp_id, counterparty_comp_id);
  FIX::Dictionary d;
  d.setString("TargetCompID", counterparty_comp_id);
  if (options.reset_on_logon) d.setString("ResetOnLogon", "Y");
  settings.set(id, d);
  return id;
}

}  // namespace venue::fix_session
