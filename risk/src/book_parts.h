#pragma once
// The risk book's inner parts (book.h keeps them opaque), shared by book.cpp, book_queries.cpp and
// book_changes.cpp. Private to the library; the same thread rules as Book.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "venue/risk/book.h"

namespace venue::risk {

namespace book_detail {

inline Decimal add(Decimal a, Decimal b) { return Decimal::from_units(a.units() + b.units()); }
inline Decimal sub(Decimal a, Decimal b) { return Decimal::from_units(a.units() - b.units()); }

}  // namespace book_detail

struct Book::Instrument {
  std::string symbol;
  std::optional<Decimal> reference;
  std::optional<Decimal> last;
  std::uint64_t last_seq = 0;
  std::string last_match;
  std::vector<Position*> positions;
  std::optional<Decimal> mark() const { return last ? last : reference; }
};

struct Book::Position {
  std::string account;
  std::string firm;
  std::string symbol;
  Instrument* instrument = nullptr;
  Account* owner = nullptr;
  PositionFigures baseline;
  PositionFigures current;
  std::vector<Fill*> fills;  // kept fills, venue-seq order
  // What this position last added to its account's and firm's figures.
  Amount c_realized;
  Amount c_unrealized;
  Amount c_gross;
  Amount c_net;
  Decimal c_net_qty;
  bool touched_net = false;
};

struct Book::Account {
  std::string name;
  Firm* firm = nullptr;
  Figures figures;
  std::map<std::string, Position*> positions;  // by symbol
  bool touched_own = false;
  bool touched_mark = false;
};

struct Book::Firm {
  std::string name;
  Figures figures;
  std::set<std::string> accounts;
  std::map<std::string, Decimal> net;  // by symbol: the sum of its accounts' net quantities
};

}  // namespace venue::risk
