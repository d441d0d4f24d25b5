DROP TABLE daily_grid_statistics;
DROP TABLE cyber_security_events;
DROP TABLE anomaly_detections;
DROP TABLE load_forecasts;
DROP TABLE maintenance_records;
