// compliance verify (commands.h): the audit trail's hash chain, the alerts' chain and the alert actions'
// chain checked row by row; each run recorded in compliance.verifications.
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "commands_internal.h"
#include "venue/compliance/audit_row.h"
#include "venue/compliance/store.h"
#include "venue/compliance/surveillance.h"

namespace venue::compliance::detail {

namespace {

struct Verdict {
  bool intact = true;
  std::uint64_t rows = 0;
  std::uint64_t first_bad = 0;
  std::string detail;
};

struct AlertVerdict {
  bool intact = true;
  std::uint64_t alerts = 0;
  AlertHead head;
  std::string detail;
};

// The alerts' chain (store.h), always whole: alert-seqs 1..head without a hole, each prev_hash the hash of
// the alert before, each row_hash its content's, the last one the head the service recorded.
AlertVerdict verify_alerts(pqxx::transaction_base& tx) {
  AlertVerdict v;
  v.head = load_alert_head(tx);
  Hash expected = kGenesisHash;
  std::uint64_t last = 0;
  const auto rows = tx.exec("select " + alert_chain_select_list() +
                            ", encode(prev_hash, 'hex'), encode(row_hash, 'hex') from compliance.alerts order by "
                            "alerts.alert_seq, alerts.alert_id");
  for (const auto& r : rows) {
    const auto seq = r[0].as<std::uint64_t>();
    const auto prev = hash_from_hex(r[kAlertChainColumns].as<std::string>());
    const auto own = hash_from_hex(r[kAlertChainColumns + 1].as<std::string>());
    const std::string where = "alert-seq " + std::to_string(seq) + " (alert " + r[1].as<std::string>() + ")";
    if (seq == last) {
      v.detail = where + ": alert-seq " + std::to_string(seq) + " is stored twice (an alert was inserted)";
    } else if (seq != last + 1) {
      v.detail = where + ": alert-seq " + std::to_string(last + 1) + ".." + std::to_string(seq - 1) +
                 " before it are missing (alerts deleted?)";
    } else if (!prev || *prev != expected) {
      v.detail = where + ": prev_hash does not match the alert before it (alert-seq " + std::to_string(last) +
                 "): an alert before it was deleted, inserted or rewritten";
    } else if (!own || *own != alert_chain_hash(expected, r)) {
      v.detail = where + ": row_hash does not match the alert's content: the alert was edited";
    }
    if (!v.detail.empty()) {
      v.intact = false;
      return v;
    }
    expected = *own;
    last = seq;
    ++v.alerts;
  }
  if (last < v.head.alert_seq) {
    v.detail = "alert-seq " + std::to_string(last + 1) + ".." + std::to_string(v.head.alert_seq) +
               " are missing at the end: the head the service recorded is alert-seq " +
               std::to_string(v.head.alert_seq) + " (alerts deleted?)";
  } else if (last > v.head.alert_seq) {
    v.detail =
        "alerts after the recorded head (alert-seq " + std::to_string(v.head.alert_seq) + ") are stored: inserted?";
  } else if (expected != v.head.row_hash) {
    v.detail = "the last alert's hash differs from the head the service recorded";
  }
  v.intact = v.detail.empty();
  return v;
}

struct ActionVerdict {
  bool intact = true;
  std::uint64_t actions = 0;
  ActionHead head;
  std::string detail;
};

// The alert actions' chain (store.h), always whole, as the alerts' chain; then each alert's closure
// columns (state, closed_by, closed_at, close_reason: outside the alerts' chain because they change by
// design) against its last chained close, so a closure edited in place, or an alert closed without one,
// is found too.
ActionVerdict verify_actions(pqxx::transaction_base& tx) {
  ActionVerdict v;
  v.head = load_action_head(tx, false);
  Hash expected = kGenesisHash;
  std::uint64_t last = 0;
  const auto rows = tx.exec("select " + action_chain_select_list() +
                            ", encode(prev_hash, 'hex'), encode(row_hash, 'hex') from compliance.alert_actions order "
                            "by alert_actions.action_seq, alert_actions.id");
  for (const auto& r : rows) {
    const auto seq = r[0].as<std::uint64_t>();
    const auto prev = hash_from_hex(r[kActionChainColumns].as<std::string>());
    const auto own = hash_from_hex(r[kActionChainColumns + 1].as<std::string>());
    const std::string where = "action-seq " + std::to_string(seq) + " (" + r[2].as<std::string>() + " of alert " +
                              r[1].as<std::string>() + " by " + r[3].as<std::string>() + ")";
    if (seq == last) {
      v.detail = where + ": action-seq " + std::to_string(seq) + " is stored twice (an action was inserted)";
    } else if (seq != last + 1) {
      v.detail = where + ": action-seq " + std::to_string(last + 1) + ".." + std::to_string(seq - 1) +
                 " before it are missing (actions deleted?)";
    } else if (!prev || *prev != expected) {
      v.detail = where + ": prev_hash does not match the action before it (action-seq " + std::to_string(last) +
                 "): an action before it was deleted, inserted or rewritten";
    } else if (!own || *own != action_chain_hash(expected, r)) {
      v.detail = where + ": row_hash does not match the action's content: the action was edited";
    }
    if (!v.detail.empty()) {
      v.intact = false;
      return v;
    }
    expected = *own;
    last = seq;
    ++v.actions;
  }
  if (last < v.head.action_seq) {
    v.detail = "action-seq " + std::to_string(last + 1) + ".." + std::to_string(v.head.action_seq) +
               " are missing at the end: the head recorded is action-seq " + std::to_string(v.head.action_seq) +
               " (actions deleted?)";
  } else if (last > v.head.action_seq) {
    v.detail =
        "actions after the recorded head (action-seq " + std::to_string(v.head.action_seq) + ") are stored: inserted?";
  } else if (expected != v.head.row_hash) {
    v.detail = "the last action's hash differs from the head recorded";
  }
  if (!v.detail.empty()) {
    v.intact = false;
    return v;
  }
  const auto closures = tx.exec(
      "select a.alert_id, a.state, a.closed_by, a.close_reason, c.action_seq, c.acted_by, c.reason, "
      "a.closed_at is not distinct from c.acted_at from compliance.alerts a left join lateral (select action_seq, "
      "acted_by, acted_at, reason from compliance.alert_actions x where x.alert_id = a.alert_id and x.action = 'close' "
      "order by action_seq desc limit 1) c on true where a.state <> 'open' or a.closed_by is not null or a.closed_at "
      "is not null or a.close_reason is not null or c.action_seq is not null order by a.alert_seq");
  for (const auto& r : closures) {
    const std::string alert = "alert " + r[0].as<std::string>();
    if (r[4].is_null()) {
      v.detail = alert + ": " + r[1].as<std::string>() + ", closed_by " + r[2].c_str() +
                 ", with no close in the actions' chain (the closure was written outside `compliance alerts close`)";
    } else if (r[1].as<std::string>() != "closed" || r[2].is_null() || r[3].is_null() ||
               r[2].as<std::string>() != r[5].as<std::string>() || r[3].as<std::string>() != r[6].as<std::string>() ||
               !r[7].as<bool>()) {
      v.detail = alert +
                 ": its closure (state, closed_by, closed_at, close_reason) differs from its close at action-seq " +
                 r[4].as<std::string>() + " (by " + r[5].as<std::string>() + ": " + r[6].as<std::string>() +
                 "): the closure was edited";
    }
    if (!v.detail.empty()) {
      v.intact = false;
      return v;
    }
  }
  return v;
}

}  // namespace

int cmd_verify(const Args& a, std::ostream& out) {
  const Target t = target_of(a);
  std::optional<std::uint64_t> from_seq;
  std::optional<std::uint64_t> to_seq;
  std::optional<std::int64_t> from_time;
  std::optional<std::int64_t> to_time;
  for (const char* k : {"from", "to"}) {
    if (!a.has(k)) continue;
    std::uint64_t n = 0;
    const bool is_from = std::string(k) == "from";
    if (parse_u64(a.get(k), n)) {
      (is_from ? from_seq : to_seq) = n;
    } else {
      (is_from ? from_time : to_time) = need_time(a, k);
    }
  }
  std::map<std::uint64_t, std::pair<std::string, std::string>> checkpoints;  // seq -> (hash, line)
  if (a.has("checkpoints")) {
    std::ifstream in(a.get("checkpoints"));
    if (!in) throw UsageError{"CMP005", "cannot read --checkpoints " + a.get("checkpoints")};
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      try {
        const auto j = nlohmann::json::parse(line);
        checkpoints[j.at("venue_seq").get<std::uint64_t>()] = {j.at("row_hash").get<std::string>(), line};
      } catch (const std::exception&) {
        throw UsageError{"CMP005", "--checkpoints: not a checkpoint line: " + line};
      }
    }
  }
  auto c = connect(t);
  Verdict v;
  AlertVerdict av;
  ActionVerdict xv;
  Head head;
  std::uint64_t last_seq = 0;
  std::uint64_t start = 1;
  {
    pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only> tx(*c);
    head = load_head(tx, false);
    const auto acks = load_gap_acks(tx);
    auto acked = [&](std::uint64_t lo, std::uint64_t hi) {
      for (std::uint64_t s = lo; s <= hi;) {
        const auto it =
            std::find_if(acks.begin(), acks.end(), [&](const GapAck& g) { return s >= g.from && s <= g.to; });
        if (it == acks.end()) return false;
        s = it->to + 1;
      }
      return true;
    };
    if (from_seq) start = *from_seq;
    if (from_time) {
      const auto r = tx.exec_params1(
          "select coalesce(min(venue_seq), 0) from compliance.audit where trading_day >= (to_timestamp($1 / 1e6) at "
          "time zone 'UTC')::date - 1 and report_time >= to_timestamp($1 / 1e6)",
          static_cast<double>(*from_time));
      start = r[0].as<std::uint64_t>();
      if (start == 0) start = head.venue_seq + 1;
    }
    std::uint64_t end = to_seq.value_or(UINT64_MAX);
    if (to_time) {
      const auto r = tx.exec_params1(
          "select coalesce(max(venue_seq), 0) from compliance.audit where trading_day <= (to_timestamp($1 / 1e6) at "
          "time zone 'UTC')::date + 1 and report_time < to_timestamp($1 / 1e6)",
          static_cast<double>(*to_time));
      end = std::min<std::uint64_t>(end, r[0].as<std::uint64_t>());
    }
    Hash expected = kGenesisHash;
    std::uint64_t prev_seq = 0;
    if (start > 1) {
      const auto p = tx.exec_params(
          "select venue_seq, encode(row_hash, 'hex') from compliance.audit where venue_seq < $1 order by venue_seq "
          "desc limit 1",
          static_cast<std::int64_t>(start));
      if (!p.empty()) {
        prev_seq = p[0][0].as<std::uint64_t>();
        expected = hash_from_hex(p[0][1].as<std::string>()).value_or(kGenesisHash);
      }
    }
    last_seq = prev_seq;
    auto bad = [&](std::uint64_t seq, const std::string& why) {
      if (!v.intact) return;
      v.intact = false;
      v.first_bad = seq;
      v.detail = why;
    };
    tx.exec_params("declare rows no scroll cursor for select " + verify_select_list() +
                       " from compliance.audit where venue_seq >= $1 and venue_seq <= $2 order by audit.venue_seq, "
                       "audit.trading_day",
                   static_cast<std::int64_t>(start),
                   static_cast<std::int64_t>(std::min<std::uint64_t>(end, static_cast<std::uint64_t>(INT64_MAX))));
    while (v.intact) {
      const auto rows = tx.exec("fetch 5000 from rows");
      if (rows.empty()) break;
      for (const auto& r : rows) {
        AuditRow row;
        for (std::size_t i = 0; i < kColumnCount; ++i) {
          if (!r[static_cast<int>(i)].is_null()) row.v[i] = r[static_cast<int>(i)].as<std::string>();
        }
        const auto prev = hash_from_hex(r[static_cast<int>(kColumnCount)].as<std::string>());
        const auto own = hash_from_hex(r[static_cast<int>(kColumnCount) + 1].as<std::string>());
        const std::uint64_t seq = row.venue_seq();
        std::uint64_t skipped = 0;
        parse_u64(row.v[kSkippedBefore].value_or("0"), skipped);
        const std::string where = "venue-seq " + std::to_string(seq) + " (trading day " +
                                  row.v[kTradingDay].value_or("?") + ", exec_id " + row.v[kExecId].value_or("-") +
                                  ", kafka partition " + row.v[kKafkaPartition].value_or("?") + " offset " +
                                  row.v[kKafkaOffset].value_or("?") + ")";
        if (seq == last_seq) {
          bad(seq, where + ": venue-seq " + std::to_string(seq) + " is stored twice (a row was inserted)");
        } else if (seq != last_seq + 1 && !(start > 1 && last_seq == 0 && prev_seq == 0)) {
          if (skipped != seq - last_seq - 1 || !acked(last_seq + 1, seq - 1)) {
            bad(seq, where + ": venue-seq " + std::to_string(last_seq + 1) + ".." + std::to_string(seq - 1) +
                         " before it are missing and not acknowledged as lost (rows deleted?)");
          }
        } else if (skipped != 0 && seq == last_seq + 1) {
          bad(seq, where + ": skipped_before is " + std::to_string(skipped) + " but no venue-seq is missing (edited)");
        }
        if (!prev || *prev != expected) {
          bad(seq, where + ": prev_hash does not match the row before it (venue-seq " + std::to_string(last_seq) +
                       "): a row before it was deleted, inserted or rewritten");
        }
        if (!own || *own != chain_hash(expected, row)) {
          bad(seq, where + ": row_hash does not match the row's content: the row was edited");
        }
        if (const auto cp = checkpoints.find(seq); cp != checkpoints.end() && own && hex(*own) != cp->second.first) {
          bad(seq, where + ": differs from the checkpoint " + cp->second.second + ": the chain was rewritten");
        }
        if (!v.intact) break;
        expected = own.value_or(kGenesisHash);
        last_seq = seq;
        ++v.rows;
      }
    }
    if (v.intact && end >= head.venue_seq && !to_time) {
      if (last_seq < head.venue_seq) {
        bad(last_seq + 1, "venue-seq " + std::to_string(last_seq + 1) + ".." + std::to_string(head.venue_seq) +
                              " are missing at the end: the head the service recorded is venue-seq " +
                              std::to_string(head.venue_seq) + " (rows deleted?)");
      } else if (last_seq > head.venue_seq) {
        bad(head.venue_seq + 1,
            "rows after the recorded head (venue-seq " + std::to_string(head.venue_seq) + ") are stored: inserted?");
      } else if (last_seq != 0 && expected != head.row_hash) {
        bad(last_seq, "the last row's hash differs from the head the service recorded");
      }
    }
    for (const auto& [seq, cp] : checkpoints) {
      if (!v.intact) break;
      if (seq > head.venue_seq && seq >= start && seq <= end) {
        bad(seq, "checkpoint " + cp.second + " names venue-seq " + std::to_string(seq) + ", beyond the stored head " +
                     std::to_string(head.venue_seq) + ": rows were deleted");
      }
    }
    av = verify_alerts(tx);
    xv = verify_actions(tx);
    tx.commit();
  }
  if (v.intact && !av.intact) {
    v.intact = false;
    v.detail = "alerts: " + av.detail;
  }
  if (v.intact && !xv.intact) {
    v.intact = false;
    v.detail = "alert actions: " + xv.detail;
  }
  try {
    pqxx::work tx(*c);
    tx.exec_params(
        "insert into compliance.verifications (run_by, from_seq, to_seq, rows_checked, intact, first_bad_seq, detail) "
        "values ($1, $2, $3, $4, $5, $6, $7)",
        who(a, "by"), static_cast<std::int64_t>(start), static_cast<std::int64_t>(last_seq),
        static_cast<std::int64_t>(v.rows), v.intact,
        v.intact || v.first_bad == 0 ? std::optional<std::int64_t>()
                                     : std::optional<std::int64_t>(static_cast<std::int64_t>(v.first_bad)),
        v.intact ? std::string("intact") : v.detail);
    tx.commit();
  } catch (const std::exception& e) {
    out << "(this run could not be recorded in compliance.verifications: " << e.what() << ")\n";
  }
  if (v.intact) {
    out << "intact: " << v.rows << " rows checked";
    if (v.rows > 0) out << ", venue-seq " << start << ".." << last_seq;
    out << "; head venue-seq " << head.venue_seq << " " << hex(head.row_hash) << "\n";
    out << "intact: " << av.alerts << " alerts checked; head alert-seq " << av.head.alert_seq << " "
        << hex(av.head.row_hash) << "\n";
    out << "intact: " << xv.actions << " alert actions checked, and every alert's closure; head action-seq "
        << xv.head.action_seq << " " << hex(xv.head.row_hash) << "\n";
    return 0;
  }
  if (!xv.intact && v.detail.starts_with("alert actions: ")) {
    out << "BROKEN: first bad alert action: " << xv.detail << "\n"
        << xv.actions << " alert actions before it checked intact; " << av.alerts << " alerts and " << v.rows
        << " audit rows checked intact\n";
    return 1;
  }
  if (!av.intact && v.detail.starts_with("alerts: ")) {
    out << "BROKEN: first bad alert: " << av.detail << "\n"
        << av.alerts << " alerts before it checked intact; " << v.rows << " audit rows checked intact\n";
    return 1;
  }
  out << "BROKEN: first bad row: " << v.detail << "\n" << v.rows << " rows before it checked intact\n";
  return 1;
}

}  // namespace venue::compliance::detail
