-- IEEE 1366 corrections (grid-analytics): customers served with effective dates, so a day's
-- N_T is the count in effect that day, and which substation feeds which, so a cascade is
-- counted once in a zone's load and an upstream outage interrupts the downstream customers.

-- Topology: the substation that feeds this one (NULL: fed from outside the modelled grid).
ALTER TABLE grid_substations
    ADD COLUMN fed_from uuid REFERENCES grid_substations (id) ON DELETE SET NULL,
    ADD CONSTRAINT ck_grid_substations_fed_from CHECK (fed_from IS DISTINCT FROM id);
CREATE INDEX ix_grid_substations_fed_from ON grid_substations (fed_from);

-- A feed that loops back (A fed from B fed from A) would make every substation of the loop
-- its own ancestor: refused when written.
CREATE FUNCTION grid_substations_fed_from_acyclic() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.fed_from IS NOT NULL AND EXISTS (
        WITH RECURSIVE up(id, depth) AS (
            SELECT NEW.fed_from, 1
            UNION ALL
            SELECT s.fed_from, up.depth + 1
              FROM up JOIN grid_substations s ON s.id = up.id
             WHERE s.fed_from IS NOT NULL AND up.depth < 1000)
        SELECT 1 FROM up WHERE up.id = NEW.id)
    THEN
        RAISE EXCEPTION 'substation % cannot be fed from % : the feed would loop back to it',
            NEW.id, NEW.fed_from
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_grid_substations_fed_from';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER grid_substations_fed_from_acyclic
    BEFORE INSERT OR UPDATE OF fed_from ON grid_substations
    FOR EACH ROW EXECUTE FUNCTION grid_substations_fed_from_acyclic();

-- Customers served by each substation's own feeders (not through a substation it feeds),
-- from a local date on; the count in effect on a day is the row with the latest
-- effective_from on or before it. An inactive substation serves no one.
CREATE TABLE substation_customer_counts (
    substation_id    uuid NOT NULL REFERENCES grid_substations (id) ON DELETE CASCADE,
    effective_from   date NOT NULL,
    customers_served integer NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT substation_customer_counts_pkey PRIMARY KEY (substation_id, effective_from),
    CONSTRAINT ck_substation_customer_counts_customers_served CHECK (customers_served >= 0)
);

-- The local date of an instant in the zone grid-timescale's setup recorded (the session's
-- zone before setup has run).
CREATE FUNCTION grid_local_date(at timestamptz) RETURNS date
LANGUAGE plpgsql STABLE AS $$
DECLARE
    zone text;
BEGIN
    IF to_regclass('grid_timescale_rollup_state') IS NOT NULL THEN
        EXECUTE 'SELECT time_zone FROM grid_timescale_rollup_state LIMIT 1' INTO zone;
    END IF;
    RETURN (at AT TIME ZONE coalesce(zone, current_setting('TimeZone')))::date;
END $$;

-- Every writer keeps the history: a new substation's count holds from its commissioning
-- (since ever when unknown); a change of customers_served or is_active holds from today
-- (local), unless that count is already the one in effect. Back-dated counts are written
-- to the table directly.
CREATE FUNCTION grid_substations_record_customers() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    served integer := CASE WHEN coalesce(NEW.is_active, true) THEN NEW.customers_served ELSE 0 END;
    today date := grid_local_date(now());
    in_effect integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO substation_customer_counts (substation_id, effective_from, customers_served)
        VALUES (NEW.id,
                coalesce(grid_local_date(NEW.commissioned_date), '-infinity'::date),
                served);
        RETURN NEW;
    END IF;
    SELECT c.customers_served INTO in_effect
      FROM substation_customer_counts c
     WHERE c.substation_id = NEW.id AND c.effective_from <= today
     ORDER BY c.effective_from DESC LIMIT 1;
    IF in_effect IS DISTINCT FROM served THEN
        INSERT INTO substation_customer_counts (substation_id, effective_from, customers_served)
        VALUES (NEW.id, today, served)
        ON CONFLICT (substation_id, effective_from)
        DO UPDATE SET customers_served = EXCLUDED.customers_served, recorded_at = now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER grid_substations_record_customers
    AFTER INSERT OR UPDATE OF customers_served, is_active ON grid_substations
    FOR EACH ROW EXECUTE FUNCTION grid_substations_record_customers();

-- The substations that exist now: their current count since commissioning.
INSERT INTO substation_customer_counts (substation_id, effective_from, customers_served)
SELECT id, coalesce(grid_local_date(commissioned_date), '-infinity'::date),
       CASE WHEN coalesce(is_active, true) THEN customers_served ELSE 0 END
  FROM grid_substations;
