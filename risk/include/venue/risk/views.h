#pragma once
// What officers read: positions and exposure as CSV (a header line first) or JSON, the same text from
// the service's HTTP endpoints (/positions, /exposure) and from `risk positions --snapshot`.
//
// Positions columns (spec/risk.md): account, firm, symbol, bought_qty, sold_qty, net_qty, bought_notional,
// sold_notional, avg_cost, realized_pnl, unrealized_pnl, mark_price. Quantities and prices as exact
// decimals, money rounded half-even to 8 decimals, shortest form ("1012.5"). avg_cost is empty when the
// position is flat and in firm rows (a firm's accounts may hold opposite positions); mark_price is empty
// when the instrument has neither traded nor a reference price.
//
// Thread rules: pure functions.

#include <string>
#include <vector>

#include "venue/risk/book.h"

namespace venue::risk {

std::string positions_csv(const std::vector<PositionRow>& rows);
std::string positions_json(const std::vector<PositionRow>& rows);

struct ExposureRow {
  std::string scope;  // "account" or "firm"
  std::string entity;
  std::string firm;
  Figures figures;
};
std::string exposure_csv(const std::vector<ExposureRow>& rows);
std::string exposure_json(const std::vector<ExposureRow>& rows);

// The exposure rows of a book: each account (filtered) and each firm (filtered).
std::vector<ExposureRow> exposure_rows(const Book& book, const std::string& firm, const std::string& account);

// A CSV field, quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& s);

}  // namespace venue::risk
