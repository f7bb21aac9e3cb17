-- name: focus_usage
-- FOCUS v1.2 charge rows of priced usage: one per UTC day x model x tenant x mode, split further
-- by feature, environment, project and provider so that each row's Tags hold single values.
-- Date-times are UTC 'YYYY-MM-DDTHH:MM:SSZ', period ends exclusive; the billing period is the
-- calendar month. Unpriced usage is not here (focus_unpriced counts it). Filters: $since
-- inclusive, $until exclusive, $tenant exact.
WITH daily AS (
    SELECT
        CAST(date_trunc('day', ts) AS DATE) AS day,
        model, mode, provider, tenant, feature, environment, project,
        sum(cost) AS cost,
        CAST(sum(requests) AS BIGINT) AS requests,
        CAST(sum(input_tokens) AS BIGINT) AS input_tokens,
        CAST(sum(cached_input_tokens) AS BIGINT) AS cached_input_tokens,
        CAST(sum(cache_write_tokens) AS BIGINT) AS cache_write_tokens,
        CAST(sum(output_tokens) AS BIGINT) AS output_tokens
    FROM priced_usage
    WHERE priced
      AND ($since IS NULL OR ts >= $since)
      AND ($until IS NULL OR ts < $until)
      AND ($tenant IS NULL OR tenant = $tenant)
    GROUP BY ALL
)
SELECT
    day, model, mode, provider, tenant, feature, environment, project, cost, requests,
    input_tokens, cached_input_tokens, cache_write_tokens, output_tokens,
    strftime(day, '%Y-%m-%dT00:00:00Z') AS charge_start,
    strftime(day + INTERVAL 1 DAY, '%Y-%m-%dT00:00:00Z') AS charge_end,
    strftime(date_trunc('month', day), '%Y-%m-%dT00:00:00Z') AS billing_start,
    strftime(date_trunc('month', day) + INTERVAL 1 MONTH, '%Y-%m-%dT00:00:00Z') AS billing_end
FROM daily
ORDER BY day, tenant NULLS LAST, model, mode, feature NULLS LAST, environment NULLS LAST,
         project NULLS LAST, provider NULLS LAST;

-- name: focus_unpriced
-- What the FOCUS export leaves out because it has no rate: charge rows and requests.
SELECT count(*) AS charge_rows, CAST(coalesce(sum(requests), 0) AS BIGINT) AS requests
FROM (
    SELECT CAST(date_trunc('day', ts) AS DATE), model, mode, provider, tenant, feature,
           environment, project, sum(requests) AS requests
    FROM priced_usage
    WHERE NOT priced
      AND ($since IS NULL OR ts >= $since)
      AND ($until IS NULL OR ts < $until)
      AND ($tenant IS NULL OR tenant = $tenant)
    GROUP BY ALL
);

-- name: focus_idle_capacity
-- Idle capacity as charge rows of their own (one per capacity and month with idle cost), for
-- stores that have the capacity_costs view; the charge period is the capacity's month.
SELECT name, kind, CAST(month AS VARCHAR) AS month, idle_cost,
       left(CAST(month AS VARCHAR), 7) || '-01T00:00:00Z' AS charge_start,
       strftime(CAST(left(CAST(month AS VARCHAR), 7) || '-01' AS DATE) + INTERVAL 1 MONTH,
                '%Y-%m-%dT00:00:00Z') AS charge_end
FROM capacity_costs
WHERE idle_cost > 0
  AND ($since IS NULL OR left(CAST(month AS VARCHAR), 7) >= strftime(CAST($since AS TIMESTAMPTZ), '%Y-%m'))
  AND ($until IS NULL OR left(CAST(month AS VARCHAR), 7) <= strftime(CAST($until AS TIMESTAMPTZ) - INTERVAL 1 SECOND, '%Y-%m'))
ORDER BY month, name;
