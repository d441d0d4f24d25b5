DROP TABLE sensor_readings;
