DROP FUNCTION set_updated_at();
DROP TYPE maintenance_type;
DROP TYPE alert_status;
DROP TYPE alert_severity;
DROP TYPE sensor_status;
DROP TYPE sensor_type;
DROP TYPE grid_zone;
