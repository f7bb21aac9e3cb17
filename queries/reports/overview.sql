-- name: spend_cost_parts
-- What the priced spend is made of: one row per cost part column of priced_usage (every column
-- named *_cost: input_cost, cached_input_cost, cache_write_cost, output_cost, and whatever parts
-- the rate card adds), summed over the filters ($since inclusive, $until exclusive, $tenant).
-- COLUMNS() picks the parts up by name, so a new part column needs no edit here.
SELECT part, amount
FROM (
    SELECT sum(COLUMNS('^.+_cost$'))
    FROM priced_usage
    WHERE priced
      AND ($since IS NULL OR ts >= $since)
      AND ($until IS NULL OR ts < $until)
      AND ($tenant IS NULL OR tenant = $tenant)
) UNPIVOT INCLUDE NULLS (amount FOR part IN (COLUMNS(*)));

-- name: spend_data_range
-- First and last usage time over the tenant filter, and the months that hold usage (for the
-- "no usage in that month" message and for choosing the comparison window).
SELECT min(ts) AS first_ts, max(ts) AS last_ts,
       list(DISTINCT strftime(ts, '%Y-%m') ORDER BY strftime(ts, '%Y-%m')) AS months
FROM usage
WHERE ($tenant IS NULL OR tenant = $tenant);

-- name: spend_tenants
-- Every tenant name in the store (for "did you mean" when --tenant matches nothing).
SELECT DISTINCT tenant FROM usage WHERE tenant IS NOT NULL ORDER BY tenant;

-- name: spend_daily_by
-- Priced spend per UTC day and one dimension ($dimension: tenant or model), over
-- [$since, $until) and $tenant; days without usage are absent (callers fill zeros). A missing
-- tenant is NULL, its own series.
SELECT
    CAST(date_trunc('day', ts) AS DATE) AS day,
    CASE $dimension WHEN 'tenant' THEN tenant ELSE model END AS name,
    sum(cost) AS cost
FROM priced_usage
WHERE priced
  AND ($since IS NULL OR ts >= $since)
  AND ($until IS NULL OR ts < $until)
  AND ($tenant IS NULL OR tenant = $tenant)
GROUP BY ALL
ORDER BY name, day;

-- name: capacity_view_exists
-- Whether the store has the capacity_costs view (capacity spend and idle; built by a later
-- migration): the report shows its section only then.
SELECT count(*) > 0 FROM duckdb_views() WHERE view_name = 'capacity_costs' AND NOT internal;

-- name: capacity_in_range
-- Capacities whose month falls in [$since, $until): spend, tokens, effective $/1M,
-- utilisation and idle cost, as the capacity_costs view gives them.
SELECT name, kind, month, spend, tokens, effective_per_mtok, utilisation, idle_cost
FROM capacity_costs
WHERE ($since IS NULL OR left(CAST(month AS VARCHAR), 7) >= strftime(CAST($since AS TIMESTAMPTZ), '%Y-%m'))
  AND ($until IS NULL OR left(CAST(month AS VARCHAR), 7) <= strftime(CAST($until AS TIMESTAMPTZ) - INTERVAL 1 SECOND, '%Y-%m'))
ORDER BY month, name;

-- name: spend_tenants_in_range
-- The tenants with usage in [$since, $until), for per-tenant statements, and (as a row with a
-- NULL tenant) the requests that carry no tenant and so belong in no statement.
SELECT tenant, CAST(sum(requests) AS BIGINT) AS requests
FROM usage
WHERE ($since IS NULL OR ts >= $since)
  AND ($until IS NULL OR ts < $until)
GROUP BY tenant
ORDER BY tenant NULLS LAST;
