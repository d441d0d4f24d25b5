-- Every transformer, with its substation's code and zone.
SELECT t.id, t.substation_id, s.code AS substation_code, s.zone, t.name, t.capacity_mva,
       t.voltage_secondary_kv, t.cooling_type, t.year_manufactured, t.is_operational,
       t.oil_level_percentage
  FROM transformers t
  JOIN grid_substations s ON s.id = t.substation_id
 ORDER BY s.code, t.name
