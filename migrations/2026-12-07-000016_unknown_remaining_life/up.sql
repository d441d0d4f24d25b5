-- Remaining life that says what it knows (grid-health): without ageing history since
-- manufacture or a stated starting condition (consumed life, or a measured degree of
-- polymerisation), a transformer's life consumed, remaining life and the life-based health
-- score are unknown, stored as NULL, never a number from an assumption. A transformer not
-- yet assessed is unknown too, not healthy (the reference's default of 100 claimed it).
ALTER TABLE transformers ALTER COLUMN health_score DROP NOT NULL;
ALTER TABLE transformers ALTER COLUMN health_score DROP DEFAULT;
ALTER TABLE transformer_thermal_days ALTER COLUMN life_consumed_hours DROP NOT NULL;
