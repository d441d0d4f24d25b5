-- A plain table that works on any PostgreSQL; grid-timescale turns it into a hypertable
-- where TimescaleDB is present.
CREATE TABLE sensor_readings (
    -- The reference's per-reading uuid id is dropped: nothing references it, and it would
    -- cost 16 bytes and an index entry per reading on the largest table.
    sensor_id         uuid NOT NULL REFERENCES grid_sensors (id) ON DELETE CASCADE,
    "timestamp"       timestamptz NOT NULL,
    value             double precision NOT NULL,
    value_raw         double precision,
    quality_indicator double precision NOT NULL DEFAULT 1.0,
    is_anomaly        boolean NOT NULL DEFAULT false,
    anomaly_score     double precision,
    is_out_of_range   boolean NOT NULL DEFAULT false,
    -- Nullable without default: paid per reading, and most readings have none.
    metadata          jsonb,
    -- (sensor_id, timestamp) also serves the reference's idx_reading_sensor_time and
    -- newest-first scans of one sensor (a btree reads backwards as well as forwards).
    CONSTRAINT sensor_readings_pkey PRIMARY KEY (sensor_id, "timestamp"),
    CONSTRAINT ck_sensor_readings_value
        CHECK (value NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)),
    CONSTRAINT ck_sensor_readings_value_raw
        CHECK (value_raw NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)),
    CONSTRAINT ck_sensor_readings_quality_indicator
        CHECK (quality_indicator >= 0 AND quality_indicator <= 1)
);
-- Time-range scans across all sensors: a BRIN index is tiny on append-mostly data.
CREATE INDEX idx_reading_timestamp ON sensor_readings USING brin ("timestamp");
-- Anomalies are rare: a partial index holds only them (the reference indexed the boolean).
CREATE INDEX idx_reading_anomaly ON sensor_readings ("timestamp") WHERE is_anomaly;
