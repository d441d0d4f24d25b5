-- Records a failed hour (or one more failure of it), with its backoff.
INSERT INTO grid_timescale_refresh_failures AS f
    (hour, error, attempts, first_failed_at, last_failed_at, next_attempt_at)
VALUES ($1, $2, 1, now(), now(), now() + make_interval(secs => $3))
ON CONFLICT (hour) DO UPDATE
   SET error = excluded.error, attempts = f.attempts + 1, last_failed_at = now(),
       next_attempt_at = now() + make_interval(secs =>
           least($4, $3 * power(2, least(f.attempts, 30))))
RETURNING hour, error, attempts, first_failed_at, last_failed_at, next_attempt_at
