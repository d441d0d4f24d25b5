-- Evidence is append-only, and alerts change only through their lifecycle (grid-access).
-- No role but the tables' owner may rewrite a recorded security event, an alert's history,
-- or what an alert is about; the grants (grid-access's matrix) give the other roles no
-- UPDATE on those columns at all, and these functions and triggers hold the rest for any
-- grant made later too. The owner (and its members: migrations, repairs) is exempt.

-- Whether the session's role owns (or is a member of the owner of) the table `t`.
CREATE FUNCTION grid_is_table_owner(t regclass) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT pg_has_role((SELECT relowner FROM pg_class WHERE oid = t), 'MEMBER') $$;

-- 1. Security events: a repeat adds to its row's count and moves its last-seen time
-- forward, nothing else. A security-definer function does it, for the rows the session's
-- login recorded itself (recorded_by is the writer's role; session_user, unlike
-- current_user, is not the function's owner here), so the poller role needs no UPDATE.
-- Returns the row folded into, or NULL when none is open (the caller inserts one).
CREATE FUNCTION grid_security_event_fold(p_fold_key varchar, p_since timestamptz,
                                         p_seen timestamptz, p_occurrences integer)
    RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $$
DECLARE
    v_id uuid;
BEGIN
    IF p_occurrences IS NULL OR p_occurrences < 1 THEN
        RAISE EXCEPTION 'occurrences must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT id INTO v_id FROM cyber_security_events
     WHERE fold_key = p_fold_key AND last_seen_at >= p_since AND recorded_by = session_user
     ORDER BY last_seen_at DESC
     LIMIT 1
     FOR UPDATE;
    IF v_id IS NULL THEN
        RETURN NULL;
    END IF;
    -- A flood must not overflow the count: it saturates.
    UPDATE cyber_security_events
       SET occurrences = LEAST(occurrences::bigint + p_occurrences, 2147483647)::integer,
           last_seen_at = GREATEST(last_seen_at, p_seen)
     WHERE id = v_id;
    RETURN v_id;
END
$$;
REVOKE ALL ON FUNCTION grid_security_event_fold(varchar, timestamptz, timestamptz, integer)
    FROM PUBLIC;

CREATE FUNCTION grid_security_events_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF grid_is_table_owner(TG_RELID) THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'permission denied: cyber_security_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER cyber_security_events_append_only BEFORE UPDATE OR DELETE ON cyber_security_events
    FOR EACH ROW EXECUTE FUNCTION grid_security_events_append_only();

-- 2. An alert's history: rows are appended only as steps of the lifecycle (IEC 62682 /
-- ISA-18.2 keep every state change of an alarm with who and when). A step names the state
-- the alert is in and one the lifecycle allows from it; a creation step (from NULL) only
-- the alert's first. The steps are grid-model's AlertAction::allowed_from; grid-store's
-- test `the_database_lifecycle_is_grid_models` holds the two together.
CREATE FUNCTION grid_alert_step_allowed(f alert_status, t alert_status) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT (f, t) IN (('open', 'acknowledged'), ('acknowledged', 'in_progress'),
                      ('open', 'resolved'), ('acknowledged', 'resolved'),
                      ('in_progress', 'resolved'), ('resolved', 'closed'))
    $$;

CREATE FUNCTION grid_alert_transitions_check() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_status alert_status;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF grid_is_table_owner(TG_RELID) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'permission denied: alert_transitions is append-only'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF grid_is_table_owner(TG_RELID) THEN
        RETURN NEW;
    END IF;
    SELECT status INTO v_status FROM grid_alerts WHERE id = NEW.alert_id;
    IF NEW.from_status IS NULL THEN
        IF NEW.to_status <> 'open' OR v_status IS DISTINCT FROM 'open'
           OR EXISTS (SELECT 1 FROM alert_transitions WHERE alert_id = NEW.alert_id) THEN
            RAISE EXCEPTION 'permission denied: only an alert''s first step is its creation'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSIF NEW.from_status IS DISTINCT FROM v_status
          OR NOT grid_alert_step_allowed(NEW.from_status, NEW.to_status) THEN
        RAISE EXCEPTION 'permission denied: % -> % is not a step of alert % (now %)',
            NEW.from_status, NEW.to_status, NEW.alert_id, v_status
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER alert_transitions_step BEFORE INSERT OR DELETE ON alert_transitions
    FOR EACH ROW EXECUTE FUNCTION grid_alert_transitions_check();

-- At commit, every appended step must have happened: the alert is in the step's state, or
-- a later step of the same transaction moved it on. A history row the alert never took is
-- refused.
CREATE FUNCTION grid_alert_transitions_taken() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF grid_is_table_owner(TG_RELID) THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM grid_alerts WHERE id = NEW.alert_id AND status = NEW.to_status)
       AND NOT EXISTS (SELECT 1 FROM alert_transitions
                        WHERE alert_id = NEW.alert_id AND from_status = NEW.to_status
                          AND recorded_at = now() AND id > NEW.id) THEN
        RAISE EXCEPTION 'permission denied: a step of alert % to % that the alert did not take',
            NEW.alert_id, NEW.to_status
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER alert_transitions_taken AFTER INSERT ON alert_transitions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION grid_alert_transitions_taken();

-- 3. The alert itself: what it is about (substation, sensor, kind, start) never changes
-- but by the owner; its status changes only by a step recorded first in alert_transitions
-- in the same transaction (recorded_at is the transaction's time, which no role but the
-- owner may set); the lifecycle's marks (acknowledged, assigned, resolved) change only with
-- the status they belong to.
CREATE FUNCTION grid_alerts_lifecycle() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF grid_is_table_owner(TG_RELID) THEN
        RETURN NEW;
    END IF;
    IF NEW.substation_id IS DISTINCT FROM OLD.substation_id
       OR NEW.sensor_id IS DISTINCT FROM OLD.sensor_id
       OR NEW.alert_type IS DISTINCT FROM OLD.alert_type
       OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'permission denied: what alert % is about cannot change', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NOT EXISTS (SELECT 1 FROM alert_transitions
                        WHERE alert_id = NEW.id AND from_status = OLD.status
                          AND to_status = NEW.status AND recorded_at = now()) THEN
            RAISE EXCEPTION 'permission denied: alert % went % -> % without its step in alert_transitions',
                OLD.id, OLD.status, NEW.status
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSIF (NEW.acknowledged_at, NEW.acknowledged_by, NEW.assigned_to, NEW.assigned_at,
           NEW.resolved_at, NEW.resolved_by, NEW.resolution_notes)
          IS DISTINCT FROM
          (OLD.acknowledged_at, OLD.acknowledged_by, OLD.assigned_to, OLD.assigned_at,
           OLD.resolved_at, OLD.resolved_by, OLD.resolution_notes) THEN
        RAISE EXCEPTION 'permission denied: alert %''s lifecycle marks change only with a step', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER grid_alerts_lifecycle BEFORE UPDATE ON grid_alerts
    FOR EACH ROW EXECUTE FUNCTION grid_alerts_lifecycle();
