-- The officers' actions on alerts (alert_actions: every close, who, when, why) in a hash chain of their
-- own (spec/compliance.md, "The alert actions' chain"): the scheme of the audit trail and of the alerts,
--   row_hash = SHA-256(prev_hash || canonical), canonical = per column "-" when NULL, else
--   "<byte length>:<text>", over: action_seq, alert_id, action, acted_by, acted_at (epoch
--   microseconds), reason.
-- An action is appended by `compliance alerts close` under the head's row lock, in the transaction that
-- closes the alert; verify also checks each alert's closure columns against its last chained close.
alter table alert_actions add column action_seq bigint;
alter table alert_actions add column prev_hash bytea;
alter table alert_actions add column row_hash bytea;

create table alert_action_chain_head (
  id boolean primary key default true check (id),
  action_seq bigint not null,
  row_hash bytea not null,
  updated_at timestamptz not null default now()
);

-- Actions taken before this migration join the chain in the order they were taken.
do $$
declare
  a record;
  seq bigint := 0;
  prev bytea := decode(repeat('00', 32), 'hex');
  canon text;
  part text;
  parts text[];
begin
  for a in select * from alert_actions order by id loop
    seq := seq + 1;
    parts := array[seq::text, a.alert_id, a.action, a.acted_by,
                   (extract(epoch from a.acted_at) * 1000000)::bigint::text, a.reason];
    canon := '';
    foreach part in array parts loop
      canon := canon || case when part is null then '-' else octet_length(part)::text || ':' || part end;
    end loop;
    update alert_actions set action_seq = seq, prev_hash = prev, row_hash = sha256(prev || convert_to(canon, 'UTF8'))
      where id = a.id
      returning row_hash into prev;
  end loop;
  insert into alert_action_chain_head (action_seq, row_hash) values (seq, prev);
end
$$;

alter table alert_actions alter column action_seq set not null;
alter table alert_actions alter column prev_hash set not null;
alter table alert_actions alter column row_hash set not null;
create unique index alert_actions_action_seq on alert_actions (action_seq);
