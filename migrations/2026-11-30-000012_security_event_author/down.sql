-- grid-access's policies on the column go with it (grid_access::apply makes them again).
DROP POLICY IF EXISTS grid_own_events ON cyber_security_events;
ALTER TABLE cyber_security_events DROP COLUMN recorded_by;
