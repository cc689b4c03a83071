// compliance export (commands.h): audit rows or alerts of a time range as CSV or JSON.
#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "commands_internal.h"
#include "venue/compliance/audit_row.h"
#include "venue/compliance/commands.h"

namespace venue::compliance {

const std::vector<std::string>& audit_export_columns() {
  static const std::vector<std::string> kCols{"venue_seq",
                                              "exec_id",
                                              "order_id",
                                              "cl_ord_id",
                                              "orig_cl_ord_id",
                                              "session",
                                              "firm",
                                              "account",
                                              "symbol",
                                              "side",
                                              "ord_type",
                                              "time_in_force",
                                              "order_qty",
                                              "price",
                                              "stop_px",
                                              "exec_type",
                                              "ord_status",
                                              "last_qty",
                                              "last_px",
                                              "cum_qty",
                                              "leaves_qty",
                                              "avg_px",
                                              "order_capacity",
                                              "transact_time",
                                              "reject_code",
                                              "text",
                                              "poss_resend",
                                              "repeat_of_venue_seq",
                                              "exec_ref_id",
                                              "bust_of_venue_seq",
                                              "kafka_partition",
                                              "kafka_offset",
                                              "raw_fix",
                                              "msg_type",
                                              "trd_match_id",
                                              "last_liquidity_ind",
                                              "trading_day",
                                              "report_time",
                                              "skipped_before",
                                              "shard",
                                              "engine_seq",
                                              "traceparent",
                                              "error",
                                              "prev_hash",
                                              "row_hash"};
  return kCols;
}

const std::vector<std::string>& alert_export_columns() {
  static const std::vector<std::string> kCols{
      "alert_id",  "rule",      "state",        "event_time",        "detected_at",       "firm",    "account",
      "owner",     "symbol",    "summary",      "trigger_venue_seq", "evidence_exec_ids", "figures", "evidence",
      "closed_by", "closed_at", "close_reason", "published_at",      "busted_exec_ids"};
  return kCols;
}

namespace detail {

namespace {

enum class Json : std::uint8_t { kString, kInt, kBool, kRaw };

// Writes rows as CSV (header line) or a JSON array; each value given as text (nullopt: NULL).
class Writer {
 public:
  Writer(std::ostream& out, bool json, const std::vector<std::string>& cols, std::vector<Json> kinds)
      : out_(out), json_(json), cols_(cols), kinds_(std::move(kinds)) {
    if (json_) {
      out_ << "[";
    } else {
      for (std::size_t i = 0; i < cols_.size(); ++i) out_ << (i ? "," : "") << cols_[i];
      out_ << "\n";
    }
  }
  void row(const std::vector<std::optional<std::string>>& v) {
    if (json_) {
      nlohmann::ordered_json o;
      for (std::size_t i = 0; i < cols_.size(); ++i) {
        if (!v[i]) {
          o[cols_[i]] = nullptr;
        } else if (kinds_[i] == Json::kInt) {
          o[cols_[i]] = std::stoll(*v[i]);
        } else if (kinds_[i] == Json::kBool) {
          o[cols_[i]] = *v[i] == "Y";
        } else if (kinds_[i] == Json::kRaw) {
          o[cols_[i]] = nlohmann::ordered_json::parse(*v[i]);
        } else {
          o[cols_[i]] = *v[i];
        }
      }
      out_ << (rows_ ? ",\n" : "\n") << o.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      for (std::size_t i = 0; i < cols_.size(); ++i) out_ << (i ? "," : "") << (v[i] ? csv_field(*v[i]) : "");
      out_ << "\n";
    }
    ++rows_;
  }
  void finish() {
    if (json_) out_ << (rows_ ? "\n]\n" : "]\n");
    out_.flush();
  }
  std::uint64_t rows() const { return rows_; }

