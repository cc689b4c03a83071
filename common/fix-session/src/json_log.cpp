#include "venue/fix_session/json_log.h"

#include "venue/common/log.h"

namespace venue::fix_session {

namespace {

class JsonLog final : public FIX::Log {
 public:
  explicit JsonLog(std::string session) : session_(std::move(session)) {}
  void clear() override {}
  void backup() override {}
  void onIncoming(const std::string&) override {}
  void onOutgoing(const std::string&) override {}
  void onEvent(const std::string& text) override {
    VENUE_LOG_KV(info, "fix session event", {{"session", session_}, {"event", text}});
  }

 private:
  std::string session_;
};

}  // namespace

FIX::Log* JsonLogFactory::create() { return new JsonLog("acceptor"); }
FIX::Log* JsonLogFactory::create(const FIX::SessionID& id) { return new JsonLog(id.toString()); }

}  // namespace venue::fix_session
