-- Who recorded each security event (grid-access): the database role of the session that
-- wrote it, set by the database (default current_user, and a row-level policy refuses any
-- other value), so a SCADA poller login reads back only the events it wrote itself.
-- varchar(63): PostgreSQL's identifier length; rows written before name the role that ran
-- this migration.
ALTER TABLE cyber_security_events
    ADD COLUMN recorded_by varchar(63) NOT NULL DEFAULT current_user;
