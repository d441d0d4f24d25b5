-- Each voltage sensor's daily sum and count in the day's bucket of the daily rollup, with
-- its metadata and its substation's level (its nominal voltage is worked out in Rust).
SELECT sub.zone, s.metadata, sub.voltage_level_kv AS level_kv,
       sum(d.sum_value) AS sum, sum(d.reading_count)::bigint AS count
  FROM sensor_readings_daily d
  JOIN grid_sensors s ON s.id = d.sensor_id
  JOIN grid_substations sub ON sub.id = s.substation_id
 WHERE d.bucket = $1 AND s.sensor_type = 'voltage'
 GROUP BY s.id, sub.zone, sub.voltage_level_kv
