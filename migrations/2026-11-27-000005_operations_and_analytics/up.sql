CREATE TABLE maintenance_records (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    transformer_id        uuid REFERENCES transformers (id) ON DELETE CASCADE,
    maintenance_type      maintenance_type NOT NULL,
    title                 varchar(255) NOT NULL,
    description           text,
    scheduled_date        timestamptz,
    started_at            timestamptz,
    completed_at          timestamptz,
    duration_hours        double precision,
    technician_name       varchar(100),
    team_size             integer NOT NULL DEFAULT 1,
    status                varchar(50) NOT NULL DEFAULT 'scheduled',
    findings              text,
    actions_taken         text,
    parts_replaced        text[] NOT NULL DEFAULT '{}',
    labor_cost            double precision,
    parts_cost            double precision,
    total_cost            double precision,
    was_successful        boolean,
    downtime_hours        double precision,
    next_maintenance_date timestamptz,
    metadata              jsonb NOT NULL DEFAULT '{}',
    created_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_maintenance_records_status
        CHECK (status IN ('scheduled', 'in_progress', 'completed', 'cancelled')),
    CONSTRAINT ck_maintenance_records_team_size CHECK (team_size >= 1),
    CONSTRAINT ck_maintenance_records_duration_hours CHECK (duration_hours >= 0),
    CONSTRAINT ck_maintenance_records_downtime_hours CHECK (downtime_hours >= 0),
    CONSTRAINT ck_maintenance_records_labor_cost CHECK (labor_cost >= 0),
    CONSTRAINT ck_maintenance_records_parts_cost CHECK (parts_cost >= 0),
    CONSTRAINT ck_maintenance_records_total_cost CHECK (total_cost >= 0),
    CONSTRAINT ck_maintenance_records_completed_at CHECK (completed_at >= started_at),
    CONSTRAINT ck_maintenance_records_parts_replaced
        CHECK (array_position(parts_replaced, NULL) IS NULL)
);
-- Not in the reference: the foreign key's index, and the "due or overdue" list.
CREATE INDEX ix_maintenance_records_transformer_id ON maintenance_records (transformer_id);
CREATE INDEX idx_maintenance_pending ON maintenance_records (scheduled_date)
    WHERE status IN ('scheduled', 'in_progress');

CREATE TABLE load_forecasts (
    id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    zone                      grid_zone NOT NULL,
    forecast_timestamp        timestamptz NOT NULL,
    predicted_load_mw         double precision NOT NULL,
    confidence_interval_lower double precision,
    confidence_interval_upper double precision,
    confidence_percentage     double precision NOT NULL DEFAULT 95.0,
    model_version             varchar(50),
    prediction_error_mape     double precision,
    actual_load_mw            double precision,
    actual_recorded_at        timestamptz,
    metadata                  jsonb NOT NULL DEFAULT '{}',
    created_at                timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_load_forecasts_predicted_load_mw CHECK (predicted_load_mw >= 0),
    CONSTRAINT ck_load_forecasts_confidence_percentage
        CHECK (confidence_percentage > 0 AND confidence_percentage < 100),
    CONSTRAINT ck_load_forecasts_confidence_interval_lower
        CHECK (confidence_interval_lower <= predicted_load_mw),
    CONSTRAINT ck_load_forecasts_confidence_interval_upper
        CHECK (confidence_interval_upper >= predicted_load_mw),
    CONSTRAINT ck_load_forecasts_prediction_error_mape CHECK (prediction_error_mape >= 0),
    CONSTRAINT ck_load_forecasts_actual_load_mw CHECK (actual_load_mw >= 0)
);
CREATE INDEX ix_load_forecasts_zone ON load_forecasts (zone);
CREATE INDEX ix_load_forecasts_forecast_timestamp ON load_forecasts (forecast_timestamp);
CREATE INDEX idx_forecast_zone_time ON load_forecasts (zone, forecast_timestamp);

CREATE TABLE anomaly_detections (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sensor_id            uuid NOT NULL REFERENCES grid_sensors (id) ON DELETE CASCADE,
    anomaly_type         varchar(100) NOT NULL,
    detected_at          timestamptz NOT NULL,
    anomaly_score        double precision NOT NULL,
    severity             alert_severity NOT NULL,
    expected_value       double precision,
    actual_value         double precision,
    deviation_percentage double precision,
    contributing_factors jsonb NOT NULL DEFAULT '{}',
    potential_causes     text[] NOT NULL DEFAULT '{}',
    recommended_actions  text[] NOT NULL DEFAULT '{}',
    is_false_positive    boolean,
    investigated         boolean NOT NULL DEFAULT false,
    investigation_notes  text,
    metadata             jsonb NOT NULL DEFAULT '{}',
    created_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_anomaly_detections_anomaly_score
        CHECK (anomaly_score NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)),
    CONSTRAINT ck_anomaly_detections_potential_causes
        CHECK (array_position(potential_causes, NULL) IS NULL),
    CONSTRAINT ck_anomaly_detections_recommended_actions
        CHECK (array_position(recommended_actions, NULL) IS NULL)
);
CREATE INDEX ix_anomaly_detections_detected_at ON anomaly_detections (detected_at);
-- Not in the reference: the foreign key's index, and the "not yet investigated" queue.
CREATE INDEX ix_anomaly_detections_sensor_id ON anomaly_detections (sensor_id);
CREATE INDEX idx_anomaly_uninvestigated ON anomaly_detections (detected_at)
    WHERE NOT investigated;

