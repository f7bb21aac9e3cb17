-- Capacity allocation (README "Capacity"): a capacity's monthly spend is shared by the usage it
-- served. Current SQL, recreated at every write open (the capacities table is migration 005).
--
-- Which usage: rows whose mode is the capacity's kind (dedicated / gpu_cluster), whose model it
-- lists and whose time falls in its UTC month. Tokens served = input_tokens + output_tokens.
-- With capacity_tokens K and T tokens served, every token costs spend / max(K, T) and the rest of
-- the spend is idle (its own line); without K, spend / T (nothing idle). No usage: all idle.
--
-- Exactness (the remainder rule): amounts are computed in units of 10^-18 USD (HUGEINT, exact
-- integer division). Each usage row's share is floor(spend x tokens / max(K, T)) and the idle
-- amount floor(spend x (max(K, T) - T) / max(K, T)); what these floors leave (under 10^-18 USD
-- per row) is added to the usage row with the largest share (ties: the greatest request_id, then
-- the greatest source_file, source_line). Shares + idle = spend exactly, to the last digit.

-- The allocation is a pair of table macros over any usage-shaped relation (named by a string, as
-- price_usage takes it), so the pricing allocates over the relation it prices; the views below
-- are these over the store's usage.

-- capacity_usage_of: usage rows served by a capacity, with their identity (for the remainder) and
-- tokens served.
CREATE OR REPLACE MACRO capacity_usage_of(usage_table) AS TABLE
WITH served_models AS (
    SELECT name, kind, unnest(models) AS model,
           timezone('UTC', CAST(month AS TIMESTAMP)) AS month_start,
           timezone('UTC', CAST(month + INTERVAL 1 MONTH AS TIMESTAMP)) AS month_end
    FROM capacities
)
SELECT c.name, c.month_start, u.request_id, u.source_file, u.source_line,
       u.input_tokens + u.output_tokens AS tokens
FROM query_table(usage_table) u
JOIN served_models c ON u.mode = c.kind AND u.model = c.model
 AND u.ts >= c.month_start AND u.ts < c.month_end
WHERE u.mode IN ('dedicated', 'gpu_cluster');

CREATE OR REPLACE VIEW capacity_usage AS SELECT * FROM capacity_usage_of('usage');

