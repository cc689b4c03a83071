// The risk book (book.h): applying the venue's reports (orders, fills, busts), the figures they move,
// marks and the fold of past days. The read side is in book_queries.cpp; what moved, the changes for
// PostgreSQL and the restore at start in book_changes.cpp; the parts they share in book_parts.h.
#include "venue/risk/book.h"

#include <algorithm>

#include "book_parts.h"

namespace venue::risk {

namespace tags = fix_session::tags;
using book_detail::add;
using book_detail::sub;

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

bool positive(const std::optional<Decimal>& d) { return d && d->units() > 0; }

Effect bad(std::string reason) { return Effect{Effect::Kind::kBad, std::move(reason)}; }

}  // namespace

Book::Book(BookSettings settings) : settings_(std::move(settings)) {
  for (const auto& [symbol, price] : settings_.reference_prices) instrument(symbol);
}

Book::~Book() = default;

std::int32_t Book::trade_day_of(std::int64_t ns) const {
  return static_cast<std::int32_t>(floor_div(ns - settings_.day_start_offset_ns, kNsPerDay));
}

Book::Instrument& Book::instrument(const std::string& symbol) {
  auto& slot = instruments_[symbol];
  if (!slot) {
    slot = std::make_unique<Instrument>();
    slot->symbol = symbol;
    if (auto it = settings_.reference_prices.find(symbol); it != settings_.reference_prices.end()) {
      slot->reference = it->second;
    }
  }
  return *slot;
}

Book::Position& Book::position(const std::string& account, const std::string& firm, const std::string& symbol) {
  auto& slot = positions_[{account, symbol}];
  if (slot) return *slot;
  Account& a = owner(account, firm);
  slot = std::make_unique<Position>();
  slot->account = account;
  slot->firm = firm;
  slot->symbol = symbol;
  slot->owner = &a;
  Instrument& in = instrument(symbol);
  slot->instrument = &in;
  in.positions.push_back(slot.get());
  a.positions[symbol] = slot.get();
  return *slot;
}

Book::Account& Book::owner(const std::string& account, const std::string& firm) {
  auto& f = firms_[firm];
  if (!f) {
    f = std::make_unique<Firm>();
    f->name = firm;
  }
  auto& a = accounts_[account];
  if (!a) {
    a = std::make_unique<Account>();
    a->name = account;
    a->firm = f.get();
    f->accounts.insert(account);
  }
  return *a;
}

std::string Book::check_owner(const std::string& account, const std::string& firm) const {
  if (account.empty()) return "no Account(1)";
  if (firm.empty()) return "no firm header";
  if (auto it = accounts_.find(account); it != accounts_.end() && it->second->firm->name != firm) {
    return "account " + account + " is firm " + it->second->firm->name + "'s, the report says firm " + firm;
  }
  return "";
}

Effect Book::apply(const fix_session::ReportRecord& r) {
  if (r.msg_type != '8') return {};
  switch (r.exec_type) {
    case 'F': return apply_fill(r);
    case 'H': return apply_bust(r);
    case '0':
    case '4':
    case '5':
    case '8':
    case 'C':
    case 'D': return apply_order(r);
    default: return {};  // 150=I status and anything else: no change
  }
}

