-- name: create_estimate_request
-- A temp, usage-shaped table (usage's columns, no rows) holding the one request an estimate
-- prices; temp tables work on a read-only store too.
CREATE OR REPLACE TEMP TABLE estimate_request AS FROM usage LIMIT 0;

-- name: fill_estimate_request
-- The workload's request: one request with the given tokens, at the given time, every other
-- part 0 (a CTAS table keeps no defaults).
INSERT INTO estimate_request BY NAME
SELECT 'estimate' AS request_id, CAST($at AS TIMESTAMPTZ) AS ts, $model AS model, $mode AS mode,
       $provider AS provider, $service_tier AS service_tier, 1 AS requests,
       $input_tokens AS input_tokens,
       $cached_input_tokens AS cached_input_tokens, $cache_write_tokens AS cache_write_tokens,
       0 AS cache_write_1h_tokens, 0 AS audio_input_tokens, 0 AS audio_output_tokens,
       0 AS image_input_tokens, 0 AS image_output_tokens, $output_tokens AS output_tokens,
       0 AS reasoning_tokens, 0 AS web_search_requests;

-- name: price_estimate_request
-- The request priced by the one pricing rule (queries/views/010_pricing.sql) with the store's
-- rates and the given batch discount (NULL: the store's setting), and the monthly cost exactly.
SELECT r.priced, r.unpriced_reason, r.input_rate, r.output_rate,
       p.input_cost + p.cached_input_cost + p.cache_write_cost + p.cache_write_1h_cost AS input_cost,
       p.output_cost, p.cost,
       CAST(p.cost * $requests AS DECIMAL(38, 18)) AS monthly_cost
FROM rate_usage('estimate_request', 'rates', coalesce($discount, store_batch_discount())) r,
     price_usage('estimate_request', 'rates', coalesce($discount, store_batch_discount())) p;

-- name: add_estimate_rate
-- Given prices (estimate --input-price/--output-price) as the one rate row of an in-memory store.
INSERT INTO rates BY NAME
SELECT $model AS model, 'serverless' AS mode, $input_per_mtok AS input_per_mtok,
       $output_per_mtok AS output_per_mtok, 'USD' AS currency;
