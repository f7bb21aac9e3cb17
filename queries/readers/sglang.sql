-- name: normalise_sglang_chat
-- SGLang Chat Completions responses: the OpenAI shape, with reasoning tokens at
-- usage.reasoning_tokens and a top-level `metadata` that is engine info (weight_version), not
-- user tags: it is neither attribution nor attributes. Otherwise as normalise_openai_chat.
WITH objects AS (SELECT * FROM staged_objects),
parsed AS (
    SELECT source_line, raw, is_json, object_raw,
        json_transform(object_raw, '{
            "id": "VARCHAR", "created": "DOUBLE", "model": "VARCHAR",
            "usage": {"prompt_tokens": "BIGINT", "completion_tokens": "BIGINT",
                      "prompt_tokens_details": {"cached_tokens": "BIGINT"},
                      "completion_tokens_details": {"reasoning_tokens": "BIGINT"},
                      "cached_tokens": "BIGINT", "reasoning_tokens": "BIGINT"},
            "metadata": "JSON"}') AS r
    FROM objects
)
SELECT
    source_line,
    raw,
    CASE
        WHEN NOT is_json THEN 'not JSON'
        WHEN object_raw IS NULL THEN 'not a JSON object'
        WHEN r.usage IS NULL OR (r.usage.prompt_tokens IS NULL AND r.usage.completion_tokens IS NULL) THEN 'no usage'
    END AS reason,
    coalesce(r.id, 'sha:' || md5(raw)) AS request_id,
    coalesce(spend_epoch(r.created), spend_time(json_extract_string(object_raw, '$.created'))) AS ts,
    r.model AS model,
    $default_mode AS mode,
    $provider AS provider,
    CAST(1 AS BIGINT) AS requests,
    coalesce(r.usage.prompt_tokens, 0) AS input_tokens,
    coalesce(r.usage.prompt_tokens_details.cached_tokens, r.usage.cached_tokens, 0) AS cached_input_tokens,
    CAST(0 AS BIGINT) AS cache_write_tokens,
    coalesce(r.usage.completion_tokens, 0) AS output_tokens,
    coalesce(r.usage.reasoning_tokens, r.usage.completion_tokens_details.reasoning_tokens, 0) AS reasoning_tokens,
    json_merge_patch(object_raw, '{"metadata": null}') AS doc,
    CAST(NULL AS JSON) AS attributes
FROM parsed
