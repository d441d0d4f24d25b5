-- The anomaly engine's per-series state is at most 64 KiB (issue 26: a weekly profile of up
-- to 2,016 bins beside the daily one, for the ranking score), in a tagged format; the stored
-- bound follows. Who writes it is unchanged (grid-access: the roles that run detection).
ALTER TABLE anomaly_sensor_states DROP CONSTRAINT ck_anomaly_sensor_states_state;
ALTER TABLE anomaly_sensor_states
    ADD CONSTRAINT ck_anomaly_sensor_states_state CHECK (octet_length(state) <= 65536);
