// Sessions at runtime, on the gateway thread (each call is one short job the operator API queued):
// what operations see of a session, logout, disconnect, disable and enable, sequence numbers, reset and
// lock-outs, and adding, changing and removing sessions while the venue runs. Every change to a session's
// settings (enabled included) is written to <state_dir>/sessions.toml before it takes effect, so a restart
// keeps it (config.h, SessionChanges).
#include <algorithm>
#include <cctype>
#include <ctime>

#include "gateway_impl.h"
#include "venue/common/log.h"
#include "venue/fix_session/session_settings.h"

namespace venue::fix_gateway {

namespace {

AdminResult refused(std::string code, std::string message) {
  AdminResult r;
  r.ok = false;
  r.code = std::move(code);
  r.message = std::move(message);
  return r;
}

AdminResult done(std::string message, nlohmann::json data = nullptr) {
  AdminResult r;
  r.ok = true;
  r.message = std::move(message);
  r.data = std::move(data);
  return r;
}

nlohmann::json iso_time(std::int64_t ns) {
  if (ns == 0) return nullptr;
  const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>((ns / 1'000'000) % 1000));
  return buf;
}

fix_session::LogonRules rules_of(const SessionConfig& sc) {
  fix_session::LogonRules rules{sc.username, sc.password_hash, {}, sc.transport == Transport::kTls, sc.enabled};
  for (const auto& c : sc.allow_from) {
    if (auto cidr = fix_session::parse_cidr(c)) rules.allow.push_back(*cidr);
  }
  return rules;
}

SessionThrottle throttle_of(const SessionConfig& sc) {
  return SessionThrottle(sc.throttle.orders_per_second, sc.throttle.burst, sc.throttle.cancels_per_second,
                         sc.throttle.logout_after_seconds);
}

bool same_throttle(const ThrottleConfig& a, const ThrottleConfig& b) {
  return a.orders_per_second == b.orders_per_second && a.burst == b.burst &&
         a.cancels_per_second == b.cancels_per_second && a.logout_after_seconds == b.logout_after_seconds;
}

}  // namespace

Gateway::Impl::Session* Gateway::Impl::find_session(const std::string& name) {
  for (auto& [id, s] : sessions) {
    if (s.cfg.sender_comp_id == name) return &s;
  }
  if (!name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return std::isdigit(c) != 0; }) &&
      name.size() < 10) {
    return session(SessionId(static_cast<std::uint32_t>(std::stoul(name))));
  }
  return nullptr;
}

void Gateway::Impl::open_session(const SessionConfig& sc) {
  const FIX::SessionID id("FIX.4.4", cfg.comp_id, sc.sender_comp_id);
  if (!fix_settings->has(id)) {
    fix_session::add_session(*fix_settings, cfg.comp_id, sc.sender_comp_id, {.reset_on_logon = sc.reset_on_logon});
  }
  Session& s = sessions[sc.id.value()];
  s.cfg = sc;
  s.id = id;
  s.throttle = throttle_of(sc);
  logon.set(id, rules_of(sc));
  s.counters = metrics.session(sc.sender_comp_id);
  session_index[id] = sc.id.value();
  s.fix = acceptor->find_session(id);
  if (s.fix == nullptr) s.fix = acceptor->add_session(id, fix_settings->get(id));
}

void Gateway::Impl::sample_rates() {
  for (auto& [id, s] : sessions) {
    s.rate_slot = (s.rate_slot + 1) % s.rate_window.size();
    const auto oldest = s.rate_window[s.rate_slot];  // ten samples (seconds) ago
    s.rate_window[s.rate_slot] = {s.msgs_in, s.msgs_out};
    const double span = static_cast<double>(s.rate_window.size());
    s.rate_in = static_cast<double>(s.msgs_in - oldest.first) / span;
    s.rate_out = static_cast<double>(s.msgs_out - oldest.second) / span;
  }
}

