-- Outages (alerts of kind $3) overlapping [$1, $2) — the caller widens the day by IEEE 1366's
-- momentary-event window, so sequences across its edges are grouped whole: substation,
-- start, restoration, customers and metadata (the interrupting device).
SELECT a.substation_id, a.created_at, a.resolved_at,
       a.affected_customers::bigint AS customers, a.metadata
  FROM grid_alerts a
 WHERE a.alert_type = $3 AND a.substation_id IS NOT NULL
   AND a.created_at < $2 AND (a.resolved_at IS NULL OR a.resolved_at > $1)
