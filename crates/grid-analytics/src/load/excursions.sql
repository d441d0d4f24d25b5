-- Runs of out-of-range readings that began in [$1, $2), per zone and sensor type: a flagged
-- reading whose previous reading (of the same sensor, any day) was not flagged. Only
-- flagged readings are read (a partial index holds them), each with one index probe back.
WITH flagged AS MATERIALIZED (
    SELECT r.sensor_id, r."timestamp", sub.zone, s.sensor_type
      FROM sensor_readings r
      JOIN grid_sensors s ON s.id = r.sensor_id
      JOIN grid_substations sub ON sub.id = s.substation_id
     WHERE r.is_out_of_range AND r."timestamp" >= $1 AND r."timestamp" < $2
       AND s.sensor_type IN ('voltage', 'frequency'))
SELECT f.zone, f.sensor_type AS kind, count(*) AS n
  FROM flagged f
 WHERE NOT coalesce((SELECT p.is_out_of_range FROM sensor_readings p
                      WHERE p.sensor_id = f.sensor_id AND p."timestamp" < f."timestamp"
                      ORDER BY p."timestamp" DESC LIMIT 1), false)
 GROUP BY 1, 2