Effect Book::apply_fill(const fix_session::ReportRecord& r) {
  const std::string exec_id(r.fix.text(tags::kExecID));
  if (exec_id.empty()) return bad("fill without ExecID(17)");
  if (auto why = check_owner(r.account, r.firm); !why.empty()) return bad("fill with " + why);
  const std::string symbol(r.fix.text(tags::kSymbol));
  if (symbol.empty()) return bad("fill without Symbol(55)");
  const auto side = r.fix.text(tags::kSide);
  if (side != "1" && side != "2") return bad("fill with Side(54) \"" + std::string(side) + "\" (1 or 2 expected)");
  const auto qty = r.fix.decimal(tags::kLastQty);
  const auto price = r.fix.decimal(tags::kLastPx);
  if (!positive(qty)) return bad("fill without a positive LastQty(32)");
  if (!positive(price)) return bad("fill without a positive LastPx(31)");
  auto transact = r.fix.timestamp_ns(tags::kTransactTime);
  if (!transact && r.timestamp_ms >= 0) transact = r.timestamp_ms * 1'000'000;
  if (!transact) return bad("fill without TransactTime(60)");
  const auto leaves = r.fix.decimal(tags::kLeavesQty).value_or(Decimal{});
  if (fills_.count(exec_id) != 0) {
    update_order(r, leaves);
    return Effect{Effect::Kind::kRepeatedFill, {}};
  }
  auto f = std::make_unique<Fill>();
  f->exec_id = exec_id;
  f->venue_seq = r.venue_seq;
  f->order_id = std::string(r.fix.text(tags::kOrderID));
  f->trd_match_id = std::string(r.fix.text(tags::kTrdMatchID));
  f->account = r.account;
  f->firm = r.firm;
  f->symbol = symbol;
  f->side = side == "1" ? Side::kBuy : Side::kSell;
  f->qty = *qty;
  f->price = *price;
  f->transact_ns = *transact;
  f->trade_day = trade_day_of(*transact);
  f->poss_resend = r.poss_resend();
  add_fill(std::move(f));
  update_order(r, leaves);
  return Effect{Effect::Kind::kFill, {}};
}

void Book::add_fill(std::unique_ptr<Fill> owned) {
  Fill* f = owned.get();
  fills_[f->exec_id] = std::move(owned);
  if (!f->trd_match_id.empty()) fills_by_match_[f->order_id + "|" + f->trd_match_id] = f;
  Position& p = position(f->account, f->firm, f->symbol);
  if (p.fills.empty() || p.fills.back()->venue_seq < f->venue_seq) {
    p.fills.push_back(f);
    if (f->busted_by.empty()) risk::apply_fill(p.current, f->side, f->qty, f->price);
  } else {
    // A late record (its venue-seq was skipped as a gap): the average cost depends on the order of the
    // fills, so the position is computed again with this one in its place.
    auto at = std::upper_bound(p.fills.begin(), p.fills.end(), f,
                               [](const Fill* a, const Fill* b) { return a->venue_seq < b->venue_seq; });
    p.fills.insert(at, f);
    recompute(p);
  }
  Instrument& in = *p.instrument;
  if (f->busted_by.empty() && f->venue_seq > in.last_seq) set_mark(in, f->price, f->venue_seq, f->trd_match_id);
  refresh(p);
  touch_own(*p.owner);
  if (f->busted_by.empty()) add_today(*f, true);
  changed_fills_.insert(f->exec_id);
}

Effect Book::apply_bust(const fix_session::ReportRecord& r) {
  const std::string exec_id(r.fix.text(tags::kExecID));
  if (exec_id.empty()) return bad("bust without ExecID(17)");
  const auto leaves = r.fix.decimal(tags::kLeavesQty).value_or(Decimal{});
  const std::string ref(r.fix.text(tags::kExecRefID));
  const std::string order_id(r.fix.text(tags::kOrderID));
  const std::string match(r.fix.text(tags::kTrdMatchID));
  Fill* f = nullptr;
  if (!ref.empty()) {
    if (auto it = fills_.find(ref); it != fills_.end()) f = it->second.get();
  }
  if (f == nullptr && !match.empty()) {
    if (auto it = fills_by_match_.find(order_id + "|" + match); it != fills_by_match_.end()) f = it->second;
  }
  if (f == nullptr) {
    update_order(r, leaves);
    return bad("bust of a fill not kept (ExecRefID \"" + ref + "\", OrderID \"" + order_id + "\", TrdMatchID \"" +
               match + "\"): never seen, or of a trading day already folded");
  }
  if (!f->busted_by.empty()) {
    update_order(r, leaves);
    return Effect{Effect::Kind::kRepeatedBust, {}};
  }
  f->busted_by = exec_id;
  f->busted_ns = r.fix.timestamp_ns(tags::kTransactTime).value_or(r.timestamp_ms * 1'000'000);
  Position& p = *positions_.at({f->account, f->symbol});
  recompute(p);
  add_today(*f, false);
  if (p.instrument->last_match == f->trd_match_id) find_mark_again(*p.instrument);
  refresh(p);
  touch_own(*p.owner);
  changed_fills_.insert(f->exec_id);
  update_order(r, leaves);
  return Effect{Effect::Kind::kBust, {}};
}

