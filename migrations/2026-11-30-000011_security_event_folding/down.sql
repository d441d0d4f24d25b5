DROP INDEX ix_cyber_security_events_fold_key;
ALTER TABLE cyber_security_events
    DROP CONSTRAINT ck_cyber_security_events_last_seen_at,
    DROP CONSTRAINT ck_cyber_security_events_occurrences,
    DROP COLUMN fold_key,
    DROP COLUMN last_seen_at,
    DROP COLUMN occurrences;