CREATE TABLE cyber_security_events (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_type            varchar(100) NOT NULL,
    severity              alert_severity NOT NULL,
    source_ip             inet,
    source_user           varchar(100),
    target_system         varchar(100),
    description           text,
    command_attempted     varchar(500),
    access_level_required varchar(50),
    detected_by           varchar(100),
    detection_method      varchar(100),
    is_blocked            boolean NOT NULL DEFAULT false,
    response_action       varchar(100),
    investigated          boolean NOT NULL DEFAULT false,
    is_threat             boolean,
    metadata              jsonb NOT NULL DEFAULT '{}',
    occurred_at           timestamptz NOT NULL,
    detected_at           timestamptz NOT NULL DEFAULT now(),
    created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_cyber_security_events_event_type ON cyber_security_events (event_type);
CREATE INDEX ix_cyber_security_events_severity ON cyber_security_events (severity);
CREATE INDEX ix_cyber_security_events_occurred_at ON cyber_security_events (occurred_at);
-- Not in the reference: "what did this address do in this window".
CREATE INDEX idx_security_source_time ON cyber_security_events (source_ip, occurred_at)
    WHERE source_ip IS NOT NULL;

CREATE TABLE daily_grid_statistics (
    id                            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- A local calendar day (the reference stored a timestamp, unique across all zones).
    date                          date NOT NULL,
    zone                          grid_zone NOT NULL,
    peak_load_mw                  double precision,
    peak_load_time                timestamptz,
    average_load_mw               double precision,
    min_load_mw                   double precision,
    total_energy_mwh              double precision,
    average_voltage_kv            double precision,
    voltage_violations_count      integer NOT NULL DEFAULT 0,
    frequency_violations_count    integer NOT NULL DEFAULT 0,
    total_outages                 integer NOT NULL DEFAULT 0,
    total_outage_minutes          double precision NOT NULL DEFAULT 0.0,
    saidi                         double precision,
    saifi                         double precision,
    total_alerts                  integer NOT NULL DEFAULT 0,
    critical_alerts               integer NOT NULL DEFAULT 0,
    alerts_resolved               integer NOT NULL DEFAULT 0,
    scheduled_maintenance_hours   double precision NOT NULL DEFAULT 0.0,
    unscheduled_maintenance_hours double precision NOT NULL DEFAULT 0.0,
    metadata                      jsonb NOT NULL DEFAULT '{}',
    created_at                    timestamptz NOT NULL DEFAULT now(),
    -- Also serves lookups by date alone (its leading column), so the reference's separate
    -- index on date is not repeated.
    CONSTRAINT uq_daily_grid_statistics_date_zone UNIQUE (date, zone),
    CONSTRAINT ck_daily_grid_statistics_peak_load_mw CHECK (peak_load_mw >= 0),
    CONSTRAINT ck_daily_grid_statistics_average_load_mw CHECK (average_load_mw >= 0),
    CONSTRAINT ck_daily_grid_statistics_min_load_mw CHECK (min_load_mw >= 0),
    CONSTRAINT ck_daily_grid_statistics_total_energy_mwh CHECK (total_energy_mwh >= 0),
    CONSTRAINT ck_daily_grid_statistics_voltage_violations_count
        CHECK (voltage_violations_count >= 0),
    CONSTRAINT ck_daily_grid_statistics_frequency_violations_count
        CHECK (frequency_violations_count >= 0),
    CONSTRAINT ck_daily_grid_statistics_total_outages CHECK (total_outages >= 0),
    CONSTRAINT ck_daily_grid_statistics_total_outage_minutes CHECK (total_outage_minutes >= 0),
    CONSTRAINT ck_daily_grid_statistics_saidi CHECK (saidi >= 0),
    CONSTRAINT ck_daily_grid_statistics_saifi CHECK (saifi >= 0),
    CONSTRAINT ck_daily_grid_statistics_total_alerts CHECK (total_alerts >= 0),
    CONSTRAINT ck_daily_grid_statistics_critical_alerts CHECK (critical_alerts >= 0),
    CONSTRAINT ck_daily_grid_statistics_alerts_resolved CHECK (alerts_resolved >= 0),
    CONSTRAINT ck_daily_grid_statistics_scheduled_maintenance_hours
        CHECK (scheduled_maintenance_hours >= 0),
    CONSTRAINT ck_daily_grid_statistics_unscheduled_maintenance_hours
        CHECK (unscheduled_maintenance_hours >= 0)
);
