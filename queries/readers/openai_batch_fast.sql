-- name: openai_batch_fast_columns
-- The columns DuckDB's read_json parses a batch output line into on the fast path (the
-- attribution keys are added by fastpath.py): the fields normalise_openai_batch reads, with the
-- body's usage as one struct holding both conventions' fields (Chat Completions and Responses),
-- so spend_chat_tokens and spend_responses_tokens read it as they read their own shapes. The
-- status code is text (normalise_openai_batch's BIGINT reading of odd values is left to it).
SELECT 'VARCHAR' AS id, 'VARCHAR' AS custom_id, 'JSON' AS error, 'JSON' AS created,
       'STRUCT(status_code VARCHAR, request_id VARCHAR, body STRUCT(id VARCHAR, created VARCHAR, '
       || 'created_at VARCHAR, model VARCHAR, service_tier VARCHAR, error JSON, usage '
       || typeof(json_transform('{}', json_merge_patch(spend_chat_usage_shape(), spend_responses_usage_shape())))
       || '))' AS response;

-- name: normalise_openai_batch_fast
-- normalise_openai_batch over the parsed rows (fast_parsed), for the rows it prices as they are:
-- no `error`, a response with a status under 400 (or none) and no body error, an id (the body's
-- or the response's request_id), usage in either convention with integer counts. Every other row
-- gets a reason and is read again from its raw line by normalise_openai_batch (failed and
-- expired requests are rejects worded from the raw line). The time falls back on a top-level
-- `created` as stage_usage does from `doc`. Attribution comes as `found` (spend_fast_found).
WITH usage AS (
    SELECT rowid - $first_rowid + 1 AS source_line, *, response.body AS b,
           spend_chat_tokens(response.body.usage, 'response.body.usage.') AS tc,
           spend_responses_tokens(response.body.usage, 'response.body.usage.') AS tr
    FROM fast_parsed
),
tokens AS (
    SELECT *, CASE WHEN tc.has_usage THEN tc ELSE tr END AS t,
           coalesce(b.id, response.request_id) AS known_id
    FROM usage
)
SELECT
    source_line,
    CAST(NULL AS VARCHAR) AS raw,
    CASE WHEN response IS NULL OR error IS NOT NULL OR b.error IS NOT NULL OR known_id IS NULL
              OR NOT (response.status_code IS NULL OR regexp_full_match(response.status_code, '[1-3][0-9][0-9]'))
              OR NOT (tc.has_usage OR tr.has_usage) OR t.bad IS NOT NULL
         THEN 'read from the raw line' END AS reason,
    known_id AS request_id,
    coalesce(spend_time(coalesce(b.created, b.created_at)), spend_time(json_extract_string(created, '$'))) AS ts,
    b.model AS model,
    $default_mode AS mode,
    $provider AS provider,
    CAST(1 AS BIGINT) AS requests,
    unnest(t.tokens),
    b.service_tier AS service_tier,
    CAST(NULL AS VARCHAR) AS doc,
    json_object('custom_id', custom_id, 'batch_request_id', id, 'request_id', response.request_id) AS attributes,
    spend_fast_found(metadata, request, "user", team_id, end_user, project_id, api_key_id, $root_paths) AS found
FROM tokens
