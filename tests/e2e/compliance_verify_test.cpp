// Compliance end to end (compliance_test.cpp, whose stack these cases share): `compliance verify` finds a
// row, an alert or an alert action edited, deleted or inserted.
#include <boost/test/unit_test.hpp>

#include "e2e/compliance_fixture.h"

BOOST_AUTO_TEST_SUITE(compliance)

// The row tampered with is the first fill of a wash trade of the case's own (ALPHA-1 sells to ALPHA-2 on an
// instrument of its own), the other fill chained after it: it runs alone or after any other case.
BOOST_AUTO_TEST_CASE(verify_finds_a_row_edited_deleted_or_inserted) {
  Stack& s = stack();
  const std::string sym = s.venue().symbol();
  const WashFills trade = wash_trades(sym, 1).front();
  BOOST_TEST_REQUIRE(s.cmd("verify").rc == 0);
  std::uint64_t x = 0;
  std::string px;
  std::string exec_id;
  {
    pqxx::nontransaction tx(db());
    const auto r = tx.exec_params1(
        "select venue_seq, last_px::text, exec_id from compliance.audit where exec_type = 'F' and symbol = $1 order "
        "by venue_seq limit 1",
        sym);
    x = r[0].as<std::uint64_t>();
    px = r[1].as<std::string>();
    exec_id = r[2].as<std::string>();
  }
  BOOST_TEST_REQUIRE((exec_id == trade.sell || exec_id == trade.buy), exec_id << " is not a fill of " << sym);
  const std::string seq = std::to_string(x);
  auto sql = [&](const std::string& q) {
    pqxx::work tx(db());
    tx.exec(q);
    tx.commit();
  };
  // The auditor's own recomputation in SQL (compliance/audit/recompute-chain.sql), without our binary.
  const auto recompute = [] {
    return run_command("psql '" + env("VENUE_PG_URL") + "' -X -q -A -t -v ON_ERROR_STOP=1 -f '" +
                       (source_dir() / "compliance" / "audit" / "recompute-chain.sql").string() + "' 2>&1");
  };
  BOOST_TEST(recompute().find(" bad 0 head_ok true") != std::string::npos, recompute());
  // Edited.
  sql("update compliance.audit set last_px = 1.00 where venue_seq = " + seq);
  auto r = s.cmd("verify");
  BOOST_TEST(r.rc == 1, r.out);
  BOOST_TEST(r.out.find("venue-seq " + seq + " ") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("edited") != std::string::npos, r.out);
  const auto found = recompute();
  BOOST_TEST(("\n" + found).find("\n" + seq + "|") != std::string::npos, found);
  BOOST_TEST(found.find("content edited") != std::string::npos, found);
  BOOST_TEST(found.find(" bad 1 head_ok true") != std::string::npos, found);
  sql("update compliance.audit set last_px = " + px + " where venue_seq = " + seq);
  BOOST_TEST(s.cmd("verify").rc == 0);
  // Deleted.
  sql("create table compliance.e2e_saved as select * from compliance.audit where venue_seq = " + seq);
  sql("delete from compliance.audit where venue_seq = " + seq);
  r = s.cmd("verify");
  BOOST_TEST(r.rc == 1, r.out);
  BOOST_TEST(r.out.find("venue-seq " + std::to_string(x + 1) + " ") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("missing") != std::string::npos, r.out);
  BOOST_TEST(("\n" + recompute()).find("\n" + std::to_string(x + 1) + "|") != std::string::npos, recompute());
  sql("insert into compliance.audit select * from compliance.e2e_saved");
  BOOST_TEST(s.cmd("verify").rc == 0);
  // Inserted: a copy of the row on another trading day (the primary key allows it). The columns in table
  // order (spec/sql/compliance/0001_audit_trail.sql).
  sql("insert into compliance.audit select venue_seq, trading_day + 1, " +
      [] {
        std::string cols;
        for (const auto& c : {"skipped_before",
                              "msg_type",
                              "exec_type",
                              "exec_id",
                              "exec_ref_id",
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
                              "ord_status",
                              "last_qty",
                              "last_px",
                              "cum_qty",
                              "leaves_qty",
                              "avg_px",
                              "order_capacity",
                              "transact_time",
                              "report_time",
                              "trd_match_id",
                              "last_liquidity_ind",
                              "reject_code",
                              "text",
                              "poss_resend",
                              "repeat_of_venue_seq",
                              "bust_of_venue_seq",
                              "shard",
                              "engine_seq",
                              "traceparent",
                              "kafka_partition",
                              "kafka_offset",
                              "raw_fix",
                              "error",
                              "prev_hash",
                              "row_hash"}) {
          cols += std::string(cols.empty() ? "" : ", ") + c;
        }
        return cols;
      }() +
      " from compliance.e2e_saved");
  r = s.cmd("verify");
  BOOST_TEST(r.rc == 1, r.out);
  BOOST_TEST(r.out.find("stored twice") != std::string::npos, r.out);
  sql("delete from compliance.audit where venue_seq = " + seq +
      " and trading_day = (select trading_day + 1 from compliance.e2e_saved)");
  sql("drop table compliance.e2e_saved");
  r = s.cmd("verify --checkpoints " + (s.dir() / "checkpoints.jsonl").string());
  BOOST_TEST(r.rc == 0, r.out);
  // Every run is recorded and counted.
  BOOST_TEST(s.metric_once("compliance_verifications_total{result=\"broken\"}", [](double v) { return v >= 3; }) >= 3);
}

