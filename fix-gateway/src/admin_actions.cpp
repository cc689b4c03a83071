// What operations can see and do, run on the gateway thread (the facade queues each call there and
// waits for its answer): the sessions' state, the kill switch for a firm or an account (blocks new
// orders and cancels the live ones), and an instrument's trading status.
#include "gateway_impl.h"
#include "venue/common/log.h"

namespace venue::fix_gateway {

namespace m = venue::matcher;

std::vector<SessionStatus> Gateway::Impl::sessions_status() {
  std::vector<SessionStatus> out;
  for (auto& [sid, s] : sessions) {
    SessionStatus st;
    st.sender_comp_id = s.cfg.sender_comp_id;
    const FirmConfig* f = cfg.firm(s.cfg.firm);
    st.firm = f != nullptr ? f->name : "";
    st.role = s.cfg.role == SessionRole::kReadOnly ? "read_only" : "order_entry";
    st.logged_on = s.fix != nullptr && s.fix->isLoggedOn();
    st.peer = acceptor->peer_address(s.id);
    if (s.fix != nullptr) {
      st.next_in = s.fix->getExpectedTargetNum();
      st.next_out = s.fix->getExpectedSenderNum();
    }
    st.throttle_refused = s.throttle.refused();
    st.live_orders = s.orders.live.size();
    out.push_back(std::move(st));
  }
  return out;
}

AdminResult Gateway::Impl::kill_switch(const std::string& firm, const std::string& account, bool release_it) {
  m::MassCancelCmd mc{};
  mc.reason = m::CancelReason::kKillSwitch;
  std::string what;
  if (!firm.empty()) {
    FirmId id;
    for (const auto& f : cfg.firms) {
      if (f.name == firm) id = f.id;
    }
    if (!id.valid()) return {false, "unknown firm " + firm};
    risk.block(id, !release_it);
    mc.firm = id;
    what = "firm " + firm;
  } else if (!account.empty()) {
    const AccountConfig* a = cfg.account(account);
    if (a == nullptr) return {false, "unknown account " + account};
    risk.block(a->id, !release_it);
    mc.account = a->id;
    what = "account " + account;
  } else {
    return {false, "name a firm or an account"};
  }
  VENUE_LOG_KV(warning, release_it ? "kill switch released" : "kill switch engaged", {{"scope", what}});
  if (!release_it) {
    for (std::size_t i = 0; i < shards.size(); ++i) submit(i, m::Command::make(mc));
    flush_outbox();
  }
  return {true, std::string(release_it ? "released " : "blocked and cancelled the live orders of ") + what};
}

AdminResult Gateway::Impl::trading_status(const std::string& symbol, const std::string& status) {
  const auto i = instruments.find(symbol);
  if (!i) return {false, "unknown symbol " + symbol};
  TradingStatus st;
  if (status == "open") {
    st = TradingStatus::kOpen;
  } else if (status == "halted") {
    st = TradingStatus::kHalted;
  } else if (status == "closed") {
    st = TradingStatus::kClosed;
  } else {
    return {false, "status must be open, halted or closed"};
  }
  submit(instruments[*i].shard, m::Command::make(m::TradingStatusCmd{instruments[*i].spec.id, st}));
  flush_outbox();
  return {true, symbol + " -> " + status};
}

}  // namespace venue::fix_gateway
