DROP TABLE grid_sensors;
DROP TABLE transformers;
DROP TABLE grid_substations;
