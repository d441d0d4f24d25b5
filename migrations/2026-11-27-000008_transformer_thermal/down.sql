ALTER TABLE transformers DROP COLUMN relative_risk_index;
UPDATE transformers SET failure_probability_7days = 0.0 WHERE failure_probability_7days IS NULL;
UPDATE transformers SET failure_probability_30days = 0.0 WHERE failure_probability_30days IS NULL;
ALTER TABLE transformers
    ALTER COLUMN failure_probability_7days SET DEFAULT 0.0,
    ALTER COLUMN failure_probability_7days SET NOT NULL,
    ALTER COLUMN failure_probability_30days SET DEFAULT 0.0,
    ALTER COLUMN failure_probability_30days SET NOT NULL;
DROP TABLE transformer_thermal_days;
DROP TABLE transformer_thermal_parameters;
DROP TYPE thermal_ambient_source;
DROP TYPE thermal_load_source;
DROP TYPE insulation_paper;
DROP TYPE thermal_method;