// The alerts are in a chain of their own (spec/compliance.md): an officer's evidence cannot be edited,
// removed or forged unseen, by verify nor by the auditor's SQL. The alert tampered with is the first of
// three of the case's own (three wash trades, ALPHA-1 sells to ALPHA-2, on an instrument of its own), the
// other two chained after it: it runs alone or after any other case (whose alerts, closed or not, are
// checked too: a closure does not break the chain).
BOOST_AUTO_TEST_CASE(verify_finds_an_alert_edited_deleted_or_inserted) {
  Stack& s = stack();
  const std::string sym = s.venue().symbol();
  wash_alerts(sym, 3);
  auto r = s.cmd("verify");
  BOOST_TEST_REQUIRE(r.rc == 0, r.out);
  std::uint64_t alerts = 0;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  {
    pqxx::nontransaction tx(db());
    alerts = tx.exec1("select count(*) from compliance.alerts")[0].as<std::uint64_t>();
    const auto own =
        tx.exec_params1("select min(alert_seq), max(alert_seq) from compliance.alerts where symbol = $1", sym);
    first = own[0].as<std::uint64_t>();
    last = own[1].as<std::uint64_t>();
  }
  BOOST_TEST_REQUIRE(alerts >= 3U);
  // Its three alerts, one after the other: the one after the first is the case's own too.
  BOOST_TEST_REQUIRE(last == first + 2, "alert-seqs " << first << " to " << last << " for " << sym);
  const std::string seq = std::to_string(first);
  BOOST_TEST(r.out.find("intact: " + std::to_string(alerts) + " alerts checked") != std::string::npos, r.out);
  auto sql = [&](const std::string& q) {
    pqxx::work tx(db());
    tx.exec(q);
    tx.commit();
  };
  const auto recompute = [] {
    return run_command("psql '" + env("VENUE_PG_URL") + "' -X -q -A -t -v ON_ERROR_STOP=1 -f '" +
                       (source_dir() / "compliance" / "audit" / "recompute-chain.sql").string() + "' 2>&1");
  };
  const std::string intact = " alerts " + std::to_string(alerts) + " alerts_bad 0 alerts_head_ok true";
  BOOST_TEST(recompute().find(intact) != std::string::npos, recompute());
  const auto expect_broken = [&](const std::string& seq, const char* why, const char* sql_why) {
    const auto v = s.cmd("verify");
    BOOST_TEST(v.rc == 1, v.out);
    BOOST_TEST(v.out.find("first bad alert: alert-seq " + seq + " ") != std::string::npos, v.out);
    BOOST_TEST(v.out.find(why) != std::string::npos, v.out);
    const auto found = recompute();
    BOOST_TEST(found.find("alert-seq " + seq + "|") != std::string::npos, found);
    BOOST_TEST(found.find(sql_why) != std::string::npos, found);
    BOOST_TEST(found.find(intact) == std::string::npos, found);
  };
  // Edited: the summary, then a fill taken out of the evidence.
  sql("update compliance.alerts set summary = summary || ' (reviewed)' where alert_seq = " + seq);
  expect_broken(seq, "the alert was edited", "content edited");
  sql("update compliance.alerts set summary = left(summary, length(summary) - 11) where alert_seq = " + seq);
  BOOST_TEST(s.cmd("verify").rc == 0);
  sql("create table compliance.e2e_alert as select * from compliance.alerts where alert_seq = " + seq);
  sql("update compliance.alerts set evidence_exec_ids = evidence_exec_ids[2:], evidence = evidence - 0 where "
      "alert_seq = " +
      seq);
  expect_broken(seq, "the alert was edited", "content edited");
  sql("update compliance.alerts a set evidence_exec_ids = e.evidence_exec_ids, evidence = e.evidence from "
      "compliance.e2e_alert e where a.alert_seq = " +
      seq);
  BOOST_TEST(s.cmd("verify").rc == 0);
  // Deleted (its closures first, they refer to it).
  sql("create table compliance.e2e_alert_actions as select * from compliance.alert_actions where alert_id = (select "
      "alert_id from compliance.e2e_alert)");
  sql("delete from compliance.alert_actions where alert_id = (select alert_id from compliance.e2e_alert)");
  sql("delete from compliance.alerts where alert_seq = " + seq);
  expect_broken(std::to_string(first + 1), "missing", "alert deleted");
  sql("insert into compliance.alerts select * from compliance.e2e_alert");
  sql("insert into compliance.alert_actions select * from compliance.e2e_alert_actions");
  sql("drop table compliance.e2e_alert_actions");
  BOOST_TEST(s.cmd("verify").rc == 0);
  // Inserted: a forged alert appended after the last, its head moved too, with a hash copied from the last.
  const std::string next = std::to_string(alerts + 1);
  sql("insert into compliance.alerts (alert_id, rule, detected_at, event_time, firm, account, owner, symbol, summary, "
      "figures, evidence, evidence_exec_ids, trigger_venue_seq, alert_seq, prev_hash, row_hash) select 'forged', "
      "rule, detected_at, event_time, firm, account, owner, symbol, summary, figures, evidence, evidence_exec_ids, "
      "trigger_venue_seq, alert_seq + 1, row_hash, row_hash from compliance.alerts order by alert_seq desc limit 1");
  sql("update compliance.alert_chain_head set alert_seq = alert_seq + 1");
  expect_broken(next, "the alert was edited", "content edited");
  sql("delete from compliance.alerts where alert_id = 'forged'");
  sql("update compliance.alert_chain_head set alert_seq = alert_seq - 1");
  sql("drop table compliance.e2e_alert");
  r = s.cmd("verify");
  BOOST_TEST(r.rc == 0, r.out);
  BOOST_TEST(recompute().find(intact) != std::string::npos, recompute());
  // The last verify's verdict is a metric (the alert ComplianceChainBroken).
  BOOST_TEST(s.metric_once("compliance_chain_last_verify_intact", [](double v) { return v == 1; }) == 1);
}

