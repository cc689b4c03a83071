// The risk book's bookkeeping of what moved (book.h): entities touched since the service last took them
// (for the limit checks), changes since the last flush (for PostgreSQL), and the state put back from
// PostgreSQL at start. Applying reports is in book.cpp.
#include <algorithm>

#include "book_parts.h"
#include "venue/risk/book.h"

namespace venue::risk {

void Book::touch_own(Account& a) {
  if (a.touched_own) return;
  a.touched_own = true;
  touched_own_.push_back(&a);
}

void Book::touch_mark(Account& a) {
  if (a.touched_mark) return;
  a.touched_mark = true;
  touched_mark_.push_back(&a);
}

void Book::touch_net(Position& p) {
  if (p.touched_net) return;
  p.touched_net = true;
  touched_net_.push_back(&p);
}

Touched Book::take_touched() {
  Touched t;
  t.accounts.reserve(touched_own_.size());
  for (Account* a : touched_own_) {
    a->touched_own = false;
    t.accounts.push_back({a->name, a->firm->name});
  }
  t.marked.reserve(touched_mark_.size());
  for (Account* a : touched_mark_) {
    a->touched_mark = false;
    t.marked.push_back({a->name, a->firm->name});
  }
  t.positions.reserve(touched_net_.size());
  for (Position* p : touched_net_) {
    p->touched_net = false;
    t.positions.push_back({p->account, p->firm, p->symbol});
  }
  touched_own_.clear();
  touched_mark_.clear();
  touched_net_.clear();
  return t;
}

BookChanges Book::take_changes() {
  BookChanges c;
  for (const auto& id : changed_fills_) {
    if (auto it = fills_.find(id); it != fills_.end()) c.fills.push_back(*it->second);
  }
  c.folded_fills = std::move(folded_);
  for (const auto& id : changed_orders_) {
    if (auto it = orders_.find(id); it != orders_.end()) {
      c.orders.push_back(it->second);
    } else {
      c.ended_orders.push_back(id);
    }
  }
  for (const auto& symbol : changed_marks_) {
    const Instrument& in = *instruments_.at(symbol);
    if (in.last) c.marks.push_back(Mark{symbol, *in.last, in.last_seq, in.last_match});
  }
  for (const auto& key : changed_baselines_) {
    const Position& p = *positions_.at(key);
    c.baselines.push_back(Baseline{p.account, p.firm, p.symbol, p.baseline});
  }
  changed_fills_.clear();
  folded_.clear();
  changed_orders_.clear();
  changed_marks_.clear();
  changed_baselines_.clear();
  return c;
}

void Book::restore_baseline(const Baseline& b) { position(b.account, b.firm, b.symbol).baseline = b.figures; }

void Book::restore_fill(Fill f) {
  auto owned = std::make_unique<Fill>(std::move(f));
  Fill* p = owned.get();
  fills_[p->exec_id] = std::move(owned);
  if (!p->trd_match_id.empty()) fills_by_match_[p->order_id + "|" + p->trd_match_id] = p;
  position(p->account, p->firm, p->symbol).fills.push_back(p);
}

void Book::restore_order(const OrderState& o) { set_order(o); }

void Book::restore_mark(const Mark& m) {
  Instrument& in = instrument(m.symbol);
  in.last = m.price;
  in.last_seq = m.venue_seq;
  in.last_match = m.trd_match_id;
}

void Book::finish_restore() {
  for (auto& [key, p] : positions_) {
    std::sort(p->fills.begin(), p->fills.end(),
              [](const Fill* a, const Fill* b) { return a->venue_seq < b->venue_seq; });
    recompute(*p);
    refresh(*p);
  }
  for (auto& [name, a] : accounts_) a->figures.traded_today = Amount();
  for (auto& [name, f] : firms_) f->figures.traded_today = Amount();
  for (const auto& [id, f] : fills_) {
    if (f->busted_by.empty()) add_today(*f, true);
  }
  take_touched();
  changed_fills_.clear();
  folded_.clear();
  changed_orders_.clear();
  changed_marks_.clear();
  changed_baselines_.clear();
}

}  // namespace venue::risk
