-- name: replace_rates
-- Swap the whole rate card for the validated one registered as `card` (one transaction).
DELETE FROM rates;
INSERT INTO rates BY NAME SELECT * FROM card;

-- name: set_setting
INSERT OR REPLACE INTO settings VALUES ($key, $value);

-- name: get_setting
SELECT value FROM settings WHERE key = $key;

-- name: list_rates
-- The card as loaded, in the card's own columns (the CSV output loads again as a card), ordered by
-- model, mode, provider, tier, context tier and validity.
SELECT model, mode, input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok,
       valid_from, valid_to, currency, provider, service_tier, input_tokens_above, cache_write_1h_per_mtok,
       audio_input_per_mtok, audio_output_per_mtok, image_input_per_mtok, image_output_per_mtok,
       per_request, web_search_per_k
FROM rates
ORDER BY model, mode, provider NULLS FIRST, service_tier NULLS FIRST, input_tokens_above NULLS FIRST,
         valid_from NULLS FIRST;

-- name: unpriced_models
-- Usage the rates could not price (cost NULL, never 0), per model, mode and service tier, with
-- the reason the pricing rule gives (no row for the model, a tier without its row, no rate in
-- force at the time, web searches without a rate, ...).
SELECT model, mode, sum(requests) AS requests,
       sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
       min(ts) AS first_seen, max(ts) AS last_seen, service_tier, unpriced_reason AS reason
FROM priced_usage WHERE NOT priced
GROUP BY ALL ORDER BY requests DESC, model, mode, service_tier NULLS FIRST, reason;

-- name: create_explain_keys
-- The (model, provider, mode, tier) combinations `rates explain` shows: those the usage of the
-- model has, and the one asked for; a usage-shaped temp table (rate_cells reads only these four).
CREATE OR REPLACE TEMP TABLE explain_keys AS
SELECT DISTINCT model, provider, mode, service_tier FROM usage WHERE model = $model
UNION
SELECT $model, $provider, $mode, $service_tier;

-- name: explain_rates
-- Which card row prices the model, per provider, mode and tier, time range and input range
-- (rate_cells of the pricing rule), with the stored usage each priced.
WITH cells AS (
    SELECT * FROM rate_cells('explain_keys', 'rates', store_batch_discount())
),
used AS (
    SELECT c.model, c.provider, c.mode, c.service_tier, c.t_lo, c.input_above,
           count(u.requests) AS rows, coalesce(sum(u.requests), 0) AS requests, sum(u.cost) AS cost
    FROM cells c
    LEFT JOIN priced_usage u
      ON u.model = c.model AND coalesce(u.provider, '') = c.provider AND u.mode = c.mode
     AND service_tier_key(u.service_tier) = c.service_tier
     AND u.ts >= c.t_lo AND u.ts < c.t_hi AND u.input_tokens > c.input_above AND u.input_tokens <= c.input_upto
    GROUP BY ALL
)
SELECT c.provider, c.mode, c.service_tier,
       CASE WHEN isinf(c.t_lo) THEN NULL ELSE c.t_lo END AS "from",
       CASE WHEN isinf(c.t_hi) THEN NULL ELSE c.t_hi END AS "to",
       CASE WHEN c.input_above < 0 THEN NULL ELSE c.input_above END AS input_above,
       c.rate_card_line AS card_line, c.rate_model, c.rate_provider, c.rule, c.unpriced_reason,
       c.input_rate, c.output_rate, c.cached_input_rate, c.cache_write_rate, c.cache_write_1h_rate,
       c.request_fee, c.web_search_rate, u.requests, u.cost
FROM cells c JOIN used u USING (model, provider, mode, service_tier, t_lo, input_above)
ORDER BY c.provider, c.mode, c.service_tier, c.t_lo, c.input_above;
