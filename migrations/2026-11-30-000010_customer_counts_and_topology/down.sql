DROP TRIGGER grid_substations_record_customers ON grid_substations;
DROP FUNCTION grid_substations_record_customers();
DROP FUNCTION grid_local_date(timestamptz);
DROP TABLE substation_customer_counts;
DROP TRIGGER grid_substations_fed_from_acyclic ON grid_substations;
DROP FUNCTION grid_substations_fed_from_acyclic();
DROP INDEX ix_grid_substations_fed_from;
ALTER TABLE grid_substations DROP CONSTRAINT ck_grid_substations_fed_from;
ALTER TABLE grid_substations DROP COLUMN fed_from;
