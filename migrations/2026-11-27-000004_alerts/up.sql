CREATE TABLE grid_alerts (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    substation_id          uuid REFERENCES grid_substations (id) ON DELETE SET NULL,
    sensor_id              uuid REFERENCES grid_sensors (id) ON DELETE SET NULL,
    alert_type             varchar(100) NOT NULL,
    severity               alert_severity NOT NULL,
    title                  varchar(255) NOT NULL,
    description            text,
    status                 alert_status NOT NULL DEFAULT 'open',
    current_value          double precision,
    threshold_value        double precision,
    deviation_percentage   double precision,
    assigned_to            varchar(100),
    assigned_at            timestamptz,
    acknowledged_at        timestamptz,
    acknowledged_by        varchar(100),
    resolved_at            timestamptz,
    resolved_by            varchar(100),
    resolution_notes       text,
    affected_customers     integer NOT NULL DEFAULT 0,
    estimated_revenue_loss double precision,
    sms_sent               boolean NOT NULL DEFAULT false,
    email_sent             boolean NOT NULL DEFAULT false,
    webhook_sent           boolean NOT NULL DEFAULT false,
    metadata               jsonb NOT NULL DEFAULT '{}',
    -- When the condition began (an event time, given by the caller for alarms recorded after
    -- the fact), not when the row was written: the reliability indices depend on it.
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_grid_alerts_affected_customers CHECK (affected_customers >= 0),
    CONSTRAINT ck_grid_alerts_estimated_revenue_loss CHECK (estimated_revenue_loss >= 0),
    -- The lifecycle leaves its marks: a state is only reachable through its transition.
    CONSTRAINT ck_grid_alerts_acknowledged_at
        CHECK (status NOT IN ('acknowledged', 'in_progress') OR acknowledged_at IS NOT NULL),
    CONSTRAINT ck_grid_alerts_resolved_at
        CHECK (status NOT IN ('resolved', 'closed') OR resolved_at IS NOT NULL)
);
CREATE INDEX ix_grid_alerts_alert_type ON grid_alerts (alert_type);
CREATE INDEX ix_grid_alerts_severity ON grid_alerts (severity);
CREATE INDEX ix_grid_alerts_status ON grid_alerts (status);
CREATE INDEX ix_grid_alerts_created_at ON grid_alerts (created_at);
CREATE INDEX idx_alert_severity_status ON grid_alerts (severity, status);
CREATE INDEX idx_alert_created ON grid_alerts USING brin (created_at);
-- Not in the reference: the control room's main list, open alerts of a substation.
CREATE INDEX idx_alert_open_substation ON grid_alerts (substation_id, severity, created_at)
    WHERE status IN ('open', 'acknowledged', 'in_progress');
-- Not in the reference: the sensor foreign key's index (ON DELETE SET NULL scans it).
CREATE INDEX ix_grid_alerts_sensor_id ON grid_alerts (sensor_id) WHERE sensor_id IS NOT NULL;
CREATE TRIGGER grid_alerts_updated_at BEFORE UPDATE ON grid_alerts
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Not in the reference: every step of every alert, append-only, for incident reviews.
CREATE TABLE alert_transitions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id    uuid NOT NULL REFERENCES grid_alerts (id) ON DELETE CASCADE,
    -- NULL for the alert's creation.
    from_status alert_status,
    to_status   alert_status NOT NULL,
    actor       varchar(100),
    occurred_at timestamptz NOT NULL,
    note        text,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_alert_transitions_alert_id ON alert_transitions (alert_id, occurred_at);

CREATE FUNCTION alert_transitions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'alert_transitions is append-only' USING ERRCODE = 'restrict_violation';
END
$$;
-- Rows leave only with their alert (ON DELETE CASCADE); no statement may rewrite one.
CREATE TRIGGER alert_transitions_no_update BEFORE UPDATE ON alert_transitions
    FOR EACH ROW EXECUTE FUNCTION alert_transitions_append_only();
