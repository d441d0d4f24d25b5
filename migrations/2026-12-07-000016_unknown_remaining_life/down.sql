UPDATE transformer_thermal_days SET life_consumed_hours = 0 WHERE life_consumed_hours IS NULL;
ALTER TABLE transformer_thermal_days ALTER COLUMN life_consumed_hours SET NOT NULL;
UPDATE transformers SET health_score = 100.0 WHERE health_score IS NULL;
ALTER TABLE transformers ALTER COLUMN health_score SET DEFAULT 100.0;
ALTER TABLE transformers ALTER COLUMN health_score SET NOT NULL;
