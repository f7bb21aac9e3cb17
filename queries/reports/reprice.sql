-- name: spend_reprice
-- `report --reprice`: per period and the chosen dimensions ($by, as spend_report), the cost
-- reports show (priced_usage: a closed month's frozen rows) next to what the current rates give
-- for the same rows (repriced_usage: late arrivals left out of both), and the difference
-- (current - frozen; NULL when either is unpriced in part). For an open month both are the
-- current pricing, difference 0. Filters as spend_report.
WITH sides AS (
    SELECT 'frozen' AS side, ts, tenant, feature, environment, model, mode, provider, user_id, project,
           requests, cost, priced
    FROM priced_usage
    UNION ALL
    SELECT 'current', ts, tenant, feature, environment, model, mode, provider, user_id, project,
           requests, cost, priced
    FROM repriced_usage
),
grouped AS (
    SELECT
        CASE $period
            WHEN 'month' THEN strftime(ts, '%Y-%m')
            WHEN 'week' THEN strftime(ts, '%G-W%V')
            WHEN 'day' THEN strftime(ts, '%Y-%m-%d')
            ELSE 'total'
        END AS period,
        CASE WHEN list_contains($by, 'tenant') THEN tenant END AS tenant,
        CASE WHEN list_contains($by, 'feature') THEN feature END AS feature,
        CASE WHEN list_contains($by, 'environment') THEN environment END AS environment,
        CASE WHEN list_contains($by, 'model') THEN model END AS model,
        CASE WHEN list_contains($by, 'mode') THEN mode END AS mode,
        CASE WHEN list_contains($by, 'provider') THEN provider END AS provider,
        CASE WHEN list_contains($by, 'user_id') THEN user_id END AS user_id,
        CASE WHEN list_contains($by, 'project') THEN project END AS project,
        CAST(coalesce(sum(requests) FILTER (WHERE side = 'frozen'), 0) AS BIGINT) AS requests,
        sum(cost) FILTER (WHERE side = 'frozen') AS frozen_cost,
        sum(cost) FILTER (WHERE side = 'current') AS current_cost,
        CAST(coalesce(sum(requests) FILTER (WHERE side = 'frozen' AND NOT priced), 0) AS BIGINT) AS frozen_unpriced_requests,
        CAST(coalesce(sum(requests) FILTER (WHERE side = 'current' AND NOT priced), 0) AS BIGINT) AS current_unpriced_requests
    FROM sides
    WHERE ($since IS NULL OR ts >= $since)
      AND ($until IS NULL OR ts < $until)
      AND ($tenant IS NULL OR tenant = $tenant)
    GROUP BY ALL
)
SELECT *,
       CASE WHEN frozen_unpriced_requests = 0 AND current_unpriced_requests = 0
            THEN coalesce(current_cost, 0) - coalesce(frozen_cost, 0) END AS difference
FROM grouped
ORDER BY period, abs(difference) DESC NULLS FIRST, frozen_cost DESC NULLS LAST, requests DESC,
         tenant, feature, environment, model, mode, provider, user_id, project;