// An officer's closures are in a chain of their own (compliance.alert_actions, spec/compliance.md): a
// close edited, removed or forged is found by verify and by the auditor's SQL, and so is an alert's
// closure rewritten in place. The closures are of the case's own alerts: three wash trades (ALPHA-1 sells
// to ALPHA-2, one owner) on an instrument of its own, one alert each, all closed here; it runs alone or
// after any other case.
BOOST_AUTO_TEST_CASE(verify_finds_an_alert_action_edited_deleted_or_inserted) {
  Stack& s = stack();
  const std::string sym = s.venue().symbol();
  wash_alerts(sym, 3);
  // Open, as listed to an officer.
  std::vector<std::string> open;
  for (const auto& a : Json::parse(s.cmd("alerts list --format json").out)) {
    if (a["symbol"] == sym) open.push_back(a["alert_id"]);
  }
  BOOST_TEST_REQUIRE(open.size() == 3U);
  for (std::size_t i = 0; i < open.size(); ++i) {
    const auto r = s.cmd("alerts close " + open[i] + " --by officer.kim --reason 'reviewed, no abuse (" +
                         std::to_string(i) + ")'");
    BOOST_TEST_REQUIRE(r.rc == 0, r.out);
  }
  std::uint64_t actions = 0;
  {
    pqxx::nontransaction tx(db());
    actions = tx.exec1("select count(*) from compliance.alert_actions")[0].as<std::uint64_t>();
  }
  BOOST_TEST_REQUIRE(actions >= 3U);
  auto r = s.cmd("verify");
  BOOST_TEST_REQUIRE(r.rc == 0, r.out);
  BOOST_TEST(r.out.find("intact: " + std::to_string(actions) + " alert actions checked") != std::string::npos, r.out);
  auto sql = [&](const std::string& q) {
    pqxx::work tx(db());
    tx.exec(q);
    tx.commit();
  };
  const auto recompute = [] {
    return run_command("psql '" + env("VENUE_PG_URL") + "' -X -q -A -t -v ON_ERROR_STOP=1 -f '" +
                       (source_dir() / "compliance" / "audit" / "recompute-chain.sql").string() + "' 2>&1");
  };
  const std::string intact = " actions " + std::to_string(actions) + " actions_bad 0 actions_head_ok true";
  BOOST_TEST(recompute().find(intact) != std::string::npos, recompute());
  const auto expect_broken = [&](const std::string& what, const char* why, const char* sql_why) {
    const auto v = s.cmd("verify");
    BOOST_TEST(v.rc == 1, v.out);
    BOOST_TEST(v.out.find("first bad alert action: " + what) != std::string::npos, v.out);
    BOOST_TEST(v.out.find(why) != std::string::npos, v.out);
    if (sql_why != nullptr) {
      const auto found = recompute();
      BOOST_TEST(found.find(sql_why) != std::string::npos, found);
      BOOST_TEST(found.find(intact) == std::string::npos, found);
    }
  };
  const auto restored = [&] {
    const auto v = s.cmd("verify");
    BOOST_TEST(v.rc == 0, v.out);
  };
  // Edited: who closed it and why.
  sql("create table compliance.e2e_action as select * from compliance.alert_actions where action_seq = 2");
  sql("update compliance.alert_actions set acted_by = 'officer.mallory' where action_seq = 2");
  expect_broken("action-seq 2 ", "the action was edited", "content edited");
  sql("update compliance.alert_actions a set acted_by = e.acted_by from compliance.e2e_action e where a.action_seq = "
      "2");
  restored();
  sql("update compliance.alert_actions set reason = 'nothing to see' where action_seq = 2");
  expect_broken("action-seq 2 ", "the action was edited", "content edited");
  sql("update compliance.alert_actions a set reason = e.reason from compliance.e2e_action e where a.action_seq = 2");
  restored();
  // The alert's own closure columns rewritten (outside the alerts' chain): they no longer match the close.
  sql("update compliance.alerts set close_reason = 'nothing to see' where alert_id = (select alert_id from "
      "compliance.e2e_action)");
  expect_broken("alert ", "the closure was edited", nullptr);
  sql("update compliance.alerts a set close_reason = e.reason from compliance.e2e_action e where a.alert_id = "
      "e.alert_id");
  restored();
  // Deleted: a close in the middle, then the last one.
  sql("delete from compliance.alert_actions where action_seq = 2");
  expect_broken("action-seq 3 ", "missing", "action deleted");
  sql("insert into compliance.alert_actions select * from compliance.e2e_action");
  restored();
  sql("create table compliance.e2e_last as select * from compliance.alert_actions where action_seq = " +
      std::to_string(actions));
  sql("delete from compliance.alert_actions where action_seq = " + std::to_string(actions));
  expect_broken("action-seq " + std::to_string(actions) + ".." + std::to_string(actions), "missing at the end",
                nullptr);
  sql("insert into compliance.alert_actions select * from compliance.e2e_last");
  sql("drop table compliance.e2e_last");
  restored();
  // Inserted: a forged close appended after the last, the head moved too, a hash copied from the last.
  sql("insert into compliance.alert_actions (alert_id, action, acted_by, acted_at, reason, action_seq, prev_hash, "
      "row_hash) select alert_id, 'close', 'officer.mallory', acted_at, 'forged', action_seq + 1, row_hash, row_hash "
      "from compliance.alert_actions order by action_seq desc limit 1");
  sql("update compliance.alert_action_chain_head set action_seq = action_seq + 1");
  expect_broken("action-seq " + std::to_string(actions + 1) + " ", "the action was edited", "content edited");
  sql("delete from compliance.alert_actions where reason = 'forged'");
  sql("update compliance.alert_action_chain_head set action_seq = action_seq - 1");
  sql("drop table compliance.e2e_action");
  r = s.cmd("verify");
  BOOST_TEST(r.rc == 0, r.out);
  BOOST_TEST(recompute().find(intact) != std::string::npos, recompute());
}

BOOST_AUTO_TEST_SUITE_END()
