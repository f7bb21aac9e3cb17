-- name: normalise_anthropic
-- Anthropic Messages responses (`type` "message"; JSONL or a JSON document), in the Anthropic
-- convention (spend_anthropic_tokens, usage_conventions.sql): input_tokens EXCLUDES cache reads
-- and writes, which are added to the canonical input; cached = cache reads; cache write = cache
-- creation (its 5m / 1h split kept in attributes.cache_creation, with service_tier and
-- inference_geo). Output includes thinking (output_tokens_details.thinking_tokens = reasoning).
-- A message carries no time: `created_at` / `timestamp` if a log added one, else the ingest's
-- --default-time, else a reject "no timestamp". Identity: the message id.
WITH objects AS (SELECT * FROM staged_objects),
parsed AS (
    SELECT source_line, raw, is_json, object_raw,
        json_transform(object_raw, '{"id": "VARCHAR", "model": "VARCHAR", "created_at": "VARCHAR",
            "timestamp": "VARCHAR", "usage": ' || spend_anthropic_usage_shape() || '}') AS r
    FROM objects
),
tokens AS (
    SELECT *, spend_anthropic_tokens(r.usage, 'usage.') AS t FROM parsed
)
SELECT
    source_line,
    raw,
    CASE
        WHEN NOT is_json THEN 'not JSON'
        WHEN object_raw IS NULL THEN 'not a JSON object'
        WHEN NOT t.has_usage THEN 'no usage'
        WHEN t.bad IS NOT NULL THEN 'bad token count: ' || t.bad
    END AS reason,
    coalesce(r.id, 'sha:' || md5(raw)) AS request_id,
    spend_time(coalesce(r.created_at, r.timestamp)) AS ts,
    r.model AS model,
    $default_mode AS mode,
    $provider AS provider,
    CAST(1 AS BIGINT) AS requests,
    unnest(t.tokens),
    r.usage.service_tier AS service_tier,
    raw AS doc,
    json_object('cache_creation', r.usage.cache_creation, 'service_tier', r.usage.service_tier,
                'inference_geo', r.usage.inference_geo) AS attributes
FROM tokens

