#include "order_book.h"

#include <algorithm>

namespace venue::fix_gateway::baseline {

template <class Levels>
void OrderBook::match(BookOrder& aggressor, Levels& opposite, std::vector<Execution>& out) {
  const bool buy = aggressor.side == Side::kBuy;
  while (aggressor.leaves() > 0 && !opposite.empty()) {
    auto level = opposite.begin();
    const bool crosses = buy ? level->first <= aggressor.price_units : level->first >= aggressor.price_units;
    if (!crosses) break;
    BookOrder& passive = level->second.front();
    const std::int64_t qty = std::min(aggressor.leaves(), passive.leaves());
    const std::int64_t price = passive.price_units;
    for (BookOrder* o : {&passive, &aggressor}) {
      o->cum_qty += qty;
      o->traded_value_units += static_cast<__int128>(price) * qty;
    }
    out.push_back({Execution::Kind::kFill, passive, qty, price});
    out.push_back({Execution::Kind::kFill, aggressor, qty, price});
    if (passive.leaves() == 0) {
      index_.erase(key(passive.session.getTargetCompID().getValue(), passive.cl_ord_id));
      level->second.pop_front();
      if (level->second.empty()) opposite.erase(level);
    }
  }
}

template <class Levels>
void OrderBook::rest(BookOrder order, Levels& own) {
  const std::string k = key(order.session.getTargetCompID().getValue(), order.cl_ord_id);
  const Side side = order.side;
  const std::int64_t price = order.price_units;
  Level& level = own[price];
  level.push_back(std::move(order));
  index_.emplace(k, Place{side, price, std::prev(level.end())});
}

void OrderBook::add(BookOrder order, std::vector<Execution>& out) {
  out.push_back({Execution::Kind::kNew, order, 0, 0});
  if (order.side == Side::kBuy) {
    match(order, asks_, out);
    if (order.leaves() > 0) rest(std::move(order), bids_);
  } else {
    match(order, bids_, out);
    if (order.leaves() > 0) rest(std::move(order), asks_);
  }
}

bool OrderBook::cancel(const std::string& owner, const std::string& cl_ord_id, std::vector<Execution>& out) {
  const auto found = index_.find(key(owner, cl_ord_id));
  if (found == index_.end()) return false;
  const Place place = found->second;
  index_.erase(found);
  auto erase_from = [&](auto& levels) {
    auto level = levels.find(place.price_units);
    out.push_back({Execution::Kind::kCanceled, *place.it, 0, 0});
    level->second.erase(place.it);
    if (level->second.empty()) levels.erase(level);
  };
  if (place.side == Side::kBuy) {
    erase_from(bids_);
  } else {
    erase_from(asks_);
  }
  return true;
}

}  // namespace venue::fix_gateway::baseline
