-- A trade bust (ExecType H) without ExecRefID names its fill by OrderID + TrdMatchID: the service looks the
-- fill up with
--   select venue_seq from audit where order_id = $1 and trd_match_id = $2 and exec_type = 'F'
--     and repeat_of_venue_seq is null order by venue_seq limit 1
-- which no index covered (a scan of every partition per bust). Fills only (the predicate of the lookup),
-- so other reports do not pay for it at ingest. On the partitioned table the index is built on every
-- partition, holding writes while it builds (the service applies migrations at start, before it writes).
create index audit_fills_by_match on audit (order_id, trd_match_id, venue_seq) where exec_type = 'F';
