-- name: create_whatif_settings
-- What a what-if changes, one row read by the whatif_usage view (a view cannot take parameters;
-- values never become SQL text): the model (--as), the mode (--mode), the provider (--provider),
-- each NULL when kept, and the filters of usage_sample.
CREATE OR REPLACE TEMP TABLE whatif_settings AS
SELECT CAST($as_model AS VARCHAR) AS as_model, CAST($as_mode AS VARCHAR) AS as_mode,
       CAST($as_provider AS VARCHAR) AS as_provider,
       CAST($since AS TIMESTAMPTZ) AS since, CAST($until AS TIMESTAMPTZ) AS until,
       CAST($w_tenant AS VARCHAR) AS w_tenant, CAST($w_feature AS VARCHAR) AS w_feature,
       CAST($w_environment AS VARCHAR) AS w_environment, CAST($w_model AS VARCHAR) AS w_model,
       CAST($w_mode AS VARCHAR) AS w_mode, CAST($w_provider AS VARCHAR) AS w_provider,
       CAST($w_user_id AS VARCHAR) AS w_user_id, CAST($w_project AS VARCHAR) AS w_project;

-- name: create_whatif_usage
-- The measured usage as if it had run on another model / mode: the filtered usage rows, each
-- keeping its own time and token counts, with model, mode and provider replaced where asked;
-- current_model / current_mode / current_provider keep the real ones (the groups of --by).
CREATE OR REPLACE TEMP VIEW whatif_usage AS
SELECT u.* REPLACE (coalesce(s.as_model, u.model) AS model, coalesce(s.as_mode, u.mode) AS mode,
                    coalesce(s.as_provider, u.provider) AS provider),
       u.model AS current_model, u.mode AS current_mode, u.provider AS current_provider
FROM usage u, whatif_settings s
WHERE (s.since IS NULL OR u.ts >= s.since)
  AND (s.until IS NULL OR u.ts < s.until)
  AND (s.w_tenant IS NULL OR u.tenant = s.w_tenant)
  AND (s.w_feature IS NULL OR u.feature = s.w_feature)
  AND (s.w_environment IS NULL OR u.environment = s.w_environment)
  AND (s.w_model IS NULL OR u.model = s.w_model)
  AND (s.w_mode IS NULL OR u.mode = s.w_mode)
  AND (s.w_provider IS NULL OR u.provider = s.w_provider)
  AND (s.w_user_id IS NULL OR u.user_id = s.w_user_id)
  AND (s.w_project IS NULL OR u.project = s.w_project);

-- name: create_whatif_rates_from_store
-- The rates a what-if prices with: a copy of the store's own (a card is small).
CREATE OR REPLACE TEMP TABLE whatif_rates AS FROM rates;

-- name: create_whatif_rates_from_card
-- The rates a what-if prices with: a validated card registered as `whatif_card` (--rates FILE,
-- not loaded into the store), in the rates table's shape.
CREATE OR REPLACE TEMP TABLE whatif_rates AS FROM rates LIMIT 0;
INSERT INTO whatif_rates BY NAME SELECT * FROM whatif_card;

-- name: whatif_costs
-- The what-if cost per group ($by as in usage_sample, model / mode / provider being the current
-- ones), priced by the one pricing rule (price_usage, queries/views/) with whatif_rates and the
-- store's batch discount. whatif_cost sums the priced requests; whatif_unpriced_requests counts
-- the requests the what-if rates cannot price, unpriced_reason says why (one of the reasons).
SELECT
    CASE WHEN list_contains($by, 'tenant') THEN tenant END AS tenant,
    CASE WHEN list_contains($by, 'feature') THEN feature END AS feature,
    CASE WHEN list_contains($by, 'environment') THEN environment END AS environment,
    CASE WHEN list_contains($by, 'model') THEN current_model END AS model,
    CASE WHEN list_contains($by, 'mode') THEN current_mode END AS mode,
    CASE WHEN list_contains($by, 'provider') THEN current_provider END AS provider,
    CASE WHEN list_contains($by, 'user_id') THEN user_id END AS user_id,
    CASE WHEN list_contains($by, 'project') THEN project END AS project,
    CAST(sum(requests) AS BIGINT) AS requests,
    CAST(sum(cost) AS DECIMAL(38, 18)) AS whatif_cost,
    CAST(coalesce(sum(requests) FILTER (WHERE NOT priced), 0) AS BIGINT) AS whatif_unpriced_requests,
    min(unpriced_reason) AS unpriced_reason
FROM price_usage('whatif_usage', 'whatif_rates', store_batch_discount())
GROUP BY ALL;

-- name: drop_whatif
-- The what-if's temp objects, so the connection is left as it was found.
DROP VIEW IF EXISTS whatif_usage;
DROP TABLE IF EXISTS whatif_rates;
DROP TABLE IF EXISTS whatif_settings;
