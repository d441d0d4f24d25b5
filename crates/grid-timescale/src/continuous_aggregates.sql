-- The rollups as continuous aggregates (community edition), with their refresh policies
-- and real-time aggregation. The aggregate columns and the time zone are filled in by rollup.rs.
CREATE MATERIALIZED VIEW sensor_readings_hourly
    WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT sensor_id, time_bucket(INTERVAL '1 hour', "timestamp") AS bucket, {AGGREGATES}
  FROM sensor_readings GROUP BY sensor_id, bucket WITH NO DATA;
CREATE MATERIALIZED VIEW sensor_readings_daily
    WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT sensor_id, time_bucket(INTERVAL '1 day', "timestamp", {TIME_ZONE}) AS bucket, {AGGREGATES}
  FROM sensor_readings GROUP BY sensor_id, bucket WITH NO DATA;
SELECT add_continuous_aggregate_policy('sensor_readings_hourly',
    start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '10 minutes');
SELECT add_continuous_aggregate_policy('sensor_readings_daily',
    start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '1 hour');
