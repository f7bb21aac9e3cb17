-- The pricing rule: current SQL, recreated (CREATE OR REPLACE) whenever a store is opened for
-- writing; migrations only hold tables. Every cost llm-spend shows comes from price_usage.
--
-- Reuse: price_usage(usage_table, rates_table, batch_discount) is a DuckDB table macro over two
-- relations named by strings (query_table): any usage-shaped table or view (the usage columns of
-- migrations 001 and 003; extra columns pass through) priced with any rates-shaped one (the rates
-- columns), e.g. a temp table holding a card that is not loaded, or usage with another model:
--     SELECT * FROM price_usage('usage', 'rates', store_batch_discount());   -- = priced_usage_current
--     CREATE TEMP VIEW as_mini AS SELECT * REPLACE ('gpt-4o-mini' AS model) FROM usage;
--     SELECT sum(cost) FROM price_usage('as_mini', 'rates', 0.5);
-- Temp tables and views work on a read-only connection too. The result is the usage relation's
-- columns plus input_cost, cached_input_cost, cache_write_cost, cache_write_1h_cost, audio_cost,
-- image_cost, output_cost, request_fee_cost, web_search_cost, cost (each DECIMAL(38, 18), NULL
-- when unpriced; cost is their exact sum), priced (BOOLEAN), unpriced_reason (VARCHAR, NULL when
-- priced) and rate_card_line (the card line of the row that priced it).
--
-- Which row prices a request (README "Matching rules"), first match in this order:
--   1. its own mode and service tier; 2. a flex (or batch) tier request without a row for its
--   tier: the model's batch row; 3. batch (or flex / batch tier) without a batch row: the
--   serverless row, token rates x batch_discount rounded to 12 decimal places (per-request and
--   web-search fees are not discounted). Any other tier without its own row is unpriced.
--   Within a step: a provider row before a generic one, an exact model name before a glob pattern,
--   a longer pattern before a shorter one; the row must be in force at the request's time
--   (valid_from inclusive, valid_to exclusive) and, with input_tokens_above, the request's input
--   (all input, cached and cache writes included) must exceed it: the highest exceeded threshold
--   of the row family wins and prices ALL of the request's tokens.
-- Missing rates: cached and cache-write rates fall back to the input rate, the 1-hour write rate
-- to the cache-write rate, audio and image rates to the text rate of their side, per_request to no
-- fee. Web-search calls without a web_search_per_k rate leave the request unpriced (never 0).
--
-- How it stays fast on large stores: the rows of the card are resolved once per distinct
-- (model, provider, mode, tier) of the usage into non-overlapping cells (time interval x input
-- range), each with its winning row or its reason for being unpriced; usage then joins its one
-- cell by equality plus two ranges (a hash join, no per-row ranking).

-- The tier key of a request or card row: '' for the default tier.
CREATE OR REPLACE MACRO service_tier_key(tier) AS
    CASE WHEN tier IS NULL OR lower(trim(tier)) IN ('', 'default', 'standard', 'auto') THEN ''
         ELSE lower(trim(tier)) END;

-- The batch discount the store's settings hold (config `[pricing] batch_discount`).
CREATE OR REPLACE MACRO store_batch_discount() AS
    (SELECT CAST(value AS DECIMAL(7, 6)) FROM settings WHERE key = 'batch_discount');

