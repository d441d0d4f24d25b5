-- Invalidated hours in [$1, $2) below the watermark of either continuous aggregate: their
-- materialised buckets are stale until refreshed (above it, real-time aggregation reads the
-- raw readings). The daily watermark is a bucket's end, so an hour inside a materialised day
-- counts as stale.
WITH marks AS (
    SELECT max(_timescaledb_functions.to_timestamp(
               _timescaledb_functions.cagg_watermark(c.mat_hypertable_id))) AS mark
      FROM _timescaledb_catalog.continuous_agg c
     WHERE c.user_view_name IN ('sensor_readings_hourly', 'sensor_readings_daily')
)
SELECT DISTINCT i.hour
  FROM grid_timescale_invalidations i, marks
 WHERE i.hour >= $1 AND i.hour < $2 AND i.hour < marks.mark
 ORDER BY i.hour
