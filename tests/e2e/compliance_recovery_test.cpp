// Compliance end to end (compliance_test.cpp, whose stack these cases share): compliance killed and
// PostgreSQL stopped mid-stream, a burst of alerts, records staged and read back, bad records parked,
// repeats marked and gaps held, trade busts.
#include <boost/test/unit_test.hpp>

#include "e2e/compliance_fixture.h"

BOOST_AUTO_TEST_SUITE(compliance)

BOOST_AUTO_TEST_CASE(compliance_killed_mid_stream_loses_no_row_and_writes_none_twice) {
  Stack& s = stack();
  // Earlier cases may have put the chain's head past the venue's venue-seqs: up to it first.
  venue_up_to_chain_head();
  const std::string sym = s.venue().symbol();
  // Dies right after a batch commits in PostgreSQL, before its Kafka offsets are committed: the worst moment.
  s.restart_compliance("150");
  cross(sym, 150);
  BOOST_TEST(s.compliance().wait_exit(60s) == 128 + SIGKILL, s.compliance().log_tail());
  cross(sym, 50);
  s.compliance().start();
  // And killed from outside while reports stream in.
  cross(sym, 150);
  std::this_thread::sleep_for(300ms);
  ::kill(s.compliance().pid(), SIGKILL);
  BOOST_TEST(s.compliance().wait_exit(10s) == 128 + SIGKILL);
  cross(sym, 50);
  s.compliance().start();
  expect_fills(sym, 800, 60s);
  check_complete(sym);
  BOOST_TEST(s.metric("compliance_duplicates_skipped_total") >= 0);
}

// Earlier cases may have put the chain's head past the venue's venue-seqs (records produced straight to the
// topic): the venue is brought up to it first, else its first reports would be skipped as duplicates.
BOOST_AUTO_TEST_CASE(postgresql_stopped_and_started_mid_stream_loses_no_row) {
  Stack& s = stack();
  venue_up_to_chain_head();
  const std::string sym = s.venue().symbol();
  cross(sym, 100);
  services("stop --pg");
  cross(sym, 100);
  bool not_ready = false;
  for (int i = 0; i < 100 && !not_ready; ++i) {
    not_ready = s.compliance().http("GET", "/readyz").status == 503;
    std::this_thread::sleep_for(100ms);
  }
  BOOST_TEST(not_ready, "/readyz stayed 200 with PostgreSQL down");
  BOOST_TEST(s.metric_once("compliance_db_up", [](double v) { return v == 0; }) == 0);
  std::this_thread::sleep_for(2s);
  services("start --pg --ephemeral");
  expect_fills(sym, 400, 60s);
  bool ready = false;
  for (int i = 0; i < 300 && !ready; ++i) {
    ready = s.compliance().http("GET", "/readyz").status == 200;
    std::this_thread::sleep_for(100ms);
  }
  BOOST_TEST(ready, s.compliance().log_tail());
  check_complete(sym);
  BOOST_TEST(s.metric_once("compliance_db_failures_total", [](double v) { return v >= 1; }) >= 1);
}

