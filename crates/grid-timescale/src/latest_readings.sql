-- The latest reading of each sensor, kept by ingest; filled from the readings already there.
CREATE TABLE sensor_latest_readings (
    sensor_id         uuid PRIMARY KEY REFERENCES grid_sensors (id) ON DELETE CASCADE,
    "timestamp"       timestamptz NOT NULL,
    value             double precision NOT NULL,
    quality_indicator double precision NOT NULL,
    is_out_of_range   boolean NOT NULL,
    is_anomaly        boolean NOT NULL)
    -- Every batch rewrites these rows: leave room for HOT updates.
    WITH (fillfactor = 70);
INSERT INTO sensor_latest_readings
SELECT DISTINCT ON (sensor_id) sensor_id, "timestamp", value,
       quality_indicator, is_out_of_range, is_anomaly
  FROM sensor_readings ORDER BY sensor_id, "timestamp" DESC;