-- rate_cells: for every (model, provider, mode, service tier) of the usage relation (only these four
-- columns are read), the non-overlapping cells [t_lo, t_hi) x (input_above, input_upto] with the card
-- row that prices requests there (rate_card_line, rate_model, rate_provider, rule) and the
-- effective rates, or unpriced_reason. `rates explain` shows these; rate_usage joins them.
CREATE OR REPLACE MACRO rate_cells(usage_table, rates_table, batch_discount) AS TABLE
WITH card AS (
    SELECT r.*,
           coalesce(r.provider, '') AS provider_key,
           service_tier_key(r.service_tier) AS tier_key,
           coalesce(r.valid_from, TIMESTAMPTZ '-infinity') AS t_from,
           coalesce(r.valid_to, TIMESTAMPTZ 'infinity') AS t_to,
           coalesce(r.input_tokens_above, -1) AS above,
           regexp_matches(r.model, '[*?\[]') AS is_pattern
    FROM query_table(rates_table) r
),
keys AS (
    SELECT DISTINCT model, coalesce(provider, '') AS provider_key, mode,
           service_tier_key(service_tier) AS tier_key
    FROM query_table(usage_table)
),
family AS (  -- card rows naming the key's model (exact or pattern) and provider, any mode or tier
    SELECT k.model AS k_model, k.provider_key AS k_provider, k.mode AS k_mode, k.tier_key AS k_tier, c.*
    FROM keys k JOIN card c
      ON (c.model = k.model OR (c.is_pattern AND k.model GLOB c.model))
     AND c.provider_key IN ('', k.provider_key)
),
candidates AS (
    SELECT f.*, s.step,
           CASE WHEN s.step = 3 THEN CAST(batch_discount AS DECIMAL(7, 6)) ELSE CAST(1 AS DECIMAL(7, 6)) END AS factor
    FROM family f
    JOIN (VALUES (1), (2), (3)) s(step)
      ON (s.step = 1 AND f.mode = f.k_mode AND f.tier_key = f.k_tier)
      OR (s.step = 2 AND f.k_tier IN ('flex', 'batch') AND f.mode = 'batch' AND f.tier_key = '')
      OR (s.step = 3 AND (f.k_mode = 'batch' OR f.k_tier IN ('flex', 'batch'))
                     AND f.mode = 'serverless' AND f.tier_key = '')
),
key_state AS (  -- why a key's requests may be unpriced, before looking at time and input size
    SELECT k.model, k.provider_key, k.mode, k.tier_key,
           CASE
               WHEN NOT EXISTS (SELECT 1 FROM family f WHERE f.k_model = k.model AND f.k_provider = k.provider_key)
                   THEN 'no rate for this model'
               WHEN NOT EXISTS (SELECT 1 FROM candidates c WHERE c.k_model = k.model AND c.k_provider = k.provider_key
                                AND c.k_mode = k.mode AND c.k_tier = k.tier_key)
                   THEN CASE WHEN k.tier_key NOT IN ('', 'flex', 'batch')
                             THEN 'no rate for service tier ''' || k.tier_key || ''' (only flex falls back to the batch rate)'
                             WHEN k.mode = 'batch' OR k.tier_key IN ('flex', 'batch')
                             THEN 'no batch rate and no serverless rate to discount'
                             ELSE 'no ' || k.mode || ' rate' END
               ELSE 'no rate in force at the request time'
           END AS reason
    FROM keys k
),
time_points AS (
    SELECT k_model, k_provider, k_mode, k_tier, t_from AS t FROM candidates
    UNION SELECT k_model, k_provider, k_mode, k_tier, t_to FROM candidates
    UNION SELECT model, provider_key, mode, tier_key, TIMESTAMPTZ '-infinity' FROM keys
),
time_ranges AS (
    SELECT * FROM (
        SELECT k_model, k_provider, k_mode, k_tier, t AS t_lo,
               coalesce(lead(t) OVER (PARTITION BY k_model, k_provider, k_mode, k_tier ORDER BY t),
                        TIMESTAMPTZ 'infinity') AS t_hi
        FROM time_points
    ) WHERE t_lo < t_hi
),
input_points AS (
    SELECT k_model, k_provider, k_mode, k_tier, above AS lo FROM candidates
    UNION SELECT model, provider_key, mode, tier_key, -1 FROM keys
),
input_ranges AS (
    SELECT k_model, k_provider, k_mode, k_tier, lo,
           coalesce(lead(lo) OVER (PARTITION BY k_model, k_provider, k_mode, k_tier ORDER BY lo),
                    9223372036854775807) AS hi
    FROM input_points
),
cells AS (  -- one row per key, time range and input range: its winning card row, if any
    SELECT t.k_model, t.k_provider, t.k_mode, t.k_tier, t.t_lo, t.t_hi, i.lo, i.hi,
           c.card_line, c.factor, c.step IS NOT NULL AS matched, c.step, c.is_pattern,
           c.model AS rate_model, c.provider AS rate_provider,
           c.input_per_mtok, c.output_per_mtok, c.cached_input_per_mtok, c.cache_write_per_mtok,
           c.cache_write_1h_per_mtok, c.audio_input_per_mtok, c.audio_output_per_mtok,
           c.image_input_per_mtok, c.image_output_per_mtok, c.per_request, c.web_search_per_k
    FROM time_ranges t
    JOIN input_ranges i USING (k_model, k_provider, k_mode, k_tier)
    LEFT JOIN candidates c
      ON c.k_model = t.k_model AND c.k_provider = t.k_provider AND c.k_mode = t.k_mode AND c.k_tier = t.k_tier
     AND c.t_from <= t.t_lo AND c.t_to >= t.t_hi AND c.above <= i.lo
    QUALIFY row_number() OVER (
        PARTITION BY t.k_model, t.k_provider, t.k_mode, t.k_tier, t.t_lo, i.lo
        ORDER BY c.step, c.provider_key = '', c.is_pattern, length(c.model) DESC, c.model, c.above DESC) = 1
),
rated AS (
    SELECT c.k_model, c.k_provider, c.k_mode, c.k_tier, c.t_lo, c.t_hi, c.lo, c.hi, c.matched, c.card_line,
           CASE WHEN NOT c.matched THEN s.reason END AS reason, c.rate_model, c.rate_provider,
           CASE c.step WHEN 1 THEN 'own row' WHEN 2 THEN 'batch row (tier without its own row)'
                       WHEN 3 THEN 'serverless row x batch discount' END
           || CASE WHEN c.is_pattern THEN ', pattern' WHEN c.matched THEN ', exact name' ELSE '' END AS rule,
           CAST(c.input_per_mtok * c.factor AS DECIMAL(24, 12)) AS input_rate,
           CAST(coalesce(c.cached_input_per_mtok, c.input_per_mtok) * c.factor AS DECIMAL(24, 12)) AS cached_input_rate,
           CAST(coalesce(c.cache_write_per_mtok, c.input_per_mtok) * c.factor AS DECIMAL(24, 12)) AS cache_write_rate,
           CAST(coalesce(c.cache_write_1h_per_mtok, c.cache_write_per_mtok, c.input_per_mtok) * c.factor AS DECIMAL(24, 12)) AS cache_write_1h_rate,
           CAST(coalesce(c.audio_input_per_mtok, c.input_per_mtok) * c.factor AS DECIMAL(24, 12)) AS audio_input_rate,
           CAST(coalesce(c.audio_output_per_mtok, c.output_per_mtok) * c.factor AS DECIMAL(24, 12)) AS audio_output_rate,
           CAST(coalesce(c.image_input_per_mtok, c.input_per_mtok) * c.factor AS DECIMAL(24, 12)) AS image_input_rate,
           CAST(coalesce(c.image_output_per_mtok, c.output_per_mtok) * c.factor AS DECIMAL(24, 12)) AS image_output_rate,
           CAST(c.output_per_mtok * c.factor AS DECIMAL(24, 12)) AS output_rate,
           CAST(CASE WHEN c.matched THEN coalesce(c.per_request, 0) END AS DECIMAL(24, 12)) AS request_fee,
           CAST(c.web_search_per_k AS DECIMAL(24, 12)) AS web_search_rate
    FROM cells c
    JOIN key_state s
      ON s.model = c.k_model AND s.provider_key = c.k_provider AND s.mode = c.k_mode AND s.tier_key = c.k_tier
)
SELECT k_model AS model, k_provider AS provider, k_mode AS mode, k_tier AS service_tier,
       t_lo, t_hi, lo AS input_above, hi AS input_upto, matched AS priced, reason AS unpriced_reason,
       card_line AS rate_card_line, rate_model, rate_provider, rule,
       input_rate, cached_input_rate, cache_write_rate, cache_write_1h_rate, audio_input_rate, audio_output_rate,
       image_input_rate, image_output_rate, output_rate, request_fee, web_search_rate
FROM rated;

-- rate_usage: every usage row with the rates that apply to it (per 1M tokens; request_fee in USD a
-- request, web_search_rate per 1,000 calls), priced, unpriced_reason and rate_card_line.
CREATE OR REPLACE MACRO rate_usage(usage_table, rates_table, batch_discount) AS TABLE
SELECT u.*, coalesce(r.priced, false) AND (u.web_search_requests = 0 OR r.web_search_rate IS NOT NULL) AS priced,
       CASE WHEN NOT coalesce(r.priced, false) THEN coalesce(r.unpriced_reason, 'no rate for this model')
            WHEN u.web_search_requests > 0 AND r.web_search_rate IS NULL
            THEN 'web_search_requests without a web_search_per_k rate' END AS unpriced_reason,
       r.rate_card_line,
       r.input_rate, r.cached_input_rate, r.cache_write_rate, r.cache_write_1h_rate, r.audio_input_rate,
       r.audio_output_rate, r.image_input_rate, r.image_output_rate, r.output_rate, r.request_fee, r.web_search_rate
FROM query_table(usage_table) u
LEFT JOIN rate_cells(usage_table, rates_table, batch_discount) r
  ON r.model = u.model AND r.provider = coalesce(u.provider, '') AND r.mode = u.mode
 AND r.service_tier = service_tier_key(u.service_tier)
 AND u.ts >= r.t_lo AND u.ts < r.t_hi AND u.input_tokens > r.input_above AND u.input_tokens <= r.input_upto;

-- price_usage: rate_usage's rows with the cost of each part; cost is their exact sum. A row in a
-- capacity mode (dedicated, gpu_cluster) that a capacity serves (its model, mode and UTC month;
-- queries/views/005_capacity.sql, allocated over the same usage relation) costs its share of the
-- capacity's spend instead: floor(spend x its tokens / max(capacity_tokens, tokens served)) in
-- 10^-18 USD units, plus the remainder on the one row that carries it; its part costs and
-- rate_card_line are NULL (a share is not made of token parts). A capacity-mode row no capacity
-- serves is priced by a card row of its own mode if there is one, else it is unpriced with the
-- reason "no capacity ..." (cost NULL, never 0).
CREATE OR REPLACE MACRO price_usage(usage_table, rates_table, batch_discount) AS TABLE
WITH costed AS (
    -- A part with no tokens costs 0 without a multiplication (most rows have no 1-hour writes,
    -- audio, images or web searches; DECIMAL(38, 18) products are what a large report spends on).
    SELECT
        * EXCLUDE (input_rate, cached_input_rate, cache_write_rate, cache_write_1h_rate, audio_input_rate,
                   audio_output_rate, image_input_rate, image_output_rate, output_rate, request_fee,
                   web_search_rate, priced, unpriced_reason, rate_card_line),
        CAST(CASE WHEN priced THEN (input_tokens - cached_input_tokens - cache_write_tokens
                                    - audio_input_tokens - image_input_tokens) * input_rate * 0.000001 END AS DECIMAL(38, 18)) AS input_cost,
        CAST(CASE WHEN NOT priced THEN NULL WHEN cached_input_tokens = 0 THEN 0
                  ELSE cached_input_tokens * cached_input_rate * 0.000001 END AS DECIMAL(38, 18)) AS cached_input_cost,
        CAST(CASE WHEN NOT priced THEN NULL WHEN cache_write_tokens = cache_write_1h_tokens THEN 0
                  ELSE (cache_write_tokens - cache_write_1h_tokens) * cache_write_rate * 0.000001 END AS DECIMAL(38, 18)) AS cache_write_cost,
        CAST(CASE WHEN NOT priced THEN NULL WHEN cache_write_1h_tokens = 0 THEN 0
                  ELSE cache_write_1h_tokens * cache_write_1h_rate * 0.000001 END AS DECIMAL(38, 18)) AS cache_write_1h_cost,
        CAST(CASE WHEN NOT priced THEN NULL WHEN audio_input_tokens = 0 AND audio_output_tokens = 0 THEN 0
                  ELSE audio_input_tokens * audio_input_rate * 0.000001
                       + audio_output_tokens * audio_output_rate * 0.000001 END AS DECIMAL(38, 18)) AS audio_cost,
        CAST(CASE WHEN NOT priced THEN NULL WHEN image_input_tokens = 0 AND image_output_tokens = 0 THEN 0
                  ELSE image_input_tokens * image_input_rate * 0.000001
                       + image_output_tokens * image_output_rate * 0.000001 END AS DECIMAL(38, 18)) AS image_cost,
        CAST(CASE WHEN priced THEN (output_tokens - audio_output_tokens - image_output_tokens) * output_rate * 0.000001 END AS DECIMAL(38, 18)) AS output_cost,
        CAST(CASE WHEN NOT priced THEN NULL WHEN request_fee = 0 THEN 0
                  ELSE requests * request_fee END AS DECIMAL(38, 18)) AS request_fee_cost,
        CAST(CASE WHEN NOT priced THEN NULL WHEN web_search_requests = 0 THEN 0
                  ELSE web_search_requests * web_search_rate * 0.001 END AS DECIMAL(38, 18)) AS web_search_cost,
        priced, unpriced_reason, rate_card_line
    FROM rate_usage(usage_table, rates_table, batch_discount)
),
capacity_models AS (  -- one row per capacity, month and model it serves (a handful)
    SELECT kind, unnest(models) AS model, month_start, month_end, units, tokens AS served, divisor,
           remainder_row, remainder_units
    FROM capacity_terms_of(usage_table)
)
SELECT
    c.* EXCLUDE (priced, unpriced_reason, rate_card_line) REPLACE (
        CASE WHEN t.kind IS NULL THEN c.input_cost END AS input_cost,
        CASE WHEN t.kind IS NULL THEN c.cached_input_cost END AS cached_input_cost,
        CASE WHEN t.kind IS NULL THEN c.cache_write_cost END AS cache_write_cost,
        CASE WHEN t.kind IS NULL THEN c.cache_write_1h_cost END AS cache_write_1h_cost,
        CASE WHEN t.kind IS NULL THEN c.audio_cost END AS audio_cost,
        CASE WHEN t.kind IS NULL THEN c.image_cost END AS image_cost,
        CASE WHEN t.kind IS NULL THEN c.output_cost END AS output_cost,
        CASE WHEN t.kind IS NULL THEN c.request_fee_cost END AS request_fee_cost,
        CASE WHEN t.kind IS NULL THEN c.web_search_cost END AS web_search_cost),
    CASE WHEN t.kind IS NULL
         THEN CAST(c.input_cost + c.cached_input_cost + c.cache_write_cost + c.cache_write_1h_cost + c.audio_cost
                   + c.image_cost + c.output_cost + c.request_fee_cost + c.web_search_cost AS DECIMAL(38, 18))
         ELSE CAST(CAST(
             CASE WHEN t.served = 0 THEN 0 ELSE (t.units * (c.input_tokens + c.output_tokens)) // t.divisor END
             + CASE WHEN t.remainder_row IS NOT DISTINCT FROM
                         {'request_id': c.request_id, 'source_file': c.source_file, 'source_line': c.source_line}
                    THEN t.remainder_units ELSE 0 END
             AS DECIMAL(38, 0)) * CAST(0.000000000000000001 AS DECIMAL(18, 18)) AS DECIMAL(38, 18))
    END AS cost,
    c.priced OR t.kind IS NOT NULL AS priced,
    CASE WHEN t.kind IS NOT NULL THEN NULL
         WHEN NOT c.priced AND c.mode IN ('dedicated', 'gpu_cluster')
         THEN 'no capacity: no ' || c.mode || ' capacity or rate for this model in this month'
         ELSE c.unpriced_reason END AS unpriced_reason,
    CASE WHEN t.kind IS NULL THEN c.rate_card_line END AS rate_card_line
FROM costed c
LEFT JOIN capacity_models t
  ON c.mode = t.kind AND c.model = t.model AND c.ts >= t.month_start AND c.ts < t.month_end;

-- priced_usage_current: the store's usage priced by the store's current rates, every month
-- (closed ones too). priced_usage (012_closed_months.sql) is this view with the frozen rows of
-- closed months in place of their current pricing.
CREATE OR REPLACE VIEW priced_usage_current AS
SELECT * FROM price_usage('usage', 'rates', store_batch_discount());
