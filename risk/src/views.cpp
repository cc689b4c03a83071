#include "venue/risk/views.h"

#include <nlohmann/json.hpp>

namespace venue::risk {

namespace {

using nlohmann::json;

struct PositionText {
  std::string avg_cost;
  std::string mark;
};

PositionText texts(const PositionRow& r) {
  PositionText t;
  if (!r.account.empty() && r.figures.net_qty.units() != 0) {
    t.avg_cost = average_cost(r.figures.cost, r.figures.net_qty).to_string();
  }
  if (r.mark) t.mark = r.mark->to_string();
  return t;
}

}  // namespace

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string positions_csv(const std::vector<PositionRow>& rows) {
  std::string out =
      "account,firm,symbol,bought_qty,sold_qty,net_qty,bought_notional,sold_notional,avg_cost,realized_pnl,"
      "unrealized_pnl,mark_price\n";
  for (const auto& r : rows) {
    const auto t = texts(r);
    const auto& f = r.figures;
    out += csv_field(r.account) + "," + csv_field(r.firm) + "," + csv_field(r.symbol) + "," + f.bought_qty.to_string() +
           "," + f.sold_qty.to_string() + "," + f.net_qty.to_string() + "," + f.bought_notional.to_string() + "," +
           f.sold_notional.to_string() + "," + t.avg_cost + "," + f.realized.to_string() + "," +
           r.unrealized.to_string() + "," + t.mark + "\n";
  }
  return out;
}

std::string positions_json(const std::vector<PositionRow>& rows) {
  json out = json::array();
  for (const auto& r : rows) {
    const auto t = texts(r);
    const auto& f = r.figures;
    out.push_back(json{{"account", r.account},
                       {"firm", r.firm},
                       {"symbol", r.symbol},
                       {"bought_qty", f.bought_qty.to_string()},
                       {"sold_qty", f.sold_qty.to_string()},
                       {"net_qty", f.net_qty.to_string()},
                       {"bought_notional", f.bought_notional.to_string()},
                       {"sold_notional", f.sold_notional.to_string()},
                       {"avg_cost", t.avg_cost},
                       {"realized_pnl", f.realized.to_string()},
                       {"unrealized_pnl", r.unrealized.to_string()},
                       {"mark_price", t.mark}});
  }
  return out.dump(1) + "\n";
}

std::vector<ExposureRow> exposure_rows(const Book& book, const std::string& firm, const std::string& account) {
  std::vector<ExposureRow> out;
  for (const auto& a : book.accounts()) {
    const std::string f = book.firm_of(a);
    if ((!account.empty() && a != account) || (!firm.empty() && f != firm)) continue;
    out.push_back(ExposureRow{"account", a, f, *book.account_figures(a)});
  }
  if (account.empty()) {
    for (const auto& f : book.firms()) {
      if (!firm.empty() && f != firm) continue;
      out.push_back(ExposureRow{"firm", f, f, *book.firm_figures(f)});
    }
  }
  return out;
}

std::string exposure_csv(const std::vector<ExposureRow>& rows) {
  std::string out =
      "scope,entity,firm,realized_pnl,unrealized_pnl,total_pnl,gross_exposure,net_exposure,open_order_exposure,"
      "traded_notional_today\n";
  for (const auto& r : rows) {
    const auto& f = r.figures;
    out += r.scope + "," + csv_field(r.entity) + "," + csv_field(r.firm) + "," + f.realized.to_string() + "," +
           f.unrealized.to_string() + "," + f.pnl().to_string() + "," + f.gross_exposure.to_string() + "," +
           f.net_exposure.to_string() + "," + f.open_order_exposure.to_string() + "," + f.traded_today.to_string() +
           "\n";
  }
  return out;
}

std::string exposure_json(const std::vector<ExposureRow>& rows) {
  json out = json::array();
  for (const auto& r : rows) {
    const auto& f = r.figures;
    out.push_back(json{{"scope", r.scope},
                       {"entity", r.entity},
                       {"firm", r.firm},
                       {"realized_pnl", f.realized.to_string()},
                       {"unrealized_pnl", f.unrealized.to_string()},
                       {"total_pnl", f.pnl().to_string()},
                       {"gross_exposure", f.gross_exposure.to_string()},
                       {"net_exposure", f.net_exposure.to_string()},
                       {"open_order_exposure", f.open_order_exposure.to_string()},
                       {"traded_notional_today", f.traded_today.to_string()}});
  }
  return out.dump(1) + "\n";
}

}  // namespace venue::risk
