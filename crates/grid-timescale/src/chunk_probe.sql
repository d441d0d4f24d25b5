-- Makes the chunk of a reading's day without leaving the reading (Apache edition, which
-- refuses create_chunk): the probe is inserted and, only if it was new, deleted again.
-- SECURITY DEFINER so that an ingest role needs no DELETE on sensor_readings: it can remove
-- nothing but the row this call just added (grid-access grants EXECUTE to ingest roles).
CREATE OR REPLACE FUNCTION grid_timescale_make_chunk(
    p_sensor uuid, p_at timestamptz, p_value double precision) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
BEGIN
    INSERT INTO public.sensor_readings (sensor_id, "timestamp", value)
    VALUES (p_sensor, p_at, p_value) ON CONFLICT DO NOTHING;
    IF FOUND THEN
        DELETE FROM public.sensor_readings WHERE sensor_id = p_sensor AND "timestamp" = p_at;
    END IF;
END $$;
REVOKE ALL ON FUNCTION grid_timescale_make_chunk(uuid, timestamptz, double precision) FROM PUBLIC;
