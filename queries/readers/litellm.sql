-- name: normalise_litellm
-- LiteLLM proxy SpendLogs rows, from the JSON API (objects) or a table export (CSV: every cell a
-- string, `metadata` / `request_tags` JSON text). Tokens in the OpenAI convention:
-- prompt_tokens includes cached tokens (metadata.additional_usage_values...cached_tokens) and
-- cache writes (...cache_creation_input_tokens); completion_tokens includes reasoning.
-- Time: startTime. Identity: request_id. Provider: custom_llm_provider. A row whose status is
-- "failure" is a reject. For attribution the doc has `metadata` and `request_tags` parsed and
-- `tags` = the "key:value" request tags as an object; LiteLLM's own `spend` (USD), team_id,
-- end_user, request_tags, api_key and model_group are kept in attributes.
WITH objects AS (SELECT * FROM staged_objects),
fields AS (
    SELECT *,
        json_extract_string(object_raw, ['$.request_id', '$.startTime', '$.model', '$.custom_llm_provider',
            '$.prompt_tokens', '$.completion_tokens', '$.status', '$.spend', '$.team_id', '$.end_user',
            '$.api_key', '$.model_group', '$.call_type', '$.session_id']) AS f,
        spend_embedded(json_extract(object_raw, '$.metadata')) AS metadata,
        spend_embedded(json_extract(object_raw, '$.request_tags')) AS tags_json
    FROM objects
),
shaped AS (
    SELECT *,
        json_extract(metadata, '$.additional_usage_values') AS extra,
        list_filter(CASE WHEN json_type(tags_json) = 'ARRAY' THEN CAST(tags_json AS VARCHAR[]) END,
                    lambda t: strpos(t, ':') > 1) AS pairs
    FROM fields
),
tagged AS (
    SELECT *,
        json_extract_string(extra, ['$.prompt_tokens_details.cached_tokens', '$.cache_read_input_tokens',
            '$.cache_creation_input_tokens', '$.completion_tokens_details.reasoning_tokens']) AS u,
        CAST('{' || array_to_string(list_transform(pairs, lambda t: CAST(to_json(split_part(t, ':', 1)) AS VARCHAR)
             || ':' || CAST(to_json(substr(t, strpos(t, ':') + 1)) AS VARCHAR)), ',') || '}' AS JSON) AS tag_map
    FROM shaped
)
SELECT
    source_line,
    raw,
    CASE
        WHEN NOT is_json THEN 'not JSON'
        WHEN object_raw IS NULL THEN 'not a JSON object'
        WHEN lower(f[7]) = 'failure' THEN 'request failed (LiteLLM status failure)'
        WHEN f[5] IS NULL AND f[6] IS NULL THEN 'no usage'
        WHEN bad IS NOT NULL THEN 'bad token count: ' || bad
    END AS reason,
    coalesce(nullif(f[1], ''), 'sha:' || md5(raw)) AS request_id,
    spend_time(f[2]) AS ts,
    coalesce(nullif(f[3], ''), nullif(f[12], '')) AS model,
    $default_mode AS mode,
    coalesce(nullif(f[4], ''), $provider) AS provider,
    CAST(1 AS BIGINT) AS requests,
    spend_part(f[5]) AS input_tokens,
    coalesce(spend_token(u[1]), spend_part(u[2])) AS cached_input_tokens,
    spend_part(u[3]) AS cache_write_tokens,
    spend_part(f[6]) AS output_tokens,
    spend_part(u[4]) AS reasoning_tokens,
    CAST(json_merge_patch(object_raw, json_object('metadata', metadata, 'request_tags', tags_json, 'tags', tag_map)) AS VARCHAR) AS doc,
    json_object('spend', CASE WHEN TRY_CAST(f[8] AS DOUBLE) IS NOT NULL THEN CAST(f[8] AS JSON) END,
                'team_id', nullif(f[9], ''), 'end_user', nullif(f[10], ''), 'request_tags', tags_json,
                'api_key', nullif(f[11], ''), 'model_group', nullif(f[12], ''), 'call_type', nullif(f[13], ''),
                'session_id', nullif(f[14], ''), 'spend_logs_metadata', json_extract(metadata, '$.spend_logs_metadata')) AS attributes
FROM (
    SELECT *, CASE
        WHEN spend_bad_token(f[5]) THEN 'prompt_tokens'
        WHEN spend_bad_token(f[6]) THEN 'completion_tokens'
        WHEN spend_bad_token(u[1]) THEN 'metadata.additional_usage_values.prompt_tokens_details.cached_tokens'
        WHEN spend_bad_token(u[2]) THEN 'metadata.additional_usage_values.cache_read_input_tokens'
        WHEN spend_bad_token(u[3]) THEN 'metadata.additional_usage_values.cache_creation_input_tokens'
        WHEN spend_bad_token(u[4]) THEN 'metadata.additional_usage_values.completion_tokens_details.reasoning_tokens'
    END AS bad
    FROM tagged
)
