-- Limit alarms in production (grid-alarms-store): each point's alarm state, stored so that
-- a restart neither repeats nor loses an alarm; each operator area's flood state; and the
-- operators' shelving and out-of-service actions, append-only (who, why, until when).
CREATE TABLE alarm_points (
    sensor_id             uuid PRIMARY KEY REFERENCES grid_sensors (id) ON DELETE CASCADE,
    -- grid_alarms::PointAlarm as JSON: the rule it was evaluated with, its state, its last
    -- sample.
    state                 jsonb NOT NULL,
    last_reading_at       timestamptz,
    -- The alert of the raised alarm, while one is raised and announced.
    alert_id              uuid REFERENCES grid_alerts (id) ON DELETE SET NULL,
    shelved_until         timestamptz,
    shelved_by            varchar(100),
    shelve_reason         text,
    out_of_service_since  timestamptz,
    out_of_service_by     varchar(100),
    out_of_service_reason text,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_alarm_points_shelved CHECK (
        (shelved_until IS NULL) = (shelved_by IS NULL)),
    CONSTRAINT ck_alarm_points_out_of_service CHECK (
        (out_of_service_since IS NULL) = (out_of_service_by IS NULL))
);
CREATE INDEX ix_alarm_points_alert_id ON alarm_points (alert_id) WHERE alert_id IS NOT NULL;

CREATE TABLE alarm_areas (
    area            varchar(50) PRIMARY KEY,
    -- grid_alarms::FloodTracker as JSON.
    state           jsonb NOT NULL,
    flood_alert_id  uuid REFERENCES grid_alerts (id) ON DELETE SET NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alarm_actions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sensor_id  uuid NOT NULL REFERENCES grid_sensors (id) ON DELETE CASCADE,
    action     varchar(20) NOT NULL,
    actor      varchar(100) NOT NULL,
    reason     text,
    until      timestamptz,
    at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_alarm_actions_action
        CHECK (action IN ('shelve', 'unshelve', 'out_of_service', 'in_service')),
    CONSTRAINT ck_alarm_actions_until CHECK ((action = 'shelve') = (until IS NOT NULL))
);
CREATE INDEX ix_alarm_actions_sensor_id ON alarm_actions (sensor_id, at);

-- Evidence: no role but the owner rewrites an action (the function of append_only_evidence).
CREATE FUNCTION grid_alarm_actions_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF grid_is_table_owner(TG_RELID) THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'permission denied: alarm_actions is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER alarm_actions_append_only BEFORE UPDATE OR DELETE ON alarm_actions
    FOR EACH ROW EXECUTE FUNCTION grid_alarm_actions_append_only();
