-- Marks one sensor's readings anomalous with their scores ($1: sensor, $2: times, $3: scores
-- in [0, 1]); compressed chunks included (TimescaleDB decompresses the batches it touches).
UPDATE sensor_readings r
   SET is_anomaly = true, anomaly_score = u.score
  FROM unnest($2::timestamptz[], $3::float8[]) AS u(ts, score)
 WHERE r.sensor_id = $1 AND r."timestamp" = u.ts
