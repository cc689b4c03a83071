// libFuzzer target over FIX-to-engine translation, in process and without a socket: a broker's message
// goes through what it goes through in the venue before a command reaches an engine: QuickFIX's parse
// and the venue's dictionary (spec/fix/VENUE-FIX44.xml, with the acceptor's validation settings), the
// inbound translator (inbound.h), pre-trade risk (pre_trade_risk.h), and a real matching engine
// (matcher/engine.h), with the configuration and instruments of the gateway's unit tests
// (tests/unit/fix_gateway/gateway_fixture.h) and two live orders (O1 acked, O2 waiting for its ack).
//
// An input is: byte 0 chooses the message type (D, F, G, H or q); the rest is the message body as
// "tag=value" fields separated by '|' (or SOH); the header (35, 49, 56, 34, 52), BodyLength and CheckSum
// are added. Messages the dictionary refuses stop there (QuickFIX answers them with a session Reject).
// Checked for what translation accepts:
//   - D: the account is one of the session's (and the one Account(1) names), the instrument the one
//     Symbol(55) names and open, Side, OrdType and TimeInForce the message's, OrderQty, Price, StopPx,
//     MaxFloor and MinQty exactly the message's decimals in lots and ticks, present exactly when the
//     order type needs them, ExpireTime the message's (and present for GTD), the STP mode tag 8000's;
//     past pre-trade risk, the engine never refuses it as an order it does not support (1041);
//   - F, G, H: the order found is the one OrigClOrdID(41) names, on the side and symbol given;
//   - G: nothing immutable changes, the new values are the message's decimals in lots and ticks;
//   - q: the account is the session's, the shards exist, a per-symbol cancel goes to its symbol's shard.
//
//   VENUE_SOURCE_DIR=$PWD build-fuzz/bin/fix_translate_fuzz fix-gateway/fuzz/corpus/fix_translate
#include <quickfix/DataDictionary.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "unit/fix_gateway/gateway_fixture.h"
#include "venue/fix_gateway/inbound.h"
#include "venue/fix_gateway/pre_trade_risk.h"
#include "venue/fix_session/fix_text.h"
#include "venue/matcher/engine.h"

namespace {

namespace fg = venue::fix_gateway;
namespace m = venue::matcher;
using venue::Decimal;
using venue::RejectCode;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fix_translate_fuzz: invariant broken: %s\n", what);
    std::abort();
  }
}

struct Verdict : m::EventListener {
  RejectCode code = RejectCode::kNone;
  void on_rejected(const m::RejectedEvent& e) override { code = e.code; }
};

struct World {
  FIX::DataDictionary dd;
  fg::GatewayConfig cfg = fg::test::test_config();
  fg::InstrumentTable instruments = fg::test::test_instruments();
  fg::InboundTranslator in{cfg, instruments};
  fg::PreTradeRisk risk{cfg.price_collar_bps};
  fg::OrderRegistry orders;
  fg::SessionOrders session_orders;
  Verdict verdict;
  std::unique_ptr<m::Engine> engine;
  std::uint64_t engine_seq = 0;

  explicit World(const std::string& dictionary) : dd(dictionary) {
    // The acceptor's validation settings (common/fix-session/src/session_settings.cpp).
    dd.checkFieldsOutOfOrder(false);
    dd.checkFieldsHaveValues(true);
    dd.checkUserDefinedFields(true);
    dd.allowUnknownMsgFields(false);
    matcher_spec_halted();
    fg::Order o1;
    o1.key = o1.ref = orders.next_ref();
    o1.session = cfg.sessions.front().id;
    o1.account = venue::AccountId(70);
    o1.instrument = 0;
    o1.side = venue::Side::kBuy;
    o1.type = venue::OrdType::kLimit;
    o1.tif = venue::TimeInForce::kDay;
    o1.clordid = "O1";
    o1.price = 10'000;
    o1.qty = 10;
    session_orders.live["O1"] = o1.key;
    orders.bind(orders.add(std::move(o1)), venue::OrderId(42));
    fg::Order o2;
    o2.key = o2.ref = orders.next_ref();
    o2.session = cfg.sessions.front().id;
    o2.account = venue::AccountId(71);
    o2.instrument = 1;
    o2.side = venue::Side::kSell;
    o2.type = venue::OrdType::kStopLimit;
    o2.tif = venue::TimeInForce::kGtd;
    o2.expire_text = "20261207-10:00:00";
    o2.clordid = "O2";
    o2.price = 500;
    o2.stop = 499;
    o2.qty = 3;
    session_orders.live["O2"] = o2.key;
    orders.add(std::move(o2));
    new_engine();
  }

  // A third instrument, halted: translation must refuse orders for it.
  void matcher_spec_halted() {
    m::InstrumentSpec halted;
    halted.id = venue::InstrumentId(3);
    halted.symbol = "HALTED";
    halted.reference_price = venue::Price(100);
    instruments[instruments.add(halted, 0)].status = venue::TradingStatus::kHalted;
  }

