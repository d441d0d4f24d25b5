-- Access by zone (grid-access). A session sees every zone when its role is a member of
-- {NATIONAL}, else the zones whose {ZONE_PREFIX}<zone> role it is a member of. Membership
-- is the only input (pg_has_role on current_user): no setting a client could change.
CREATE OR REPLACE FUNCTION grid_sees_all_zones() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT pg_has_role('{NATIONAL}', 'MEMBER') $$;

CREATE OR REPLACE FUNCTION grid_visible_zones() RETURNS grid_zone[]
    LANGUAGE sql STABLE
    AS $$
    SELECT CASE WHEN grid_sees_all_zones() THEN enum_range(NULL::grid_zone)
           ELSE ARRAY(SELECT z FROM unnest(enum_range(NULL::grid_zone)) AS z
                       WHERE pg_has_role('{ZONE_PREFIX}' || z::text, 'MEMBER'))
           END
    $$;

-- The small tables: row-level security. Each policy first asks the (once per query)
-- national question, so national roles pay one initplan, not a join per row.
ALTER TABLE grid_substations ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS grid_zone_access ON grid_substations;
CREATE POLICY grid_zone_access ON grid_substations
    USING ((SELECT grid_sees_all_zones()) OR zone = ANY ((SELECT grid_visible_zones())::grid_zone[]));

ALTER TABLE daily_grid_statistics ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS grid_zone_access ON daily_grid_statistics;
CREATE POLICY grid_zone_access ON daily_grid_statistics
    USING ((SELECT grid_sees_all_zones()) OR zone = ANY ((SELECT grid_visible_zones())::grid_zone[]));

ALTER TABLE load_forecasts ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS grid_zone_access ON load_forecasts;
CREATE POLICY grid_zone_access ON load_forecasts
    USING ((SELECT grid_sees_all_zones()) OR zone = ANY ((SELECT grid_visible_zones())::grid_zone[]));

-- Tables below a substation reach it through grid_substations, whose own policy applies.
ALTER TABLE grid_sensors ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS grid_zone_access ON grid_sensors;
CREATE POLICY grid_zone_access ON grid_sensors
    USING ((SELECT grid_sees_all_zones()) OR substation_id IN (SELECT id FROM grid_substations));

ALTER TABLE transformers ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS grid_zone_access ON transformers;
CREATE POLICY grid_zone_access ON transformers
    USING ((SELECT grid_sees_all_zones()) OR substation_id IN (SELECT id FROM grid_substations));

ALTER TABLE substation_customer_counts ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS grid_zone_access ON substation_customer_counts;
CREATE POLICY grid_zone_access ON substation_customer_counts
    USING ((SELECT grid_sees_all_zones()) OR substation_id IN (SELECT id FROM grid_substations));

ALTER TABLE transformer_thermal_parameters ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS grid_zone_access ON transformer_thermal_parameters;
CREATE POLICY grid_zone_access ON transformer_thermal_parameters
    USING ((SELECT grid_sees_all_zones()) OR transformer_id IN (SELECT id FROM transformers));

ALTER TABLE transformer_thermal_days ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS grid_zone_access ON transformer_thermal_days;
CREATE POLICY grid_zone_access ON transformer_thermal_days
    USING ((SELECT grid_sees_all_zones()) OR transformer_id IN (SELECT id FROM transformers));

ALTER TABLE anomaly_detections ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS grid_zone_access ON anomaly_detections;
CREATE POLICY grid_zone_access ON anomaly_detections
    USING ((SELECT grid_sees_all_zones()) OR sensor_id IN (SELECT id FROM grid_sensors));

ALTER TABLE alarm_points ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS grid_zone_access ON alarm_points;
CREATE POLICY grid_zone_access ON alarm_points
    USING ((SELECT grid_sees_all_zones()) OR sensor_id IN (SELECT id FROM grid_sensors));