// A burst of wash trades (a load tool crossing its own orders raises one per trade) is one alert each,
// chained in the order raised with no alert_seq skipped, every one published, none twice: also when the
// service dies right after a batch with alerts commits and reads that batch again. The service once
// wrote an alert in two statements of its own (insert, then its hash), so a flood of them held the audit
// trail tens of seconds behind the venue.
BOOST_AUTO_TEST_CASE(a_burst_of_wash_trades_is_one_alert_each_chained_in_order_and_published) {
  Stack& s = stack();
  // Earlier cases may have put the chain's head past the venue's venue-seqs: up to it first.
  venue_up_to_chain_head();
  TestVenue& v = s.venue();
  const std::string sym = v.symbol();
  const auto count = [](const std::string& q) {
    pqxx::nontransaction tx(db());
    return tx.exec1(q)[0].as<std::int64_t>();
  };
  const auto wash_trades = [&](int n) {
    for (int i = 0; i < n; ++i) {
      v.client("BRK1").send(new_order(
          {.clordid = v.id("ws"), .symbol = sym, .side = kSell, .price = "100.00", .qty = "1", .account = "ALPHA-1"}));
      v.client("BRK1").send(new_order(
          {.clordid = v.id("wb"), .symbol = sym, .side = kBuy, .price = "100.00", .qty = "1", .account = "ALPHA-2"}));
    }
  };
  // Dies right after a batch commits, before its Kafka offsets are: the batch's alerts are raised again.
  s.restart_compliance("300");
  wash_trades(250);
  BOOST_TEST(s.compliance().wait_exit(60s) == 128 + SIGKILL, s.compliance().log_tail());
  s.compliance().start();
  expect_fills(sym, 500, 60s);
  check_complete(sym);
  const std::string mine = "from compliance.alerts where rule = 'wash_trade' and symbol = " + db().quote(sym);
  BOOST_TEST(count("select count(*) " + mine) == 250);
  BOOST_TEST(count("select count(distinct trigger_venue_seq) " + mine) == 250);
  // Every alert of the chain has its own alert_seq, 1 to the head, and the burst's follow the trades.
  BOOST_TEST(count("select count(*) from compliance.alerts") == count("select max(alert_seq) from compliance.alerts"));
  BOOST_TEST(count("select alert_seq from compliance.alert_chain_head") ==
             count("select max(alert_seq) from compliance.alerts"));
  BOOST_TEST(count("select count(*) from (select trigger_venue_seq < lag(trigger_venue_seq) over (order by "
                   "alert_seq) as back " +
                   mine + ") x where back") == 0);
  // Published: each marked within a second or so of its delivery.
  std::int64_t unpublished = -1;
  for (int i = 0; i < 100 && unpublished != 0; ++i) {
    unpublished = count("select count(*) " + mine + " and published_at is null");
    if (unpublished != 0) std::this_thread::sleep_for(100ms);
  }
  BOOST_TEST(unpublished == 0);
  const auto r = s.cmd("verify");
  BOOST_TEST(r.rc == 0, r.out);
}

