// Pre-trade risk checks and the state they keep (pre_trade_risk.h). Gateway thread.
#include "venue/fix_gateway/pre_trade_risk.h"

namespace venue::fix_gateway {

__int128 PreTradeRisk::notional_units(const Instrument& in, std::int64_t lots, std::int64_t ticks) {
  if (ticks <= 0 || lots <= 0) return 0;
  return static_cast<__int128>(ticks) * in.spec.tick_size.units() * lots * in.spec.lot_size.units() / Decimal::kOne;
}

std::int64_t PreTradeRisk::judging_price(const Instrument& in) {
  return in.last_trade > 0 ? in.last_trade : in.spec.reference_price.count();
}

void PreTradeRisk::block(FirmId firm, bool on, const std::string& reason) {
  if (on) {
    blocked_firms_[firm.value()] = reason;
  } else {
    blocked_firms_.erase(firm.value());
  }
}

void PreTradeRisk::block(AccountId account, bool on, const std::string& reason) {
  if (on) {
    blocked_accounts_[account.value()] = reason;
  } else {
    blocked_accounts_.erase(account.value());
  }
}

__int128 PreTradeRisk::open(AccountId account) const {
  const auto it = open_.find(account.value());
  return it == open_.end() ? 0 : it->second;
}

RejectCode PreTradeRisk::check(FirmId session_firm, const AccountConfig& acct, const Instrument& in, const Order& order,
                               std::string& detail, __int128& units) const {
  for (const auto* found :
       {blocked_accounts_.contains(acct.id.value()) ? &blocked_accounts_.at(acct.id.value()) : nullptr,
        blocked_firms_.contains(acct.firm.value()) ? &blocked_firms_.at(acct.firm.value()) : nullptr,
        blocked_firms_.contains(session_firm.value()) ? &blocked_firms_.at(session_firm.value()) : nullptr}) {
    if (found != nullptr) {
      detail = *found;
      return RejectCode::kKillSwitchActive;
    }
  }
  if (acct.limits.max_order_qty_lots > 0 && order.qty > acct.limits.max_order_qty_lots) {
    detail = "limit " + std::to_string(acct.limits.max_order_qty_lots) + " lots";
    return RejectCode::kMaxOrderQtyExceeded;
  }
  const std::int64_t at = order.type == OrdType::kLimit || order.type == OrdType::kStopLimit ? order.price
                          : order.type == OrdType::kStop                                     ? order.stop
                                                                                             : judging_price(in);
  if (at <= 0 && (acct.limits.max_order_notional || acct.limits.credit_limit)) {
    // A market order with neither a last trade nor a reference price has no value to check against the
    // account's notional and credit limits: refused rather than let through as worth nothing.
    detail = "no last trade or reference price to value it against the account's limits";
    return RejectCode::kMarketOrderNoReference;
  }
  units = notional_units(in, order.qty, at);
  if (acct.limits.max_order_notional && at > 0 && units > acct.limits.max_order_notional->units()) {
    detail = "limit " + acct.limits.max_order_notional->to_string();
    return RejectCode::kMaxNotionalExceeded;
  }
  if (collar_bps_ > 0 && (order.type == OrdType::kLimit || order.type == OrdType::kStopLimit)) {
    const std::int64_t ref = judging_price(in);
    if (ref > 0) {
      const __int128 diff = order.price > ref ? order.price - ref : ref - order.price;
      if (diff * 10'000 > static_cast<__int128>(ref) * collar_bps_) {
        detail = "collar " + std::to_string(collar_bps_) + " bps around " +
                 to_decimal(Price(ref), in.spec.tick_size).value().to_string();
        return RejectCode::kPriceCollar;
      }
    }
  }
  if (acct.limits.credit_limit) {
    if (open(acct.id) - order.previous_units + units > acct.limits.credit_limit->units()) {
      detail = "limit " + acct.limits.credit_limit->to_string();
      return RejectCode::kCreditLimitExceeded;
    }
  }
  return RejectCode::kNone;
}

}  // namespace venue::fix_gateway