-- capacity_terms_of: one row per capacity and month: spend in 10^-18 USD units, tokens served, the
-- divisor max(K, T), the idle units, and the remainder with the row that carries it.
CREATE OR REPLACE MACRO capacity_terms_of(usage_table) AS TABLE
WITH spend AS (
    SELECT name, kind, models, month, capacity_tokens, spend,
           timezone('UTC', CAST(month AS TIMESTAMP)) AS month_start,
           timezone('UTC', CAST(month + INTERVAL 1 MONTH AS TIMESTAMP)) AS month_end,
           CAST(trunc(spend) AS HUGEINT) * 1000000000000000000
             + CAST((spend - trunc(spend)) * 1000000000000000000 AS HUGEINT) AS units
    FROM capacities
),
served AS (
    SELECT name, month_start, CAST(sum(tokens) AS BIGINT) AS tokens FROM capacity_usage_of(usage_table) GROUP BY ALL
),
terms AS (
    SELECT s.*, coalesce(v.tokens, 0) AS tokens,
           greatest(coalesce(s.capacity_tokens, 0), coalesce(v.tokens, 0)) AS divisor
    FROM spend s LEFT JOIN served v USING (name, month_start)
),
floors AS (
    SELECT cu.name, cu.month_start,
           sum((t.units * cu.tokens) // t.divisor) AS shared_units,
           arg_max({'request_id': cu.request_id, 'source_file': cu.source_file, 'source_line': cu.source_line},
                   {'tokens': cu.tokens, 'request_id': cu.request_id, 'source_file': cu.source_file,
                    'source_line': cu.source_line}) AS remainder_row
    FROM capacity_usage_of(usage_table) cu JOIN terms t USING (name, month_start)
    WHERE t.tokens > 0
    GROUP BY ALL
),
idle AS (
    SELECT t.*, f.remainder_row, coalesce(f.shared_units, 0) AS shared_units,
           CASE WHEN t.tokens = 0 THEN t.units
                ELSE (t.units * (t.divisor - t.tokens)) // t.divisor END AS idle_units
    FROM terms t LEFT JOIN floors f USING (name, month_start)
)
SELECT *, CAST(units - idle_units - shared_units AS HUGEINT) AS remainder_units FROM idle;

CREATE OR REPLACE VIEW capacity_terms AS SELECT * FROM capacity_terms_of('usage');

-- Per capacity and month (docs/capacity.md): spend, tokens served, effective USD per 1M tokens served
-- (spend / (tokens / 1M)), utilisation (tokens / capacity_tokens; NULL without capacity_tokens,
-- above 1 when over capacity), idle_cost; plus models, capacity_tokens, allocated_cost (spend -
-- idle) and month_start. The two quotients are rounded half up at 18 decimal places.
-- capacity_costs_current is this at the current capacities, every month; capacity_costs
-- (012_closed_months.sql) is the same with a closed month's rows as frozen at its close.
CREATE OR REPLACE VIEW capacity_costs_current AS
SELECT name, kind, strftime(month, '%Y-%m') AS month, spend, tokens,
       CASE WHEN tokens > 0 THEN CAST(CAST((units * 2000000 + tokens) // (2 * tokens) AS DECIMAL(38, 0))
                                      * CAST(0.000000000000000001 AS DECIMAL(18, 18)) AS DECIMAL(38, 18)) END
           AS effective_per_mtok,
       CASE WHEN capacity_tokens IS NOT NULL
            THEN CAST(CAST((CAST(tokens AS HUGEINT) * 2000000000000000000 + capacity_tokens) // (2 * capacity_tokens)
                           AS DECIMAL(38, 0)) * CAST(0.000000000000000001 AS DECIMAL(18, 18)) AS DECIMAL(38, 18)) END
           AS utilisation,
       CAST(CAST(idle_units AS DECIMAL(38, 0)) * CAST(0.000000000000000001 AS DECIMAL(18, 18)) AS DECIMAL(38, 18))
           AS idle_cost,
       array_to_string(models, ';') AS models, capacity_tokens,
       CAST(CAST(units - idle_units AS DECIMAL(38, 0)) * CAST(0.000000000000000001 AS DECIMAL(18, 18)) AS DECIMAL(38, 18))
           AS allocated_cost,
       month_start
FROM capacity_terms;

-- Usage with the capacity that served it and the row's exact share (NULL when no capacity
-- serves it): the input of priced_usage, whose cost of such rows is this share.
CREATE OR REPLACE VIEW usage_capacity_shares AS
WITH model_terms AS (
    SELECT name, kind, unnest(models) AS model, month_start, month_end, units, tokens AS served,
           divisor, remainder_row, remainder_units
    FROM capacity_terms
)
SELECT u.*, t.name AS capacity_name,
       CASE WHEN t.name IS NOT NULL THEN CAST(CAST(
           CASE WHEN t.served = 0 THEN 0 ELSE (t.units * (u.input_tokens + u.output_tokens)) // t.divisor END
           + CASE WHEN t.remainder_row IS NOT DISTINCT FROM {'request_id': u.request_id, 'source_file': u.source_file,
                                          'source_line': u.source_line}
                  THEN t.remainder_units ELSE 0 END
           AS DECIMAL(38, 0)) * CAST(0.000000000000000001 AS DECIMAL(18, 18)) AS DECIMAL(38, 18)) END
           AS capacity_share
FROM usage u
LEFT JOIN model_terms t ON u.mode = t.kind AND u.model = t.model
 AND u.ts >= t.month_start AND u.ts < t.month_end;
