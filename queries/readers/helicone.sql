-- name: normalise_helicone
-- Helicone request records (the request API's JSON) and its export CLI's CSV (cells with JSON
-- text, quotes doubled twice). prompt_tokens includes cached tokens (prompt_cache_read_tokens)
-- and cache writes (prompt_cache_write_tokens), as OpenAI counts them; for provider ANTHROPIC
-- Helicone keeps Anthropic's meaning and the cache tokens are added to the input. Time:
-- request_created_at (UTC when it has no zone). Model: model, else request_model, else the
-- request body's. Identity: the response body's id, else Helicone's response_id. A status of
-- 400 or more is a reject. Custom properties (request_properties) are the attribution doc's
-- `properties`; Helicone's own cost is kept in attributes.
WITH objects AS (SELECT * FROM staged_objects),
fields AS (
    SELECT *,
        json_extract_string(object_raw, ['$.response_id', '$.request_created_at', '$.response_created_at',
            '$.model', '$.request_model', '$.prompt_tokens', '$.completion_tokens', '$.reasoning_tokens',
            '$.prompt_cache_read_tokens', '$.prompt_cache_write_tokens', '$.response_status', '$.provider',
            '$.cost', '$.request_user_id', '$.request_id']) AS f,
        spend_embedded(json_extract(object_raw, '$.request_body')) AS request_body,
        spend_embedded(json_extract(object_raw, '$.response_body')) AS response_body,
        coalesce(spend_embedded(json_extract(object_raw, '$.request_properties')),
                 spend_embedded(json_extract(object_raw, '$.properties'))) AS properties
    FROM objects
),
shaped AS (
    SELECT *, upper(f[12]) = 'ANTHROPIC' AS anthropic,
        coalesce(f[6], json_extract_string(response_body, '$.usage.prompt_tokens')) AS prompt_text,
        coalesce(f[7], json_extract_string(response_body, '$.usage.completion_tokens')) AS completion_text
    FROM fields
)
SELECT
    source_line,
    raw,
    CASE
        WHEN NOT is_json THEN 'not JSON'
        WHEN object_raw IS NULL THEN 'not a JSON object'
        WHEN TRY_CAST(f[11] AS BIGINT) >= 400 THEN 'request failed: HTTP ' || f[11]
        WHEN prompt_text IS NULL AND completion_text IS NULL THEN 'no usage'
        WHEN spend_bad_token(prompt_text) THEN 'bad token count: prompt_tokens'
        WHEN spend_bad_token(completion_text) THEN 'bad token count: completion_tokens'
        WHEN spend_bad_token(f[8]) THEN 'bad token count: reasoning_tokens'
        WHEN spend_bad_token(f[9]) THEN 'bad token count: prompt_cache_read_tokens'
        WHEN spend_bad_token(f[10]) THEN 'bad token count: prompt_cache_write_tokens'
    END AS reason,
    coalesce(json_extract_string(response_body, '$.id'), nullif(f[1], ''), 'sha:' || md5(raw)) AS request_id,
    coalesce(spend_time(f[2]), spend_time(f[3])) AS ts,
    coalesce(nullif(f[4], ''), nullif(f[5], ''), json_extract_string(request_body, '$.model'),
             json_extract_string(response_body, '$.model')) AS model,
    $default_mode AS mode,
    coalesce(lower(nullif(f[12], '')), $provider) AS provider,
    CAST(1 AS BIGINT) AS requests,
    spend_part(prompt_text) + CASE WHEN anthropic THEN spend_part(f[9]) + spend_part(f[10]) ELSE 0 END AS input_tokens,
    spend_part(f[9]) AS cached_input_tokens,
    spend_part(f[10]) AS cache_write_tokens,
    spend_part(completion_text) AS output_tokens,
    spend_part(f[8]) AS reasoning_tokens,
    CAST(0 AS BIGINT) AS cache_write_1h_tokens, CAST(0 AS BIGINT) AS audio_input_tokens,
    CAST(0 AS BIGINT) AS audio_output_tokens, CAST(0 AS BIGINT) AS image_input_tokens,
    CAST(0 AS BIGINT) AS image_output_tokens, CAST(0 AS BIGINT) AS web_search_requests,
    CAST(NULL AS VARCHAR) AS service_tier,
    CAST(json_merge_patch(object_raw, json_object('properties', properties, 'request_body', request_body,
                                                  'response_body', response_body)) AS VARCHAR) AS doc,
    json_object('cost', CASE WHEN TRY_CAST(f[13] AS DOUBLE) IS NOT NULL THEN CAST(f[13] AS JSON) END,
                'properties', properties, 'helicone_response_id', nullif(f[1], ''),
                'helicone_request_id', nullif(f[15], '')) AS attributes
FROM shaped
