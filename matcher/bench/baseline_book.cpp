#include "baseline_book.h"

#include <algorithm>

namespace venue::matcher::bench {

void BaselineBook::apply(const WorkOp& op) {
  switch (op.op) {
    case Op::kAdd:
      if (op.qty <= 0 || (!op.market && op.price <= 0) || op.symbol == 0 || op.symbol >= books_.size()) {
        ++rejects_;
        return;
      }
      add(Order{op.order, op.price, op.qty, 0, op.qty, op.side}, op.symbol, op.market, op.tif);
      return;
    case Op::kCancel: cancel(op.order); return;
    case Op::kReplace: replace(op.order, op.qty, op.price); return;
  }
}

template <class Side>
std::int64_t BaselineBook::available(const Order& o, const Side& opposite, bool market) const {
  std::int64_t sum = 0;
  for (const auto& [price, level] : opposite) {
    if (!market && (o.side == 1 ? price > o.price : price < o.price)) break;
    for (const auto& r : level) sum += r.leaves;
    if (sum >= o.leaves) break;
  }
  return sum;
}

template <class Side>
void BaselineBook::match(Order& o, Side& opposite, bool market) {
  while (o.leaves > 0 && !opposite.empty()) {
    auto lvl = opposite.begin();
    if (!market && (o.side == 1 ? lvl->first > o.price : lvl->first < o.price)) break;
    Level& q = lvl->second;
    while (o.leaves > 0 && !q.empty()) {
      Order& r = q.front();
      const std::int64_t n = std::min(o.leaves, r.leaves);
      o.leaves -= n;
      o.filled += n;
      r.leaves -= n;
      r.filled += n;
      ++trades_;
      traded_qty_ += n;
      if (fills_ != nullptr) fills_->push_back(FillRecord{o.id, r.id, lvl->first, n});
      if (r.leaves == 0) {
        index_.erase(r.id);
        q.pop_front();
      }
    }
    if (q.empty()) opposite.erase(lvl);
  }
}

std::vector<BaselineBook::RestingOrder> BaselineBook::side(std::uint32_t symbol, bool bids) const {
  std::vector<RestingOrder> out;
  auto collect = [&](const auto& levels) {
    for (const auto& [price, level] : levels) {
      for (const auto& o : level) out.push_back(RestingOrder{o.id, price, o.leaves});
    }
  };
  if (bids) {
    collect(books_[symbol].bids);
  } else {
    collect(books_[symbol].asks);
  }
  return out;
}

void BaselineBook::rest(const Order& o, std::uint32_t book) {
  Book& b = books_[book];
  Level& q = o.side == 1 ? b.bids[o.price] : b.asks[o.price];
  q.push_back(o);
  index_[o.id] = Where{book, std::prev(q.end())};
}

void BaselineBook::add(Order o, std::uint32_t book, bool market, Tif tif) {
  Book& b = books_[book];
  if (tif == Tif::kFok) {
    const std::int64_t avail = o.side == 1 ? available(o, b.asks, market) : available(o, b.bids, market);
    if (avail < o.leaves) return;
  }
  if (o.side == 1) {
    match(o, b.asks, market);
  } else {
    match(o, b.bids, market);
  }
  if (o.leaves > 0 && !market && (tif == Tif::kDay || tif == Tif::kGtc)) rest(o, book);
}

void BaselineBook::erase(std::uint64_t id) {
  auto it = index_.find(id);
  Book& b = books_[it->second.book];
  const Order& o = *it->second.it;
  if (o.side == 1) {
    auto lvl = b.bids.find(o.price);
    lvl->second.erase(it->second.it);
    if (lvl->second.empty()) b.bids.erase(lvl);
  } else {
    auto lvl = b.asks.find(o.price);
    lvl->second.erase(it->second.it);
    if (lvl->second.empty()) b.asks.erase(lvl);
  }
  index_.erase(it);
}

void BaselineBook::cancel(std::uint64_t id) {
  if (!index_.contains(id)) {
    ++rejects_;
    return;
  }
  erase(id);
}

void BaselineBook::replace(std::uint64_t id, std::int64_t qty, std::int64_t price) {
  auto it = index_.find(id);
  if (it == index_.end() || qty <= 0 || price <= 0) {
    ++rejects_;
    return;
  }
  Order o = *it->second.it;
  const std::uint32_t book = it->second.book;
  if (qty <= o.filled) {
    erase(id);  // the new quantity is already filled: the order is done
    return;
  }
  if (price == o.price && qty <= o.qty) {
    Order& live = *it->second.it;  // keeps its place in the queue
    live.leaves -= o.qty - qty;
    live.qty = qty;
    return;
  }
  erase(id);
  o.leaves = qty - o.filled;
  o.qty = qty;
  o.price = price;
  add(o, book, false, Tif::kGtc);
}

}  // namespace venue::matcher::bench
