-- The reference's six enums, with its lowercase values as the stored labels.
CREATE TYPE grid_zone AS ENUM (
    'nairobi', 'mombasa', 'kisumu', 'nakuru', 'eldoret', 'western', 'central', 'coastal');
CREATE TYPE sensor_type AS ENUM (
    'voltage', 'current', 'frequency', 'power_factor', 'temperature', 'vibration',
    'transformer_oil', 'load');
CREATE TYPE sensor_status AS ENUM ('active', 'inactive', 'faulty', 'maintenance');
-- Declared in severity order, so ORDER BY severity sorts info < ... < emergency.
CREATE TYPE alert_severity AS ENUM ('info', 'warning', 'critical', 'emergency');
CREATE TYPE alert_status AS ENUM ('open', 'acknowledged', 'in_progress', 'resolved', 'closed');
CREATE TYPE maintenance_type AS ENUM ('preventive', 'predictive', 'corrective', 'emergency');

-- updated_at is the database's job, not the callers': it moves only when the row's content
-- really changes. Columns named in the trigger's arguments do not count as a change (ingest
-- moves grid_sensors.last_reading_at on every batch, which is not an edit of the sensor).
-- A caller cannot forge updated_at either: it is always reset to the old value or now().
-- (TG_ARGV is NULL, not empty, for a trigger without arguments.)
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ignored text[] := coalesce(TG_ARGV, '{}') || '{updated_at}';
BEGIN
    IF (to_jsonb(NEW) - ignored) IS DISTINCT FROM (to_jsonb(OLD) - ignored) THEN
        NEW.updated_at := now();
    ELSE
        NEW.updated_at := OLD.updated_at;
    END IF;
    RETURN NEW;
END
$$;
