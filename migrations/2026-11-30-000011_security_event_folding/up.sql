-- Security events folded (grid-scada-guard, grid-store): repeats of the same event (its
-- fold key: kind, source, target, command) within a window are one row with a count and
-- the last time seen; occurred_at stays the first time.
ALTER TABLE cyber_security_events
    ADD COLUMN occurrences integer NOT NULL DEFAULT 1,
    ADD COLUMN last_seen_at timestamptz,
    ADD COLUMN fold_key varchar(200);
UPDATE cyber_security_events SET last_seen_at = occurred_at;
ALTER TABLE cyber_security_events
    ALTER COLUMN last_seen_at SET NOT NULL,
    ADD CONSTRAINT ck_cyber_security_events_occurrences CHECK (occurrences >= 1),
    ADD CONSTRAINT ck_cyber_security_events_last_seen_at CHECK (last_seen_at >= occurred_at);
CREATE INDEX ix_cyber_security_events_fold_key
    ON cyber_security_events (fold_key, last_seen_at) WHERE fold_key IS NOT NULL;
