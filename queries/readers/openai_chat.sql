-- name: normalise_openai_chat
-- OpenAI Chat Completions records (one JSON object per line, or the elements of a JSON
-- document) to canonical columns; also together.ai, vLLM and SGLang responses (same shape).
-- Tokens in the Chat Completions convention (spend_chat_tokens, usage_conventions.sql):
-- prompt_tokens includes cached tokens and cache writes, completion_tokens reasoning tokens; a
-- count that is present but no integer is a reject "bad token count: <field>".
-- Identity: the response id, else a hash of the record. Time: `created`, Unix seconds (or ms;
-- 0 is no time); the API never writes text there, so ISO 8601 is not looked for (hot path).
WITH checked AS (
    SELECT source_line, raw, json_valid(raw) AS is_json FROM staged_records
),
parsed AS (
    -- Invalid JSON is nulled before json_transform sees it (one parse for valid lines; try()
    -- would fall back to row-by-row evaluation for every vector holding a bad line).
    SELECT source_line, raw, is_json,
        json_transform(CASE WHEN is_json THEN raw END,
            '{"id": "VARCHAR", "created": "DOUBLE", "model": "VARCHAR", "service_tier": "VARCHAR", "metadata": "JSON", "usage": '
            || spend_chat_usage_shape() || '}') AS r
    FROM checked
),
tokens AS (
    SELECT *, spend_chat_tokens(r.usage, 'usage.') AS t FROM parsed
)
SELECT
    source_line,
    raw,
    CASE
        WHEN NOT is_json THEN 'not JSON'
        WHEN NOT t.has_usage THEN
            -- an array or scalar transforms to an empty struct: tell it apart only here (rare)
            CASE WHEN json_type(raw) <> 'OBJECT' THEN 'not a JSON object' ELSE 'no usage' END
        -- a count that is there but is no integer (100.7, true, "abc", 1e30) must not become 0
        WHEN t.bad IS NOT NULL THEN 'bad token count: ' || t.bad
    END AS reason,
    coalesce(r.id, 'sha:' || md5(raw)) AS request_id,
    spend_epoch(r.created) AS ts,
    r.model AS model,
    $default_mode AS mode,
    $provider AS provider,
    CAST(1 AS BIGINT) AS requests,
    unnest(t.tokens),
    r.service_tier AS service_tier,
    -- a top-level `metadata` that is not the caller's tags (SGLang's engine info, weight_version)
    -- is neither attribution nor attributes: the reader says so ($metadata_tags false).
    CASE WHEN $metadata_tags THEN raw
         ELSE CAST(json_merge_patch(CASE WHEN is_json THEN raw END, '{"metadata": null}') AS VARCHAR) END AS doc,
    CASE WHEN $metadata_tags THEN r.metadata END AS attributes
FROM tokens

-- name: normalise_openai_chat_stream
-- Streamed Chat Completions (`chat.completion.chunk` objects, from SSE `data:` lines or one per
-- line), also together.ai, vLLM and SGLang streams. The chunks of one stream share an id; the
-- stream is one row: its last chunk with usage (stream_options.include_usage puts usage on the
-- final chunk; vLLM's continuous usage is cumulative, so the last is the total). A stream with
-- no usage chunk is one reject "no usage: stream cut" holding all its chunks. Token meanings as
-- in normalise_openai_chat; a top-level `metadata` is tags only when $metadata_tags.
WITH objects AS (SELECT * FROM staged_objects),
parsed AS (
    SELECT source_line, raw, is_json, object_raw,
        json_transform(object_raw,
            '{"id": "VARCHAR", "created": "DOUBLE", "model": "VARCHAR", "service_tier": "VARCHAR", "metadata": "JSON", "usage": '
            || spend_chat_usage_shape() || '}') AS r
    FROM objects
),
keyed AS (
    SELECT *, spend_chat_tokens(r.usage, 'usage.') AS t, r.usage.prompt_tokens IS NOT NULL OR r.usage.completion_tokens IS NOT NULL AS has_usage,
           coalesce(r.id, '#' || source_line) AS stream
    FROM parsed
),
streams AS (
    SELECT stream, max(source_line) AS last_line, max(source_line) FILTER (WHERE has_usage) AS usage_line,
           min(source_line) AS first_line, string_agg(raw, E'\n' ORDER BY source_line) AS all_raw
    FROM keyed WHERE object_raw IS NOT NULL GROUP BY stream
),
rows AS (
    SELECT source_line, raw, is_json, object_raw, r, t, false AS cut FROM keyed WHERE object_raw IS NULL
    UNION ALL
    SELECT CASE WHEN s.usage_line IS NULL THEN s.first_line ELSE s.usage_line END,
           CASE WHEN s.usage_line IS NULL THEN s.all_raw ELSE k.raw END,
           true, k.object_raw, k.r, k.t, s.usage_line IS NULL
    FROM streams s JOIN keyed k ON k.source_line = coalesce(s.usage_line, s.last_line)
)
SELECT
    source_line,
    raw,
    CASE
        WHEN NOT is_json THEN 'not JSON'
        WHEN object_raw IS NULL THEN 'not a JSON object'
        WHEN cut THEN 'no usage: stream cut'
        WHEN t.bad IS NOT NULL THEN 'bad token count: ' || t.bad
    END AS reason,
    coalesce(r.id, 'sha:' || md5(raw)) AS request_id,
    coalesce(spend_epoch(r.created), spend_time(json_extract_string(object_raw, '$.created'))) AS ts,
    r.model AS model,
    $default_mode AS mode,
    $provider AS provider,
    CAST(1 AS BIGINT) AS requests,
    unnest(t.tokens),
    r.service_tier AS service_tier,
    CASE WHEN $metadata_tags THEN CAST(object_raw AS VARCHAR)
         ELSE CAST(json_merge_patch(object_raw, '{"metadata": null}') AS VARCHAR) END AS doc,
    CASE WHEN $metadata_tags THEN r.metadata END AS attributes
FROM rows
