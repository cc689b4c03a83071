#pragma once
// A straightforward order book, the yardstick for matcher-bench: std::map of price levels, each a
// std::list of orders, and a std::unordered_map from order id to its list position, as one would write
// it first. It implements exactly the benchmark's rules (limit and market orders, Day/IOC/FOK/GTC,
// cancel, replace; no self-trade prevention, no bands) and serves as an independent reference in the
// differential tests: the engine must make the same fills (aggressor, resting order, price, quantity, in
// the same order) and leave the same orders resting.
//
// Thread rules: single-threaded.

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <unordered_map>
#include <vector>

#include "workload.h"

namespace venue::matcher::bench {

class BaselineBook {
 public:
  struct FillRecord {
    std::uint64_t aggressor;  // order ids
    std::uint64_t resting;
    std::int64_t price;
    std::int64_t qty;
    bool operator==(const FillRecord&) const = default;
  };
  struct RestingOrder {
    std::uint64_t id;
    std::int64_t price;
    std::int64_t leaves;
    bool operator==(const RestingOrder&) const = default;
  };

  explicit BaselineBook(std::uint32_t instruments) : books_(instruments + 1) {}

  // Appends every fill to `log` from now on (null: none; the benchmark keeps none).
  void record_fills(std::vector<FillRecord>* log) { fills_ = log; }

  void apply(const WorkOp& op);

  std::uint64_t trades() const { return trades_; }
  std::int64_t traded_qty() const { return traded_qty_; }
  std::uint64_t rejects() const { return rejects_; }
  std::size_t resting() const { return index_.size(); }
  bool is_live(std::uint64_t id) const { return index_.contains(id); }
  // Best bid and ask of an instrument (0 when that side is empty).
  std::int64_t best_bid(std::uint32_t symbol) const {
    return books_[symbol].bids.empty() ? 0 : books_[symbol].bids.begin()->first;
  }
  std::int64_t best_ask(std::uint32_t symbol) const {
    return books_[symbol].asks.empty() ? 0 : books_[symbol].asks.begin()->first;
  }
  // One side of an instrument's book: best price first, time priority within a price.
  std::vector<RestingOrder> side(std::uint32_t symbol, bool bids) const;

 private:
  struct Order {
    std::uint64_t id;
    std::int64_t price;
    std::int64_t qty;
    std::int64_t filled;
    std::int64_t leaves;
    std::uint8_t side;
  };
  using Level = std::list<Order>;
  struct Book {
    std::map<std::int64_t, Level, std::greater<>> bids;
    std::map<std::int64_t, Level> asks;
  };
  struct Where {
    std::uint32_t book;
    Level::iterator it;
  };

  void add(Order o, std::uint32_t book, bool market, Tif tif);
  void cancel(std::uint64_t id);
  void replace(std::uint64_t id, std::int64_t qty, std::int64_t price);
  template <class Side>
  void match(Order& o, Side& opposite, bool market);
  template <class Side>
  std::int64_t available(const Order& o, const Side& opposite, bool market) const;
  void rest(const Order& o, std::uint32_t book);
  void erase(std::uint64_t id);

  std::vector<Book> books_;
  std::unordered_map<std::uint64_t, Where> index_;
  std::vector<FillRecord>* fills_ = nullptr;
  std::uint64_t trades_ = 0;
  std::int64_t traded_qty_ = 0;
  std::uint64_t rejects_ = 0;
};

}  // namespace venue::matcher::bench
