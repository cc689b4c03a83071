-- The audit trail's hash chain recomputed inside PostgreSQL, without the compliance binary: an auditor's
-- own check of what `compliance verify` says (spec/compliance.md, "The hash chain").
--
--   psql "$VENUE_PG_URL" -v ON_ERROR_STOP=1 -f compliance/audit/recompute-chain.sql
--
-- Prints one line per bad row (venue_seq, trading_day, what is wrong), one per bad alert ("alert-seq <N>",
-- alert_id, what is wrong), one per bad alert action ("action-seq <N>", alert_id, what is wrong), then a
-- summary line `rows <N> bad <M> head_ok <true|false> alerts <N> alerts_bad <M> alerts_head_ok <true|false>
-- actions <N> actions_bad <M> actions_head_ok <true|false>` (head_ok: the last row, alert or action is the
-- head recorded). Every column is written out
-- below, in table order, so the canonical form can be read here rather than taken on trust:
--   row_hash = SHA-256(prev_hash || canonical), canonical = per column "-" when NULL, else
--   "<byte length>:<text>"; timestamps as epoch microseconds, dates as YYYY-MM-DD.
-- The alerts (compliance.alerts) form a chain of their own by alert_seq, in the same scheme over their
-- content (not over state, closed_*, close_reason, published_at, which change by design). The officers'
-- actions on alerts (compliance.alert_actions) form a third chain by action_seq, over action_seq,
-- alert_id, action, acted_by, acted_at, reason.
-- (Temporary functions and a view, rolled back at the end: nothing is written.)
begin transaction isolation level repeatable read;

create function pg_temp.c(v text) returns text language sql immutable as
  $$ select case when v is null then '-' else octet_length(v)::text || ':' || v end $$;
create function pg_temp.us(t timestamptz) returns text language sql immutable as
  $$ select (extract(epoch from t) * 1000000)::bigint::text $$;

create temporary view recomputed as
select venue_seq, trading_day, prev_hash, row_hash,
       lag(row_hash) over w as hash_before,
       lag(venue_seq) over w as seq_before,
       sha256(prev_hash || convert_to(
         pg_temp.c(venue_seq::text) || pg_temp.c(to_char(trading_day, 'YYYY-MM-DD')) ||
         pg_temp.c(skipped_before::text) || pg_temp.c(msg_type) || pg_temp.c(exec_type) || pg_temp.c(exec_id) ||
         pg_temp.c(exec_ref_id) || pg_temp.c(order_id) || pg_temp.c(cl_ord_id) || pg_temp.c(orig_cl_ord_id) ||
         pg_temp.c(session) || pg_temp.c(firm) || pg_temp.c(account) || pg_temp.c(symbol) || pg_temp.c(side) ||
         pg_temp.c(ord_type) || pg_temp.c(time_in_force) || pg_temp.c(order_qty::text) ||
         pg_temp.c(price::text) || pg_temp.c(stop_px::text) || pg_temp.c(ord_status) ||
         pg_temp.c(last_qty::text) || pg_temp.c(last_px::text) || pg_temp.c(cum_qty::text) ||
         pg_temp.c(leaves_qty::text) || pg_temp.c(avg_px::text) || pg_temp.c(order_capacity) ||
         pg_temp.c(pg_temp.us(transact_time)) || pg_temp.c(pg_temp.us(report_time)) || pg_temp.c(trd_match_id) ||
         pg_temp.c(last_liquidity_ind) || pg_temp.c(reject_code::text) || pg_temp.c(text) ||
         pg_temp.c(poss_resend::text) || pg_temp.c(repeat_of_venue_seq::text) ||
         pg_temp.c(bust_of_venue_seq::text) || pg_temp.c(shard::text) || pg_temp.c(engine_seq::text) ||
         pg_temp.c(traceparent) || pg_temp.c(kafka_partition::text) || pg_temp.c(kafka_offset::text) ||
         pg_temp.c(raw_fix) || pg_temp.c(error), 'UTF8')) as hash_now
from compliance.audit
window w as (order by venue_seq);

select venue_seq, trading_day,
       concat_ws('; ',
         case when hash_now <> row_hash then 'content edited (row_hash does not match the row)' end,
         case when prev_hash <> coalesce(hash_before, decode(repeat('00', 32), 'hex'))
              then 'prev_hash is not the hash of the row before (a row deleted, inserted or reordered)' end,
         case when seq_before = venue_seq then 'venue-seq stored twice' end) as problem
from recomputed
where hash_now <> row_hash or prev_hash <> coalesce(hash_before, decode(repeat('00', 32), 'hex'))
   or seq_before = venue_seq
order by venue_seq;

