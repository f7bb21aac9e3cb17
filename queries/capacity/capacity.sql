-- name: replace_capacities
-- Swap all capacities for the validated file registered as `capacity_file` (one transaction).
DELETE FROM capacities;
INSERT INTO capacities BY NAME SELECT * FROM capacity_file;

-- name: list_capacities
-- The capacities as loaded, one row per capacity and month; models joined with ';' as in the file.
SELECT name, kind, array_to_string(models, ';') AS models, strftime(month, '%Y-%m') AS month,
       monthly_cost, gpus, gpu_hours, gpu_hour_rate, capacity_tokens, spend
FROM capacities ORDER BY month, name;

-- name: capacity_costs_in
-- Rows of the capacity_costs view whose month starts in [$since, $until) (NULL: unbounded), UTC.
SELECT name, kind, month, models, spend, capacity_tokens, tokens, effective_per_mtok, utilisation,
       allocated_cost, idle_cost
FROM capacity_costs
WHERE ($since IS NULL OR month_start >= $since)
  AND ($until IS NULL OR month_start < $until)
ORDER BY month, name;

-- name: capacity_by_name
-- One loaded capacity: that month's row when $month is given, else its latest month.
SELECT name, kind, array_to_string(models, ';') AS models, strftime(month, '%Y-%m') AS month,
       spend, capacity_tokens
FROM capacities
WHERE name = $name AND ($month IS NULL OR month = $month)
ORDER BY month DESC
LIMIT 1;
