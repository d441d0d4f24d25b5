-- Every substation with its zone, the substation feeding it and the customers of its own
-- feeders in effect on the local date $1 (the latest count effective on or before it; none
-- recorded: 0).
SELECT s.id, s.zone, s.fed_from, coalesce(c.customers_served, 0)::bigint AS customers
  FROM grid_substations s
  LEFT JOIN LATERAL (
       SELECT cc.customers_served FROM substation_customer_counts cc
        WHERE cc.substation_id = s.id AND cc.effective_from <= $1
        ORDER BY cc.effective_from DESC LIMIT 1) c ON true
