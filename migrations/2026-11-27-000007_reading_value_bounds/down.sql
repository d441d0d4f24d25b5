-- Back to finite-only values, and the quarantined readings back where they were.
ALTER TABLE sensor_readings DROP CONSTRAINT ck_sensor_readings_value;
ALTER TABLE sensor_readings DROP CONSTRAINT ck_sensor_readings_value_raw;
ALTER TABLE sensor_readings ADD CONSTRAINT ck_sensor_readings_value
    CHECK (value NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8));
ALTER TABLE sensor_readings ADD CONSTRAINT ck_sensor_readings_value_raw
    CHECK (value_raw NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8));

INSERT INTO sensor_readings
       (sensor_id, "timestamp", value, value_raw, quality_indicator, is_anomaly, anomaly_score,
        is_out_of_range, metadata)
SELECT q.sensor_id, q."timestamp", q.value, q.value_raw, q.quality_indicator, q.is_anomaly,
       q.anomaly_score, q.is_out_of_range, q.metadata
  FROM sensor_readings_quarantine q
  JOIN grid_sensors s ON s.id = q.sensor_id
    ON CONFLICT DO NOTHING;

DROP TABLE sensor_readings_quarantine;
