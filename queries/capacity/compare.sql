-- name: compare_latest_month
-- The latest UTC month with usage (the default month `compare --from-usage` measures).
SELECT strftime(max(ts) AT TIME ZONE 'UTC', '%Y-%m') FROM usage;

-- name: create_compare_usage
-- The measured usage: one UTC month [$since, $until), optionally one model, as a temp table
-- (temp tables work on a read-only store), seen once as serverless and once as batch requests.
CREATE OR REPLACE TEMP TABLE compare_usage AS
SELECT * FROM usage
WHERE ts >= $since AND ts < $until AND ($model IS NULL OR model = $model);

-- name: create_compare_modes
-- The measured requests as if served serverless (default tier) and as batch.
CREATE OR REPLACE TEMP VIEW compare_serverless AS
SELECT * REPLACE ('serverless' AS mode, CAST(NULL AS VARCHAR) AS service_tier) FROM compare_usage;
CREATE OR REPLACE TEMP VIEW compare_batch AS
SELECT * REPLACE ('batch' AS mode, CAST(NULL AS VARCHAR) AS service_tier) FROM compare_usage;

-- name: compare_groups
-- Per group ($by: 'model', 'feature' or NULL for one group): requests and token totals, and the
-- group's cost priced by the pricing rule with the store's rates as serverless and as batch
-- ($discount: the batch factor, NULL for the store's). A cost is NULL when any request of the
-- group has no rate; unpriced_models names the models without one.
WITH serverless AS (
    SELECT CASE $by WHEN 'model' THEN model WHEN 'feature' THEN coalesce(feature, '(none)') END AS grp,
           CAST(sum(requests) AS BIGINT) AS requests,
           CAST(sum(input_tokens) AS BIGINT) AS input_tokens,
           CAST(sum(cached_input_tokens) AS BIGINT) AS cached_tokens,
           CAST(sum(output_tokens) AS BIGINT) AS output_tokens,
           CASE WHEN bool_and(priced) THEN sum(cost) END AS serverless_cost,
           string_agg(DISTINCT model, ', ' ORDER BY model) FILTER (WHERE NOT priced) AS unpriced_models
    FROM price_usage('compare_serverless', 'rates', coalesce($discount, store_batch_discount()))
    GROUP BY ALL
),
batch AS (
    SELECT CASE $by WHEN 'model' THEN model WHEN 'feature' THEN coalesce(feature, '(none)') END AS grp,
           CASE WHEN bool_and(priced) THEN sum(cost) END AS batch_cost
    FROM price_usage('compare_batch', 'rates', coalesce($discount, store_batch_discount()))
    GROUP BY ALL
)
SELECT s.*, b.batch_cost
FROM serverless s JOIN batch b ON s.grp IS NOT DISTINCT FROM b.grp
ORDER BY s.serverless_cost DESC NULLS LAST, s.grp;
