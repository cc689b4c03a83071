-- Surveillance alerts in a hash chain of their own (spec/compliance.md, "The hash chain"): the same
-- scheme as the audit trail, over each alert's content in the order the alerts were raised.
--   row_hash = SHA-256(prev_hash || canonical), canonical = per column "-" when NULL, else
--   "<byte length>:<text>", over: alert_seq, alert_id, rule, detected_at and event_time (epoch
--   microseconds), firm, account, owner, symbol, summary, figures::text, evidence::text,
--   evidence_exec_ids::text, trigger_venue_seq, traceparent.
-- Not hashed, because they change by design: state, closed_by, closed_at, close_reason (an officer's
-- closure, also kept append-only in alert_actions) and published_at (set when Kafka acknowledges).
alter table alerts add column alert_seq bigint;
alter table alerts add column prev_hash bytea;
alter table alerts add column row_hash bytea;

create table alert_chain_head (
  id boolean primary key default true check (id),
  alert_seq bigint not null,
  row_hash bytea not null,
  updated_at timestamptz not null default now()
);

-- Alerts stored before this migration join the chain in the order they were raised.
do $$
declare
  a record;
  seq bigint := 0;
  prev bytea := decode(repeat('00', 32), 'hex');
  canon text;
  part text;
  parts text[];
begin
  for a in select * from alerts order by trigger_venue_seq, detected_at, alert_id loop
    seq := seq + 1;
    parts := array[seq::text, a.alert_id, a.rule,
                   (extract(epoch from a.detected_at) * 1000000)::bigint::text,
                   (extract(epoch from a.event_time) * 1000000)::bigint::text,
                   a.firm, a.account, a.owner, a.symbol, a.summary, a.figures::text, a.evidence::text,
                   a.evidence_exec_ids::text, a.trigger_venue_seq::text, a.traceparent];
    canon := '';
    foreach part in array parts loop
      canon := canon || case when part is null then '-' else octet_length(part)::text || ':' || part end;
    end loop;
    update alerts set alert_seq = seq, prev_hash = prev, row_hash = sha256(prev || convert_to(canon, 'UTF8'))
      where alert_id = a.alert_id
      returning row_hash into prev;
  end loop;
  insert into alert_chain_head (alert_seq, row_hash) values (seq, prev);
end
$$;

alter table alerts alter column alert_seq set not null;
alter table alerts alter column prev_hash set not null;
alter table alerts alter column row_hash set not null;
create unique index alerts_alert_seq on alerts (alert_seq);
