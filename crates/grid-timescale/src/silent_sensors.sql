-- Sensors in service with their newest reading and sampling rate.
SELECT s.id, s.sensor_id::text AS tag, s.substation_id, l."timestamp" AS last,
       s.sampling_rate_hz AS rate
  FROM grid_sensors s
  LEFT JOIN sensor_latest_readings l ON l.sensor_id = s.id
 WHERE s.status = $1
   AND (l."timestamp" IS NULL
        OR l."timestamp" < $2 - make_interval(secs => $3 / s.sampling_rate_hz))
 ORDER BY l."timestamp" ASC NULLS FIRST, s.sensor_id
