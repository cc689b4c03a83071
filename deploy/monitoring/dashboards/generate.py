#!/usr/bin/env python3
"""Writes the Grafana dashboards of the venue (deploy/monitoring/dashboards/*.json) from the short
definitions below: one place for the panel layout, the datasource variable and the units.

    python3 deploy/monitoring/dashboards/generate.py          # rewrite the JSON files
    python3 deploy/monitoring/dashboards/generate.py --check  # exit 1 when a JSON file differs

Import the JSON files into Grafana (Dashboards > New > Import, or a provisioning folder); each asks
for a Prometheus datasource. deploy/monitoring/check-metrics proves that every query names a metric
the processes expose.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RATE = "$__rate_interval"


def panel(title, exprs, unit="short", kind="timeseries", legend=None, desc=""):
    """exprs: list of (expr, legend) or plain exprs."""
    targets = []
    for i, e in enumerate(exprs):
        expr, leg = e if isinstance(e, tuple) else (e, legend or "")
        targets.append({"datasource": {"type": "prometheus", "uid": "${datasource}"}, "expr": expr,
                        "legendFormat": leg, "refId": chr(ord("A") + i)})
    p = {"type": kind, "title": title, "description": desc,
         "datasource": {"type": "prometheus", "uid": "${datasource}"}, "targets": targets,
         "fieldConfig": {"defaults": {"unit": unit}, "overrides": []}, "options": {}}
    if kind == "stat":
        p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "background"}
    return p


def dashboard(uid, title, rows, variables=()):
    panels = []
    y = 0
    pid = 1
    for row_title, row in rows:
        panels.append({"type": "row", "title": row_title, "id": pid, "collapsed": False,
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
        pid += 1
        y += 1
        width = 24 // max(1, min(len(row), 4))
        for i, p in enumerate(row):
            p = dict(p, id=pid)
            pid += 1
            p["gridPos"] = {"h": 4 if p["type"] == "stat" else 8, "w": width, "x": (i % 4) * width, "y": y + (i // 4) * 8}
            panels.append(p)
        y += 8 * ((len(row) + 3) // 4)
    templating = [{"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus",
                   "current": {}, "hide": 0}]
    for name, query in variables:
        templating.append({"name": name, "type": "query", "label": name,
                           "datasource": {"type": "prometheus", "uid": "${datasource}"},
                           "query": {"query": query, "refId": name}, "definition": query,
                           "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*", "current": {}})
    return {"uid": uid, "title": title, "tags": ["venue"], "timezone": "utc", "schemaVersion": 39,
            "version": 1, "editable": True, "refresh": "10s", "time": {"from": "now-1h", "to": "now"},
            "templating": {"list": templating}, "annotations": {"list": []}, "panels": panels}


V = 'instance=~"$instance"'
D = 'instance=~"$dropcopy"'
C = 'instance=~"$compliance"'
R = 'instance=~"$risk"'

DASHBOARDS = {
    "venue-overview": dashboard("venue-overview", "Venue: overview", [
        ("Health", [
            panel("Processes up", [('up{job=~"venue|dropcopy|compliance|risk"}', "{{job}} {{instance}}")], kind="stat"),
            panel("FIX sessions logged on", [(f"sum(venue_sessions_logged_on{{{V}}})", "sessions")], kind="stat"),
            panel("Live orders", [(f"sum(venue_live_orders{{{V}}})", "orders")], kind="stat"),
            panel("Alerts firing", [('count(ALERTS{alertstate="firing"}) or vector(0)', "alerts")], kind="stat"),
        ]),
        ("Flow", [
            panel("Orders per second", [(f"sum(rate(venue_orders_submitted_total{{{V}}}[{RATE}]))", "orders/s")], unit="ops"),
            panel("Reject ratio", [(f"sum(rate(venue_rejects_total{{{V}}}[{RATE}])) / (sum(rate(venue_orders_submitted_total{{{V}}}[{RATE}])) + sum(rate(venue_rejects_total{{{V}}}[{RATE}])))", "rejected")], unit="percentunit",
                  desc="Refusals over orders plus refusals; the alert VenueRejectRateHigh fires above 1%"),
            panel("Execution reports per second by ExecType", [(f"sum by (exec_type) (rate(venue_execution_reports_total{{{V}}}[{RATE}]))", "ExecType {{exec_type}}")], unit="ops"),
            panel("Rejects by code", [(f"sum by (code, name) (rate(venue_rejects_total{{{V}}}[{RATE}]))", "{{code}} {{name}}")], unit="ops"),
        ]),
        ("Downstream", [
            panel("Reports waiting for Kafka", [(f"venue_reports_read_seq{{{V}}} - venue_reports_published_seq{{{V}}}", "{{instance}}")]),
            panel("Drop-copy consumer lag", [(f"sum by (instance) (dropcopy_consumer_lag{{{D}}})", "{{instance}}")]),
            panel("Drop-copy delay (last copy)", [(f"max by (session) (dropcopy_session_delay_seconds{{{D}}})", "{{session}}")], unit="s"),
        ]),
    ], variables=[("instance", 'label_values(venue_sessions_logged_on, instance)'),
                  ("dropcopy", 'label_values(dropcopy_consumer_lag, instance)')]),

    "venue-sessions": dashboard("venue-sessions", "Venue: FIX sessions", [
        ("Order entry", [
            panel("Sessions logged on", [(f"venue_sessions_logged_on{{{V}}}", "{{instance}}")]),
            panel("Application messages in by session", [(f"sum by (session) (rate(venue_fix_messages_in_total{{{V}}}[{RATE}]))", "{{session}}")], unit="ops"),
            panel("Session rejects by session", [(f"sum by (session) (rate(venue_session_rejects_total{{{V}}}[{RATE}]))", "{{session}}")], unit="ops"),
            panel("Throttled messages by session", [(f"sum by (session) (rate(venue_throttle_refused_total{{{V}}}[{RATE}]))", "{{session}}")], unit="ops"),
            panel("Logons by session and result", [(f"sum by (session, result) (increase(venue_logons_total{{{V}}}[{RATE}]))", "{{session}} {{result}}")]),
            panel("Acceptor events", [(f"sum by (event) (rate(venue_acceptor_events_total{{{V}}}[{RATE}]))", "{{event}}")], unit="ops"),
            panel("FIX bytes", [(f"sum by (direction) (rate(venue_acceptor_bytes_total{{{V}}}[{RATE}]))", "{{direction}}")], unit="Bps"),
        ]),
        ("Drop copy", [
            panel("Copies delivered by session", [(f"sum by (session) (rate(dropcopy_copies_delivered_total{{{D}}}[{RATE}]))", "{{session}}")], unit="ops"),
            panel("Copies waiting (client logged out)", [(f"dropcopy_session_copies_waiting{{{D}}}", "{{session}}")]),
            panel("Delay, venue TransactTime to copy", [(f"dropcopy_session_delay_seconds{{{D}}}", "{{session}}")], unit="s"),
            panel("Last VenueSequence copied", [(f"dropcopy_session_last_venue_seq{{{D}}}", "{{session}}")]),
            panel("Duplicates skipped", [(f"sum by (session) (rate(dropcopy_duplicates_skipped_total{{{D}}}[{RATE}]))", "{{session}}")], unit="ops"),
            panel("Copies from catch-ups", [(f"sum(rate(dropcopy_copies_caught_up_total{{{D}}}[{RATE}]))", "caught up")], unit="ops"),
            panel("Application messages refused", [(f"sum(rate(dropcopy_application_messages_refused_total{{{D}}}[{RATE}]))", "refused")], unit="ops"),
            panel("Drop-copy acceptor events", [(f"sum by (event) (rate(dropcopy_acceptor_events_total{{{D}}}[{RATE}]))", "{{event}}")], unit="ops"),
        ]),
    ], variables=[("instance", 'label_values(venue_sessions_logged_on, instance)'),
                  ("dropcopy", 'label_values(dropcopy_consumer_lag, instance)')]),

    "venue-engine": dashboard("venue-engine", "Venue: matching engine", [
        ("Shards", [
            panel("Commands applied per second", [(f"sum by (shard) (rate(venue_engine_commands{{{V}}}[{RATE}]))", "shard {{shard}}")], unit="ops"),
            panel("Journal write rate", [(f"sum by (shard) (rate(venue_engine_journal_bytes{{{V}}}[{RATE}]))", "shard {{shard}}")], unit="Bps"),
            panel("Live orders in the engine", [(f"venue_engine_live_orders{{{V}}}", "shard {{shard}}")]),
            panel("Events that waited for ring space", [(f"sum by (shard) (rate(venue_engine_events_spilled{{{V}}}[{RATE}]))", "shard {{shard}}")], unit="ops"),
        ]),
        ("Refusals", [
            panel("Commands the engine ring refused (by shard)", [(f"sum by (shard) (rate(venue_engine_submit_refused{{{V}}}[{RATE}]))", "shard {{shard}}")], unit="ops"),
            panel("Commands refused (gateway view)", [(f"sum(rate(venue_engine_submit_refused_total{{{V}}}[{RATE}]))", "refused")], unit="ops"),
            panel("Gateway live orders", [(f"venue_live_orders{{{V}}}", "{{instance}}")]),
        ]),
    ], variables=[("instance", 'label_values(venue_engine_commands, instance)')]),

    "venue-kafka": dashboard("venue-kafka", "Venue: Kafka", [
        ("Publishing (venue)", [
            panel("Reports acknowledged per second", [(f"sum(rate(venue_reports_published_total{{{V}}}[{RATE}]))", "acked"),
                                                      (f"sum(rate(venue_reports_republished_total{{{V}}}[{RATE}]))", "republished")], unit="ops"),
            panel("Reports waiting for Kafka", [(f"venue_reports_read_seq{{{V}}} - venue_reports_published_seq{{{V}}}", "read - acked"),
                                                (f"venue_reports_in_flight{{{V}}}", "in flight")]),
            panel("Publish failures and report-log read errors", [(f"sum(increase(venue_reports_publish_failures_total{{{V}}}[{RATE}]))", "refused for good"),
                                                                  (f"sum(increase(venue_reports_read_errors_total{{{V}}}[{RATE}]))", "report-log read errors")]),
            panel("Producer client", [(f"sum by (client) (rate(venue_kafka_produced_total{{{V}}}[{RATE}]))", "{{client}} produced"),
                                      (f"sum by (client) (rate(venue_kafka_delivered_total{{{V}}}[{RATE}]))", "{{client}} delivered"),
                                      (f"sum by (client) (rate(venue_kafka_delivery_errors_total{{{V}}}[{RATE}]))", "{{client}} delivery errors"),
                                      (f"sum by (client) (rate(venue_kafka_produce_queue_full_total{{{V}}}[{RATE}]))", "{{client}} queue full")], unit="ops"),
        ]),
        ("Consumers", [
            panel("Drop-copy lag by partition", [(f"dropcopy_consumer_lag{{{D}}}", "{{instance}} p{{partition}}")]),
            panel("Drop-copy reports consumed", [(f"sum(rate(dropcopy_reports_consumed_total{{{D}}}[{RATE}]))", "consumed"),
                                                 (f"sum(rate(dropcopy_reports_reread_total{{{D}}}[{RATE}]))", "read again")], unit="ops"),
            panel("Drop-copy errors", [(f"sum(increase(dropcopy_reports_malformed_total{{{D}}}[{RATE}]))", "malformed"),
                                       (f"sum(increase(dropcopy_commit_retries_total{{{D}}}[{RATE}]))", "commit retries"),
                                       (f"sum(increase(dropcopy_catch_up_failures_total{{{D}}}[{RATE}]))", "catch-up failures")]),
            panel("Consumer clients", [(f"sum by (job, client) (rate(venue_kafka_consumed_total[{RATE}]))", "{{job}} {{client}} consumed"),
                                       (f"sum by (job, client) (rate(venue_kafka_consume_errors_total[{RATE}]))", "{{job}} {{client}} errors"),
                                       (f"sum by (job, client) (rate(venue_kafka_commit_errors_total[{RATE}]))", "{{job}} {{client}} commit errors")], unit="ops"),
        ]),
    ], variables=[("instance", 'label_values(venue_reports_published_seq, instance)'),
                  ("dropcopy", 'label_values(dropcopy_consumer_lag, instance)')]),

    "venue-compliance": dashboard("venue-compliance", "Venue: compliance (audit trail and surveillance)", [
        ("Audit trail", [
            panel("Chain head (venue-seq)", [(f"compliance_chain_head_venue_seq{{{C}}}", "{{instance}}")], kind="stat"),
            panel("Venue-seqs missing (chain held back)", [(f"compliance_chain_gap_seqs{{{C}}}", "{{instance}}")], kind="stat",
                  desc="Reports not seen yet between the head and the highest held; the alert ComplianceChainGap fires after 5 minutes"),
            panel("Last verify (1 intact, 0 broken, -1 none)", [(f"compliance_chain_last_verify_intact{{{C}}}", "{{instance}}")], kind="stat",
                  desc="The latest `compliance verify` recorded in compliance.verifications; ComplianceChainBroken fires on 0"),
            panel("PostgreSQL taking batches", [(f"compliance_db_up{{{C}}}", "{{instance}}")], kind="stat"),
            panel("Rows written per second", [(f"sum(rate(compliance_rows_written_total{{{C}}}[{RATE}]))", "rows/s"),
                                              (f"sum(rate(compliance_records_consumed_total{{{C}}}[{RATE}]))", "records read/s")], unit="ops"),
            panel("Ingest latency (Kafka timestamp to commit)", [(f"histogram_quantile(0.5, sum by (le) (rate(compliance_ingest_latency_seconds_bucket{{{C}}}[{RATE}])))", "p50"),
                                                                  (f"histogram_quantile(0.99, sum by (le) (rate(compliance_ingest_latency_seconds_bucket{{{C}}}[{RATE}])))", "p99")], unit="s"),
            panel("Consumer lag by partition", [(f"compliance_consumer_lag{{{C}}}", "{{instance}} p{{partition}}")],
                  desc="The alert ComplianceConsumerLag fires above 10,000 for 2 minutes"),
            panel("Batches per second", [(f"sum(rate(compliance_batches_total{{{C}}}[{RATE}]))", "batches/s")], unit="ops"),
        ]),
        ("Records that need a look", [
            panel("Rows waiting behind a gap", [(f"compliance_rows_waiting{{{C}}}", "{{instance}}")]),
            panel("Parked, repeats, duplicates", [(f"sum(increase(compliance_records_parked_total{{{C}}}[{RATE}]))", "parked"),
                                                  (f"sum(increase(compliance_repeats_total{{{C}}}[{RATE}]))", "PossResend repeats"),
                                                  (f"sum(increase(compliance_duplicates_skipped_total{{{C}}}[{RATE}]))", "duplicates skipped"),
                                                  (f"sum(increase(compliance_rows_staged_total{{{C}}}[{RATE}]))", "staged to pending")]),
            panel("Trade busts", [(f"sum(increase(compliance_busts_total{{{C}}}[{RATE}]))", "busts"),
                                  (f"sum(increase(compliance_busts_unmatched_total{{{C}}}[{RATE}]))", "fill not in the trail")]),
            panel("Failures", [(f"sum(increase(compliance_db_failures_total{{{C}}}[{RATE}]))", "batch transactions failed"),
                               (f"sum(increase(compliance_offset_commit_failures_total{{{C}}}[{RATE}]))", "offset commits failed"),
                               (f"sum(increase(compliance_alert_publish_failures_total{{{C}}}[{RATE}]))", "alerts not published")]),
        ]),
        ("Surveillance", [
            panel("Alerts by rule (in the range)", [(f"sum by (rule) (increase(compliance_alerts_total{{{C}}}[$__range]))", "{{rule}}")], kind="stat"),
            panel("Alerts raised by rule", [(f"sum by (rule) (increase(compliance_alerts_total{{{C}}}[{RATE}]))", "{{rule}}")]),
            panel("Alerts published to Kafka", [(f"sum(rate(compliance_alerts_published_total{{{C}}}[{RATE}]))", "published")], unit="ops"),
            panel("Verifications by result", [(f"sum by (result) (compliance_verifications_total{{{C}}})", "{{result}}")]),
        ]),
    ], variables=[("compliance", 'label_values(compliance_chain_head_venue_seq, instance)')]),

    "venue-risk": dashboard("venue-risk", "Venue: risk (limits and kill switch)", [
        ("Kill switch", [
            panel("Breaches (in the range)", [(f"sum(increase(risk_limit_breaches_total{{{R}}}[$__range]))", "breaches")], kind="stat"),
            panel("Blocks the venue applied (in the range)", [(f'sum(increase(venue_risk_control_commands_total{{action=~"block_account|kill_firm", result="applied"}}[$__range])) + sum(increase(venue_operator_api_actions_total{{action="kill_switch.engage", result="ok"}}[$__range]) or vector(0))', "blocks")], kind="stat",
                  desc="Risk's commands (venue.risk-control) and operators' kill switches; the alert VenueKillSwitchEngaged fires on each"),
            panel("Commands not answered by the venue", [(f"risk_commands_unanswered{{{R}}}", "{{instance}}")], kind="stat"),
            panel("Reading paused (fills wait for PostgreSQL)", [(f"risk_reading_paused{{{R}}}", "{{instance}}")], kind="stat"),
            panel("Breaches by scope and limit", [(f"sum by (scope, limit) (increase(risk_limit_breaches_total{{{R}}}[{RATE}]))", "{{scope}} {{limit}}")]),
            panel("Commands sent by action", [(f"sum by (action) (increase(risk_commands_sent_total{{{R}}}[{RATE}]))", "{{action}}")]),
            panel("Commands the venue applied, by action and result", [(f"sum by (action, result) (increase(venue_risk_control_commands_total[{RATE}]))", "{{action}} {{result}}")]),
            panel("Breach to block", [(f"histogram_quantile(0.5, sum by (le) (rate(risk_breach_to_block_seconds_bucket{{{R}}}[{RATE}])))", "p50"),
                                      (f"histogram_quantile(0.99, sum by (le) (rate(risk_breach_to_block_seconds_bucket{{{R}}}[{RATE}])))", "p99"),
                                      (f"histogram_quantile(0.99, sum by (le) (rate(risk_breach_detection_seconds_bucket{{{R}}}[{RATE}])))", "p99 detection")], unit="s"),
        ]),
        ("Limits", [
            panel("Highest limit usage", [(f"topk(10, risk_limit_usage_ratio{{{R}}})", "{{scope}} {{entity}} {{limit}}")], unit="percentunit"),
            panel("Warnings by level", [(f"sum by (level) (increase(risk_limit_warnings_total{{{R}}}[{RATE}]))", "{{level}}")]),
            panel("Limits in force", [(f"risk_limits{{{R}}}", "{{instance}}")]),
            panel("Positions and live orders tracked", [(f"risk_positions{{{R}}}", "positions"), (f"risk_live_orders{{{R}}}", "live orders")]),
        ]),
        ("Consuming", [
            panel("Consumer lag by partition", [(f"risk_consumer_lag_records{{{R}}}", "{{instance}} p{{partition}}")],
                  desc="The alert RiskConsumerLag fires above 5,000 for a minute"),
            panel("Records applied by effect", [(f"sum by (effect) (rate(risk_records_applied_total{{{R}}}[{RATE}]))", "{{effect}}")], unit="ops"),
            panel("Records that need a look", [(f"sum(increase(risk_records_bad_total{{{R}}}[{RATE}]))", "bad"),
                                               (f"sum(increase(risk_records_late_total{{{R}}}[{RATE}]))", "late"),
                                               (f"sum(increase(risk_sequence_gaps_total{{{R}}}[{RATE}]))", "gaps given up"),
                                               (f"sum(increase(risk_records_duplicate_total{{{R}}}[{RATE}]))", "duplicates")]),
            panel("State writes to PostgreSQL", [(f"histogram_quantile(0.99, sum by (le) (rate(risk_state_write_seconds_bucket{{{R}}}[{RATE}])))", "p99 write"),
                                                 (f"risk_unwritten_fills{{{R}}}", "fills not written"),
                                                 (f"sum(increase(risk_state_write_errors_total{{{R}}}[{RATE}]))", "write errors")]),
        ]),
    ], variables=[("risk", 'label_values(risk_last_venue_seq, instance)')]),
}


def main() -> int:
    check = "--check" in sys.argv[1:]
    status = 0
    for name, d in DASHBOARDS.items():
        path = os.path.join(HERE, name + ".json")
        text = json.dumps(d, indent=2) + "\n"
        if check:
            old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
            if old != text:
                print(f"{path}: differs from generate.py (run python3 {os.path.relpath(__file__)})", file=sys.stderr)
                status = 1
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
