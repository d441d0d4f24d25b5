-- Every stored value and raw value is bounded in magnitude, not only finite: PostgreSQL's
-- avg() and stddev() over float8 accumulate squares, which overflow past about 1.3e154, so one
-- reading of 1e308 made every aggregate over its sensor-hour fail. 1e15 is far beyond any
-- physical quantity a sensor reports (grid_timescale::bounds::MAX_ABS_VALUE holds the same
-- number; a test compares them). The comparison also refuses NaN and ±Infinity, as before.
--
-- Rows already stored that break the bound are not deleted: they move to
-- sensor_readings_quarantine, where an operator can inspect them (down.sql moves them back).
CREATE TABLE sensor_readings_quarantine (
    sensor_id         uuid NOT NULL,
    "timestamp"       timestamptz NOT NULL,
    value             double precision NOT NULL,
    value_raw         double precision,
    quality_indicator double precision NOT NULL,
    is_anomaly        boolean NOT NULL,
    anomaly_score     double precision,
    is_out_of_range   boolean NOT NULL,
    metadata          jsonb,
    quarantined_at    timestamptz NOT NULL DEFAULT now(),
    reason            text NOT NULL,
    CONSTRAINT sensor_readings_quarantine_pkey PRIMARY KEY (sensor_id, "timestamp")
);

WITH moved AS (
    DELETE FROM sensor_readings
     WHERE NOT (value BETWEEN -1e15 AND 1e15)
        OR (value_raw IS NOT NULL AND NOT (value_raw BETWEEN -1e15 AND 1e15))
    RETURNING *)
INSERT INTO sensor_readings_quarantine
       (sensor_id, "timestamp", value, value_raw, quality_indicator, is_anomaly, anomaly_score,
        is_out_of_range, metadata, reason)
SELECT sensor_id, "timestamp", value, value_raw, quality_indicator, is_anomaly, anomaly_score,
       is_out_of_range, metadata, 'magnitude beyond 1e15 (migration reading_value_bounds)'
  FROM moved;

-- The hours those rows were in must be rolled up again (grid-timescale's invalidation log,
-- when it is set up in this database).
DO $$
BEGIN
    IF to_regclass('grid_timescale_invalidations') IS NOT NULL THEN
        INSERT INTO grid_timescale_invalidations (hour)
        SELECT DISTINCT date_bin(INTERVAL '1 hour', "timestamp", TIMESTAMPTZ '2000-01-01 00:00+00')
          FROM sensor_readings_quarantine;
    END IF;
END $$;

ALTER TABLE sensor_readings DROP CONSTRAINT ck_sensor_readings_value;
ALTER TABLE sensor_readings DROP CONSTRAINT ck_sensor_readings_value_raw;
ALTER TABLE sensor_readings ADD CONSTRAINT ck_sensor_readings_value
    CHECK (value BETWEEN -1e15 AND 1e15);
ALTER TABLE sensor_readings ADD CONSTRAINT ck_sensor_readings_value_raw
    CHECK (value_raw BETWEEN -1e15 AND 1e15);