nlohmann::json Gateway::Impl::session_config_json(const SessionConfig& c) {
  nlohmann::json accounts = nlohmann::json::array();
  for (const AccountId a : c.accounts) accounts.push_back(account_name(a));
  const FirmConfig* f = cfg.firm(c.firm);
  const char* cod = c.cancel_on_disconnect == CancelOnDisconnect::kAll       ? "all"
                    : c.cancel_on_disconnect == CancelOnDisconnect::kDayOnly ? "day"
                                                                             : "off";
  const char* stp = c.default_stp == StpMode::kCancelNewest         ? "cancel_newest"
                    : c.default_stp == StpMode::kCancelOldest       ? "cancel_oldest"
                    : c.default_stp == StpMode::kCancelBoth         ? "cancel_both"
                    : c.default_stp == StpMode::kDecrementAndCancel ? "decrement_and_cancel"
                                                                    : "none";
  // The password hash is here for a change of other settings to keep it (operator_routes.cpp, PATCH);
  // the API's views take it out before they answer: it never leaves the venue.
  return {{"id", c.id.value()},
          {"password_hash", c.password_hash},
          {"sender_comp_id", c.sender_comp_id},
          {"firm", f != nullptr ? f->name : ""},
          {"role", c.role == SessionRole::kReadOnly ? "read_only" : "order_entry"},
          {"username", c.username},
          {"transport", c.transport == Transport::kTls ? "tls" : "plain"},
          {"allow_from", c.allow_from},
          {"accounts", accounts},
          {"cancel_on_disconnect", cod},
          {"self_trade_prevention", stp},
          {"orders_per_second", c.throttle.orders_per_second},
          {"burst", c.throttle.burst},
          {"cancels_per_second", c.throttle.cancels_per_second},
          {"throttle_logout_after_seconds", c.throttle.logout_after_seconds},
          {"max_heartbeat_seconds", c.heartbeat_seconds_max},
          {"extended_fields", c.extended_fields},
          {"reset_on_logon", c.reset_on_logon},
          {"enabled", c.enabled}};
}

nlohmann::json Gateway::Impl::session_json(const Session& s) {
  const bool on = s.fix != nullptr && s.fix->isLoggedOn();
  nlohmann::json rejects = nlohmann::json::object();
  for (const auto& [code, n] : s.rejects) rejects[std::to_string(code)] = n;
  const FirmConfig* f = cfg.firm(s.cfg.firm);
  const bool changed = std::any_of(session_changes.sessions.begin(), session_changes.sessions.end(),
                                   [&](const SessionConfig& c) { return c.id == s.cfg.id; });
  return {{"id", s.cfg.id.value()},
          {"sender_comp_id", s.cfg.sender_comp_id},
          {"target_comp_id", cfg.comp_id},
          {"firm", f != nullptr ? f->name : ""},
          {"role", s.cfg.role == SessionRole::kReadOnly ? "read_only" : "order_entry"},
          {"state", on ? "logged_on" : (s.cfg.enabled ? "logged_out" : "disabled")},
          {"logged_on", on},
          {"enabled", s.cfg.enabled},
          {"transport", s.cfg.transport == Transport::kTls ? "tls" : "plain"},
          {"peer", acceptor->peer_address(s.id)},
          {"next_in_seq", s.fix != nullptr ? s.fix->getExpectedTargetNum() : 0},
          {"next_out_seq", s.fix != nullptr ? s.fix->getExpectedSenderNum() : 0},
          {"last_activity", iso_time(std::max(s.last_in_ns, s.last_out_ns))},
          {"last_in", iso_time(s.last_in_ns)},
          {"last_out", iso_time(s.last_out_ns)},
          {"messages_in", s.msgs_in},
          {"messages_out", s.msgs_out},
          {"rate_in_per_s", s.rate_in},
          {"rate_out_per_s", s.rate_out},
          {"throttle_refused", s.throttle.refused()},
          {"rejects", rejects},
          {"live_orders", s.orders.live.size()},
          {"changed_at_runtime", changed}};
}

bool Gateway::Impl::persist_changes(SessionChanges next, AdminResult& refusal) {
  try {
    write_session_changes(cfg, next);
  } catch (const std::exception& e) {
    VENUE_LOG_KV(error, "sessions.toml could not be written: the change is refused", {{"error", e.what()}});
    refusal = refused("failed", std::string("the change could not be persisted, nothing changed: ") + e.what());
    return false;
  }
  session_changes = std::move(next);
  return true;
}

