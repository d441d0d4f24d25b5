-- Back to the 16 KiB bound. States in the tagged format are this version's only (the earlier
-- engine cannot read them and would stop): they go, and those sensors learn afresh.
DELETE FROM anomaly_sensor_states WHERE substring(state FROM 1 FOR 4) = '\x53474132'::bytea;
ALTER TABLE anomaly_sensor_states DROP CONSTRAINT ck_anomaly_sensor_states_state;
ALTER TABLE anomaly_sensor_states
    ADD CONSTRAINT ck_anomaly_sensor_states_state CHECK (octet_length(state) <= 16384);
