-- name: normalise_openai_batch
-- Batch output lines (OpenAI, together.ai): {"id", "custom_id", "response": {"status_code",
-- "request_id", "body": <a Chat Completions, Responses or Embeddings response>}, "error"}.
-- Usage at response.body.usage, in either token convention (Chat Completions or Responses:
-- spend_chat_tokens / spend_responses_tokens; both include cached, cache-write and reasoning tokens). The file says nothing of "batch":
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
                         "service_tier": "VARCHAR",
                         "error": {"code": "VARCHAR", "type": "VARCHAR", "message": "VARCHAR"},
                         "usage": "JSON"}}}') AS r,
        json_type(object_raw, '$.error') AS error_type
    FROM objects
),
usage AS (
    -- the body's usage in either convention: Chat Completions, else Responses / Embeddings
    SELECT *, r.response.body AS b,
        spend_chat_tokens(json_transform(r.response.body.usage, spend_chat_usage_shape()), 'response.body.usage.') AS tc,
        spend_responses_tokens(json_transform(r.response.body.usage, spend_responses_usage_shape()), 'response.body.usage.') AS tr
    FROM parsed
),
tokens AS (
    SELECT *, CASE WHEN tc.has_usage THEN tc ELSE tr END AS t FROM usage
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
        WHEN NOT (tc.has_usage OR tr.has_usage) THEN 'no usage'
        WHEN t.bad IS NOT NULL THEN 'bad token count: ' || t.bad
    END AS reason,
    coalesce(b.id, r.response.request_id, 'sha:' || md5(raw)) AS request_id,
    spend_time(coalesce(b.created, b.created_at)) AS ts,
    b.model AS model,
    $default_mode AS mode,
    $provider AS provider,
    CAST(1 AS BIGINT) AS requests,
    unnest(t.tokens),
    b.service_tier AS service_tier,
    raw AS doc,
    json_object('custom_id', r.custom_id, 'batch_request_id', r.id, 'request_id', r.response.request_id) AS attributes
FROM tokens
