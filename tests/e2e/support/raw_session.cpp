#include "e2e/support/raw_session.h"

#include <cctype>
#include <stdexcept>
#include <thread>

namespace venue::e2e {

bool wait_session_logged_out(const TestVenue& venue, const std::string& comp_id, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (!venue.session(comp_id).value("logged_on", true)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

RawFields raw_logon_fields(const std::string& comp_id, const std::string& password, int heartbeat_seconds, bool reset) {
  std::string user = comp_id;
  for (char& c : user) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  RawFields f{{98, "0"}, {108, std::to_string(heartbeat_seconds)}};
  if (reset) f.emplace_back(141, "Y");
  f.emplace_back(553, user);
  f.emplace_back(554, password);
  return f;
}

RawSession::RawSession(const TestVenue& venue, const std::string& comp_id, int heartbeat_seconds) : comp_id_(comp_id) {
  // A previous raw connection of this session may still be closing on the venue's side.
  wait_session_logged_out(venue, comp_id);
  conn_ = std::make_unique<RawFixClient>(venue.fix_port());
  send("A", raw_logon_fields(comp_id, kPassword, heartbeat_seconds, true));
  auto logon = conn_->read(std::chrono::seconds(5));
  if (!logon || logon->type() != "A") {
    throw std::runtime_error(comp_id + ": raw logon not answered with a Logon: " +
                             (logon ? printable(logon->text) : std::string("nothing")));
  }
  logon_ = *logon;
}

RawSession::~RawSession() {
  try {
    logout();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "e2e: raw session %s: %s\n", comp_id_.c_str(), e.what());
  }
}

std::string RawSession::build(const std::string& type, const RawFields& body) {
  return raw_message(type, next_seq_++, comp_id_, "VENUE", body);
}

int RawSession::send(const std::string& type, const RawFields& body) {
  const int seq = next_seq_;
  conn_->send(build(type, body));
  return seq;
}

void RawSession::logout() {
  if (logged_out_) return;
  logged_out_ = true;
  if (conn_->closed()) return;
  try {
    send("5", {});
  } catch (const std::exception&) {
    return;  // already closed by the venue
  }
  conn_->closed_within(std::chrono::seconds(3));
}

}  // namespace venue::e2e
