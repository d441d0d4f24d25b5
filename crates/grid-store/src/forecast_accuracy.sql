-- Per zone: forecasts compared with actual load, and their errors.
SELECT zone,
       count(*) AS compared,
       100 * avg(abs(actual_load_mw - predicted_load_mw) / actual_load_mw)
           FILTER (WHERE actual_load_mw > 0) AS mape,
       avg(abs(actual_load_mw - predicted_load_mw)) AS mae,
       count(*) FILTER (WHERE actual_load_mw = 0) AS zero_actuals
  FROM load_forecasts
 WHERE actual_load_mw IS NOT NULL
   AND forecast_timestamp >= $1 AND forecast_timestamp < $2
 GROUP BY zone
 ORDER BY zone
