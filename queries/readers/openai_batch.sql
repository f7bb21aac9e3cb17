-- name: normalise_openai_batch
-- Batch output lines (OpenAI, together.ai): {"id", "custom_id", "response": {"status_code",
-- "request_id", "body": <a Chat Completions, Responses or Embeddings response>}, "error"}.
-- Usage at response.body.usage, in either token convention (prompt/completion or
-- input/output; both include cached and reasoning tokens). The file says nothing of "batch":
-- the reader's mode is batch. Identity: the body's id, else response.request_id, else a hash
-- (never the file name, so a batch file delivered twice adds nothing). A line with an `error`
-- (expired, failed) or an HTTP error status carries no usage: a reject whose reason holds the
-- error code and message. Time: body.created (or created_at).
WITH objects AS (SELECT * FROM staged_objects),
parsed AS (
    SELECT source_line, raw, is_json, object_raw,
        json_transform(object_raw, '{
            "id": "VARCHAR", "custom_id": "VARCHAR",
            "error": {"code": "VARCHAR", "message": "VARCHAR"},
            "response": {"status_code": "BIGINT", "request_id": "VARCHAR",
                "body": {"id": "VARCHAR", "created": "VARCHAR", "created_at": "VARCHAR", "model": "VARCHAR",
                         "error": {"code": "VARCHAR", "type": "VARCHAR", "message": "VARCHAR"},
                         "usage": {"prompt_tokens": "BIGINT", "completion_tokens": "BIGINT",
                                   "input_tokens": "BIGINT", "output_tokens": "BIGINT",
                                   "prompt_tokens_details": {"cached_tokens": "BIGINT"},
                                   "input_tokens_details": {"cached_tokens": "BIGINT"},
                                   "completion_tokens_details": {"reasoning_tokens": "BIGINT"},
                                   "output_tokens_details": {"reasoning_tokens": "BIGINT"},
                                   "cached_tokens": "BIGINT", "reasoning_tokens": "BIGINT"}}}}') AS r,
        json_type(object_raw, '$.error') AS error_type
    FROM objects
),
usage AS (
    SELECT *, r.response.body.usage AS u, r.response.body AS b FROM parsed
)
SELECT
    source_line,
    raw,
    CASE
        WHEN NOT is_json THEN 'not JSON'
        WHEN object_raw IS NULL THEN 'not a JSON object'
        WHEN error_type IS NOT NULL AND error_type <> 'NULL' THEN
            'batch request failed: ' || coalesce(r.error.code, 'error') || coalesce(': ' || r.error.message, '')
        WHEN r.response IS NULL THEN 'no response'
        WHEN r.response.status_code >= 400 OR b.error IS NOT NULL THEN
            'batch request failed: HTTP ' || coalesce(CAST(r.response.status_code AS VARCHAR), '?') || ' '
            || coalesce(b.error.code, b.error.type, 'error') || coalesce(': ' || b.error.message, '')
        WHEN coalesce(u.prompt_tokens, u.input_tokens, u.completion_tokens, u.output_tokens) IS NULL THEN 'no usage'
    END AS reason,
    coalesce(b.id, r.response.request_id, 'sha:' || md5(raw)) AS request_id,
    spend_time(coalesce(b.created, b.created_at)) AS ts,
    b.model AS model,
    $default_mode AS mode,
    $provider AS provider,
    CAST(1 AS BIGINT) AS requests,
    coalesce(u.prompt_tokens, u.input_tokens, 0) AS input_tokens,
    coalesce(u.prompt_tokens_details.cached_tokens, u.input_tokens_details.cached_tokens, u.cached_tokens, 0) AS cached_input_tokens,
    CAST(0 AS BIGINT) AS cache_write_tokens,
    coalesce(u.completion_tokens, u.output_tokens, 0) AS output_tokens,
    coalesce(u.completion_tokens_details.reasoning_tokens, u.output_tokens_details.reasoning_tokens, u.reasoning_tokens, 0) AS reasoning_tokens,
    raw AS doc,
    json_object('custom_id', r.custom_id, 'batch_request_id', r.id, 'request_id', r.response.request_id) AS attributes
FROM usage
