-- Each sensor's newest reading of the batch ($1…$6: sensor ids, times, values, qualities,
-- out-of-range flags, anomaly flags; one element per sensor, in sensor order) into sensor_latest_readings,
-- replacing a stored one only when newer ({NEWER} is > or >=, per the conflict policy).
INSERT INTO sensor_latest_readings
    (sensor_id, "timestamp", value, quality_indicator, is_out_of_range, is_anomaly)
SELECT id, ts, v, q, o, a FROM unnest($1, $2, $3, $4, $5, $6) AS u(id, ts, v, q, o, a)
ON CONFLICT (sensor_id) DO UPDATE
   SET "timestamp" = excluded."timestamp", value = excluded.value,
       quality_indicator = excluded.quality_indicator,
       is_out_of_range = excluded.is_out_of_range, is_anomaly = excluded.is_anomaly
 WHERE excluded."timestamp" {NEWER} sensor_latest_readings."timestamp"
