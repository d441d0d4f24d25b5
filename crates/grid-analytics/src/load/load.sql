-- Each counted substation's load per bucket of the step over [$1, $2): the counted
-- sensors ($3, with their substations $4) averaged per bucket, summed per substation only
-- where every counted sensor has a value. Every counted substation appears (with NULL
-- points when silent), so a silent one leaves its zone's total unknown instead of lowering it.
WITH counted AS (
    SELECT * FROM unnest($3::uuid[], $4::uuid[]) AS c(id, substation_id)),
expected AS (SELECT substation_id, count(*) AS n FROM counted GROUP BY 1),
-- One index range scan per counted sensor (LATERAL), not a scan of the day.
per_sensor AS (
    SELECT c.substation_id, c.id AS sensor_id, r.t, r.v
      FROM counted c CROSS JOIN LATERAL (
           SELECT date_bin(INTERVAL '{STEP} seconds', "timestamp", $1) AS t,
                  avg(value) AS v
             FROM sensor_readings
            WHERE sensor_id = c.id AND "timestamp" >= $1 AND "timestamp" < $2
            GROUP BY 1) r),
per_substation AS (
    SELECT p.substation_id, p.t, sum(p.v) AS mw
      FROM per_sensor p JOIN expected e USING (substation_id)
     GROUP BY p.substation_id, p.t, e.n HAVING count(*) = e.n)
SELECT sub.zone, e.substation_id, ps.t, ps.mw
  FROM expected e JOIN grid_substations sub ON sub.id = e.substation_id
  LEFT JOIN per_substation ps ON ps.substation_id = e.substation_id