AdminResult Gateway::Impl::session_action(const std::string& name, const SessionActionArgs& a) {
  Session* sp = find_session(name);
  if (sp == nullptr) return refused("not_found", "no session " + name);
  Session& s = *sp;
  const std::string comp = s.cfg.sender_comp_id;
  // Every session has its FIX session from open_session() on; a missing one is a venue fault.
  if (s.fix == nullptr) return refused("failed", comp + " has no FIX session");
  const bool on = s.fix->isLoggedOn();
  switch (a.action) {
    case SessionAction::kLogout:
      if (!on) return refused("conflict", comp + " is not logged on");
      s.fix->logout(a.reason.empty() ? "logged out by operations" : a.reason);
      return done(comp + ": Logout sent");
    case SessionAction::kDisconnect:
      if (acceptor->peer_address(s.id).empty()) return refused("conflict", comp + " has no connection");
      s.fix->disconnect();
      return done(comp + ": connection closed");
    case SessionAction::kDisable:
    case SessionAction::kEnable: {
      const bool enable = a.action == SessionAction::kEnable;
      if (s.cfg.enabled == enable) return done(comp + (enable ? " was enabled already" : " was disabled already"));
      SessionConfig next = s.cfg;
      next.enabled = enable;
      AdminResult r = put_session(next, false);
      if (!r.ok) return r;
      if (!enable && on) s.fix->logout(a.reason.empty() ? "session disabled by operations" : a.reason);
      return done(comp + (enable ? ": enabled" : (on ? ": disabled and logged out" : ": disabled")));
    }
    case SessionAction::kSetSequence: {
      if (on) return refused("conflict", comp + " is logged on: log it out (or disable it) first");
      if (a.next_in < 0 || a.next_out < 0 || (a.next_in == 0 && a.next_out == 0)) {
        return refused("invalid", "give next_in and/or next_out, positive sequence numbers");
      }
      if (a.next_out > 0) s.fix->setNextSenderMsgSeqNum(a.next_out);
      if (a.next_in > 0) s.fix->setNextTargetMsgSeqNum(a.next_in);
      store_factory->flush_all();
      return done(comp + ": next in " + std::to_string(s.fix->getExpectedTargetNum()) + ", next out " +
                  std::to_string(s.fix->getExpectedSenderNum()));
    }
    case SessionAction::kReset:
      if (on) return refused("conflict", comp + " is logged on: log it out (or disable it) first");
      s.fix->reset();
      store_factory->flush_all();
      return done(comp + ": sequence numbers reset to 1, stored messages discarded");
    case SessionAction::kUnlock: logon.clear_lockouts(s.id); return done(comp + ": failed-logon lock-outs lifted");
  }
  return refused("invalid", "unknown action");
}

