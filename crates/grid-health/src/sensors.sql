-- The sensors in service of the types a thermal model can use, in a stable order (the first
-- of several candidates is the one used).
SELECT id, substation_id, transformer_id, sensor_type, metadata
  FROM grid_sensors
 WHERE status <> 'inactive'
   AND sensor_type IN ('load', 'current', 'power_factor', 'temperature', 'transformer_oil')
 ORDER BY sensor_id, id
