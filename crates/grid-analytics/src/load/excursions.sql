-- Runs of out-of-range readings that began in [$1, $2), per zone and sensor type (voltage
-- and frequency). A run begins at a flagged reading whose previous reading (of the same
-- sensor, any day) was in range, is more than $3 seconds older (a silent gap ends a run),
-- or was taken while the substation was de-energised. Readings taken while it was
-- de-energised ($4–$6: substation, from, to) are not excursions: a dead bus reads zero.
-- Only flagged readings are read (a partial index holds them), each with one probe back.
WITH dead AS (
    SELECT * FROM unnest($4::uuid[], $5::timestamptz[], $6::timestamptz[])
        AS d(substation_id, t0, t1)),
flagged AS MATERIALIZED (
    SELECT r.sensor_id, s.substation_id, r."timestamp", sub.zone, s.sensor_type
      FROM sensor_readings r
      JOIN grid_sensors s ON s.id = r.sensor_id
      JOIN grid_substations sub ON sub.id = s.substation_id
     WHERE r.is_out_of_range AND r."timestamp" >= $1 AND r."timestamp" < $2
       AND s.sensor_type IN ('voltage', 'frequency')
       AND NOT EXISTS (SELECT 1 FROM dead d
                        WHERE d.substation_id = s.substation_id
                          AND r."timestamp" >= d.t0 AND r."timestamp" < d.t1))
SELECT f.zone, f.sensor_type AS kind, count(*) AS n
  FROM flagged f
  LEFT JOIN LATERAL (
       SELECT p."timestamp", p.is_out_of_range FROM sensor_readings p
        WHERE p.sensor_id = f.sensor_id AND p."timestamp" < f."timestamp"
        ORDER BY p."timestamp" DESC LIMIT 1) p ON true
 WHERE p."timestamp" IS NULL OR NOT p.is_out_of_range
    OR p."timestamp" < f."timestamp" - make_interval(secs => $3)
    OR EXISTS (SELECT 1 FROM dead d
                WHERE d.substation_id = f.substation_id
                  AND p."timestamp" >= d.t0 AND p."timestamp" < d.t1)
 GROUP BY 1, 2
