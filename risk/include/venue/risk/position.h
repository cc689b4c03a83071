#pragma once
// One account's position in one instrument, by the average-cost method (spec/risk.md, "Positions and
// P&L"): the arithmetic only, no bookkeeping.
//
//   PositionFigures p;                                     // flat
//   apply_fill(p, Side::kBuy, qty("10"), px("100"));       // long 10 at 100
//   apply_fill(p, Side::kSell, qty("4"), px("110"));       // realized +40, long 6, cost 600
//   unrealized(p, px("105"));                              // 6 * 105 - 600 = 30
//
// cost is the signed cost basis of the open position (positive long, negative short): the sum of
// quantity x price of the fills that opened it, less the share each reducing fill took away. A fill
// that reduces a position realizes (price - average cost) x the quantity closed; one that crosses zero
// closes the old position and opens the rest at its price.
//
// Thread rules: value types and pure functions.

#include "venue/common/domain.h"
#include "venue/common/fixed_point.h"
#include "venue/risk/money.h"

namespace venue::risk {

struct PositionFigures {
  Decimal bought_qty;
  Decimal sold_qty;
  Amount bought_notional;
  Amount sold_notional;
  Decimal net_qty;  // bought - sold
  Amount cost;      // signed cost basis of net_qty
  Amount realized;  // realized P&L

  friend bool operator==(const PositionFigures&, const PositionFigures&) = default;
};

void apply_fill(PositionFigures& p, Side side, Decimal qty, Decimal price);

// net_qty x mark - cost.
inline Amount unrealized(const PositionFigures& p, Decimal mark) { return Amount::product(p.net_qty, mark) - p.cost; }

}  // namespace venue::risk