 private:
  std::ostream& out_;
  bool json_;
  const std::vector<std::string>& cols_;
  std::vector<Json> kinds_;
  std::uint64_t rows_ = 0;
};

}  // namespace

int cmd_export(const Args& a, std::ostream& out, std::ostream& err) {
  const std::string kind = a.choice("kind", {"audit", "alerts"}, a.need("kind"));
  const std::int64_t from = need_time(a, "from");
  const std::int64_t to = need_time(a, "to");
  if (to <= from) throw UsageError{"CMP005", "--to must be after --from"};
  const bool json = a.choice("format", {"csv", "json"}, "csv") == "json";
  const Target t = target_of(a);
  std::ofstream file;
  if (a.has("out")) {
    file.open(a.get("out"), std::ios::binary | std::ios::trunc);
    if (!file) throw UsageError{"CMP005", "cannot write --out " + a.get("out")};
  }
  std::ostream& o = a.has("out") ? file : out;
  auto c = connect(t);
  pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only> tx(*c);
  std::string where;
  if (a.has("firm")) where += " and firm = " + tx.quote(a.get("firm"));
  if (a.has("account")) where += " and account = " + tx.quote(a.get("account"));
  const double f = static_cast<double>(from);
  const double e = static_cast<double>(to);
  std::uint64_t n = 0;
  if (kind == "audit") {
    const auto& cols = audit_export_columns();
    std::vector<Json> kinds;
    std::string select;
    for (const auto& col : cols) {
      if (!select.empty()) select += ", ";
      if (col == "transact_time" || col == "report_time") {
        select += "(extract(epoch from " + col + ") * 1000000)::bigint";
      } else if (col == "trading_day") {
        select += "to_char(trading_day, 'YYYY-MM-DD')";
      } else if (col == "poss_resend") {
        select += "case when poss_resend then 'Y' else 'N' end";
      } else if (col == "prev_hash" || col == "row_hash") {
        select += "encode(" + col + ", 'hex')";
      } else {
        select += col + "::text";
      }
      const bool is_int = col == "venue_seq" || col == "reject_code" || col == "repeat_of_venue_seq" ||
                          col == "bust_of_venue_seq" || col == "kafka_partition" || col == "kafka_offset" ||
                          col == "skipped_before" || col == "shard" || col == "engine_seq";
      kinds.push_back(is_int ? Json::kInt : col == "poss_resend" ? Json::kBool : Json::kString);
    }
    tx.exec_params("declare x no scroll cursor for select " + select +
                       " from compliance.audit where trading_day >= (to_timestamp($1 / 1e6) at time zone 'UTC')::date "
                       "and trading_day <= (to_timestamp($2 / 1e6) at time zone 'UTC')::date and report_time >= "
                       "to_timestamp($1 / 1e6) and report_time < to_timestamp($2 / 1e6)" +
                       where + " order by audit.venue_seq",
                   f, e);
    Writer w(o, json, cols, kinds);
    const std::string soh = a.get("soh", "\x01");
    for (;;) {
      const auto rows = tx.exec("fetch 5000 from x");
      if (rows.empty()) break;
      for (const auto& r : rows) {
        std::vector<std::optional<std::string>> v(cols.size());
        for (std::size_t i = 0; i < cols.size(); ++i) {
          const auto& fld = r[static_cast<int>(i)];
          if (fld.is_null()) continue;
          if (cols[i] == "transact_time" || cols[i] == "report_time") {
            v[i] = iso_of(fld);
          } else {
            v[i] = fld.as<std::string>();
            if (cols[i] == "raw_fix" && soh != "\x01") {
              std::string s;
              for (const char ch : *v[i]) s += ch == '\x01' ? soh : std::string(1, ch);
              v[i] = std::move(s);
            }
          }
        }
        w.row(v);
      }
    }
    w.finish();
    n = w.rows();
  } else {
    const auto& cols = alert_export_columns();
    const std::vector<Json> kinds{Json::kString, Json::kString, Json::kString, Json::kString, Json::kString,
                                  Json::kString, Json::kString, Json::kString, Json::kString, Json::kString,
                                  Json::kInt,    Json::kRaw,    Json::kRaw,    Json::kRaw,    Json::kString,
                                  Json::kString, Json::kString, Json::kString, Json::kRaw};
    const auto rows = tx.exec_params(
        "select alert_id, rule, state, (extract(epoch from event_time) * 1000000)::bigint, (extract(epoch from "
        "detected_at) * 1000000)::bigint, firm, account, owner, symbol, summary, trigger_venue_seq::text, "
        "to_json(evidence_exec_ids)::text, figures::text, evidence::text, closed_by, (extract(epoch from closed_at) * "
        "1000000)::bigint, close_reason, (extract(epoch from published_at) * 1000000)::bigint, " +
            std::string(kBustedExecIds) +
            " from compliance.alerts "
            "where event_time >= to_timestamp($1 / 1e6) and event_time < to_timestamp($2 / 1e6)" +
            where + " order by trigger_venue_seq, alert_id",
        f, e);
    Writer w(o, json, cols, kinds);
    for (const auto& r : rows) {
      std::vector<std::optional<std::string>> v(cols.size());
      for (std::size_t i = 0; i < cols.size(); ++i) {
        const auto& fld = r[static_cast<int>(i)];
        if (fld.is_null()) continue;
        const bool time_col = i == 3 || i == 4 || i == 15 || i == 17;
        v[i] = time_col ? iso_of(fld) : fld.as<std::string>();
        if (!json && (i == 11 || i == 18)) {  // CSV: the ExecIDs separated by spaces
          std::string s;
          for (const auto& id : nlohmann::json::parse(*v[i])) s += (s.empty() ? "" : " ") + id.get<std::string>();
          v[i] = s;
        }
      }
      w.row(v);
    }
    w.finish();
    n = w.rows();
  }
  tx.commit();
  if (a.has("out")) err << "compliance: " << n << " " << kind << " rows written to " << a.get("out") << "\n";
  return 0;
}

}  // namespace detail

}  // namespace venue::compliance
