-- name: create_reconcile_settings
-- What a reconciliation compares, one row read by the reconcile views (a view cannot take
-- parameters; values never become SQL text): the period [$since, $until), the provider whose usage
-- the bill covers (NULL: all usage) and the keys the bill carries besides the day.
CREATE OR REPLACE TEMP TABLE reconcile_settings AS
SELECT CAST($since AS TIMESTAMPTZ) AS since, CAST($until AS TIMESTAMPTZ) AS until,
       CAST($provider AS VARCHAR) AS provider, CAST($keys AS VARCHAR[]) AS keys;

-- name: create_reconcile_views
-- The usage of the period with the keys of a reconciliation row: k_day (UTC) and k_model,
-- k_project, k_tenant, k_mode (NULL where the bill does not carry the key, so one group spans
-- them), by one table macro over either relation. reconcile_usage is usage-shaped (for price_usage); reconcile_priced is priced_usage's
-- rows, the computed cost every report shows.
CREATE OR REPLACE TEMP MACRO reconcile_keyed(usage_table) AS TABLE
SELECT u.*, CAST(u.ts AT TIME ZONE 'UTC' AS DATE) AS k_day,
       CASE WHEN list_contains(s.keys, 'model') THEN u.model END AS k_model,
       CASE WHEN list_contains(s.keys, 'project') THEN u.project END AS k_project,
       CASE WHEN list_contains(s.keys, 'tenant') THEN u.tenant END AS k_tenant,
       CASE WHEN list_contains(s.keys, 'mode') THEN u.mode END AS k_mode
FROM query_table(usage_table) u, reconcile_settings s
WHERE u.ts >= s.since AND u.ts < s.until AND (s.provider IS NULL OR u.provider = s.provider);
CREATE OR REPLACE TEMP VIEW reconcile_usage AS SELECT * FROM reconcile_keyed('usage');
CREATE OR REPLACE TEMP VIEW reconcile_priced AS SELECT * FROM reconcile_keyed('priced_usage');