  void new_engine() {
    std::vector<m::InstrumentSpec> specs;
    for (const auto& i : instruments.all()) specs.push_back(i.spec);
    engine = std::make_unique<m::Engine>(m::EngineSettings{}, specs, verdict);
    engine_seq = 0;
  }
};

World* g_world = nullptr;

// The message's decimal field in units of `unit` equals `value` (absent: value is 0).
bool same_units(const FIX::Message& msg, int tag, Decimal unit, std::int64_t value) {
  const auto text = venue::fix_session::get_field(msg, tag);
  if (!text) return value == 0;
  const auto d = Decimal::parse(*text);
  return d && static_cast<__int128>(value) * unit.units() == d->units();
}

void check_new_order(World& w, const FIX::Message& msg) {
  const fg::SessionConfig& session = w.cfg.sessions.front();
  fg::Order o;
  m::NewOrderCmd n{};
  if (w.in.new_order(msg, session, o, n)) return;
  const fg::AccountConfig* acct = w.cfg.account(n.owner.account);
  check(acct != nullptr, "the account exists");
  check(std::find(session.accounts.begin(), session.accounts.end(), acct->id) != session.accounts.end(),
        "the account is one of the session's");
  check(n.owner.firm == acct->firm && o.account == acct->id, "the firm is the account's");
  const auto account_text = venue::fix_session::get_field(msg, FIX::FIELD::Account);
  check(!account_text || *account_text == acct->name, "the account is the one Account(1) names");
  const auto index = w.instruments.find(msg.getField(FIX::FIELD::Symbol));
  check(index && *index == o.instrument, "the instrument is the one Symbol(55) names");
  const fg::Instrument& in = w.instruments[*index];
  check(n.instrument == in.spec.id && in.status == venue::TradingStatus::kOpen, "the instrument is open");
  check(n.side == (msg.getField(FIX::FIELD::Side) == "1" ? venue::Side::kBuy : venue::Side::kSell), "the side");
  check(static_cast<int>(n.type) == msg.getField(FIX::FIELD::OrdType)[0] - '0', "the order type");
  const bool priced = n.type == venue::OrdType::kLimit || n.type == venue::OrdType::kStopLimit;
  const bool stop = n.type == venue::OrdType::kStop || n.type == venue::OrdType::kStopLimit;
  check(n.qty.count() == o.qty && same_units(msg, FIX::FIELD::OrderQty, in.spec.lot_size, o.qty) &&
            msg.isSetField(FIX::FIELD::OrderQty),
        "OrderQty in lots");
  check(priced == msg.isSetField(FIX::FIELD::Price) && same_units(msg, FIX::FIELD::Price, in.spec.tick_size, o.price) &&
            n.price.count() == o.price,
        "Price in ticks, exactly on a limit price");
  check(stop == msg.isSetField(FIX::FIELD::StopPx) && same_units(msg, FIX::FIELD::StopPx, in.spec.tick_size, o.stop) &&
            n.stop_price.count() == o.stop,
        "StopPx in ticks, exactly on a stop");
  check(same_units(msg, FIX::FIELD::MaxFloor, in.spec.lot_size, n.display_qty.count()), "MaxFloor in lots");
  check(same_units(msg, FIX::FIELD::MinQty, in.spec.lot_size, n.min_qty.count()), "MinQty in lots");
  const auto expire = venue::fix_session::get_field(msg, FIX::FIELD::ExpireTime);
  check(expire ? venue::fix_session::parse_utc_timestamp(*expire) == n.expire_time_ns : n.expire_time_ns == 0,
        "ExpireTime the message's");
  check(n.tif != venue::TimeInForce::kGtd || n.expire_time_ns != 0, "a GTD order has its ExpireTime");
  const auto stp = venue::fix_session::get_field(msg, 8000);
  check(n.stp == fg::InboundTranslator::stp_mode(stp ? (*stp)[0] : '\0', session.default_stp), "tag 8000");

  std::string detail;
  __int128 units = 0;
  if (w.risk.check(session.firm, *acct, in, {o.type, o.price, o.stop, o.qty, 0}, detail, units) != RejectCode::kNone) {
    return;
  }
  n.client_ref = 1;
  n.owner.session = session.id;
  m::Command c = m::Command::make(n);
  c.seq = ++w.engine_seq;
  c.now_ns = 1'796'560'000LL * 1'000'000'000LL;  // 2026-12-06 12:26:40 UTC
  w.verdict.code = RejectCode::kNone;
  w.engine->apply(c);
  check(w.verdict.code != RejectCode::kUnsupportedOrder, "the engine supports every order translation accepts");
  if (w.engine->live_orders() > 10'000) w.new_engine();
}

void check_named(World& w, const FIX::Message& msg, bool replace) {
  RejectCode code = RejectCode::kNone;
  fg::Order* o = w.in.order_named(msg, w.orders, w.session_orders, replace, code);
  if (o == nullptr) {
    check(code != RejectCode::kNone, "a request without its order has a code");
    return;
  }
  check(o->clordid == msg.getField(FIX::FIELD::OrigClOrdID), "the order is the one OrigClOrdID(41) names");
  check(msg.getField(FIX::FIELD::Side) == (o->side == venue::Side::kBuy ? "1" : "2"), "on the side given");
  const auto sym = venue::fix_session::get_field(msg, FIX::FIELD::Symbol);
  check(!sym || *sym == w.instruments[o->instrument].spec.symbol, "on the symbol given");
  if (!replace) return;
  fg::Request r;
  if (w.in.replace(msg, *o, r)) return;
  const fg::Instrument& in = w.instruments[o->instrument];
  check(static_cast<int>(o->type) == msg.getField(FIX::FIELD::OrdType)[0] - '0', "OrdType unchanged");
  check(same_units(msg, FIX::FIELD::OrderQty, in.spec.lot_size, r.qty) && msg.isSetField(FIX::FIELD::OrderQty),
        "the new OrderQty in lots");
  const bool priced = o->type == venue::OrdType::kLimit || o->type == venue::OrdType::kStopLimit;
  const bool stop = o->type == venue::OrdType::kStop || o->type == venue::OrdType::kStopLimit;
  check(
      !priced || (msg.isSetField(FIX::FIELD::Price) && same_units(msg, FIX::FIELD::Price, in.spec.tick_size, r.price)),
      "the new Price in ticks");
  check(!stop || (msg.isSetField(FIX::FIELD::StopPx) && same_units(msg, FIX::FIELD::StopPx, in.spec.tick_size, r.stop)),
        "the new StopPx in ticks");
  check(same_units(msg, FIX::FIELD::MaxFloor, in.spec.lot_size, r.display), "the new MaxFloor in lots");
  check(venue::fix_session::get_field(msg, FIX::FIELD::ExpireTime).value_or(o->expire_text) == o->expire_text,
        "ExpireTime unchanged");
}

void check_mass_cancel(World& w, const FIX::Message& msg) {
  const fg::SessionConfig& session = w.cfg.sessions.front();
  m::MassCancelCmd mc{};
  std::vector<std::size_t> shards;
  int reason = 0;
  const std::size_t shard_count = 2;
  if (w.in.mass_cancel(msg, session, mc, shards, shard_count, reason)) return;
  check(mc.session == session.id, "the session's own orders");
  check(!shards.empty() && std::all_of(shards.begin(), shards.end(), [](std::size_t s) { return s < shard_count; }),
        "shards that exist");
  if (mc.account.valid()) {
    check(std::find(session.accounts.begin(), session.accounts.end(), mc.account) != session.accounts.end(),
          "the account is one of the session's");
  }
  if (msg.getField(FIX::FIELD::MassCancelRequestType) == "1") {
    const auto index = w.instruments.find(msg.getField(FIX::FIELD::Symbol));
    check(index && mc.instrument == w.instruments[*index].spec.id && shards.size() == 1 &&
              shards[0] == w.instruments[*index].shard,
          "a per-symbol cancel goes to its symbol's shard");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* src = std::getenv("VENUE_SOURCE_DIR");
  g_world = new World(std::string(src != nullptr ? src : ".") + "/spec/fix/VENUE-FIX44.xml");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if (g_world == nullptr) LLVMFuzzerInitialize(nullptr, nullptr);
  static constexpr char kTypes[] = {'D', 'F', 'G', 'H', 'q'};
  const char type = kTypes[data[0] % sizeof kTypes];
  std::string body = std::string("35=") + type + "|49=BRK1|56=VENUE|34=2|52=20261206-10:00:00.000|";
  body.append(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (!body.empty() && body.back() != '|' && body.back() != '\x01') body += '|';
  for (auto& c : body) c = c == '|' ? '\x01' : c;
  std::string raw =
      "8=FIX.4.4\x01"
      "9=" +
      std::to_string(body.size()) + "\x01" + body;
  unsigned sum = 0;
  for (const unsigned char c : raw) sum += c;
  char trailer[16];
  std::snprintf(trailer, sizeof trailer, "10=%03u\x01", sum % 256);
  raw += trailer;
  World& w = *g_world;
  std::unique_ptr<FIX::Message> msg;
  try {
    msg = std::make_unique<FIX::Message>(raw, w.dd, true);
    w.dd.validate(*msg);
  } catch (const FIX::Exception&) {
    return 0;  // the session layer refuses it: translation never sees it
  }
  switch (type) {
    case 'D': check_new_order(w, *msg); break;
    case 'F': check_named(w, *msg, false); break;
    case 'G': check_named(w, *msg, true); break;
    case 'H': (void)w.orders.by_clordid(w.session_orders, msg->getField(FIX::FIELD::ClOrdID)); break;
    default: check_mass_cancel(w, *msg); break;
  }
  return 0;
}