create temporary view alerts_recomputed as
select alert_seq, alert_id, prev_hash, row_hash,
       lag(row_hash) over w as hash_before,
       lag(alert_seq) over w as seq_before,
       sha256(prev_hash || convert_to(
         pg_temp.c(alert_seq::text) || pg_temp.c(alert_id) || pg_temp.c(rule) ||
         pg_temp.c(pg_temp.us(detected_at)) || pg_temp.c(pg_temp.us(event_time)) || pg_temp.c(firm) ||
         pg_temp.c(account) || pg_temp.c(owner) || pg_temp.c(symbol) || pg_temp.c(summary) ||
         pg_temp.c(figures::text) || pg_temp.c(evidence::text) || pg_temp.c(evidence_exec_ids::text) ||
         pg_temp.c(trigger_venue_seq::text) || pg_temp.c(traceparent), 'UTF8')) as hash_now
from compliance.alerts
window w as (order by alert_seq, alert_id);

create temporary view alerts_bad as
select alert_seq, alert_id,
       concat_ws('; ',
         case when hash_now <> row_hash then 'content edited (row_hash does not match the alert)' end,
         case when prev_hash <> coalesce(hash_before, decode(repeat('00', 32), 'hex'))
              then 'prev_hash is not the hash of the alert before (an alert deleted, inserted or reordered)' end,
         case when alert_seq <> coalesce(seq_before, 0) + 1
              then 'alert_seq does not follow the alert before (an alert deleted or inserted)' end) as problem
from alerts_recomputed
where hash_now <> row_hash or prev_hash <> coalesce(hash_before, decode(repeat('00', 32), 'hex'))
   or alert_seq <> coalesce(seq_before, 0) + 1;

select 'alert-seq ' || alert_seq, alert_id, problem from alerts_bad order by alert_seq;

create temporary view actions_recomputed as
select action_seq, alert_id, prev_hash, row_hash,
       lag(row_hash) over w as hash_before,
       lag(action_seq) over w as seq_before,
       sha256(prev_hash || convert_to(
         pg_temp.c(action_seq::text) || pg_temp.c(alert_id) || pg_temp.c(action) || pg_temp.c(acted_by) ||
         pg_temp.c(pg_temp.us(acted_at)) || pg_temp.c(reason), 'UTF8')) as hash_now
from compliance.alert_actions
window w as (order by action_seq, id);

create temporary view actions_bad as
select action_seq, alert_id,
       concat_ws('; ',
         case when hash_now <> row_hash then 'content edited (row_hash does not match the action)' end,
         case when prev_hash <> coalesce(hash_before, decode(repeat('00', 32), 'hex'))
              then 'prev_hash is not the hash of the action before (an action deleted, inserted or reordered)' end,
         case when action_seq <> coalesce(seq_before, 0) + 1
              then 'action_seq does not follow the action before (an action deleted or inserted)' end) as problem
from actions_recomputed
where hash_now <> row_hash or prev_hash <> coalesce(hash_before, decode(repeat('00', 32), 'hex'))
   or action_seq <> coalesce(seq_before, 0) + 1;

select 'action-seq ' || action_seq, alert_id, problem from actions_bad order by action_seq;

select 'rows ' || (select count(*) from compliance.audit) ||
       ' bad ' || (select count(*) from recomputed
                   where hash_now <> row_hash or prev_hash <> coalesce(hash_before, decode(repeat('00', 32), 'hex'))
                      or seq_before = venue_seq) ||
       ' head_ok ' || (select h.venue_seq = coalesce(a.venue_seq, 0)
                              and h.row_hash = coalesce(a.row_hash, decode(repeat('00', 32), 'hex'))
                       from compliance.chain_head h
                       left join (select venue_seq, row_hash from compliance.audit
                                  order by venue_seq desc limit 1) a on true) ||
       ' alerts ' || (select count(*) from compliance.alerts) ||
       ' alerts_bad ' || (select count(*) from alerts_bad) ||
       ' alerts_head_ok ' || (select h.alert_seq = coalesce(a.alert_seq, 0)
                                     and h.row_hash = coalesce(a.row_hash, decode(repeat('00', 32), 'hex'))
                              from compliance.alert_chain_head h
                              left join (select alert_seq, row_hash from compliance.alerts
                                         order by alert_seq desc limit 1) a on true) ||
       ' actions ' || (select count(*) from compliance.alert_actions) ||
       ' actions_bad ' || (select count(*) from actions_bad) ||
       ' actions_head_ok ' || (select h.action_seq = coalesce(a.action_seq, 0)
                                      and h.row_hash = coalesce(a.row_hash, decode(repeat('00', 32), 'hex'))
                               from compliance.alert_action_chain_head h
                               left join (select action_seq, row_hash from compliance.alert_actions
                                          order by action_seq desc limit 1) a on true) as summary;

rollback;
