-- name: normalise_litellm
-- LiteLLM proxy SpendLogs rows, from the JSON API (objects) or a table export (CSV: every cell a
-- string, `metadata` / `request_tags` JSON text). LiteLLM reports every provider in the OpenAI
-- shape: completion_tokens includes reasoning; prompt_tokens includes cached tokens
-- (prompt_tokens_details.cached_tokens, or Anthropic's cache_read_input_tokens). The provider's
-- usage is in metadata.additional_usage_values (else metadata.usage_object).
-- Cache writes (cache_creation_input_tokens, from Anthropic and Bedrock): older LiteLLM versions
-- left them out of prompt_tokens, newer ones count them in, and the row names no version. What
-- the row can tell: prompt_tokens below the cache reads means Anthropic's own convention (reads
-- and writes excluded, e.g. /v1/messages pass-through); below reads + writes means writes
-- excluded; in both cases the excluded parts are added. Otherwise prompt_tokens is taken to
-- include the writes (what current LiteLLM writes) and, when there were writes, this is marked
-- as an assumption in attributes.token_convention (the row could also be an older version's with
-- more uncached input than writes). 1-hour writes: cache_creation_token_details.
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
        coalesce(json_extract(metadata, '$.additional_usage_values'), json_extract(metadata, '$.usage_object')) AS extra,
        list_filter(CASE WHEN json_type(tags_json) = 'ARRAY' THEN CAST(tags_json AS VARCHAR[]) END,
                    lambda t: strpos(t, ':') > 1) AS pairs
    FROM fields
),
tagged AS (
    SELECT *,
        json_extract_string(extra, ['$.prompt_tokens_details.cached_tokens', '$.cache_read_input_tokens',
            '$.cache_creation_input_tokens', '$.completion_tokens_details.reasoning_tokens',
            '$.cache_creation_token_details.ephemeral_1h_input_tokens', '$.prompt_tokens_details.audio_tokens',
            '$.completion_tokens_details.audio_tokens', '$.prompt_tokens_details.image_tokens',
            '$.completion_tokens_details.image_tokens']) AS u,
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
    spend_part(f[5]) + CASE convention WHEN 'anthropic' THEN reads + writes WHEN 'reads only' THEN writes ELSE 0 END
        AS input_tokens,
    reads AS cached_input_tokens,
    writes AS cache_write_tokens,
    spend_part(f[6]) AS output_tokens,
    spend_part(u[4]) AS reasoning_tokens,
    spend_part(u[5]) AS cache_write_1h_tokens,
    spend_part(u[6]) AS audio_input_tokens,
    spend_part(u[7]) AS audio_output_tokens,
    spend_part(u[8]) AS image_input_tokens,
    spend_part(u[9]) AS image_output_tokens,
    CAST(0 AS BIGINT) AS web_search_requests,
    CAST(NULL AS VARCHAR) AS service_tier,
    CAST(json_merge_patch(object_raw, json_object('metadata', metadata, 'request_tags', tags_json, 'tags', tag_map)) AS VARCHAR) AS doc,
    json_object('spend', CASE WHEN TRY_CAST(f[8] AS DOUBLE) IS NOT NULL THEN CAST(f[8] AS JSON) END,
                'team_id', nullif(f[9], ''), 'end_user', nullif(f[10], ''), 'request_tags', tags_json,
                'api_key', nullif(f[11], ''), 'model_group', nullif(f[12], ''), 'call_type', nullif(f[13], ''),
                'session_id', nullif(f[14], ''), 'spend_logs_metadata', json_extract(metadata, '$.spend_logs_metadata'),
                'token_convention', CASE
                    WHEN convention = 'anthropic' THEN 'prompt_tokens excluded cache reads and writes (Anthropic convention): added'
                    WHEN convention = 'reads only' THEN 'prompt_tokens excluded cache writes (older LiteLLM): added'
                    WHEN writes > 0 THEN 'assumed: prompt_tokens include cache writes (newer LiteLLM; the row cannot tell)'
                END) AS attributes
FROM (
    SELECT *, CASE
        WHEN spend_part(f[5]) < reads THEN 'anthropic'
        WHEN writes > 0 AND spend_part(f[5]) < reads + writes THEN 'reads only'
    END AS convention
    FROM (
        SELECT *,
            coalesce(spend_token(u[1]), spend_part(u[2])) AS reads,
            spend_part(u[3]) AS writes,
            CASE
                WHEN spend_bad_token(f[5]) THEN 'prompt_tokens'
                WHEN spend_bad_token(f[6]) THEN 'completion_tokens'
                WHEN spend_bad_token(u[1]) THEN 'metadata.additional_usage_values.prompt_tokens_details.cached_tokens'
                WHEN spend_bad_token(u[2]) THEN 'metadata.additional_usage_values.cache_read_input_tokens'
                WHEN spend_bad_token(u[3]) THEN 'metadata.additional_usage_values.cache_creation_input_tokens'
                WHEN spend_bad_token(u[4]) THEN 'metadata.additional_usage_values.completion_tokens_details.reasoning_tokens'
                WHEN spend_bad_token(u[5]) THEN 'metadata.additional_usage_values.cache_creation_token_details.ephemeral_1h_input_tokens'
                WHEN spend_bad_token(u[6]) THEN 'metadata.additional_usage_values.prompt_tokens_details.audio_tokens'
                WHEN spend_bad_token(u[7]) THEN 'metadata.additional_usage_values.completion_tokens_details.audio_tokens'
                WHEN spend_bad_token(u[8]) THEN 'metadata.additional_usage_values.prompt_tokens_details.image_tokens'
                WHEN spend_bad_token(u[9]) THEN 'metadata.additional_usage_values.completion_tokens_details.image_tokens'
            END AS bad
        FROM tagged
    )
)
