#pragma once
// JsonLogFactory: QuickFIX's session log, written to the process's JSON-lines log. Session events
// (logon, logout, resets, rejects, errors) are logged; the messages themselves are not (they are in the
// message store, and logging each one would cost a write per message).
//
// Thread rules: QuickFIX calls it on the thread that runs the sessions.

#include "venue/fix_session/quickfix.h"

namespace venue::fix_session {

class JsonLogFactory final : public FIX::LogFactory {
 public:
  FIX::Log* create() override;
  FIX::Log* create(const FIX::SessionID& id) override;
  void destroy(FIX::Log* log) override { delete log; }
};

}  // namespace venue::fix_session
