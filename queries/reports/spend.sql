-- name: spend_report
-- Spend per period and per the chosen dimensions ($by, any of tenant, feature, environment, model,
-- mode, provider, user_id, project). Dimensions not chosen are a constant NULL, so one grouping
-- serves every --by. A missing value stays NULL (grouped as NULL, never as a label a real name
-- could also have: render.py shows it as a marked (none) in tables and HTML only). cost is NULL
-- when nothing in the group is priced; unpriced usage is counted apart. Filters: $since
-- inclusive, $until exclusive (UTC), $tenant exact.
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
    CAST(sum(requests) AS BIGINT) AS requests,
    CAST(sum(input_tokens) AS BIGINT) AS input_tokens,
    CAST(sum(cached_input_tokens) AS BIGINT) AS cached_input_tokens,
    CAST(sum(output_tokens) AS BIGINT) AS output_tokens,
    sum(cost) AS cost,
    CAST(coalesce(sum(requests) FILTER (WHERE NOT priced), 0) AS BIGINT) AS unpriced_requests
FROM priced_usage
WHERE ($since IS NULL OR ts >= $since)
  AND ($until IS NULL OR ts < $until)
  AND ($tenant IS NULL OR tenant = $tenant)
GROUP BY ALL
ORDER BY period, cost DESC NULLS LAST, requests DESC,
         tenant, feature, environment, model, mode, provider, user_id, project;

-- name: spend_totals
-- Totals over the same filters, priced and unpriced apart.
SELECT
    CAST(coalesce(sum(requests), 0) AS BIGINT) AS requests,
    CAST(coalesce(sum(input_tokens), 0) AS BIGINT) AS input_tokens,
    CAST(coalesce(sum(cached_input_tokens), 0) AS BIGINT) AS cached_input_tokens,
    CAST(coalesce(sum(output_tokens), 0) AS BIGINT) AS output_tokens,
    sum(cost) AS cost,
    CAST(coalesce(sum(requests) FILTER (WHERE priced), 0) AS BIGINT) AS priced_requests,
    CAST(coalesce(sum(requests) FILTER (WHERE NOT priced), 0) AS BIGINT) AS unpriced_requests,
    CAST(coalesce(sum(input_tokens + output_tokens) FILTER (WHERE NOT priced), 0) AS BIGINT) AS unpriced_tokens,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM priced_usage
WHERE ($since IS NULL OR ts >= $since)
  AND ($until IS NULL OR ts < $until)
  AND ($tenant IS NULL OR tenant = $tenant);

-- name: spend_unpriced
-- Unpriced usage over the same filters, per model and mode: shown apart, never as $0.
SELECT model, mode,
       CAST(sum(requests) AS BIGINT) AS requests,
       CAST(sum(input_tokens) AS BIGINT) AS input_tokens,
       CAST(sum(output_tokens) AS BIGINT) AS output_tokens
FROM priced_usage
WHERE NOT priced
  AND ($since IS NULL OR ts >= $since)
  AND ($until IS NULL OR ts < $until)
  AND ($tenant IS NULL OR tenant = $tenant)
GROUP BY model, mode
ORDER BY requests DESC, model, mode;
