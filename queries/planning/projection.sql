-- name: month_end_basis
-- What a month-end projection is computed from, per group ($by as in spend_report): priced spend
-- and request counts month-to-date ([$month_start, $as_of)) and over the trailing window
-- ([$window_start, $as_of)), both in full UTC days before "today" ($as_of). Sums are of priced
-- cost only (as the report's cost column); unpriced requests are counted apart.
-- Missing values stay NULL; filters: $w_<dimension> exact (as usage_sample).
SELECT
    CASE WHEN list_contains($by, 'tenant') THEN tenant END AS tenant,
    CASE WHEN list_contains($by, 'feature') THEN feature END AS feature,
    CASE WHEN list_contains($by, 'environment') THEN environment END AS environment,
    CASE WHEN list_contains($by, 'model') THEN model END AS model,
    CASE WHEN list_contains($by, 'mode') THEN mode END AS mode,
    CASE WHEN list_contains($by, 'provider') THEN provider END AS provider,
    CASE WHEN list_contains($by, 'user_id') THEN user_id END AS user_id,
    CASE WHEN list_contains($by, 'project') THEN project END AS project,
    CAST(coalesce(sum(cost) FILTER (WHERE ts >= $month_start), 0) AS DECIMAL(38, 18)) AS month_to_date,
    CAST(coalesce(sum(requests) FILTER (WHERE ts >= $month_start AND priced), 0) AS BIGINT) AS priced_requests,
    CAST(coalesce(sum(requests) FILTER (WHERE ts >= $month_start AND NOT priced), 0) AS BIGINT) AS unpriced_requests,
    CAST(coalesce(sum(cost) FILTER (WHERE ts >= $window_start), 0) AS DECIMAL(38, 18)) AS trailing_spend,
    CAST(coalesce(sum(requests) FILTER (WHERE ts >= $window_start AND priced), 0) AS BIGINT) AS trailing_priced_requests,
    CAST(coalesce(sum(requests) FILTER (WHERE ts >= $window_start AND NOT priced), 0) AS BIGINT) AS trailing_unpriced_requests
FROM priced_usage
WHERE ts >= least($month_start, $window_start)
  AND ts < $as_of
  AND ($w_tenant IS NULL OR tenant = $w_tenant)
  AND ($w_feature IS NULL OR feature = $w_feature)
  AND ($w_environment IS NULL OR environment = $w_environment)
  AND ($w_model IS NULL OR model = $w_model)
  AND ($w_mode IS NULL OR mode = $w_mode)
  AND ($w_provider IS NULL OR provider = $w_provider)
  AND ($w_user_id IS NULL OR user_id = $w_user_id)
  AND ($w_project IS NULL OR project = $w_project)
GROUP BY ALL
ORDER BY month_to_date DESC, tenant, feature, environment, model, mode, provider, user_id, project;

-- name: first_usage_day
-- The UTC day of the store's first usage (the trailing window never reaches before it).
SELECT CAST(min(ts) AT TIME ZONE 'UTC' AS DATE) AS day FROM usage;
