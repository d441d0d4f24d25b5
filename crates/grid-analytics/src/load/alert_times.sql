-- When each alert of a zone's substations was raised in [$1, $2): the alarm flood measure.
SELECT sub.zone, a.created_at
  FROM grid_alerts a JOIN grid_substations sub ON sub.id = a.substation_id
 WHERE a.created_at >= $1 AND a.created_at < $2