// Records staged to the table pending are read back when the chain reaches them, also when they were
// staged after other records had already been read back (the service once read pending back only while
// nothing read back was held: h+2, staged after h+3 was read back, was never read, and the chain stopped
// at h+1 for good). Records produced straight to the topic, above the venue's venue-seqs, once the venue is
// idle. The fill repeated is the case's own (BETA-1 sells to ALPHA-1 on an instrument of its own), and the
// venue is first brought up to the chain's head, which earlier cases producing straight to the topic may
// have put past the venue's venue-seqs: it runs alone or after any other case.
BOOST_AUTO_TEST_CASE(records_staged_after_others_were_read_back_are_read_back_too) {
  Stack& s = stack();
  // Earlier cases may have put the chain past the venue's venue-seqs: the trade's reports must be chained.
  venue_up_to_chain_head();
  const std::string sym = s.venue().symbol();
  cross(sym, 1);
  expect_fills(sym, 2, 10s);
  BOOST_TEST_REQUIRE(wait_chained(reports_on(sym), 30s));
  const std::uint64_t h = idle_chain_head();
  std::string resend;
  Json headers;
  {
    pqxx::nontransaction tx(db());
    const auto r = tx.exec_params1(
        "select raw_fix, session, firm, account from compliance.audit where symbol = $1 and exec_type = 'F' order by "
        "venue_seq limit 1",
        sym);
    resend = poss_resend_of(r[0].as<std::string>());
    headers = {
        {"session", r[1].as<std::string>()}, {"firm", r[2].as<std::string>()}, {"account", r[3].as<std::string>()}};
  }
  prometheus::Registry reg;
  venue::kafka::Producer p({.brokers = env("VENUE_KAFKA_BROKERS"), .client_id = "e2e"}, reg, [](const auto&) {});
  const auto produce = [&](std::uint64_t seq) {
    p.produce(s.topic(), "e2e", resend,
              {{"venue-seq", std::to_string(seq)},
               {"msg-type", "8"},
               {"exec-type", "F"},
               {"session", headers["session"]},
               {"firm", headers["firm"]},
               {"account", headers["account"]}},
              nullptr, 0);
    p.flush(5000);
  };
  // Waits until the service says it holds `held` records in memory (-1: any) and `pending` in the table.
  const auto wait_state = [&](int held, int pending) {
    Json st;
    for (int i = 0; i < 200; ++i) {
      st = service_state();
      if (st.value("pending_rows", -1) == pending && (held < 0 || st.value("held_in_memory", -1) == held)) return true;
      std::this_thread::sleep_for(100ms);
    }
    BOOST_TEST_MESSAGE("service state: " << st.dump());
    return false;
  };
  // h+3 waits behind the gap, is staged (stage_after_ms 1000), and read back into memory: 1 held, 1 pending.
  produce(h + 3);
  BOOST_TEST_REQUIRE(wait_state(1, 1), "h+3 was not staged and read back");
  // h+2 arrives after that read-back, waits and is staged too.
  produce(h + 2);
  BOOST_TEST_REQUIRE(wait_state(-1, 2), "h+2 was not staged");
  // The gap fills: the chain must reach h+3 through h+2, which only the table pending holds.
  produce(h + 1);
  for (int i = 0; i < 100 && head_seq() < h + 3; ++i) std::this_thread::sleep_for(100ms);
  BOOST_TEST(head_seq() == h + 3, "the chain stopped at venue-seq " << head_seq() << " (h+" << head_seq() - h << ")");
  BOOST_TEST(wait_state(0, 0), "records left in memory or in the table pending");
  {
    pqxx::nontransaction tx(db());
    const auto rows = tx.exec_params1(
        "select count(*) from compliance.audit where venue_seq between $1 and $2 and repeat_of_venue_seq is not null",
        static_cast<std::int64_t>(h + 1), static_cast<std::int64_t>(h + 3));
    BOOST_TEST(rows[0].as<int>() == 3);
  }
  const auto v = s.cmd("verify");
  BOOST_TEST(v.rc == 0, v.out);
}

