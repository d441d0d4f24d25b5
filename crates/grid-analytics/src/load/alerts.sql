-- Per zone: alerts raised in [$1, $2), those critical or worse, and alerts resolved then.
SELECT sub.zone,
       count(*) FILTER (WHERE a.created_at >= $1 AND a.created_at < $2) AS raised,
       count(*) FILTER (WHERE a.created_at >= $1 AND a.created_at < $2
                          AND a.severity >= 'critical') AS critical,
       count(*) FILTER (WHERE a.resolved_at >= $1 AND a.resolved_at < $2) AS resolved
  FROM grid_alerts a JOIN grid_substations sub ON sub.id = a.substation_id
 WHERE (a.created_at >= $1 AND a.created_at < $2)
    OR (a.resolved_at >= $1 AND a.resolved_at < $2)
 GROUP BY 1
