-- The rollups as tables (plain PostgreSQL, Apache edition), refreshed by grid-timescale.
CREATE TABLE sensor_readings_hourly (
    sensor_id     uuid NOT NULL REFERENCES grid_sensors (id) ON DELETE CASCADE,
    bucket        timestamptz NOT NULL,
    avg_value     double precision NOT NULL,
    max_value     double precision NOT NULL,
    min_value     double precision NOT NULL,
    reading_count bigint NOT NULL,
    sum_value     double precision NOT NULL,
    first_value   double precision NOT NULL,
    first_time    timestamptz NOT NULL,
    last_value    double precision NOT NULL,
    last_time     timestamptz NOT NULL,
    PRIMARY KEY (sensor_id, bucket));
CREATE INDEX sensor_readings_hourly_bucket ON sensor_readings_hourly USING brin (bucket);
CREATE TABLE sensor_readings_daily (LIKE sensor_readings_hourly INCLUDING ALL);
ALTER TABLE sensor_readings_daily
    ADD FOREIGN KEY (sensor_id) REFERENCES grid_sensors (id) ON DELETE CASCADE;