// Records the venue did not make, produced straight to the topic once the venue is idle: venue-seqs above
// the venue's own, so they cannot collide with a real report. The fill repeated is the case's own (BETA-1
// sells to ALPHA-1 on an instrument of its own): it runs alone or after any other case.
BOOST_AUTO_TEST_CASE(bad_records_are_parked_repeats_marked_and_gaps_held_until_filled_or_acknowledged) {
  Stack& s = stack();
  // Earlier cases may have put the chain past the venue's venue-seqs: the trade's reports must be chained.
  venue_up_to_chain_head();
  const std::string sym = s.venue().symbol();
  cross(sym, 1);
  expect_fills(sym, 2, 10s);
  std::set<std::string> fills;
  for (const auto& m : reports_on(sym)) {
    if (field(m, 150) == "F") fills.insert(field(m, FIX::FIELD::ExecID));
  }
  BOOST_TEST_REQUIRE(wait_chained(reports_on(sym), 30s), "the trade's reports did not reach the audit trail");
  const std::uint64_t h = idle_chain_head();
  std::string fill;
  std::string fill_exec_id;
  std::uint64_t fill_seq = 0;
  Json headers;
  {
    pqxx::nontransaction tx(db());
    const auto r = tx.exec_params1(
        "select raw_fix, exec_id, venue_seq, session, firm, account from compliance.audit a where exec_type = 'F' "
        "and symbol = $1 and not exists (select 1 from compliance.audit r where r.exec_id = a.exec_id and "
        "r.venue_seq <> a.venue_seq) order by venue_seq desc limit 1",
        sym);
    fill = r[0].as<std::string>();
    fill_exec_id = r[1].as<std::string>();
    fill_seq = r[2].as<std::uint64_t>();
    headers = {
        {"session", r[3].as<std::string>()}, {"firm", r[4].as<std::string>()}, {"account", r[5].as<std::string>()}};
  }
  BOOST_TEST_REQUIRE(fills.contains(fill_exec_id), fill_exec_id << " is not a fill of " << sym);
  // The same fill sent again with PossResend(97)=Y.
  const std::string resend = poss_resend_of(fill);

  prometheus::Registry reg;
  venue::kafka::Producer p({.brokers = env("VENUE_KAFKA_BROKERS"), .client_id = "e2e"}, reg, [](const auto&) {});
  auto produce = [&](std::uint64_t seq, const std::string& payload, bool with_headers = true) {
    std::vector<venue::kafka::Header> hs;
    if (with_headers) {
      hs = {{"venue-seq", std::to_string(seq)}, {"msg-type", "8"},         {"exec-type", "F"},
            {"session", headers["session"]},    {"firm", headers["firm"]}, {"account", headers["account"]}};
    }
    p.produce(s.topic(), "e2e", payload, hs, nullptr, 0);
    p.flush(5000);
  };
  // A record that is no report at all, and one whose payload is not FIX: parked with the reason; the
  // second has a venue-seq and takes its place in the chain, marked with the error.
  produce(0, "hello, not a report", false);
  produce(h + 1, "8=FIX.4.4\x01garbage");
  // The repeat, after a gap: h+3 waits for h+2.
  produce(h + 3, resend);
  std::this_thread::sleep_for(2500ms);
  BOOST_TEST(head_seq() == h + 1);
  const auto gaps = Json::parse(s.cmd("gaps --format json").out);
  BOOST_TEST(gaps.dump().find(std::to_string(h + 2)) != std::string::npos, gaps.dump());
  produce(h + 2, resend);
  for (int i = 0; i < 100 && head_seq() < h + 3; ++i) std::this_thread::sleep_for(100ms);
  BOOST_TEST(head_seq() == h + 3);
  {
    pqxx::nontransaction tx(db());
    const auto parked = tx.exec("select venue_seq, reason from compliance.parked order by id");
    BOOST_TEST(parked.size() == 2U);
    if (parked.size() == 2U) {
      BOOST_TEST(parked[0][0].is_null());
      BOOST_TEST(parked[0][1].as<std::string>().find("venue-seq") != std::string::npos);
      BOOST_TEST(parked[1][0].as<std::uint64_t>() == h + 1);
      BOOST_TEST(parked[1][1].as<std::string>().find("not a FIX message") != std::string::npos);
    }
    const auto bad = tx.exec1("select error from compliance.audit where venue_seq = " + std::to_string(h + 1));
    BOOST_TEST(!bad[0].is_null());
    const auto reps = tx.exec(
        "select venue_seq, repeat_of_venue_seq, poss_resend from compliance.audit where "
        "exec_id = " +
        tx.quote(fill_exec_id) + " order by venue_seq");
    BOOST_TEST_REQUIRE(reps.size() == 3U);
    BOOST_TEST(reps[0][1].is_null());
    BOOST_TEST(reps[1][1].as<std::uint64_t>() == fill_seq);
    BOOST_TEST(reps[2][1].as<std::uint64_t>() == fill_seq);
    BOOST_TEST(reps[2][2].as<bool>());
  }
  // A venue-seq lost for good: h+4 never comes; h+5 waits until an officer acknowledges h+4.
  produce(h + 5, resend);
  std::this_thread::sleep_for(2500ms);
  BOOST_TEST(head_seq() == h + 3);
  auto st = s.cmd("status");
  BOOST_TEST(st.rc == 0);
  BOOST_TEST(st.out.find(std::to_string(h + 4)) != std::string::npos, st.out);
  BOOST_TEST(s.metric_once("compliance_rows_waiting", [](double v) { return v >= 1; }) >= 1);
  auto bad_ack = s.cmd("gaps acknowledge --from-seq 1 --to-seq 1 --by x --reason y");
  BOOST_TEST(bad_ack.rc == 2, bad_ack.out);
  const auto ack = s.cmd("gaps acknowledge --from-seq " + std::to_string(h + 4) + " --to-seq " + std::to_string(h + 4) +
                         " --by officer.jane --reason 'past retention'");
  BOOST_TEST(ack.rc == 0, ack.out);
  for (int i = 0; i < 100 && head_seq() < h + 5; ++i) std::this_thread::sleep_for(100ms);
  BOOST_TEST(head_seq() == h + 5);
  const auto v = s.cmd("verify");
  BOOST_TEST(v.rc == 0, v.out);
  // The configuration may also come first, as officers keep it in a shell variable.
  {
    const auto first = s.cmd("status --format json", true);
    BOOST_TEST(first.rc == 0, first.out);
    BOOST_TEST(first.out.find("\"venue_seq\": " + std::to_string(h + 5)) != std::string::npos, first.out);
  }
  // Bad command lines: a coded message and exit code 2.
  for (const char* args :
       {"export --kind audit --from yesterday --to 2100-01-01",
        "export --kind trades --from 2000-01-01 --to 2100-01-01", "verify --frm 1", "frobnicate", "alerts close"}) {
    const auto r = s.cmd(args);
    BOOST_TEST(r.rc == 2, args << ": " << r.out);
    BOOST_TEST(r.out.find("CMP0") != std::string::npos, args << ": " << r.out);
  }
}

