-- name: capacities_loaded
-- Whether the store has any capacity (`capacity load`): a report shows its (idle capacity) rows,
-- totals.idle_capacity_cost and its capacity section only then, so a store without capacities
-- reports exactly as before.
SELECT count(*) > 0 FROM capacities;

-- name: idle_capacity_months
-- Idle capacity per UTC month (README "Capacity in reports"): the idle cost of every capacity
-- month whose first day is in [$since, $until) (NULL: unbounded), so each month's idle is counted
-- in exactly one of a run of adjacent ranges. An open month's idle is the capacity_costs view's;
-- a closed month's (month_closes) is the idle frozen at its close. Months with no idle are absent.
WITH months AS (
    SELECT CAST(month_start AS DATE) AS month, sum(idle_cost) AS idle_cost
    FROM capacity_costs
    WHERE ($since IS NULL OR month_start >= $since)
      AND ($until IS NULL OR month_start < $until)
    GROUP BY ALL
),
idle AS (
    SELECT m.month, CASE WHEN c.month IS NULL THEN m.idle_cost ELSE c.idle_cost END AS idle_cost
    FROM months m LEFT JOIN month_closes c USING (month)
    UNION ALL
    SELECT c.month, c.idle_cost FROM month_closes c   -- closed months whose capacities were replaced since
    WHERE c.month NOT IN (SELECT month FROM months)
      AND ($since IS NULL OR c.month >= CAST($since AS DATE))
      AND ($until IS NULL OR c.month < CAST($until AS DATE))
)
SELECT month, CAST(idle_cost AS DECIMAL(38, 18)) AS idle_cost
FROM idle
WHERE idle_cost > 0
ORDER BY month;
