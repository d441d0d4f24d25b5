DROP TABLE anomaly_imbalance_states;
DROP TABLE anomaly_sensor_states;
ALTER TABLE sensor_readings DROP CONSTRAINT ck_sensor_readings_anomaly_score;
ALTER TABLE anomaly_detections DROP CONSTRAINT ck_anomaly_detections_anomaly_score;
ALTER TABLE anomaly_detections ADD CONSTRAINT ck_anomaly_detections_anomaly_score
    CHECK (anomaly_score NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8));
ALTER TABLE anomaly_detections DROP CONSTRAINT ck_anomaly_detections_episode;
ALTER TABLE anomaly_detections
    DROP COLUMN ongoing,
    DROP COLUMN episode_end,
    DROP COLUMN episode_start;
