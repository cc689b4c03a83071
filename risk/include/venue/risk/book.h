#pragma once
// The risk book: every account's positions, live orders and figures, built from the venue's execution
// reports in venue-seq order. No I/O, no clock, no threads: the service feeds it records, tells it the
// time, and reads figures, changes and touched entities back.
//
//   Book book({.reference_prices = refs, .day_start_offset_ns = 0});
//   book.set_now(now_ns);                                  // today's date for traded notional
//   Effect e = book.apply(record);                         // a report, in venue-seq order
//   for (auto& p : book.take_touched().positions) ...       // what to check against limits
//   BookChanges c = book.take_changes();                   // what to write to PostgreSQL
//
// What each report does (spec/risk.md, "What the service reads"):
//   150=F fill   counted once by ExecID (a report sent again with PossResend(97)=Y and the same ExecID
//                changes no position), into the account's position by the average-cost method; its
//                LastPx becomes the instrument's mark (the last trade price);
//   150=H bust   the busted fill (ExecRefID(19), else OrderID + TrdMatchID(880)) no longer counts: the
//                position is computed again from its fills without it;
//   any 35=8 with an OrderID: the order's live quantity and price (LeavesQty(151), Price(44), StopPx(99))
//                as the report states them; LeavesQty 0 (filled, cancelled, expired, rejected) ends it.
// Every other record (35=9, r, j; 150=I) changes nothing.
//
// Figures (per account, and per firm as the sum of its accounts): realized and unrealized P&L, gross
// exposure sum(|net| x mark), net exposure sum(net x mark), open order exposure sum(leaves x price),
// traded notional today. The mark is the last trade price, else the instrument's reference price.
//
// Fills are kept (for busts and for ExecID de-duplication) until fold() moves those of past days into
// each position's baseline.
//
// Thread rules: not thread-safe; one owner (the service serialises readers with its mutex).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "venue/common/domain.h"
#include "venue/common/fixed_point.h"
#include "venue/fix_session/report_record.h"
#include "venue/risk/money.h"
#include "venue/risk/position.h"

namespace venue::risk {

inline constexpr std::int64_t kNsPerDay = 86'400'000'000'000;

struct Fill {
  std::string exec_id;
  std::uint64_t venue_seq = 0;
  std::string order_id;
  std::string trd_match_id;
  std::string account;
  std::string firm;
  std::string symbol;
  Side side = Side::kBuy;
  Decimal qty;
  Decimal price;
  std::int64_t transact_ns = 0;
  std::int32_t trade_day = 0;  // days since 1970-01-01 of TransactTime, less the trading day's start
  bool poss_resend = false;
  std::string busted_by;  // ExecID of the bust; empty while the fill stands
  std::int64_t busted_ns = 0;
};

struct OrderState {
  std::string order_id;
  std::string account;
  std::string firm;
  std::string symbol;
  Side side = Side::kBuy;
  Decimal leaves;
  Decimal price;  // what it is valued at: Price(44), else StopPx(99), else the mark when it was reported
  std::uint64_t venue_seq = 0;
  Amount exposure() const { return Amount::product(leaves, price); }
};

struct Figures {
  Amount realized;
  Amount unrealized;
  Amount gross_exposure;
  Amount net_exposure;
  Amount open_order_exposure;
  Amount traded_today;
  Amount pnl() const { return realized + unrealized; }
  // -(realized + unrealized) when that is a loss, else 0.
  Amount loss() const { return pnl().negative() ? -pnl() : Amount(); }
};

struct Mark {
  std::string symbol;
  Decimal price;
  std::uint64_t venue_seq = 0;
  std::string trd_match_id;
};

struct Baseline {
  std::string account;
  std::string firm;
  std::string symbol;
  PositionFigures figures;
};

// What changed since the last take_changes(), as values (the database writer gets copies).
struct BookChanges {
  std::vector<Fill> fills;                // new or busted since: upserted
  std::vector<std::string> folded_fills;  // ExecIDs no longer kept
  std::vector<OrderState> orders;         // live: upserted
  std::vector<std::string> ended_orders;  // no longer live: deleted
  std::vector<Mark> marks;
  std::vector<Baseline> baselines;
  bool empty() const {
    return fills.empty() && folded_fills.empty() && orders.empty() && ended_orders.empty() && marks.empty() &&
           baselines.empty();
  }
};

// Entities whose figures may have moved since the last take_touched(), each listed once.
struct Touched {
  struct Account {
    std::string account;
    std::string firm;
  };
  struct Position {
    std::string account;
    std::string firm;
    std::string symbol;
  };
  std::vector<Account> accounts;    // by their own fills, busts and orders
  std::vector<Account> marked;      // by a move of the mark of an instrument they hold
  std::vector<Position> positions;  // whose net quantity moved
};

struct Effect {
  enum class Kind : std::uint8_t {
    kNone,          // changed nothing (not an ExecutionReport, a status report, ...)
    kOrder,         // an order's live quantity or price
    kFill,          // a new fill
    kRepeatedFill,  // a fill already counted (same ExecID): position unchanged
    kBust,          // a fill undone
    kRepeatedBust,  // a bust already applied
    kBad,           // refused: `reason` says why (parked by the service)
  };
  Kind kind = Kind::kNone;
  std::string reason;
};

struct PositionRow {
  std::string account;  // empty in firm rows
  std::string firm;
  std::string symbol;
  PositionFigures figures;
  std::optional<Decimal> mark;
  Amount unrealized;
};

struct BookSettings {
  std::map<std::string, Decimal> reference_prices;  // symbol -> reference price (spec/reference-data.md)
  std::int64_t day_start_offset_ns = 0;             // a trading day starts this long after 00:00 UTC
};

class Book {
 public:
  explicit Book(BookSettings settings);
  ~Book();
  Book(const Book&) = delete;
  Book& operator=(const Book&) = delete;

