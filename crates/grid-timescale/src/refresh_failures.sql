-- Hours whose rollup refresh failed, set aside with their error and next attempt.
CREATE TABLE grid_timescale_refresh_failures (
    hour            timestamptz PRIMARY KEY,
    error           text NOT NULL,
    attempts        integer NOT NULL CHECK (attempts > 0),
    first_failed_at timestamptz NOT NULL,
    last_failed_at  timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL)