Effect Book::apply_order(const fix_session::ReportRecord& r) {
  const auto order_id = r.fix.text(tags::kOrderID);
  if (order_id.empty() || order_id == "NONE") return {};
  if (auto why = check_owner(r.account, r.firm); !why.empty()) return bad("order report with " + why);
  Decimal leaves;
  if (r.exec_type == '0' || r.exec_type == '5' || r.exec_type == 'D') {
    const auto l = r.fix.decimal(tags::kLeavesQty);
    if (!l) return bad("ExecType " + std::string(1, r.exec_type) + " without LeavesQty(151)");
    leaves = *l;
  }
  update_order(r, leaves);
  return Effect{Effect::Kind::kOrder, {}};
}

void Book::update_order(const fix_session::ReportRecord& r, Decimal leaves) {
  const std::string order_id(r.fix.text(tags::kOrderID));
  if (order_id.empty() || order_id == "NONE" || r.account.empty() || r.firm.empty()) return;
  if (leaves.units() <= 0) {
    erase_order(order_id);
    return;
  }
  OrderState o;
  o.order_id = order_id;
  o.account = r.account;
  o.firm = r.firm;
  o.symbol = std::string(r.fix.text(tags::kSymbol));
  o.side = r.fix.text(tags::kSide) == "2" ? Side::kSell : Side::kBuy;
  o.leaves = leaves;
  o.venue_seq = r.venue_seq;
  if (const auto px = r.fix.decimal(tags::kPrice); positive(px)) {
    o.price = *px;
  } else if (const auto stop = r.fix.decimal(tags::kStopPx); positive(stop)) {
    o.price = *stop;
  } else if (const auto m = mark(o.symbol)) {
    o.price = *m;
  }
  set_order(std::move(o));
}

void Book::set_order(OrderState o) {
  // The account and firm exist from their first order on (figures with no position yet).
  Account& a = owner(o.account, o.firm);
  Amount delta = o.exposure();
  if (auto it = orders_.find(o.order_id); it != orders_.end()) delta -= it->second.exposure();
  a.figures.open_order_exposure += delta;
  a.firm->figures.open_order_exposure += delta;
  touch_own(a);
  changed_orders_.insert(o.order_id);
  const std::string id = o.order_id;
  orders_[id] = std::move(o);
}

void Book::erase_order(const std::string& order_id) {
  auto it = orders_.find(order_id);
  if (it == orders_.end()) return;
  if (auto a = accounts_.find(it->second.account); a != accounts_.end()) {
    a->second->figures.open_order_exposure -= it->second.exposure();
    a->second->firm->figures.open_order_exposure -= it->second.exposure();
    touch_own(*a->second);
  }
  changed_orders_.insert(order_id);
  orders_.erase(it);
}

void Book::recompute(Position& p) {
  p.current = p.baseline;
  for (const Fill* f : p.fills) {
    if (f->busted_by.empty()) risk::apply_fill(p.current, f->side, f->qty, f->price);
  }
}