-- name: reconcile_computed
-- The computed side per row key: requests, unpriced requests, the cost of the priced ones (the
-- row's cost is known only when unpriced_requests = 0), and the quantities each explanation
-- needs (an explanation is tried only where its quantity is not 0).
SELECT k_day, k_model, k_project, k_tenant, k_mode,
       CAST(sum(requests) AS BIGINT) AS requests,
       CAST(coalesce(sum(requests) FILTER (WHERE NOT priced), 0) AS BIGINT) AS unpriced_requests,
       CAST(sum(cost) AS DECIMAL(38, 18)) AS cost,
       CAST(sum(cached_input_tokens) AS BIGINT) AS cached_as_input,
       CAST(sum(cache_write_tokens) AS BIGINT) AS write_as_input,
       CAST(sum(cache_write_1h_tokens) AS BIGINT) AS write_1h_as_5m,
       CAST(coalesce(sum(requests) FILTER (WHERE mode = 'batch'), 0) AS BIGINT) AS batch_as_serverless,
       CAST(sum(reasoning_tokens) AS BIGINT) AS reasoning_on_top,
       CAST(sum(audio_input_tokens + audio_output_tokens) AS BIGINT) AS audio_as_text,
       CAST(sum(image_input_tokens + image_output_tokens) AS BIGINT) AS image_as_text,
       CAST(coalesce(sum(request_fee_cost), 0) AS DECIMAL(38, 18)) AS no_request_fee,
       CAST(coalesce(sum(web_search_cost), 0) AS DECIMAL(38, 18)) AS no_web_search
FROM reconcile_priced
GROUP BY ALL;

-- name: create_reconcile_scenario
-- One way a bill may have been computed, as a list of flags (no flag: the store's own rule).
CREATE OR REPLACE TEMP TABLE reconcile_scenario AS SELECT CAST($flags AS VARCHAR[]) AS flags;

-- name: create_reconcile_scenario_objects
-- The usage and the rates of the scenario, for the one pricing rule (price_usage):
--   cached_as_input      cached input tokens at the input rate
--   write_as_input       cache writes (5-minute and 1-hour) at the input rate
--   write_1h_as_5m       1-hour cache writes at the 5-minute write rate
--   batch_as_serverless  batch requests priced as serverless (no batch discount, no batch row)
--   reasoning_on_top     reasoning tokens billed again on top of the output tokens
--   audio_as_text        audio tokens at the text rates of their side
--   image_as_text        image tokens at the text rates of their side
--   no_request_fee       no per-request fee
--   no_web_search        web-search calls free
CREATE OR REPLACE TEMP VIEW reconcile_scenario_usage AS
SELECT u.* REPLACE (
        CASE WHEN list_contains(s.flags, 'batch_as_serverless') AND u.mode = 'batch' THEN 'serverless' ELSE u.mode END AS mode,
        CASE WHEN list_contains(s.flags, 'reasoning_on_top') THEN u.output_tokens + u.reasoning_tokens
             ELSE u.output_tokens END AS output_tokens)
FROM reconcile_usage u, reconcile_scenario s;
CREATE OR REPLACE TEMP TABLE reconcile_scenario_rates AS
SELECT r.* REPLACE (
        CASE WHEN list_contains(s.flags, 'cached_as_input') THEN r.input_per_mtok ELSE r.cached_input_per_mtok END
            AS cached_input_per_mtok,
        CASE WHEN list_contains(s.flags, 'write_as_input') THEN r.input_per_mtok ELSE r.cache_write_per_mtok END
            AS cache_write_per_mtok,
        CASE WHEN list_contains(s.flags, 'write_as_input') THEN r.input_per_mtok
             WHEN list_contains(s.flags, 'write_1h_as_5m') THEN NULL ELSE r.cache_write_1h_per_mtok END
            AS cache_write_1h_per_mtok,
        CASE WHEN list_contains(s.flags, 'audio_as_text') THEN NULL ELSE r.audio_input_per_mtok END AS audio_input_per_mtok,
        CASE WHEN list_contains(s.flags, 'audio_as_text') THEN NULL ELSE r.audio_output_per_mtok END AS audio_output_per_mtok,
        CASE WHEN list_contains(s.flags, 'image_as_text') THEN NULL ELSE r.image_input_per_mtok END AS image_input_per_mtok,
        CASE WHEN list_contains(s.flags, 'image_as_text') THEN NULL ELSE r.image_output_per_mtok END AS image_output_per_mtok,
        CASE WHEN list_contains(s.flags, 'no_request_fee') THEN NULL ELSE r.per_request END AS per_request,
        CASE WHEN list_contains(s.flags, 'no_web_search') THEN 0 ELSE r.web_search_per_k END AS web_search_per_k)
FROM rates r, reconcile_scenario s;

-- name: reconcile_scenario_costs
-- The scenario's cost per row key (cost of the priced requests; complete when unpriced_requests = 0).
SELECT k_day, k_model, k_project, k_tenant, k_mode,
       CAST(sum(cost) AS DECIMAL(38, 18)) AS cost,
       CAST(coalesce(sum(requests) FILTER (WHERE NOT priced), 0) AS BIGINT) AS unpriced_requests
FROM price_usage('reconcile_scenario_usage', 'reconcile_scenario_rates', store_batch_discount())
GROUP BY ALL;

-- name: drop_reconcile
-- The reconciliation's temp objects, so the connection is left as it was found.
DROP TABLE IF EXISTS reconcile_scenario_rates;
DROP VIEW IF EXISTS reconcile_scenario_usage;
DROP TABLE IF EXISTS reconcile_scenario;
DROP VIEW IF EXISTS reconcile_priced;
DROP VIEW IF EXISTS reconcile_usage;
DROP MACRO TABLE IF EXISTS reconcile_keyed;
DROP TABLE IF EXISTS reconcile_settings;

-- name: next_reconciliation_id
SELECT coalesce(max(run_id), 0) + 1 FROM reconciliations;

-- name: drop_covered_reconciliation_rows
-- The rows of reconciliations whose days all lie in the months [$month_start, $month_end) of a
-- newer one (drop_covered_reconciliations then drops the reconciliations).
DELETE FROM reconciliation_rows WHERE run_id IN (
    SELECT run_id FROM reconciliations WHERE first_day >= $month_start AND last_day < $month_end);

-- name: drop_covered_reconciliations
DELETE FROM reconciliations WHERE first_day >= $month_start AND last_day < $month_end;

-- name: insert_reconciliation
INSERT INTO reconciliations VALUES ($run_id, now(), $bill_file, $bill_format, $bill_sha256, $first_day,
    $last_day, $keys, $currency, $tolerance_pct, $computed, $billed, $difference, $within_tolerance);

-- name: latest_reconciliation
-- The newest reconciliation with a day in [$since, $until) (NULL bounds: any).
SELECT * FROM reconciliations
WHERE ($since IS NULL OR last_day >= CAST($since AS DATE)) AND ($until IS NULL OR first_day < CAST($until AS DATE))
ORDER BY run_id DESC LIMIT 1;

-- name: reconciliation_rows
-- A stored reconciliation's rows with a day in [$since, $until), in the order the command shows them.
SELECT day, model, project, tenant, mode, requests, unpriced_requests, computed, billed, difference, explained_by
FROM reconciliation_rows
WHERE run_id = $run_id AND ($since IS NULL OR day >= CAST($since AS DATE)) AND ($until IS NULL OR day < CAST($until AS DATE))
ORDER BY day, model NULLS LAST, project NULLS LAST, tenant NULLS LAST, mode NULLS LAST;
