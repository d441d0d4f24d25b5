-- The rollups' state: the local time zone (its one owner), whether the daily rollup is
-- built from the hourly one, and the retention horizon; and the log of hours to refresh.
CREATE TABLE grid_timescale_invalidations (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hour timestamptz NOT NULL);
CREATE INDEX grid_timescale_invalidations_hour ON grid_timescale_invalidations (hour);
CREATE TABLE grid_timescale_rollup_state (
    singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    time_zone         text NOT NULL,
    daily_from_hourly boolean NOT NULL,
    refreshed_at      timestamptz,
    retention_horizon timestamptz);
