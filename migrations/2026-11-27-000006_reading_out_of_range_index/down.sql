DROP INDEX idx_reading_out_of_range;