-- An operator area is a zone (its name as stored): a zone's login sees its own floods.
ALTER TABLE alarm_areas ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS grid_zone_access ON alarm_areas;
CREATE POLICY grid_zone_access ON alarm_areas
    USING ((SELECT grid_sees_all_zones()) OR area IN (SELECT zone::text FROM grid_substations));

ALTER TABLE alarm_actions ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS grid_zone_access ON alarm_actions;
CREATE POLICY grid_zone_access ON alarm_actions
    USING ((SELECT grid_sees_all_zones()) OR sensor_id IN (SELECT id FROM grid_sensors));

-- An alert is a zone's when everything it names is in the zone: its substation and its
-- sensor both (either may be NULL, not both). An alert with neither is grid-wide: national
-- roles only. The same test checks the row after an UPDATE (no WITH CHECK of its own).
ALTER TABLE grid_alerts ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS grid_zone_access ON grid_alerts;
CREATE POLICY grid_zone_access ON grid_alerts
    USING ((SELECT grid_sees_all_zones())
           OR ((substation_id IS NOT NULL OR sensor_id IS NOT NULL)
               AND (substation_id IS NULL OR substation_id IN (SELECT id FROM grid_substations))
               AND (sensor_id IS NULL OR sensor_id IN (SELECT id FROM grid_sensors))));

ALTER TABLE alert_transitions ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS grid_zone_access ON alert_transitions;
CREATE POLICY grid_zone_access ON alert_transitions
    USING ((SELECT grid_sees_all_zones()) OR alert_id IN (SELECT id FROM grid_alerts));

-- Security events: a poller login reads and folds only the rows it wrote (recorded_by is
-- the database's current_user, and no other value may be written); the analyst and the
-- owner see them all.
ALTER TABLE cyber_security_events ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS grid_own_events ON cyber_security_events;
CREATE POLICY grid_own_events ON cyber_security_events TO {POLLER}
    USING (recorded_by = current_user) WITH CHECK (recorded_by = current_user);
DROP POLICY IF EXISTS grid_all_events ON cyber_security_events;
CREATE POLICY grid_all_events ON cyber_security_events TO {ANALYST}, {OWNER}
    USING (true);

-- Readings, the latest values and the rollups: no row-level security (PostgreSQL refuses
-- COPY FROM into such a table, TimescaleDB refuses compression and continuous aggregates on
-- it). Zone roles reach them only through these security-barrier views, which filter by the
-- invoker's zones and run with the view owner's rights on the tables below.
DROP VIEW IF EXISTS grid_zone_readings, grid_zone_latest_readings,
    grid_zone_readings_hourly, grid_zone_readings_daily;
CREATE VIEW grid_zone_readings WITH (security_barrier) AS
SELECT r.* FROM sensor_readings r
 WHERE r.sensor_id IN (SELECT s.id FROM grid_sensors s
                         JOIN grid_substations ss ON ss.id = s.substation_id
                        WHERE ss.zone = ANY ((SELECT grid_visible_zones())::grid_zone[]));
CREATE VIEW grid_zone_latest_readings WITH (security_barrier) AS
SELECT r.* FROM sensor_latest_readings r
 WHERE r.sensor_id IN (SELECT s.id FROM grid_sensors s
                         JOIN grid_substations ss ON ss.id = s.substation_id
                        WHERE ss.zone = ANY ((SELECT grid_visible_zones())::grid_zone[]));
CREATE VIEW grid_zone_readings_hourly WITH (security_barrier) AS
SELECT r.* FROM sensor_readings_hourly r
 WHERE r.sensor_id IN (SELECT s.id FROM grid_sensors s
                         JOIN grid_substations ss ON ss.id = s.substation_id
                        WHERE ss.zone = ANY ((SELECT grid_visible_zones())::grid_zone[]));
CREATE VIEW grid_zone_readings_daily WITH (security_barrier) AS
SELECT r.* FROM sensor_readings_daily r
 WHERE r.sensor_id IN (SELECT s.id FROM grid_sensors s
                         JOIN grid_substations ss ON ss.id = s.substation_id
                        WHERE ss.zone = ANY ((SELECT grid_visible_zones())::grid_zone[]));
