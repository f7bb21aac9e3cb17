-- name: replace_rates
-- Swap the whole rate card for the validated one registered as `card` (one transaction).
DELETE FROM rates;
INSERT INTO rates BY NAME SELECT * FROM card;

-- name: set_setting
INSERT OR REPLACE INTO settings VALUES ($key, $value);

-- name: get_setting
SELECT value FROM settings WHERE key = $key;

-- name: list_rates
-- The card as loaded, one row per model, mode and validity period.
SELECT model, mode, input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok,
       valid_from, valid_to, currency
FROM rates ORDER BY model, mode, valid_from NULLS FIRST;

-- name: unpriced_models
-- Models in usage with no rate in force at the request's time (cost NULL, never 0).
SELECT model, mode, sum(requests) AS requests,
       sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
       min(ts) AS first_seen, max(ts) AS last_seen
FROM priced_usage WHERE NOT priced
GROUP BY model, mode ORDER BY requests DESC, model;
