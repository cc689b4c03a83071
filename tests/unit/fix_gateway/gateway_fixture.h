#pragma once
// What the gateway's unit tests share: a configuration (two firms, accounts with limits, an order-entry
// session) and an instrument table, built in memory; and FIX messages written as text with '|' for SOH.
#include <string>

#include "venue/fix_gateway/config.h"
#include "venue/fix_gateway/instruments.h"
#include "venue/fix_session/auth.h"
#include "venue/fix_session/out_message.h"
#include "venue/fix_session/quickfix.h"

namespace venue::fix_gateway::test {

inline GatewayConfig test_config() {
  const std::string hash = venue::fix_session::hash_password("secret", 1000);
  return parse_config(
      "[venue]\nstore_dir = \"s\"\nstate_dir = \"t\"\ndata_dictionary = \"d.xml\"\n"
      "[risk]\nprice_collar_bps = 1000\n"
      "[engine]\ninstruments = \"i.toml\"\njournal_dir = \"j\"\n"
      "[[firm]]\nid = 7\nname = \"ALPHA\"\n[[firm]]\nid = 9\nname = \"BETA\"\n"
      "[[account]]\nid = 70\nname = \"ALPHA-1\"\nfirm = \"ALPHA\"\nmax_order_qty = 50\n"
      "max_order_notional = \"100000\"\ncredit_limit = \"150000\"\n"
      "[[account]]\nid = 71\nname = \"ALPHA-2\"\nfirm = \"ALPHA\"\n"
      "[[account]]\nid = 90\nname = \"BETA-1\"\nfirm = \"BETA\"\n"
      "[[session]]\nid = 3\nsender_comp_id = \"BRK1\"\nfirm = \"ALPHA\"\nusername = \"u\"\npassword_hash = \"" +
          hash + "\"\naccounts = [\"ALPHA-2\", \"ALPHA-1\"]\nself_trade_prevention = \"cancel_oldest\"\n",
      "venue.toml", "/tmp");
}

// ACME: tick 0.01, lot 1, reference 100.00, shard 0. BIG: tick 0.05, lot 100, reference 25.00, shard 1.
inline InstrumentTable test_instruments() {
  InstrumentTable t;
  matcher::InstrumentSpec acme;
  acme.id = InstrumentId(1);
  acme.symbol = "ACME";
  acme.reference_price = Price(10'000);
  t.add(acme, 0);
  matcher::InstrumentSpec big;
  big.id = InstrumentId(2);
  big.symbol = "BIG";
  big.tick_size = Decimal::from_units(Decimal::kOne / 20);
  big.lot_size = Decimal::from_units(100 * Decimal::kOne);
  big.reference_price = Price(500);
  t.add(big, 1);
  return t;
}

// A FIX 4.4 message of type `type` from BRK1 with the body fields "11=...|54=1|" ('|' for SOH); the
// header, BodyLength and CheckSum are added.
inline FIX::Message fix_message(const std::string& type, const std::string& fields) {
  std::string body = "35=" + type + "|49=BRK1|56=VENUE|34=2|52=20261206-10:00:00.000|" + fields;
  for (auto& c : body) c = c == '|' ? '\x01' : c;
  std::string msg =
      "8=FIX.4.4\x01"
      "9=" +
      std::to_string(body.size()) + "\x01" + body;
  unsigned sum = 0;
  for (unsigned char c : msg) sum += c;
  char trailer[16];
  std::snprintf(trailer, sizeof trailer, "10=%03u\x01", sum % 256);
  return FIX::Message(msg + trailer, false);
}

inline std::string text(const FIX::FieldMap& m, int tag) {
  return m.isSetField(tag) ? m.getField(tag) : std::string("<absent>");
}

inline std::string text(const fix_session::OutMessage& m, int tag) {
  const auto v = m.get(tag);
  return v ? std::string(*v) : std::string("<absent>");
}

}  // namespace venue::fix_gateway::test
