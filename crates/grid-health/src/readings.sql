-- The readings of the sensors $3 in [$1, $2), in time order per sensor: one index range scan
-- per sensor (LATERAL), not a scan of the window.
SELECT s.id AS sensor_id, r."timestamp" AS at, r.value
  FROM unnest($3::uuid[]) AS s(id)
 CROSS JOIN LATERAL (
       SELECT "timestamp", value
         FROM sensor_readings
        WHERE sensor_id = s.id AND "timestamp" >= $1 AND "timestamp" < $2
        ORDER BY "timestamp") r