-- name: normalise_anthropic_stream
-- Anthropic Messages stream captures (SSE events). A stream starts at each `message_start`
-- (id, model, first usage) and its usage is cumulative: each token field is its last value in
-- the stream (message_delta usage, else message_start's). A stream without a message_delta is
-- a reject "no usage: stream cut" holding all its events. Token meanings as normalise_anthropic.
WITH objects AS (SELECT * FROM staged_objects),
parsed AS (
    SELECT source_line, raw, is_json, object_raw,
        json_transform(object_raw, '{"type": "VARCHAR", "message": {"id": "VARCHAR", "model": "VARCHAR", "usage": '
            || spend_anthropic_usage_shape() || '}, "usage": ' || spend_anthropic_usage_shape() || '}') AS e
    FROM objects
),
events AS (
    SELECT *,
        sum(CASE WHEN e.type = 'message_start' THEN 1 ELSE 0 END) OVER (ORDER BY source_line ROWS UNBOUNDED PRECEDING) AS stream,
        CASE WHEN e.type = 'message_start' THEN e.message.usage ELSE e.usage END AS u
    FROM parsed WHERE object_raw IS NOT NULL
),
streams AS (
    SELECT
        stream,
        min(source_line) FILTER (WHERE e.type = 'message_start') AS start_line,
        min(source_line) AS first_line,
        any_value(e.message.id) FILTER (WHERE e.type = 'message_start') AS id,
        any_value(e.message.model) FILTER (WHERE e.type = 'message_start') AS model,
        any_value(object_raw) FILTER (WHERE e.type = 'message_start') AS start_raw,
        bool_or(e.type = 'message_delta' AND e.usage IS NOT NULL) AS has_final,
        arg_max(u.input_tokens, source_line) FILTER (WHERE u.input_tokens IS NOT NULL) AS input_tokens,
        arg_max(u.output_tokens, source_line) FILTER (WHERE u.output_tokens IS NOT NULL) AS output_tokens,
        arg_max(u.cache_read_input_tokens, source_line) FILTER (WHERE u.cache_read_input_tokens IS NOT NULL) AS cache_read,
        arg_max(u.cache_creation_input_tokens, source_line) FILTER (WHERE u.cache_creation_input_tokens IS NOT NULL) AS cache_creation,
        arg_max(u.cache_creation, source_line) FILTER (WHERE u.cache_creation IS NOT NULL) AS cache_split,
        arg_max(u.service_tier, source_line) FILTER (WHERE u.service_tier IS NOT NULL) AS service_tier,
        arg_max(u.inference_geo, source_line) FILTER (WHERE u.inference_geo IS NOT NULL) AS inference_geo,
        arg_max(u.server_tool_use.web_search_requests, source_line)
            FILTER (WHERE u.server_tool_use.web_search_requests IS NOT NULL) AS web_searches,
        arg_max(u.output_tokens_details.thinking_tokens, source_line)
            FILTER (WHERE u.output_tokens_details.thinking_tokens IS NOT NULL) AS thinking,
        string_agg(raw, E'\n' ORDER BY source_line) AS all_raw
    FROM events
    WHERE e.type IS DISTINCT FROM 'ping'
    GROUP BY stream
)
SELECT
    source_line, raw,
    CASE WHEN NOT is_json THEN 'not JSON' ELSE 'not a JSON object' END AS reason,
    'sha:' || md5(raw) AS request_id, CAST(NULL AS TIMESTAMPTZ) AS ts, CAST(NULL AS VARCHAR) AS model,
    $default_mode AS mode, $provider AS provider, CAST(1 AS BIGINT) AS requests,
    CAST(0 AS BIGINT) AS input_tokens, CAST(0 AS BIGINT) AS cached_input_tokens, CAST(0 AS BIGINT) AS cache_write_tokens,
    CAST(0 AS BIGINT) AS output_tokens, CAST(0 AS BIGINT) AS reasoning_tokens,
    CAST(0 AS BIGINT) AS cache_write_1h_tokens, CAST(0 AS BIGINT) AS audio_input_tokens,
    CAST(0 AS BIGINT) AS audio_output_tokens, CAST(0 AS BIGINT) AS image_input_tokens,
    CAST(0 AS BIGINT) AS image_output_tokens, CAST(0 AS BIGINT) AS web_search_requests,
    CAST(NULL AS VARCHAR) AS service_tier, CAST(NULL AS VARCHAR) AS doc,
    CAST(NULL AS JSON) AS attributes
FROM parsed WHERE object_raw IS NULL
UNION ALL
SELECT
    coalesce(start_line, first_line) AS source_line,
    all_raw AS raw,
    CASE
        WHEN start_line IS NULL THEN 'no usage: stream without message_start'
        WHEN NOT has_final THEN 'no usage: stream cut'
        WHEN t.bad IS NOT NULL THEN 'bad token count: ' || t.bad
    END AS reason,
    coalesce(id, 'sha:' || md5(all_raw)) AS request_id,
    CAST(NULL AS TIMESTAMPTZ) AS ts,
    model,
    $default_mode AS mode,
    $provider AS provider,
    CAST(1 AS BIGINT) AS requests,
    unnest(t.tokens),
    service_tier,
    CAST(json_extract(start_raw, '$.message') AS VARCHAR) AS doc,
    json_object('cache_creation', cache_split, 'service_tier', service_tier, 'inference_geo', inference_geo) AS attributes
FROM (
    -- each count is its last value in the stream, read in the Anthropic convention
    SELECT *, spend_anthropic_tokens({'input_tokens': input_tokens, 'output_tokens': output_tokens,
        'cache_read_input_tokens': cache_read, 'cache_creation_input_tokens': cache_creation,
        'cache_creation': cache_split, 'server_tool_use': {'web_search_requests': web_searches},
        'output_tokens_details': {'thinking_tokens': thinking}}, 'usage.') AS t
    FROM streams
)
