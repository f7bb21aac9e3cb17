-- name: usage_sample
-- Measured usage per group, the sample that estimates and what-ifs plan from: requests, token
-- sums and today's priced cost. Dimensions not in $by are a constant NULL (as in spend_report),
-- so one grouping serves every --by. cost is NULL when nothing in the group is priced;
-- unpriced_requests counts the group's requests the rates cannot price today.
-- A missing value stays NULL (its own group, as in spend_report). Filters: $since inclusive,
-- $until exclusive (UTC); $w_<dimension> exact.
SELECT
    CASE WHEN list_contains($by, 'tenant') THEN tenant END AS tenant,
    CASE WHEN list_contains($by, 'feature') THEN feature END AS feature,
    CASE WHEN list_contains($by, 'environment') THEN environment END AS environment,
    CASE WHEN list_contains($by, 'model') THEN model END AS model,
    CASE WHEN list_contains($by, 'mode') THEN mode END AS mode,
    CASE WHEN list_contains($by, 'provider') THEN provider END AS provider,
    CASE WHEN list_contains($by, 'user_id') THEN user_id END AS user_id,
    CASE WHEN list_contains($by, 'project') THEN project END AS project,
    CAST(sum(requests) AS BIGINT) AS sample_requests,
    CAST(sum(input_tokens) AS BIGINT) AS input_tokens,
    CAST(sum(cached_input_tokens) AS BIGINT) AS cached_input_tokens,
    CAST(sum(cache_write_tokens) AS BIGINT) AS cache_write_tokens,
    CAST(sum(output_tokens) AS BIGINT) AS output_tokens,
    CAST(sum(cost) AS DECIMAL(38, 18)) AS cost,
    CAST(coalesce(sum(requests) FILTER (WHERE NOT priced), 0) AS BIGINT) AS unpriced_requests
FROM priced_usage
WHERE ($since IS NULL OR ts >= $since)
  AND ($until IS NULL OR ts < $until)
  AND ($w_tenant IS NULL OR tenant = $w_tenant)
  AND ($w_feature IS NULL OR feature = $w_feature)
  AND ($w_environment IS NULL OR environment = $w_environment)
  AND ($w_model IS NULL OR model = $w_model)
  AND ($w_mode IS NULL OR mode = $w_mode)
  AND ($w_provider IS NULL OR provider = $w_provider)
  AND ($w_user_id IS NULL OR user_id = $w_user_id)
  AND ($w_project IS NULL OR project = $w_project)
GROUP BY ALL
ORDER BY cost DESC NULLS LAST, sample_requests DESC,
         tenant, feature, environment, model, mode, provider, user_id, project;
