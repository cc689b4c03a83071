#pragma once
// The reject-code suite's helpers (rejects_test.cpp, rejects_engine_test.cpp: one program, one venue).

#include <boost/test/unit_test.hpp>
#include <string>
#include <thread>

#include "e2e/support/dictionary_check.h"
#include "e2e/support/raw_session.h"
#include "e2e/support/suite.h"

using namespace venue::e2e;
using namespace std::chrono_literals;

namespace rejects_e2e {

inline TestVenue& the_venue() { return suite_venue(); }
inline FixClient& alpha() { return the_venue().client("BRK1"); }
inline FixClient& beta() { return the_venue().client("BRK2"); }
inline FixClient& gamma() { return the_venue().client("BRK3"); }
inline std::string id(const std::string& hint = "o") { return the_venue().id(hint); }

inline OrderFields limit(const std::string& symbol, const char* side, const std::string& price, const std::string& qty,
                         const std::string& account = "ALPHA-1", const char* tif = kDay) {
  return OrderFields{
      .clordid = id(), .symbol = symbol, .side = side, .price = price, .qty = qty, .tif = tif, .account = account};
}

// Sends an order from BRK1 (unless another client is given) and checks it is refused with `code`.
inline FIX::Message expect_order_reject(const OrderFields& o, int code, FixClient& c = alpha()) {
  c.send(new_order(o));
  const auto rej = c.expect(er(o.clordid, "8"));
  check_order_reject(rej, code);
  BOOST_TEST(field(rej, FIX::FIELD::ClOrdID) == o.clordid);
  BOOST_TEST(field(rej, FIX::FIELD::Side) == o.side);
  return rej;
}

inline FIX::Message expect_cancel_reject(FixClient& c, const FIX::Message& request, int code) {
  const std::string clordid = field(request, FIX::FIELD::ClOrdID);
  c.send(request);
  const auto rej = c.expect(cancel_reject(clordid));
  check_cancel_reject(rej, code, msg_type(request) == "G" ? "2" : "1");
  BOOST_TEST(field(rej, FIX::FIELD::OrigClOrdID) == field(request, FIX::FIELD::OrigClOrdID));
  return rej;
}

// A trade at `price` between BRK2 and BRK3 (sets the instrument's last trade price).
inline void trade_at(const std::string& sym, const std::string& price) {
  place(beta(), limit(sym, kSell, price, "1", "BETA-1"));
  const auto buy = limit(sym, kBuy, price, "1", "GAMMA-1");
  gamma().send(new_order(buy));
  gamma().expect(er(buy.clordid, "F"));
}

}  // namespace rejects_e2e

using namespace rejects_e2e;
