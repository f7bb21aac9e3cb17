-- name: normalise_gateway_envelope
-- A gateway log line: {"timestamp", "request": {...}, "response": {...}}. The response is an
-- OpenAI Chat Completions or Responses object or an Anthropic message, each read in its own
-- token convention (usage_conventions.sql: Anthropic input excludes cache reads and writes;
-- OpenAI includes them).
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
                "created": "VARCHAR", "created_at": "VARCHAR", "service_tier": "VARCHAR",
                "usage": "JSON"}}') AS r
    FROM objects
),
shaped AS (
    SELECT *,
           -- an Anthropic message, or Anthropic's cache fields without OpenAI's prompt_tokens (a
           -- Chat Completions usage that also carries them, as LiteLLM writes it, is OpenAI's)
           coalesce(r.response.type = 'message' OR (NOT json_exists(r.response.usage, '$.prompt_tokens')
               AND (json_exists(r.response.usage, '$.cache_read_input_tokens')
                    OR json_exists(r.response.usage, '$.cache_creation_input_tokens'))), false) AS anthropic,
           json_transform(r.response.usage, spend_anthropic_usage_shape()) AS ua
    FROM parsed
),
tokens AS (
    -- each response in its own convention: Anthropic, else Chat Completions, else Responses
    SELECT *, CASE
        WHEN anthropic THEN spend_anthropic_tokens(ua, 'response.usage.')
        WHEN tc.has_usage THEN tc
        ELSE spend_responses_tokens(json_transform(r.response.usage, spend_responses_usage_shape()), 'response.usage.')
    END AS t
    FROM (SELECT *, spend_chat_tokens(json_transform(r.response.usage, spend_chat_usage_shape()), 'response.usage.') AS tc
          FROM shaped)
)
SELECT
    source_line,
    raw,
    CASE
        WHEN NOT is_json THEN 'not JSON'
        WHEN object_raw IS NULL THEN 'not a JSON object'
        WHEN r.response IS NULL THEN 'no response'
        WHEN NOT t.has_usage THEN 'no usage'
        WHEN t.bad IS NOT NULL THEN 'bad token count: ' || t.bad
    END AS reason,
    coalesce(r.response.id, 'sha:' || md5(raw)) AS request_id,
    coalesce(spend_time(coalesce(r.response.created, r.response.created_at)), spend_time(coalesce(r.timestamp, r.time))) AS ts,
    coalesce(r.response.model, r.request.model) AS model,
    $default_mode AS mode,
    CASE WHEN anthropic THEN 'anthropic' ELSE $provider END AS provider,
    CAST(1 AS BIGINT) AS requests,
    unnest(t.tokens),
    coalesce(r.response.service_tier, ua.service_tier) AS service_tier,
    raw AS doc,
    CASE WHEN anthropic THEN json_object('metadata', r.request.metadata, 'cache_creation', ua.cache_creation)
         ELSE r.request.metadata END AS attributes
FROM tokens
