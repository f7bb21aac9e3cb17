-- name: normalise_openai_costs
-- OpenAI organization Costs API pages: billed amounts, NOT usage. Records are buckets
-- {start_time, end_time, results: [...]} or bare result objects; one row per result:
-- amount.value (exact decimal from the JSON text), currency upper-cased, line_item, project_id,
-- api_key_id, quantity, quantity_unit. Identity: cost:<bucket start>|<group keys>.
WITH results AS (SELECT * FROM staged_bucket_results),
parsed AS (
    SELECT *, CASE WHEN is_object AND json_type(result_raw) = 'OBJECT' THEN result_raw END AS object_raw
    FROM results
),
fields AS (
    SELECT *, json_extract_string(object_raw, ['$.object', '$.amount.value', '$.amount.currency', '$.line_item',
        '$.project_id', '$.api_key_id', '$.quantity', '$.quantity_unit', '$.organization_id']) AS f
    FROM parsed
)
SELECT
    source_line,
    result_raw AS raw,
    CASE
        WHEN NOT is_json THEN 'not JSON'
        WHEN object_raw IS NULL THEN 'not a JSON object'
        WHEN f[2] IS NULL THEN 'no amount'
        WHEN TRY_CAST(f[2] AS DECIMAL(38, 18)) IS NULL THEN 'amount is not a number'
    END AS reason,
    CASE WHEN start_time IS NULL THEN 'sha:' || md5(result_raw)
         ELSE concat_ws('|', 'cost:' || start_time, coalesce(f[4], ''), coalesce(f[5], ''), coalesce(f[6], ''),
                        coalesce(upper(f[3]), '')) END AS cost_id,
    spend_time(start_time) AS start_time,
    spend_time(end_time) AS end_time,
    $provider AS provider,
    TRY_CAST(f[2] AS DECIMAL(38, 18)) AS amount,
    upper(f[3]) AS currency,
    f[4] AS line_item,
    f[5] AS project_id,
    f[6] AS api_key_id,
    TRY_CAST(f[7] AS DECIMAL(38, 9)) AS quantity,
    f[8] AS quantity_unit,
    CAST(object_raw AS JSON) AS attributes
FROM fields

-- name: stage_billed_costs
-- Checks over a billed-costs reader's rows (its query in the `@reader` slot) into the temp table
-- `staged` (same reject columns as stage_usage, so count_staged / insert_rejects serve both).
-- A row without time takes $default_time; staged_problems rows are rejects.
CREATE OR REPLACE TEMP TABLE staged AS
WITH reader_rows AS (
    -- @reader
),
normalised AS (
    SELECT * REPLACE (coalesce(start_time, CAST($default_time AS TIMESTAMPTZ)) AS start_time) FROM reader_rows
    UNION ALL BY NAME
    SELECT source_line, raw, reason FROM staged_problems
),
checked AS (
    SELECT *, coalesce(CASE WHEN starts_with(raw, $mark) THEN 'not UTF-8' END, reason,
                       CASE WHEN start_time IS NULL THEN 'no timestamp' END) AS why
    FROM normalised
)
SELECT source_line, why AS reason,
       CASE WHEN starts_with(raw, $mark) THEN substr(raw, length($mark) + 1) WHEN why IS NOT NULL THEN raw END AS raw,
       cost_id, start_time,
       end_time, provider, amount, currency, line_item, project_id, api_key_id, quantity, quantity_unit, attributes
FROM checked;

-- name: insert_new_billed_costs
-- Add staged billed amounts whose identity is new (first in the file, then not yet stored).
INSERT INTO billed_costs
SELECT s.cost_id, s.start_time, s.end_time, s.provider, s.amount, coalesce(s.currency, 'USD'), s.line_item,
       s.project_id, s.api_key_id, s.quantity, s.quantity_unit, $source_file, s.source_line, s.attributes, $run_id
FROM (
    SELECT * FROM staged WHERE reason IS NULL
    QUALIFY row_number() OVER (PARTITION BY cost_id ORDER BY source_line) = 1
) s
ANTI JOIN billed_costs b ON b.cost_id = s.cost_id;
