-- The compliance service's schema (spec/compliance.md): the hash-chained audit trail of every record
-- on venue.execution-reports, the records waiting behind a gap, parked bad records, acknowledged gaps,
-- surveillance alerts and their closures, verification runs and the service's heartbeat.

-- One row per venue-seq, written in venue-seq order. row_hash = SHA-256(prev_hash || canonical row),
-- the canonical row being every column but row_hash (spec/compliance.md, "The hash chain").
create table audit (
  venue_seq bigint not null,
  trading_day date not null,
  skipped_before bigint not null default 0,
  msg_type text not null,
  exec_type text,
  exec_id text,
  exec_ref_id text,
  order_id text,
  cl_ord_id text,
  orig_cl_ord_id text,
  session text not null,
  firm text not null,
  account text not null,
  symbol text,
  side text,
  ord_type text,
  time_in_force text,
  order_qty numeric,
  price numeric,
  stop_px numeric,
  ord_status text,
  last_qty numeric,
  last_px numeric,
  cum_qty numeric,
  leaves_qty numeric,
  avg_px numeric,
  order_capacity text,
  transact_time timestamptz,
  report_time timestamptz not null,
  trd_match_id text,
  last_liquidity_ind text,
  reject_code integer,
  text text,
  poss_resend boolean not null,
  repeat_of_venue_seq bigint,
  bust_of_venue_seq bigint,
  shard integer,
  engine_seq bigint,
  traceparent text,
  kafka_partition integer not null,
  kafka_offset bigint not null,
  raw_fix text not null,
  error text,
  prev_hash bytea not null,
  row_hash bytea not null,
  primary key (venue_seq, trading_day)
) partition by range (trading_day);

create index audit_exec_id on audit (exec_id);
-- Trade busts (ExecType H), by the fill they cancel (NULL: a fill not in the trail).
create index audit_busts on audit (bust_of_venue_seq) where exec_type = 'H';

-- The chain's end as the service last committed it (updated in the same transaction as the rows).
create table chain_head (
  id boolean primary key default true check (id),
  venue_seq bigint not null,
  row_hash bytea not null,
  rows_written bigint not null,
  updated_at timestamptz not null
);
insert into chain_head (venue_seq, row_hash, rows_written, updated_at)
  values (0, decode(repeat('00', 32), 'hex'), 0, now());

-- Records that arrived ahead of a gap and waited longer than [ingest] stage_after_ms: kept exactly as
-- read (headers and payload) until the chain reaches them.
create table pending (
  venue_seq bigint primary key,
  kafka_partition integer not null,
  kafka_offset bigint not null,
  kafka_timestamp_ms bigint not null,
  headers jsonb not null,
  payload bytea not null,
  staged_at timestamptz not null default now()
);

-- Records that are not a readable report (no venue-seq, not FIX, a field out of range, a late arrival
-- after its gap was acknowledged), with the reason. A bad record that has a venue-seq also takes its
-- place in the chain (audit.error).
create table parked (
  id bigserial primary key,
  parked_at timestamptz not null default now(),
  topic text not null,
  kafka_partition integer not null,
  kafka_offset bigint not null,
  venue_seq bigint,
  reason text not null,
  headers jsonb not null,
  payload bytea not null,
  unique (topic, kafka_partition, kafka_offset)
);

-- Venue-seqs an officer declared lost for good: the chain may pass over them (audit.skipped_before).
create table gap_acknowledgements (
  id bigserial primary key,
  from_seq bigint not null,
  to_seq bigint not null check (to_seq >= from_seq),
  acknowledged_by text not null,
  acknowledged_at timestamptz not null default now(),
  reason text not null
);

create table alerts (
  alert_id text primary key,
  rule text not null,
  detected_at timestamptz not null default now(),
  event_time timestamptz not null,
  firm text not null,
  account text not null,
  owner text not null,
  symbol text not null,
  summary text not null,
  figures jsonb not null,
  evidence jsonb not null,
  evidence_exec_ids text[] not null,
  trigger_venue_seq bigint not null,
  traceparent text,
  state text not null default 'open' check (state in ('open', 'closed')),
  closed_by text,
  closed_at timestamptz,
  close_reason text,
  published_at timestamptz
);
create index alerts_event_time on alerts (event_time);

-- Every action an officer took on an alert: who, when, why (never updated).
create table alert_actions (
  id bigserial primary key,
  alert_id text not null references alerts (alert_id),
  action text not null,
  acted_by text not null,
  acted_at timestamptz not null default now(),
  reason text not null
);

-- Every `compliance verify` run.
create table verifications (
  id bigserial primary key,
  run_at timestamptz not null default now(),
  run_by text not null,
  from_seq bigint,
  to_seq bigint,
  rows_checked bigint not null,
  intact boolean not null,
  first_bad_seq bigint,
  detail text not null
);

-- The running service's view (one row, rewritten about once a second): what `compliance status` shows
-- beyond the tables (rows waiting in memory, consumer lag).
create table service_state (
  id boolean primary key default true check (id),
  heartbeat_at timestamptz not null,
  ready boolean not null,
  state jsonb not null
);