// A trade bust (ExecType H) as FIX 4.4 and the operator API (issue 14) describe it: a new ExecID, ExecRefID(19)
// naming the busted fill, the trade's TrdMatchID, CumQty corrected. The venue on main does not send busts
// yet, so they are produced straight to the topic, above the venue's venue-seqs. The wash trade whose fill
// is busted is the case's own (ALPHA-1 sells to ALPHA-2, one owner, on an instrument of its own): it runs
// alone or after any other case.
BOOST_AUTO_TEST_CASE(a_trade_bust_points_at_its_fill_and_shows_on_the_alerts_citing_it) {
  Stack& s = stack();
  const std::string sym = s.venue().symbol();
  const WashFills trade = wash_trades(sym, 1).front();
  // Its alert.
  const Json alerts = alerts_once(sym, 1);
  BOOST_TEST_REQUIRE(alerts.size() == 1U, "no wash_trade alert to bust a fill of: " << alerts.dump());
  const Json& wash = alerts[0];
  BOOST_TEST_REQUIRE(wash["rule"] == "wash_trade", wash.dump());
  BOOST_TEST((evidence_ids(wash) == std::set<std::string>{trade.sell, trade.buy}), wash.dump());
  BOOST_TEST(wash["busted_exec_ids"].empty());
  // The venue idle, every report of it chained: the records produced below take the venue-seqs after it.
  const std::uint64_t h = idle_chain_head();
  // The alert's buy fill.
  std::string fill_id;
  for (const auto& e : wash["evidence"]) {
    if (e["role"].get<std::string>().find("buy") != std::string::npos) fill_id = e["exec_id"];
  }
  BOOST_TEST_REQUIRE(!fill_id.empty(), wash.dump());
  BOOST_TEST(fill_id == trade.buy, wash.dump());
  std::string raw;
  std::uint64_t fill_seq = 0;
  Json headers;
  {
    pqxx::nontransaction tx(db());
    const auto r = tx.exec_params1(
        "select raw_fix, venue_seq, session, firm, account from compliance.audit where exec_id = $1 and exec_type = "
        "'F' order by venue_seq limit 1",
        fill_id);
    raw = r[0].as<std::string>();
    fill_seq = r[1].as<std::uint64_t>();
    headers = {
        {"session", r[2].as<std::string>()}, {"firm", r[3].as<std::string>()}, {"account", r[4].as<std::string>()}};
  }
  // The fill turned into its bust: 150=H, a new ExecID, 19=<the fill's ExecID> (or another one), CumQty 0.
  const auto bust_of = [&](const std::string& ref, const std::string& new_id) {
    std::string body = body_of(raw);
    const auto put = [&](const std::string& tag, const std::string& value) {
      const auto at = body.find("\x01" + tag + "=");
      BOOST_TEST_REQUIRE(at != std::string::npos, tag);
      const auto end = body.find('\x01', at + 1);
      body.replace(at + 1, end - at - 1, tag + "=" + value);
    };
    put("150", "H");
    put("17", new_id +
                  "\x01"
                  "19=" +
                  ref);
    put("14", "0");
    return framed(body);
  };
  prometheus::Registry reg;
  venue::kafka::Producer p({.brokers = env("VENUE_KAFKA_BROKERS"), .client_id = "e2e"}, reg, [](const auto&) {});
  const auto produce = [&](std::uint64_t seq, const std::string& payload) {
    p.produce(s.topic(), "e2e", payload,
              {{"venue-seq", std::to_string(seq)},
               {"msg-type", "8"},
               {"exec-type", "H"},
               {"session", headers["session"]},
               {"firm", headers["firm"]},
               {"account", headers["account"]}},
              nullptr, 0);
    p.flush(5000);
  };
  produce(h + 1, bust_of(fill_id, "bust-" + fill_id));
  produce(h + 2, bust_of("no-such-fill", "bust-none"));
  for (int i = 0; i < 100 && head_seq() < h + 2; ++i) std::this_thread::sleep_for(100ms);
  BOOST_TEST_REQUIRE(head_seq() == h + 2);

  // The rows, as an officer exports them: the bust names its fill; a bust of a fill not in the trail is
  // stored as sent, unlinked.
  std::map<std::uint64_t, Json> rows;
  for (const auto& r : export_audit()) rows[r["venue_seq"].get<std::uint64_t>()] = r;
  BOOST_TEST(rows[h + 1]["exec_type"] == "H");
  BOOST_TEST(rows[h + 1]["exec_ref_id"] == fill_id);
  BOOST_TEST(rows[h + 1]["bust_of_venue_seq"] == fill_seq, rows[h + 1].dump());
  BOOST_TEST(rows[h + 2]["exec_ref_id"] == "no-such-fill");
  BOOST_TEST(rows[h + 2]["bust_of_venue_seq"].is_null(), rows[h + 2].dump());
  BOOST_TEST(rows[fill_seq]["bust_of_venue_seq"].is_null());

  // The alert that cited the fill says it was busted, in `alerts show`, its JSON and the alerts export.
  const std::string id = wash["alert_id"];
  const auto shown = Json::parse(s.cmd("alerts show " + id + " --format json").out);
  BOOST_TEST(shown["busted_exec_ids"] == Json::array({fill_id}), shown.dump());
  const auto text = s.cmd("alerts show " + id);
  BOOST_TEST(text.out.find("BUSTED since the alert: fill(s) ExecID " + fill_id) != std::string::npos, text.out);
  const auto csv = s.cmd("export --kind alerts --from 2000-01-01 --to 2100-01-01 --format csv");
  BOOST_TEST(csv.out.find(",busted_exec_ids\n") != std::string::npos, csv.out);
  BOOST_TEST(csv.out.find("," + fill_id + "\n") != std::string::npos, csv.out);

  // Counted, and shown in status; busts are not fed to the rules (no new alert); the chain is intact.
  const auto st = Json::parse(s.cmd("status --format json").out);
  BOOST_TEST(st["trade_busts"]["total"] == 2);
  BOOST_TEST(st["trade_busts"]["unmatched"] == 1);
  BOOST_TEST(s.metric("compliance_busts_total") == 2);
  BOOST_TEST(s.metric("compliance_busts_unmatched_total") == 1);
  pqxx::nontransaction tx(db());
  BOOST_TEST(
      tx.exec1("select count(*) from compliance.alerts where trigger_venue_seq > " + std::to_string(h))[0].as<int>() ==
      0);
  const auto verified = s.cmd("verify");
  BOOST_TEST(verified.rc == 0, verified.out);
}

BOOST_AUTO_TEST_SUITE_END()
