// The risk book's read side (book.h): positions and figures by account, firm and symbol, as the HTTP
// views and the limit checks read them. Applying reports is in book.cpp.
#include <algorithm>

#include "book_parts.h"
#include "venue/risk/book.h"

namespace venue::risk {

using book_detail::add;

std::vector<PositionRow> Book::positions(const std::string& firm, const std::string& account) const {
  std::vector<PositionRow> out;
  for (const auto& [key, p] : positions_) {
    if (!account.empty() && p->account != account) continue;
    if (!firm.empty() && p->firm != firm) continue;
    out.push_back(PositionRow{p->account, p->firm, p->symbol, p->current, p->instrument->mark(), p->c_unrealized});
  }
  return out;
}

std::vector<PositionRow> Book::firm_positions(const std::string& firm) const {
  std::map<std::pair<std::string, std::string>, PositionRow> rows;  // (firm, symbol)
  for (const auto& [key, p] : positions_) {
    if (!firm.empty() && p->firm != firm) continue;
    auto [it, fresh] = rows.try_emplace({p->firm, p->symbol});
    PositionRow& r = it->second;
    if (fresh) {
      r.firm = p->firm;
      r.symbol = p->symbol;
      r.mark = p->instrument->mark();
    }
    r.figures.bought_qty = add(r.figures.bought_qty, p->current.bought_qty);
    r.figures.sold_qty = add(r.figures.sold_qty, p->current.sold_qty);
    r.figures.bought_notional += p->current.bought_notional;
    r.figures.sold_notional += p->current.sold_notional;
    r.figures.net_qty = add(r.figures.net_qty, p->current.net_qty);
    r.figures.cost += p->current.cost;
    r.figures.realized += p->current.realized;
    r.unrealized += p->c_unrealized;
  }
  std::vector<PositionRow> out;
  out.reserve(rows.size());
  for (auto& [k, r] : rows) out.push_back(std::move(r));
  return out;
}

const Figures* Book::account_figures(const std::string& account) const {
  auto it = accounts_.find(account);
  return it == accounts_.end() ? nullptr : &it->second->figures;
}

const Figures* Book::firm_figures(const std::string& firm) const {
  auto it = firms_.find(firm);
  return it == firms_.end() ? nullptr : &it->second->figures;
}

std::string Book::firm_of(const std::string& account) const {
  auto it = accounts_.find(account);
  return it == accounts_.end() ? std::string() : it->second->firm->name;
}

std::vector<std::string> Book::accounts() const {
  std::vector<std::string> out;
  out.reserve(accounts_.size());
  for (const auto& [name, a] : accounts_) out.push_back(name);
  return out;
}

std::vector<std::string> Book::firms() const {
  std::vector<std::string> out;
  out.reserve(firms_.size());
  for (const auto& [name, f] : firms_) out.push_back(name);
  return out;
}

std::vector<std::string> Book::accounts_of(const std::string& firm) const {
  auto it = firms_.find(firm);
  if (it == firms_.end()) return {};
  return {it->second->accounts.begin(), it->second->accounts.end()};
}

std::vector<std::string> Book::symbols_of(const std::string& account) const {
  std::vector<std::string> out;
  if (auto it = accounts_.find(account); it != accounts_.end()) {
    for (const auto& [symbol, p] : it->second->positions) out.push_back(symbol);
  }
  return out;
}

std::vector<std::string> Book::firm_symbols(const std::string& firm) const {
  std::vector<std::string> out;
  if (auto it = firms_.find(firm); it != firms_.end()) {
    for (const auto& [symbol, n] : it->second->net) out.push_back(symbol);
  }
  return out;
}

Decimal Book::account_net(const std::string& account, const std::string& symbol) const {
  auto it = positions_.find({account, symbol});
  return it == positions_.end() ? Decimal{} : it->second->current.net_qty;
}

Decimal Book::firm_net(const std::string& firm, const std::string& symbol) const {
  auto it = firms_.find(firm);
  if (it == firms_.end()) return Decimal{};
  auto n = it->second->net.find(symbol);
  return n == it->second->net.end() ? Decimal{} : n->second;
}

std::optional<Decimal> Book::mark(const std::string& symbol) const {
  auto it = instruments_.find(symbol);
  if (it == instruments_.end()) return std::nullopt;
  return it->second->mark();
}

const Fill* Book::fill(const std::string& exec_id) const {
  auto it = fills_.find(exec_id);
  return it == fills_.end() ? nullptr : it->second.get();
}

std::size_t Book::position_count() const { return positions_.size(); }

}  // namespace venue::risk
