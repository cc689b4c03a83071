#include "venue/risk/position.h"

namespace venue::risk {

void apply_fill(PositionFigures& p, Side side, Decimal qty, Decimal price) {
  const bool buy = side == Side::kBuy;
  const Amount notional = Amount::product(qty, price);
  if (buy) {
    p.bought_qty = Decimal::from_units(p.bought_qty.units() + qty.units());
    p.bought_notional += notional;
  } else {
    p.sold_qty = Decimal::from_units(p.sold_qty.units() + qty.units());
    p.sold_notional += notional;
  }
  const std::int64_t signed_qty = buy ? qty.units() : -qty.units();
  const std::int64_t net = p.net_qty.units();
  if (net == 0 || (net > 0) == (signed_qty > 0)) {
    // Opens or adds to the position.
    p.net_qty = Decimal::from_units(net + signed_qty);
    p.cost += buy ? notional : -notional;
    return;
  }
  // Reduces it: closes min(qty, |net|) at `price` against the average cost.
  const std::int64_t open = net > 0 ? net : -net;
  const std::int64_t closed = qty.units() < open ? qty.units() : open;
  const Amount removed = divide(p.cost, closed, open);  // the closed part's share of the cost basis
  const Amount closed_value = Amount::product(Decimal::from_units(closed), price);
  p.realized += (net > 0 ? closed_value : -closed_value) - removed;
  p.cost -= removed;
  const std::int64_t rest = qty.units() - closed;
  const std::int64_t new_net = net > 0 ? net - closed : net + closed;
  if (rest == 0) {
    p.net_qty = Decimal::from_units(new_net);
    return;
  }
  // Crossed zero: the rest opens a position the other way at this price.
  const Amount opened = Amount::product(Decimal::from_units(rest), price);
  p.net_qty = Decimal::from_units(buy ? rest : -rest);
  p.cost = buy ? opened : -opened;
}

}  // namespace venue::risk
