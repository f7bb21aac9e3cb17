-- name: normalise_generic_table
-- Any CSV or Parquet table, through the column mapping of the config ([columns]): for each
-- canonical column, $col_paths[$col_<name>_from : $col_<name>_to] are the source columns tried
-- in order (the first non-empty wins). Tokens in the canonical meaning (input includes cached and
-- cache-write tokens; output includes reasoning). Time: Unix s/ms or ISO 8601 (UTC without zone).
-- mode, when given, must be one of serverless, batch, dedicated, gpu_cluster; requests default
-- to 1. Identity: the request_id column, else a hash of the row. The whole row is kept in
-- attributes (and is the attribution doc, so [attribution] can name its columns).
WITH objects AS (SELECT * FROM staged_objects),
found AS (
    SELECT *, json_extract_string(object_raw, $col_paths) AS v FROM objects
),
picked AS (
    SELECT *,
        list_filter(v[$col_request_id_from:$col_request_id_to], lambda x: x <> '')[1] AS c_request_id,
        list_filter(v[$col_ts_from:$col_ts_to], lambda x: x <> '')[1] AS c_ts,
        list_filter(v[$col_model_from:$col_model_to], lambda x: x <> '')[1] AS c_model,
        lower(list_filter(v[$col_mode_from:$col_mode_to], lambda x: x <> '')[1]) AS c_mode,
        list_filter(v[$col_provider_from:$col_provider_to], lambda x: x <> '')[1] AS c_provider,
        list_filter(v[$col_requests_from:$col_requests_to], lambda x: x <> '')[1] AS c_requests,
        list_filter(v[$col_input_tokens_from:$col_input_tokens_to], lambda x: x <> '')[1] AS c_input,
        list_filter(v[$col_cached_input_tokens_from:$col_cached_input_tokens_to], lambda x: x <> '')[1] AS c_cached,
        list_filter(v[$col_cache_write_tokens_from:$col_cache_write_tokens_to], lambda x: x <> '')[1] AS c_write,
        list_filter(v[$col_output_tokens_from:$col_output_tokens_to], lambda x: x <> '')[1] AS c_output,
        list_filter(v[$col_reasoning_tokens_from:$col_reasoning_tokens_to], lambda x: x <> '')[1] AS c_reasoning
    FROM found
)
SELECT
    source_line,
    raw,
    CASE
        WHEN NOT is_json THEN 'not JSON'
        WHEN object_raw IS NULL THEN 'not a JSON object'
        WHEN c_input IS NULL AND c_output IS NULL THEN 'no usage (no input or output token column; see [columns] in the config)'
        WHEN bad IS NOT NULL THEN 'bad token count: ' || bad
        WHEN c_mode IS NOT NULL AND c_mode NOT IN ('serverless', 'batch', 'dedicated', 'gpu_cluster') THEN 'unknown mode ' || c_mode
    END AS reason,
    coalesce(c_request_id, 'sha:' || md5(raw)) AS request_id,
    spend_time(c_ts) AS ts,
    c_model AS model,
    coalesce(c_mode, $default_mode) AS mode,
    coalesce(c_provider, $provider) AS provider,
    coalesce(spend_token(c_requests), 1) AS requests,
    spend_part(c_input) AS input_tokens,
    spend_part(c_cached) AS cached_input_tokens,
    spend_part(c_write) AS cache_write_tokens,
    spend_part(c_output) AS output_tokens,
    spend_part(c_reasoning) AS reasoning_tokens,
    CAST(0 AS BIGINT) AS cache_write_1h_tokens, CAST(0 AS BIGINT) AS audio_input_tokens,
    CAST(0 AS BIGINT) AS audio_output_tokens, CAST(0 AS BIGINT) AS image_input_tokens,
    CAST(0 AS BIGINT) AS image_output_tokens, CAST(0 AS BIGINT) AS web_search_requests,
    CAST(NULL AS VARCHAR) AS service_tier,
    raw AS doc,
    CAST(object_raw AS JSON) AS attributes
FROM (
    -- a count cell that is no integer names the canonical column it was mapped to
    SELECT *, CASE
        WHEN spend_bad_token(c_requests) THEN 'requests'
        WHEN spend_bad_token(c_input) THEN 'input_tokens'
        WHEN spend_bad_token(c_cached) THEN 'cached_input_tokens'
        WHEN spend_bad_token(c_write) THEN 'cache_write_tokens'
        WHEN spend_bad_token(c_output) THEN 'output_tokens'
        WHEN spend_bad_token(c_reasoning) THEN 'reasoning_tokens'
    END AS bad
    FROM picked
)
