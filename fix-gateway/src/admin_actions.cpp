// What operations can do to trading, run on the gateway thread (the facade queues each call there and
// waits for its answer): the kill switch for a firm or an account (blocks new orders and cancels the live
// ones; blocks.h), and an instrument's trading status. Sessions: admin_sessions.cpp; views: admin_views.cpp.
#include "gateway_impl.h"
#include "venue/common/log.h"

namespace venue::fix_gateway {

namespace m = venue::matcher;

std::shared_ptr<Gateway::Impl::KillWait> Gateway::Impl::apply_block(const BlockCommand& c, BlockOutcome& out) {
  const auto refuse = [&](std::string why) -> std::shared_ptr<KillWait> {
    out.result = "refused";
    out.reason = std::move(why);
    return nullptr;
  };
  FirmId firm;
  for (const auto& f : cfg.firms) {
    if (f.name == c.firm) firm = f.id;
  }
  if (!firm.valid()) return refuse("unknown firm " + c.firm);
  AccountId account;
  if (c.on_account()) {
    const AccountConfig* a = cfg.account(c.account);
    if (a == nullptr) return refuse("unknown account " + c.account);
    if (a->firm != firm) return refuse("account " + c.account + " is not of firm " + c.firm);
    account = a->id;
  }
  const std::int64_t now_ms = wall_ns() / 1'000'000;
  BlockBook::Decision decision{};
  try {
    decision = blocks->decide(c, firm, account, now_ms);
  } catch (const std::exception& e) {
    VENUE_LOG_KV(error, "a block could not be saved: not applied", {{"command_id", c.id}, {"error", e.what()}});
    return refuse(std::string("the venue could not save the block: ") + e.what());
  }
  out.applied_at_ms = now_ms;
  if (decision == BlockBook::Decision::kDuplicate) {
    out.result = "duplicate";
    return nullptr;
  }
  if (decision == BlockBook::Decision::kStale) {
    out.result = "stale";
    out.reason = "issued before the last command applied to this " + std::string(c.on_account() ? "account" : "firm");
    return nullptr;
  }
  out.result = "applied";
  const std::string scope = c.on_account() ? "account " + c.account : "firm " + c.firm;
  const std::string reason = c.reason.empty() ? c.issuer : c.reason;
  if (c.on_account()) {
    risk.block(account, c.is_block(), reason);
  } else {
    risk.block(firm, c.is_block(), reason);
  }
  VENUE_LOG_KV(
      warning, c.is_block() ? "trading blocked (kill switch)" : "trading block released",
      {{"scope", scope}, {"command_id", c.id}, {"issuer", c.issuer}, {"reason", c.reason}, {"details", c.details}});
  if (!c.is_block()) return nullptr;
  return cancel_in_scope(firm, c.on_account() ? account : AccountId(), reason);
}

// Cancels every live order of a blocked firm or account, on every shard; the wait completes when each
// engine has reported its cancels.
std::shared_ptr<Gateway::Impl::KillWait> Gateway::Impl::cancel_in_scope(FirmId firm, AccountId account,
                                                                        const std::string& reason) {
  m::MassCancelCmd mc{};
  mc.reason = m::CancelReason::kKillSwitch;
  if (account.valid()) {
    mc.account = account;
  } else {
    mc.firm = firm;
  }
  mc.client_ref = orders.next_ref();
  auto wait = std::make_shared<KillWait>();
  wait->pending = shards.size();
  wait->reason = reason;
  kill_waits[mc.client_ref] = wait;
  for (std::size_t i = 0; i < shards.size(); ++i) submit(i, m::Command::make(mc));
  flush_outbox();
  return wait;
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
  // In force from this answer on: the gateway's copy changes now (it refuses or admits the next order at
  // once), and the engine's command is queued before any order that arrives after it, so the engine
  // agrees with every order it sees.
  instruments[*i].status = st;
  submit(instruments[*i].shard, m::Command::make(m::TradingStatusCmd{instruments[*i].spec.id, st}));
  flush_outbox();
  return {true, symbol + " -> " + status};
}

}  // namespace venue::fix_gateway
