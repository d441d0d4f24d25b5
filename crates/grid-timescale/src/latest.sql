-- The newest reading of each sensor in scope (the scope is filled in by latest.rs), from the latest-value table.
SELECT s.id AS sensor_id, s.sensor_id::text AS tag, l."timestamp", l.value,
       l.quality_indicator AS quality, l.is_out_of_range
  FROM sensor_latest_readings l
  JOIN grid_sensors s ON s.id = l.sensor_id
  JOIN grid_substations sub ON sub.id = s.substation_id
 WHERE {filter}
 ORDER BY s.sensor_id