  // Applies one record of venue.execution-reports. Records must come in venue-seq order (a late one is
  // placed where it belongs: its position is computed again).
  Effect apply(const fix_session::ReportRecord& r);

  // Sets the clock: when the trading day changes, today's traded notional is counted again.
  void set_now(std::int64_t now_ns);
  std::int32_t today() const { return today_; }
  std::int32_t trade_day_of(std::int64_t ns) const;

  // Moves the fills of trading days before `before_day` into their positions' baselines (they can no
  // longer be busted or recognised as repeats). Returns how many were folded.
  std::size_t fold(std::int32_t before_day);

  // Queries.
  std::vector<PositionRow> positions(const std::string& firm, const std::string& account) const;
  std::vector<PositionRow> firm_positions(const std::string& firm) const;
  const Figures* account_figures(const std::string& account) const;
  const Figures* firm_figures(const std::string& firm) const;
  std::string firm_of(const std::string& account) const;
  std::vector<std::string> accounts() const;
  std::vector<std::string> firms() const;
  std::vector<std::string> accounts_of(const std::string& firm) const;
  // Symbols the account (or, for a firm, any of its accounts) has a position in.
  std::vector<std::string> symbols_of(const std::string& account) const;
  std::vector<std::string> firm_symbols(const std::string& firm) const;
  Decimal account_net(const std::string& account, const std::string& symbol) const;
  Decimal firm_net(const std::string& firm, const std::string& symbol) const;
  std::optional<Decimal> mark(const std::string& symbol) const;
  const Fill* fill(const std::string& exec_id) const;
  std::size_t position_count() const;
  std::size_t order_count() const { return orders_.size(); }
  std::size_t fill_count() const { return fills_.size(); }

  Touched take_touched();
  BookChanges take_changes();

  // Rebuilding from PostgreSQL: baselines, fills in venue-seq order, live orders, marks; then finish.
  void restore_baseline(const Baseline& b);
  void restore_fill(Fill f);
  void restore_order(const OrderState& o);
  void restore_mark(const Mark& m);
  void finish_restore();

 private:
  struct Instrument;
  struct Position;
  struct Account;
  struct Firm;

  Effect apply_fill(const fix_session::ReportRecord& r);
  Effect apply_bust(const fix_session::ReportRecord& r);
  Effect apply_order(const fix_session::ReportRecord& r);
  std::string check_owner(const std::string& account, const std::string& firm) const;
  Instrument& instrument(const std::string& symbol);
  Position& position(const std::string& account, const std::string& firm, const std::string& symbol);
  Account& owner(const std::string& account, const std::string& firm);
  void add_fill(std::unique_ptr<Fill> f);
  void recompute(Position& p);
  void refresh(Position& p);
  void set_mark(Instrument& in, Decimal price, std::uint64_t venue_seq, const std::string& trd_match_id);
  void find_mark_again(Instrument& in);
  void update_order(const fix_session::ReportRecord& r, Decimal leaves);
  void set_order(OrderState o);
  void erase_order(const std::string& order_id);
  void add_today(const Fill& f, bool add);
  void touch_own(Account& a);
  void touch_mark(Account& a);
  void touch_net(Position& p);

  BookSettings settings_;
  std::int32_t today_ = 0;
  std::map<std::string, std::unique_ptr<Instrument>> instruments_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Position>> positions_;  // (account, symbol)
  std::map<std::string, std::unique_ptr<Account>> accounts_;
  std::map<std::string, std::unique_ptr<Firm>> firms_;
  std::unordered_map<std::string, std::unique_ptr<Fill>> fills_;  // by ExecID
  std::unordered_map<std::string, Fill*> fills_by_match_;         // "<OrderID>|<TrdMatchID>"
  std::unordered_map<std::string, OrderState> orders_;            // live orders by OrderID

  std::vector<Account*> touched_own_;
  std::vector<Account*> touched_mark_;
  std::vector<Position*> touched_net_;
  std::set<std::string> changed_fills_;
  std::vector<std::string> folded_;
  std::set<std::string> changed_orders_;
  std::set<std::string> changed_marks_;
  std::set<std::pair<std::string, std::string>> changed_baselines_;
};

}  // namespace venue::risk
