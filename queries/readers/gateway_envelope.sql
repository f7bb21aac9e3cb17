-- name: normalise_gateway_envelope
-- A gateway log line: {"timestamp", "request": {...}, "response": {...}}. The response is an
-- OpenAI Chat Completions or Responses object or an Anthropic message, each read in its own
-- token convention (Anthropic input excludes cache reads and writes; OpenAI includes them).
-- The request's `user` / `metadata` attribute the row (the default paths $.request.user,
-- $.request.metadata.*); its metadata is kept in attributes. Time: the response's own time,
-- else the envelope's `timestamp` (Unix s/ms or ISO 8601). Model: the response's, else the
-- request's. Identity: the response id, else a hash of the line.
WITH objects AS (SELECT * FROM staged_objects),
parsed AS (
    SELECT source_line, raw, is_json, object_raw,
        json_transform(object_raw, '{
            "timestamp": "VARCHAR", "time": "VARCHAR",
            "request": {"model": "VARCHAR", "metadata": "JSON"},
            "response": {"id": "VARCHAR", "object": "VARCHAR", "type": "VARCHAR", "model": "VARCHAR",
                "created": "VARCHAR", "created_at": "VARCHAR",
                "usage": {"prompt_tokens": "BIGINT", "completion_tokens": "BIGINT",
                          "input_tokens": "BIGINT", "output_tokens": "BIGINT",
                          "prompt_tokens_details": {"cached_tokens": "BIGINT"},
                          "completion_tokens_details": {"reasoning_tokens": "BIGINT"},
                          "input_tokens_details": {"cached_tokens": "BIGINT", "cache_write_tokens": "BIGINT"},
                          "output_tokens_details": {"reasoning_tokens": "BIGINT", "thinking_tokens": "BIGINT"},
                          "cached_tokens": "BIGINT", "reasoning_tokens": "BIGINT",
                          "cache_read_input_tokens": "BIGINT", "cache_creation_input_tokens": "BIGINT",
                          "cache_creation": "JSON"}}}') AS r
    FROM objects
),
shaped AS (
    SELECT *, r.response.usage AS u,
           r.response.type = 'message' OR r.response.usage.cache_read_input_tokens IS NOT NULL
               OR r.response.usage.cache_creation_input_tokens IS NOT NULL AS anthropic
    FROM parsed
)
SELECT
    source_line,
    raw,
    CASE
        WHEN NOT is_json THEN 'not JSON'
        WHEN object_raw IS NULL THEN 'not a JSON object'
        WHEN r.response IS NULL THEN 'no response'
        WHEN coalesce(u.prompt_tokens, u.input_tokens, u.completion_tokens, u.output_tokens) IS NULL THEN 'no usage'
    END AS reason,
    coalesce(r.response.id, 'sha:' || md5(raw)) AS request_id,
    coalesce(spend_time(coalesce(r.response.created, r.response.created_at)), spend_time(coalesce(r.timestamp, r.time))) AS ts,
    coalesce(r.response.model, r.request.model) AS model,
    $default_mode AS mode,
    CASE WHEN anthropic THEN 'anthropic' ELSE $provider END AS provider,
    CAST(1 AS BIGINT) AS requests,
    CASE WHEN anthropic
         THEN coalesce(u.input_tokens, 0) + coalesce(u.cache_read_input_tokens, 0) + coalesce(u.cache_creation_input_tokens, 0)
         ELSE coalesce(u.prompt_tokens, u.input_tokens, 0) END AS input_tokens,
    CASE WHEN anthropic THEN coalesce(u.cache_read_input_tokens, 0)
         ELSE coalesce(u.prompt_tokens_details.cached_tokens, u.input_tokens_details.cached_tokens, u.cached_tokens, 0) END
        AS cached_input_tokens,
    CASE WHEN anthropic THEN coalesce(u.cache_creation_input_tokens, 0)
         ELSE coalesce(u.input_tokens_details.cache_write_tokens, 0) END AS cache_write_tokens,
    coalesce(u.completion_tokens, u.output_tokens, 0) AS output_tokens,
    coalesce(u.completion_tokens_details.reasoning_tokens, u.output_tokens_details.reasoning_tokens,
             u.output_tokens_details.thinking_tokens, u.reasoning_tokens, 0) AS reasoning_tokens,
    raw AS doc,
    CASE WHEN anthropic THEN json_object('metadata', r.request.metadata, 'cache_creation', u.cache_creation)
         ELSE r.request.metadata END AS attributes
FROM shaped
