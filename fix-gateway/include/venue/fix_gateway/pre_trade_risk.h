#pragma once
// Pre-trade risk: the checks a new order or a replace passes before it reaches the engine, in this order:
//
//   1. kill switch: the account, the account's firm or the session's firm is blocked (2040);
//   2. maximum order quantity of the account (lots);
//   3. maximum order notional of the account: quantity at the limit price (limit, stop-limit), the stop
//      price (stop) or, for a market order, the last trade price, else the reference price; a market
//      order with neither, for an account with a notional or credit limit, is refused (1042);
//   4. price collar: a limit price further than [risk] price_collar_bps from the last trade price (else
//      the reference price) is refused;
//   5. credit: the account's open notional (every live order's leaves at its price) after this order
//      must stay within the account's credit limit.
//
// It also keeps what the checks need between orders: the blocked firms and accounts (the kill switch)
// and each account's open notional, which the gateway moves as orders are accepted, filled, replaced,
// cancelled and end.
//
//   PreTradeRisk risk(cfg.price_collar_bps);
//   __int128 units = 0;
//   std::string detail;
//   const RejectCode code = risk.check(session_firm, account, instrument, order, detail, units);
//
// Notional is in Decimal units (8 decimals), __int128 so that no product overflows.
//
// Thread rules: the gateway thread.

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>

#include "venue/common/domain.h"
#include "venue/common/reject_code.h"
#include "venue/fix_gateway/config.h"
#include "venue/fix_gateway/instruments.h"

namespace venue::fix_gateway {

class PreTradeRisk {
 public:
  explicit PreTradeRisk(std::int64_t price_collar_bps) : collar_bps_(price_collar_bps) {}

  struct Order {
    OrdType type{};
    std::int64_t price = 0;  // ticks (limit, stop-limit)
    std::int64_t stop = 0;   // ticks (stop, stop-limit)
    std::int64_t qty = 0;    // lots
    // A replace: the open notional the order holds now (it is given back when the replace takes effect).
    __int128 previous_units = 0;
  };

  // kNone when the order passes, with its open notional in `units`; else the code, and `detail` for the
  // reject's Text.
  RejectCode check(FirmId session_firm, const AccountConfig& account, const Instrument& in, const Order& order,
                   std::string& detail, __int128& units) const;

  // The notional of `lots` at `ticks` (0 when either is not positive).
  static __int128 notional_units(const Instrument& in, std::int64_t lots, std::int64_t ticks);
  // The price a market order is judged at: the last trade, else the reference price (0: none).
  static std::int64_t judging_price(const Instrument& in);

  // Kill switch (blocks.h keeps the blocks across restarts; these are the checks' copy). The reason goes
  // into the refusals' Text.
  bool blocked(FirmId firm) const { return blocked_firms_.contains(firm.value()); }
  bool blocked(AccountId account) const { return blocked_accounts_.contains(account.value()); }
  void block(FirmId firm, bool on, const std::string& reason = {});
  void block(AccountId account, bool on, const std::string& reason = {});

  // Open notional per account.
  void add_open(AccountId account, __int128 delta) { open_[account.value()] += delta; }
  __int128 open(AccountId account) const;

 private:
  std::int64_t collar_bps_;
  std::map<std::uint32_t, std::string> blocked_firms_;  // -> reason
  std::map<std::uint32_t, std::string> blocked_accounts_;
  std::unordered_map<std::uint32_t, __int128> open_;
};

}  // namespace venue::fix_gateway
