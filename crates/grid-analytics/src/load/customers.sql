-- Per zone: the metadata of the day's stored row (if any) and the customers served by the
-- zone's active substations now.
SELECT z.zone, d.metadata,
       (SELECT coalesce(sum(customers_served), 0)::bigint
          FROM grid_substations s WHERE s.zone = z.zone AND s.is_active) AS now_served
  FROM unnest(enum_range(NULL::grid_zone)) AS z(zone)
  LEFT JOIN daily_grid_statistics d ON d.zone = z.zone AND d.date = $1
