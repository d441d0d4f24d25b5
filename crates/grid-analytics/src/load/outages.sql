-- Interruptions that began in [$1, $2): alerts of kind $3 of the zones' substations.
SELECT sub.zone, a.created_at, a.resolved_at, a.affected_customers::bigint AS customers
  FROM grid_alerts a JOIN grid_substations sub ON sub.id = a.substation_id
 WHERE a.alert_type = $3 AND a.created_at >= $1 AND a.created_at < $2
