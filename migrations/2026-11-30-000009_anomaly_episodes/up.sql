-- Anomaly episodes (grid-anomaly, grid-detect): a detection is an episode of consecutive
-- anomalous readings, with its first and last anomalous reading and whether it is still open;
-- its score, like every reading's, is in [0, 1] (0.5 at a detector's threshold). Rows stored
-- before are single readings: their episode starts and ends at detected_at.
ALTER TABLE anomaly_detections
    ADD COLUMN episode_start timestamptz,
    ADD COLUMN episode_end   timestamptz,
    ADD COLUMN ongoing       boolean NOT NULL DEFAULT false;
UPDATE anomaly_detections SET episode_start = detected_at, episode_end = detected_at;
ALTER TABLE anomaly_detections
    ALTER COLUMN episode_start SET NOT NULL,
    ALTER COLUMN episode_end SET NOT NULL,
    ADD CONSTRAINT ck_anomaly_detections_episode CHECK (episode_end >= episode_start);
ALTER TABLE anomaly_detections DROP CONSTRAINT ck_anomaly_detections_anomaly_score;
ALTER TABLE anomaly_detections ADD CONSTRAINT ck_anomaly_detections_anomaly_score
    CHECK (anomaly_score BETWEEN 0 AND 1);

-- NULL (not scored) or in [0, 1]; NaN is above every number in PostgreSQL and fails BETWEEN.
ALTER TABLE sensor_readings ADD CONSTRAINT ck_sensor_readings_anomaly_score
    CHECK (anomaly_score BETWEEN 0 AND 1);

-- The detectors' state per sensor, so detection resumes where it stopped (after a restart,
-- or over history a range at a time): grid_anomaly::SeriesDetector in its compact binary
-- form (postcard, a few KiB), the last reading it took, and the open episode's row.
CREATE TABLE anomaly_sensor_states (
    sensor_id       uuid PRIMARY KEY REFERENCES grid_sensors (id) ON DELETE CASCADE,
    last_reading_at timestamptz NOT NULL,
    open_anomaly_id uuid REFERENCES anomaly_detections (id) ON DELETE SET NULL,
    state           bytea NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_anomaly_sensor_states_state CHECK (octet_length(state) <= 16384)
);
CREATE INDEX ix_anomaly_sensor_states_open_anomaly_id ON anomaly_sensor_states (open_anomaly_id);

-- The imbalance detector's state per substation and phase set ('all' where the sensors name
-- no phase).
CREATE TABLE anomaly_imbalance_states (
    substation_id   uuid NOT NULL REFERENCES grid_substations (id) ON DELETE CASCADE,
    phase_set       varchar(16) NOT NULL,
    last_group_at   timestamptz NOT NULL,
    open_anomaly_id uuid REFERENCES anomaly_detections (id) ON DELETE SET NULL,
    state           bytea NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT anomaly_imbalance_states_pkey PRIMARY KEY (substation_id, phase_set),
    CONSTRAINT ck_anomaly_imbalance_states_state CHECK (octet_length(state) <= 16384)
);
CREATE INDEX ix_anomaly_imbalance_states_open_anomaly_id
    ON anomaly_imbalance_states (open_anomaly_id);