AdminResult Gateway::Impl::put_session(const SessionConfig& c, bool create) {
  Session* existing = session(c.id);
  for (const auto& [id, s] : sessions) {
    if (s.cfg.sender_comp_id == c.sender_comp_id && s.cfg.id != c.id) {
      return refused("conflict", "SenderCompID " + c.sender_comp_id + " is session " + std::to_string(id) + "'s");
    }
  }
  if (create && existing != nullptr) {
    return refused("conflict", "id " + std::to_string(c.id.value()) + " is session " + existing->cfg.sender_comp_id +
                                   "'s: give a new id");
  }
  if (!create && existing == nullptr) return refused("not_found", "no session with id " + std::to_string(c.id.value()));
  if (existing != nullptr) {
    if (existing->cfg.sender_comp_id != c.sender_comp_id) {
      return refused("invalid", "a session's SenderCompID cannot change: remove it and add a new one");
    }
    // Live orders keep the firm and accounts they were entered under (the journal stores them).
    std::map<AccountId, std::size_t> live_by_account;
    for (const auto& [clordid, key] : existing->orders.live) {
      if (const Order* o = orders.find(key)) ++live_by_account[o->account];
    }
    if (c.firm != existing->cfg.firm && !existing->orders.live.empty()) {
      return refused("conflict", std::to_string(existing->orders.live.size()) +
                                     " live orders: the firm can change only when the session has none");
    }
    for (const auto& [account, n] : live_by_account) {
      if (std::find(c.accounts.begin(), c.accounts.end(), account) == c.accounts.end()) {
        return refused("conflict", "account " + account_name(account) + " has " + std::to_string(n) +
                                       " live orders of this session: cancel them before removing it");
      }
    }
  }
  SessionChanges next = session_changes;
  std::erase_if(next.sessions, [&](const SessionConfig& s) { return s.id == c.id; });
  std::erase(next.removed, c.id);
  next.sessions.push_back(c);
  if (create) {
    // The FIX session first (QuickFIX may refuse its settings), then the file, then the rest.
    try {
      const FIX::SessionID id("FIX.4.4", cfg.comp_id, c.sender_comp_id);
      if (!fix_settings->has(id)) {
        fix_session::add_session(*fix_settings, cfg.comp_id, c.sender_comp_id, {.reset_on_logon = c.reset_on_logon});
      }
      if (acceptor->find_session(id) == nullptr) acceptor->add_session(id, fix_settings->get(id));
    } catch (const std::exception& e) {
      return refused("failed", std::string("the FIX session could not be created: ") + e.what());
    }
    AdminResult failure;
    if (!persist_changes(std::move(next), failure)) {
      acceptor->remove_session(FIX::SessionID("FIX.4.4", cfg.comp_id, c.sender_comp_id));
      return failure;
    }
    open_session(c);
    cfg.sessions.push_back(c);
    VENUE_LOG_KV(warning, "session added at runtime", {{"session", c.sender_comp_id}, {"id", c.id.value()}});
    return done("session " + c.sender_comp_id + " added", session_json(sessions.at(c.id.value())));
  }
  AdminResult failure;
  if (!persist_changes(std::move(next), failure)) return failure;
  Session& s = *existing;
  const bool throttle_changed = !same_throttle(s.cfg.throttle, c.throttle);
  s.cfg = c;
  logon.set(s.id, rules_of(c));  // lock-outs kept; applies to the next Logon
  if (throttle_changed) s.throttle = throttle_of(c);
  for (auto& sc : cfg.sessions) {
    if (sc.id == c.id) sc = c;
  }
  VENUE_LOG_KV(warning, "session changed at runtime", {{"session", c.sender_comp_id}, {"id", c.id.value()}});
  return done("session " + c.sender_comp_id + " changed", session_json(s));
}

AdminResult Gateway::Impl::remove_session(const std::string& name) {
  Session* sp = find_session(name);
  if (sp == nullptr) return refused("not_found", "no session " + name);
  Session& s = *sp;
  const std::string comp = s.cfg.sender_comp_id;
  if (s.fix != nullptr && s.fix->isLoggedOn()) {
    return refused("conflict", comp + " is logged on: log it out or disable it first");
  }
  if (!s.orders.live.empty()) {
    return refused("conflict", comp + " has " + std::to_string(s.orders.live.size()) +
                                   " live orders: cancel them first (kill switch of its accounts, or the broker's "
                                   "mass cancel); the journal keeps each order's session (spec/venue-config.md, Ids)");
  }
  if (sessions.size() == 1) return refused("conflict", comp + " is the venue's last session");
  const SessionId id = s.cfg.id;
  SessionChanges next = session_changes;
  std::erase_if(next.sessions, [&](const SessionConfig& c) { return c.id == id; });
  if (std::find(next.removed.begin(), next.removed.end(), id) == next.removed.end()) next.removed.push_back(id);
  AdminResult failure;
  if (!persist_changes(std::move(next), failure)) return failure;
  acceptor->remove_session(s.id);
  logon.erase(s.id);
  session_index.erase(s.id);
  sessions.erase(id.value());
  std::erase_if(cfg.sessions, [&](const SessionConfig& c) { return c.id == id; });
  VENUE_LOG_KV(warning, "session removed at runtime", {{"session", comp}, {"id", id.value()}});
  return done("session " + comp + " removed");
}

}  // namespace venue::fix_gateway
