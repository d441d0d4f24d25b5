-- Reverses zones.sql: the views, the policies, row-level security and the functions.
DROP VIEW IF EXISTS grid_zone_readings, grid_zone_latest_readings,
    grid_zone_readings_hourly, grid_zone_readings_daily;
DROP POLICY IF EXISTS grid_own_events ON cyber_security_events;
DROP POLICY IF EXISTS grid_all_events ON cyber_security_events;
ALTER TABLE cyber_security_events DISABLE ROW LEVEL SECURITY;
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['grid_substations', 'daily_grid_statistics', 'load_forecasts',
        'grid_sensors', 'transformers', 'substation_customer_counts',
        'transformer_thermal_parameters', 'transformer_thermal_days', 'anomaly_detections',
        'grid_alerts', 'alert_transitions', 'alarm_points', 'alarm_areas', 'alarm_actions']
    LOOP
        EXECUTE format('DROP POLICY IF EXISTS grid_zone_access ON %I', t);
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
    END LOOP;
END $$;
DROP FUNCTION IF EXISTS grid_visible_zones();
DROP FUNCTION IF EXISTS grid_sees_all_zones();
