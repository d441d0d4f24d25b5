-- The same from the raw readings: one LATERAL index probe per sensor (the scope is filled in by latest.rs).
SELECT s.id AS sensor_id, s.sensor_id::text AS tag, r."timestamp", r.value,
       r.quality_indicator AS quality, r.is_out_of_range
  FROM grid_sensors s
  JOIN grid_substations sub ON sub.id = s.substation_id
  CROSS JOIN LATERAL (
       SELECT "timestamp", value, quality_indicator, is_out_of_range
         FROM sensor_readings WHERE sensor_id = s.id
        ORDER BY "timestamp" DESC LIMIT 1) r
 WHERE {filter}
 ORDER BY s.sensor_id
