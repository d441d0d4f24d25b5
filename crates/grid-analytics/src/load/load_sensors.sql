-- The load sensors in service, with what their metadata says they measure.
SELECT s.id, s.substation_id, s.metadata
  FROM grid_sensors s
 WHERE s.sensor_type = 'load' AND s.status <> 'inactive'
