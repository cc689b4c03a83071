#pragma once
// The order-entry suite's helpers (orders_test.cpp, orders_lifecycle_test.cpp: one program, one venue).

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <set>
#include <string>

#include "e2e/support/dictionary_check.h"
#include "e2e/support/suite.h"

using namespace venue::e2e;
using namespace std::chrono_literals;

namespace orders_e2e {

inline TestVenue& the_venue() { return suite_venue(); }
inline FixClient& alpha() { return the_venue().client("BRK1"); }
inline FixClient& beta() { return the_venue().client("BRK2"); }
inline FixClient& gamma() { return the_venue().client("BRK3"); }

inline std::string id(const std::string& hint = "o") { return the_venue().id(hint); }

// A numeric field (NaN when absent), so prices compare whatever their text ("100" or "100.00").
inline double num(const FIX::Message& m, int tag) {
  const auto v = find_field(m, tag);
  return v && !v->empty() ? std::stod(*v) : std::nan("");
}

inline OrderFields limit(const std::string& symbol, const char* side, const std::string& price, const std::string& qty,
                         const std::string& account, const char* tif = kDay) {
  return limit_order(id(side == std::string(kBuy) ? "buy" : "sell"), symbol, side, price, qty, account, tif);
}

}  // namespace orders_e2e

using namespace orders_e2e;
