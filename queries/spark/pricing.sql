-- The pricing rule on Spark (README "When one machine is not enough"). Split where the work is:
--   * the card resolution (rate_cells of queries/views/010_pricing.sql: keys x card rows, small
--     whatever the usage) runs unchanged in DuckDB on the driver, over the distinct
--     (model, provider, mode, tier) keys Spark finds in the usage and the lake's rates;
--   * the per-row join and the cost arithmetic, which read every usage row, run on Spark
--     (priced_usage_current__spark).
-- Why a Spark variant and not a transpiled query: price_usage is a DuckDB table macro over
-- relations named by strings (query_table), with `* EXCLUDE / REPLACE`, infinite timestamps and
-- GLOB, none of which Spark SQL has. The arithmetic below is price_usage's, term for term: a
-- change there must be made here too (tests/test_spark.py compares every report on both engines).

-- name: spark_usage_keys
-- The usage's (model, provider, mode, service tier) keys: the input of rate_cells (which reads
-- only these four columns). DuckDB dialect, transpiled.
SELECT DISTINCT model, provider, mode, service_tier FROM usage;

-- name: spark_card_from_lake
-- (DuckDB, on the driver's in-memory store) the lake's rates and settings, as Spark read them
-- (Arrow tables lake_rates, lake_settings), and the usage keys (lake_keys) as spark_keys.
INSERT INTO rates BY NAME SELECT * FROM lake_rates;
INSERT OR REPLACE INTO settings BY NAME SELECT * FROM lake_settings;
CREATE TEMP TABLE spark_keys AS SELECT * FROM lake_keys;

-- name: spark_rate_cells
-- (DuckDB, on the driver) rate_cells over the keys (temp table spark_keys) and the rates with the
-- batch discount $discount (price_usage's third argument, evaluated on Spark), with the open ends
-- of time as NULL (Spark has no infinite timestamps).
SELECT * REPLACE (CASE WHEN isfinite(t_lo) THEN t_lo END AS t_lo, CASE WHEN isfinite(t_hi) THEN t_hi END AS t_hi)
FROM rate_cells('spark_keys', 'rates', CAST($discount AS DECIMAL(7, 6)));

-- name: priced_usage_current__spark
-- (Spark SQL) rate_usage and price_usage over the lake's usage and the resolved cells
-- (rate_cells_resolved, broadcast: a handful of rows per key). Both names are a relation's, as
-- price_usage's arguments are: analyzer/sparkpricing.price_relation renames them in the syntax
-- tree to price any usage-shaped view (a what-if's) with its own cells. Capacity allocation is not here:
-- a lake with capacities is refused on Spark (analyzer/sparkpricing.py).
WITH rated AS (
    SELECT /*+ BROADCAST(r) */ u.*,
           coalesce(r.priced, false) AND (u.web_search_requests = 0 OR r.web_search_rate IS NOT NULL) AS priced,
           CASE WHEN NOT coalesce(r.priced, false) THEN coalesce(r.unpriced_reason, 'no rate for this model')
                WHEN u.web_search_requests > 0 AND r.web_search_rate IS NULL
                THEN 'web_search_requests without a web_search_per_k rate' END AS unpriced_reason,
           r.rate_card_line,
           r.input_rate AS r_input, r.cached_input_rate AS r_cached, r.cache_write_rate AS r_write,
           r.cache_write_1h_rate AS r_write_1h, r.audio_input_rate AS r_audio_in, r.audio_output_rate AS r_audio_out,
           r.image_input_rate AS r_image_in, r.image_output_rate AS r_image_out, r.output_rate AS r_output,
           r.request_fee AS r_fee, r.web_search_rate AS r_search
    FROM usage u
    LEFT JOIN rate_cells_resolved r
      ON r.model = u.model AND r.provider = coalesce(u.provider, '') AND r.mode = u.mode
     AND r.service_tier = CASE WHEN u.service_tier IS NULL
                                 OR lower(trim(u.service_tier)) IN ('', 'default', 'standard', 'auto') THEN ''
                               ELSE lower(trim(u.service_tier)) END
     AND (r.t_lo IS NULL OR u.ts >= r.t_lo) AND (r.t_hi IS NULL OR u.ts < r.t_hi)
     AND u.input_tokens > r.input_above AND u.input_tokens <= r.input_upto
),
costed AS (
    SELECT * EXCEPT (r_input, r_cached, r_write, r_write_1h, r_audio_in, r_audio_out, r_image_in, r_image_out,
                     r_output, r_fee, r_search, priced, unpriced_reason, rate_card_line),
        CAST(CASE WHEN priced THEN (input_tokens - cached_input_tokens - cache_write_tokens
                                    - audio_input_tokens - image_input_tokens) * r_input * 0.000001 END AS DECIMAL(38, 18)) AS input_cost,
        CAST(CASE WHEN NOT priced THEN NULL WHEN cached_input_tokens = 0 THEN 0
                  ELSE cached_input_tokens * r_cached * 0.000001 END AS DECIMAL(38, 18)) AS cached_input_cost,
        CAST(CASE WHEN NOT priced THEN NULL WHEN cache_write_tokens = cache_write_1h_tokens THEN 0
                  ELSE (cache_write_tokens - cache_write_1h_tokens) * r_write * 0.000001 END AS DECIMAL(38, 18)) AS cache_write_cost,
        CAST(CASE WHEN NOT priced THEN NULL WHEN cache_write_1h_tokens = 0 THEN 0
                  ELSE cache_write_1h_tokens * r_write_1h * 0.000001 END AS DECIMAL(38, 18)) AS cache_write_1h_cost,
        CAST(CASE WHEN NOT priced THEN NULL WHEN audio_input_tokens = 0 AND audio_output_tokens = 0 THEN 0
                  ELSE audio_input_tokens * r_audio_in * 0.000001
                       + audio_output_tokens * r_audio_out * 0.000001 END AS DECIMAL(38, 18)) AS audio_cost,
        CAST(CASE WHEN NOT priced THEN NULL WHEN image_input_tokens = 0 AND image_output_tokens = 0 THEN 0
                  ELSE image_input_tokens * r_image_in * 0.000001
                       + image_output_tokens * r_image_out * 0.000001 END AS DECIMAL(38, 18)) AS image_cost,
        CAST(CASE WHEN priced THEN (output_tokens - audio_output_tokens - image_output_tokens) * r_output * 0.000001 END AS DECIMAL(38, 18)) AS output_cost,
        CAST(CASE WHEN NOT priced THEN NULL WHEN r_fee = 0 THEN 0
                  ELSE requests * r_fee END AS DECIMAL(38, 18)) AS request_fee_cost,
        CAST(CASE WHEN NOT priced THEN NULL WHEN web_search_requests = 0 THEN 0
                  ELSE web_search_requests * r_search * 0.001 END AS DECIMAL(38, 18)) AS web_search_cost,
        priced, unpriced_reason, rate_card_line
    FROM rated
)
SELECT * EXCEPT (priced, unpriced_reason, rate_card_line),
       CAST(input_cost + cached_input_cost + cache_write_cost + cache_write_1h_cost + audio_cost
            + image_cost + output_cost + request_fee_cost + web_search_cost AS DECIMAL(38, 18)) AS cost,
       priced,
       CASE WHEN NOT priced AND mode IN ('dedicated', 'gpu_cluster')
            THEN 'no capacity: no ' || mode || ' capacity or rate for this model in this month'
            ELSE unpriced_reason END AS unpriced_reason,
       rate_card_line
FROM costed;

-- name: capacity_costs__spark
-- (Spark SQL) capacity_costs with its columns and types and no rows: capacity allocation does not
-- run on Spark yet, and a lake with capacities is refused, so there is nothing to allocate.
SELECT CAST(NULL AS STRING) AS name, CAST(NULL AS STRING) AS kind, CAST(NULL AS STRING) AS month,
       CAST(NULL AS DECIMAL(38, 18)) AS spend, CAST(NULL AS BIGINT) AS tokens,
       CAST(NULL AS DECIMAL(38, 18)) AS effective_per_mtok, CAST(NULL AS DECIMAL(38, 18)) AS utilisation,
       CAST(NULL AS DECIMAL(38, 18)) AS idle_cost, CAST(NULL AS STRING) AS models, CAST(NULL AS BIGINT) AS capacity_tokens,
       CAST(NULL AS DECIMAL(38, 18)) AS allocated_cost, CAST(NULL AS TIMESTAMP) AS month_start
WHERE false;
