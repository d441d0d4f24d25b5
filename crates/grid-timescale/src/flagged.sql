-- Readings flagged out of range or anomalous in a range.
SELECT r.sensor_id, s.sensor_id::text AS tag, r."timestamp", r.value,
       r.is_out_of_range, r.is_anomaly
  FROM grid_sensors s
  JOIN sensor_readings r ON r.sensor_id = s.id
 WHERE s.substation_id = $1 AND r."timestamp" >= $2 AND r."timestamp" < $3
   AND (r.is_out_of_range OR r.is_anomaly)
 ORDER BY r."timestamp", s.sensor_id
