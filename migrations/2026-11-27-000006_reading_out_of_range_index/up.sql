-- Readings outside their operating limits are rare: a partial index holds only them, so
-- counting excursions for daily statistics and listing flagged readings do not scan a day of
-- readings (the reference has no such index).
CREATE INDEX idx_reading_out_of_range ON sensor_readings ("timestamp") WHERE is_out_of_range;
