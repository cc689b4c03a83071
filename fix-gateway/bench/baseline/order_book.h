#pragma once
// The baseline acceptor's book: what one writes first, in the spirit of QuickFIX's ordermatch example.
// One OrderBook per symbol: std::map of price levels per side, each level a std::list of orders in
// time priority, plus an unordered_map from (owner CompID, ClOrdID) to the order's place for cancels.
// Limit orders only; price-time priority; trades at the resting order's price.
//
// Prices are exact decimals (venue::Decimal, units of 1e-8) parsed from the text of Price(44), where
// ordermatch keeps a double; quantities are whole numbers. That is the only deliberate departure
// from the example: a double would be trivial to keep but wrong to copy.
//
// add() and cancel() report what happened as a list of Execution records, produced while the book is
// updated and handed back once it is consistent again; the caller turns them into ExecutionReports.
//
// Thread rules: not thread-safe; the acceptor calls it from QuickFIX's one SocketAcceptor thread.

#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <quickfix/SessionID.h>

namespace venue::fix_gateway::baseline {

enum class Side : std::uint8_t { kBuy, kSell };

struct BookOrder {
  std::string order_id;    // assigned by the acceptor
  std::string cl_ord_id;   // the client's
  FIX::SessionID session;  // where its ExecutionReports go
  std::string symbol;
  Side side = Side::kBuy;
  std::int64_t price_units = 0;  // Decimal units
  std::int64_t qty = 0;
  std::int64_t cum_qty = 0;
  __int128 traded_value_units = 0;  // sum of fill price units x fill qty, for AvgPx
  std::int64_t leaves() const { return qty - cum_qty; }
};

// One change to one order, in the order it happened.
struct Execution {
  enum class Kind : std::uint8_t { kNew, kFill, kCanceled };
  Kind kind;
  BookOrder order;  // the order after this change
  std::int64_t last_qty = 0;
  std::int64_t last_price_units = 0;
};

class OrderBook {
 public:
  // Rests or matches `order`; appends its New, then every fill (passive side first).
  void add(BookOrder order, std::vector<Execution>& out);
  // Removes the live order (owner, cl_ord_id); false when there is none.
  bool cancel(const std::string& owner, const std::string& cl_ord_id, std::vector<Execution>& out);
  bool is_live(const std::string& owner, const std::string& cl_ord_id) const {
    return index_.contains(key(owner, cl_ord_id));
  }
  std::size_t resting() const { return index_.size(); }

 private:
  using Level = std::list<BookOrder>;
  struct Place {
    Side side;
    std::int64_t price_units;
    Level::iterator it;
  };
  static std::string key(const std::string& owner, const std::string& cl_ord_id) { return owner + '\x01' + cl_ord_id; }
  template <class Levels>
  void match(BookOrder& aggressor, Levels& opposite, std::vector<Execution>& out);
  template <class Levels>
  void rest(BookOrder order, Levels& own);

  std::map<std::int64_t, Level, std::greater<>> bids_;
  std::map<std::int64_t, Level> asks_;
  std::unordered_map<std::string, Place> index_;
};

}  // namespace venue::fix_gateway::baseline
