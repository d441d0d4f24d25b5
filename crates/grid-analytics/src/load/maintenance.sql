-- Maintenance on the zones' transformers overlapping [$1, $2), not cancelled.
SELECT sub.zone, m.maintenance_type AS kind, m.started_at, m.completed_at
  FROM maintenance_records m
  JOIN transformers t ON t.id = m.transformer_id
  JOIN grid_substations sub ON sub.id = t.substation_id
 WHERE m.started_at < $2 AND (m.completed_at IS NULL OR m.completed_at > $1)
   AND m.status <> 'cancelled'
