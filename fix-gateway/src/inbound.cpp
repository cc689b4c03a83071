// Inbound translation: FIX to engine commands (inbound.h). Gateway thread.
#include "venue/fix_gateway/inbound.h"

#include <algorithm>

#include "venue/fix_session/fix_text.h"

namespace venue::fix_gateway {

namespace m = venue::matcher;
using fix_session::get_field;
using fix_session::parse_utc_timestamp;

namespace {

// A decimal field in instrument units (ticks or lots).
RejectCode units(const std::optional<std::string>& text, Decimal unit, RejectCode off_unit, std::int64_t& out) {
  if (!text) return RejectCode::kConditionalFieldMissing;
  auto d = Decimal::parse(*text);
  if (!d) return RejectCode::kInvalidNumber;
  if (d->units() % unit.units() != 0) return off_unit;
  out = d->units() / unit.units();
  return RejectCode::kNone;
}

bool entitled(const SessionConfig& s, const AccountConfig* a) {
  return a != nullptr && std::find(s.accounts.begin(), s.accounts.end(), a->id) != s.accounts.end();
}

}  // namespace

StpMode InboundTranslator::stp_mode(char tag, StpMode fallback) {
  switch (tag) {
    case 'N': return StpMode::kCancelNewest;
    case 'O': return StpMode::kCancelOldest;
    case 'B': return StpMode::kCancelBoth;
    case 'D': return StpMode::kDecrementAndCancel;
    default: return fallback;
  }
}

Refusal InboundTranslator::new_order(const FIX::Message& msg, const SessionConfig& session, Order& o,
                                     m::NewOrderCmd& n) const {
  o.clordid = msg.getField(FIX::FIELD::ClOrdID);
  o.side = msg.getField(FIX::FIELD::Side) == "1" ? Side::kBuy : Side::kSell;
  o.type = static_cast<OrdType>(msg.getField(FIX::FIELD::OrdType)[0] - '0');
  o.tif = static_cast<TimeInForce>(get_field(msg, FIX::FIELD::TimeInForce).value_or("0")[0] - '0');
  o.capacity = get_field(msg, FIX::FIELD::OrderCapacity).value_or(std::string(1, '\0'))[0];
  o.post_only = get_field(msg, FIX::FIELD::ExecInst).value_or("") == "6";
  o.stp = get_field(msg, 8000).value_or(std::string(1, '\0'))[0];

  const auto account_text = get_field(msg, FIX::FIELD::Account);
  const AccountConfig* acct = nullptr;
  if (account_text) {
    acct = cfg_.account(*account_text);
  } else if (!session.accounts.empty()) {
    acct = cfg_.account(session.accounts.front());
  }
  if (!entitled(session, acct)) return {RejectCode::kAccountNotPermitted, ""};
  o.account = acct->id;
  const auto symbol = get_field(msg, FIX::FIELD::Symbol);
  if (!symbol) return {RejectCode::kConditionalFieldMissing, "Symbol(55)"};
  const auto index = instruments_.find(*symbol);
  if (!index) return {RejectCode::kUnknownInstrument, *symbol};
  o.instrument = *index;
  const Instrument& in = instruments_[*index];
  if (in.status == TradingStatus::kHalted) return {RejectCode::kInstrumentHalted, ""};
  if (in.status == TradingStatus::kClosed) return {RejectCode::kInstrumentClosed, ""};

  RejectCode code =
      units(get_field(msg, FIX::FIELD::OrderQty), in.spec.lot_size, RejectCode::kQtyNotLotMultiple, o.qty);
  if (code != RejectCode::kNone) return {code, "OrderQty(38)"};
  const bool priced = o.type == OrdType::kLimit || o.type == OrdType::kStopLimit;
  const bool stop = o.type == OrdType::kStop || o.type == OrdType::kStopLimit;
  const auto price_text = get_field(msg, FIX::FIELD::Price);
  if (priced) {
    code = units(price_text, in.spec.tick_size, RejectCode::kPriceNotOnTick, o.price);
    if (code != RejectCode::kNone) return {code, "Price(44)"};
  } else if (price_text) {
    return {RejectCode::kUnsupportedValue, "Price(44) on a market or stop order"};
  }
  const auto stop_text = get_field(msg, FIX::FIELD::StopPx);
  if (stop) {
    code = units(stop_text, in.spec.tick_size, RejectCode::kPriceNotOnTick, o.stop);
    if (code != RejectCode::kNone) return {code, "StopPx(99)"};
  } else if (stop_text) {
    return {RejectCode::kStopPriceInvalid, "StopPx(99) on an order that is not a stop"};
  }
  if (auto f = get_field(msg, FIX::FIELD::MaxFloor)) {
    code = units(f, in.spec.lot_size, RejectCode::kQtyNotLotMultiple, o.display);
    if (code != RejectCode::kNone) return {code, "MaxFloor(111)"};
  }
  if (auto f = get_field(msg, FIX::FIELD::MinQty)) {
    code = units(f, in.spec.lot_size, RejectCode::kQtyNotLotMultiple, o.min_qty);
    if (code != RejectCode::kNone) return {code, "MinQty(110)"};
  }
  std::int64_t expire_ns = 0;
  if (auto f = get_field(msg, FIX::FIELD::ExpireTime)) {
    auto t = parse_utc_timestamp(*f);
    if (!t) return {RejectCode::kUnsupportedValue, "ExpireTime(126) is not a UTCTimestamp"};
    expire_ns = *t;
    o.expire_text = *f;
  }
  if (o.tif == TimeInForce::kGtd && expire_ns == 0) return {RejectCode::kConditionalFieldMissing, "ExpireTime(126)"};

  n = m::NewOrderCmd{};
  n.instrument = in.spec.id;
  n.owner = m::Owner{SessionId(), acct->firm, acct->id};
  n.side = o.side;
  n.type = o.type;
  n.tif = o.tif;
  n.stp = stp_mode(o.stp, session.default_stp);
  n.post_only = o.post_only;
  n.price = Price(o.price);
  n.stop_price = Price(o.stop);
  n.qty = Qty(o.qty);
  n.display_qty = Qty(o.display);
  n.min_qty = Qty(o.min_qty);
  n.expire_time_ns = expire_ns;
  return {};
}

Order* InboundTranslator::order_named(const FIX::Message& msg, OrderRegistry& orders, const SessionOrders& session,
                                      bool replace, RejectCode& code) const {
  Order* o = orders.by_clordid(session, msg.getField(FIX::FIELD::OrigClOrdID));
  if (o == nullptr) {
    code = RejectCode::kUnknownClOrdID;
    return nullptr;
  }
  if (auto oid = get_field(msg, FIX::FIELD::OrderID);
      oid && (!o->id.valid() || *oid != std::to_string(o->id.value()))) {
    code = RejectCode::kOrderIDMismatch;
    return nullptr;
  }
  const std::string& side = msg.getField(FIX::FIELD::Side);
  const bool side_differs = side != std::string(1, static_cast<char>('0' + static_cast<int>(o->side)));
  const auto sym = get_field(msg, FIX::FIELD::Symbol);
  const bool symbol_differs = sym && *sym != instruments_[o->instrument].spec.symbol;
  if (side_differs || symbol_differs) {
    code = replace ? RejectCode::kReplaceChangesImmutable : RejectCode::kUnknownClOrdID;
    return nullptr;
  }
  return o;
}

Refusal InboundTranslator::replace(const FIX::Message& msg, const Order& o, Request& r) const {
  const Instrument& in = instruments_[o.instrument];
  const AccountConfig* acct = cfg_.account(o.account);
  const OrdType type = static_cast<OrdType>(msg.getField(FIX::FIELD::OrdType)[0] - '0');
  const TimeInForce tif = static_cast<TimeInForce>(get_field(msg, FIX::FIELD::TimeInForce).value_or("0")[0] - '0');
  const auto account_text = get_field(msg, FIX::FIELD::Account);
  if (type != o.type || tif != o.tif || (account_text && acct != nullptr && *account_text != acct->name) ||
      get_field(msg, FIX::FIELD::ExpireTime).value_or(o.expire_text) != o.expire_text) {
    return {RejectCode::kReplaceChangesImmutable, ""};
  }
  RejectCode code =
      units(get_field(msg, FIX::FIELD::OrderQty), in.spec.lot_size, RejectCode::kQtyNotLotMultiple, r.qty);
  if (code != RejectCode::kNone) return {code, "OrderQty(38)"};
  const bool priced = type == OrdType::kLimit || type == OrdType::kStopLimit;
  const bool stop = type == OrdType::kStop || type == OrdType::kStopLimit;
  if (priced) {
    code = units(get_field(msg, FIX::FIELD::Price), in.spec.tick_size, RejectCode::kPriceNotOnTick, r.price);
    if (code != RejectCode::kNone) return {code, "Price(44)"};
  }
  if (stop) {
    code = units(get_field(msg, FIX::FIELD::StopPx), in.spec.tick_size, RejectCode::kPriceNotOnTick, r.stop);
    if (code != RejectCode::kNone) return {code, "StopPx(99)"};
  }
  if (auto f = get_field(msg, FIX::FIELD::MaxFloor)) {
    code = units(f, in.spec.lot_size, RejectCode::kQtyNotLotMultiple, r.display);
    if (code != RejectCode::kNone) return {code, "MaxFloor(111)"};
  }
  if (acct == nullptr) return {RejectCode::kAccountNotPermitted, ""};
  return {};
}

Refusal InboundTranslator::mass_cancel(const FIX::Message& msg, const SessionConfig& session, m::MassCancelCmd& mc,
                                       std::vector<std::size_t>& shards, std::size_t shard_count,
                                       int& reject_reason) const {
  const char type = msg.getField(FIX::FIELD::MassCancelRequestType)[0];
  const auto symbol = get_field(msg, FIX::FIELD::Symbol);
  const auto side = get_field(msg, FIX::FIELD::Side);
  const auto account_text = get_field(msg, FIX::FIELD::Account);
  reject_reason = 0;
  mc = m::MassCancelCmd{};
  mc.session = session.id;
  mc.reason = m::CancelReason::kMassCancel;
  if (side) mc.side = static_cast<std::uint8_t>((*side)[0] - '0');
  if (account_text) {
    const AccountConfig* a = cfg_.account(*account_text);
    if (!entitled(session, a)) return {RejectCode::kAccountNotPermitted, ""};
    mc.account = a->id;
  }
  shards.clear();
  if (type == '1') {
    reject_reason = 1;
    if (!symbol) return {RejectCode::kConditionalFieldMissing, "Symbol(55)"};
    const auto index = instruments_.find(*symbol);
    if (!index) return {RejectCode::kUnknownInstrument, *symbol};
    reject_reason = 0;
    mc.instrument = instruments_[*index].spec.id;
    shards.push_back(instruments_[*index].shard);
  } else {
    for (std::size_t i = 0; i < shard_count; ++i) shards.push_back(i);
  }
  return {};
}

}  // namespace venue::fix_gateway
