-- The risk service's schema (spec/risk.md, "What PostgreSQL holds"). Applied once by build/bin/risk at
-- start (venue::pg::migrate), with search_path set to the schema, so names here are unqualified.
-- Amounts are numeric: exact, as the service computes them (quantities and prices to 8 decimals, money
-- to 16).

-- Limits officers set (`risk limits set`), one row per account or firm, limit and symbol.
create table limits (
  scope text not null check (scope in ('account', 'firm')),
  entity text not null check (entity <> ''),
  limit_type text not null check (limit_type in ('max_net_position', 'gross_exposure', 'open_order_exposure',
                                                 'daily_traded_notional', 'max_loss')),
  symbol text not null default '' check (symbol = '' or limit_type = 'max_net_position'),
  value numeric not null check (value > 0),
  updated_at timestamptz not null default now(),
  updated_by text not null,
  primary key (scope, entity, limit_type, symbol)
);

-- Every change of a limit, with who and when; its id is the limits' version the service follows.
create table limit_changes (
  id bigserial primary key,
  at timestamptz not null default now(),
  by text not null,
  action text not null check (action in ('set', 'delete')),
  scope text not null,
  entity text not null,
  limit_type text not null,
  symbol text not null,
  old_value numeric,
  new_value numeric,
  note text not null default ''
);

-- The service's state at its last write: the Kafka positions it covers and the sequencer's place.
create table state (
  id int primary key check (id = 1),
  next_venue_seq bigint not null,
  skipped_seqs bigint[] not null default '{}',
  written_at timestamptz not null default now()
);

create table offsets (
  topic text not null,
  partition int not null,
  next_offset bigint not null,
  primary key (topic, partition)
);

-- Each position's figures before its kept fills (fills of older trading days folded in).
create table baselines (
  account text not null,
  firm text not null,
  symbol text not null,
  bought_qty numeric not null,
  sold_qty numeric not null,
  bought_notional numeric not null,
  sold_notional numeric not null,
  net_qty numeric not null,
  cost numeric not null,
  realized numeric not null,
  primary key (account, symbol)
);

-- Fills kept one by one (busts and repeats are recognised among them), each counted once by ExecID.
create table fills (
  exec_id text primary key,
  venue_seq bigint not null,
  order_id text not null,
  trd_match_id text not null,
  account text not null,
  firm text not null,
  symbol text not null,
  side char(1) not null check (side in ('1', '2')),
  qty numeric not null,
  price numeric not null,
  transact_time timestamptz not null,
  transact_ns bigint not null,
  trade_day int not null,
  poss_resend boolean not null,
  busted_by text not null default '',
  busted_ns bigint not null default 0
);
create index fills_position on fills (account, symbol, venue_seq);

create table orders (
  order_id text primary key,
  account text not null,
  firm text not null,
  symbol text not null,
  side char(1) not null,
  leaves_qty numeric not null,
  price numeric not null,
  venue_seq bigint not null
);

-- Last trade per instrument.
create table marks (
  symbol text primary key,
  price numeric not null,
  venue_seq bigint not null,
  trd_match_id text not null
);

-- Per figure and limit: the warning level reached and whether it is breached.
create table limit_states (
  scope text not null,
  entity text not null,
  limit_type text not null,
  symbol text not null,
  firm text not null,
  usage numeric not null,
  limit_value numeric not null,
  level int not null,
  breached boolean not null,
  release_floor numeric,
  breached_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (scope, entity, limit_type, symbol)
);

-- Every warning and breach, as published on venue.risk-alerts.
create table alerts (
  id text primary key,
  at timestamptz not null,
  kind text not null,
  scope text not null,
  firm text not null,
  account text not null,
  limit_type text not null,
  symbol text not null,
  level int not null,
  usage numeric not null,
  limit_value numeric not null,
  venue_seq bigint not null,
  exec_id text not null,
  command_id text not null default '',
  body text not null
);
create index alerts_at on alerts (at);

-- Commands to the venue: the service's blocks and kill switches, and releases issued by `risk release`.
create table commands (
  id text primary key,
  issued_at timestamptz not null,
  issuer text not null,
  action text not null,
  firm text not null,
  account text not null,
  reason text not null,
  limit_type text not null default '',
  trigger_venue_seq bigint not null default 0,
  trigger_exec_id text not null default '',
  trigger_transact_ns bigint not null default 0,
  body text not null,
  published_at timestamptz
);

-- The venue's answers (venue.risk-control-acks), including to commands others issued.
create table acks (
  command_id text primary key,
  result text not null,
  reason text not null,
  action text not null,
  firm text not null,
  account text not null,
  orders_cancelled bigint not null,
  applied_at timestamptz,
  received_at timestamptz not null default now()
);

-- Records of venue.execution-reports the service could not use, with the reason (never dropped silently).
create table parked (
  id bigserial primary key,
  at timestamptz not null default now(),
  topic text not null,
  partition int not null,
  kafka_offset bigint not null,
  venue_seq bigint not null,
  reason text not null,
  payload text not null
);