void Book::refresh(Position& p) {
  const auto m = p.instrument->mark();
  Amount unreal;
  Amount gross;
  Amount net;
  if (m) {
    unreal = unrealized(p.current, *m);
    net = Amount::product(p.current.net_qty, *m);
    gross = abs(net);
  } else {
    // No trade and no reference price (only after a restore without marks): valued at its cost.
    net = p.current.cost;
    gross = abs(net);
  }
  Figures& af = p.owner->figures;
  Figures& ff = p.owner->firm->figures;
  for (Figures* fig : {&af, &ff}) {
    fig->realized += p.current.realized - p.c_realized;
    fig->unrealized += unreal - p.c_unrealized;
    fig->gross_exposure += gross - p.c_gross;
    fig->net_exposure += net - p.c_net;
  }
  if (p.current.net_qty != p.c_net_qty) {
    Decimal& firm_net = p.owner->firm->net[p.symbol];
    firm_net = add(firm_net, sub(p.current.net_qty, p.c_net_qty));
    touch_net(p);
  }
  const bool moved = p.current.realized != p.c_realized || unreal != p.c_unrealized || gross != p.c_gross;
  p.c_realized = p.current.realized;
  p.c_unrealized = unreal;
  p.c_gross = gross;
  p.c_net = net;
  p.c_net_qty = p.current.net_qty;
  // The account's own fills and orders touch it explicitly (touch_own); here only what a mark
  // moved, which the service checks once per batch of records.
  if (moved) touch_mark(*p.owner);
}

void Book::set_mark(Instrument& in, Decimal price, std::uint64_t venue_seq, const std::string& trd_match_id) {
  const bool moved = !in.last || *in.last != price;
  in.last = price;
  in.last_seq = venue_seq;
  in.last_match = trd_match_id;
  changed_marks_.insert(in.symbol);
  if (!moved) return;
  for (Position* p : in.positions) refresh(*p);
}

void Book::find_mark_again(Instrument& in) {
  const Fill* latest = nullptr;
  for (const Position* p : in.positions) {
    for (const Fill* f : p->fills) {
      if (f->busted_by.empty() && (latest == nullptr || f->venue_seq > latest->venue_seq)) latest = f;
    }
  }
  // Without a kept fill the mark stays where it is (the trades before it are folded: their price is not
  // known any more); spec/risk.md says so.
  if (latest != nullptr) set_mark(in, latest->price, latest->venue_seq, latest->trd_match_id);
}

void Book::add_today(const Fill& f, bool add_it) {
  if (f.trade_day != today_) return;
  const Amount n = Amount::product(f.qty, f.price);
  auto it = accounts_.find(f.account);
  if (it == accounts_.end()) return;
  Account& a = *it->second;
  a.figures.traded_today += add_it ? n : -n;
  a.firm->figures.traded_today += add_it ? n : -n;
  touch_own(a);
}

void Book::set_now(std::int64_t now_ns) {
  const std::int32_t day = trade_day_of(now_ns);
  if (day == today_) return;
  today_ = day;
  for (auto& [name, a] : accounts_) {
    a->figures.traded_today = Amount();
    touch_own(*a);
  }
  for (auto& [name, f] : firms_) f->figures.traded_today = Amount();
  for (const auto& [id, f] : fills_) {
    if (f->busted_by.empty()) add_today(*f, true);
  }
}

std::size_t Book::fold(std::int32_t before_day) {
  std::size_t folded = 0;
  for (auto& [key, p] : positions_) {
    std::size_t k = 0;
    while (k < p->fills.size() && p->fills[k]->trade_day < before_day) ++k;
    if (k == 0) continue;
    for (std::size_t i = 0; i < k; ++i) {
      Fill* f = p->fills[i];
      if (f->busted_by.empty()) risk::apply_fill(p->baseline, f->side, f->qty, f->price);
      if (!f->trd_match_id.empty()) fills_by_match_.erase(f->order_id + "|" + f->trd_match_id);
      folded_.push_back(f->exec_id);
      changed_fills_.erase(f->exec_id);
      fills_.erase(f->exec_id);
    }
    p->fills.erase(p->fills.begin(), p->fills.begin() + static_cast<std::ptrdiff_t>(k));
    changed_baselines_.insert(key);
    folded += k;
  }
  return folded;
}

}  // namespace venue::risk
