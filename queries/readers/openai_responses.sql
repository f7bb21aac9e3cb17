-- name: normalise_openai_responses
-- OpenAI Responses API: response objects (`object` "response"; JSONL or a JSON document) and
-- stream captures (SSE events). Of a stream, the terminal event (`response.completed`,
-- `response.incomplete`, `response.failed`) is the row, from its `response`; a stream whose
-- `response.created` has no terminal event is a reject "no usage: stream cut"; the other events
-- (deltas, in_progress...) belong to their stream and are no records of their own.
-- Tokens in the Responses convention (spend_responses_tokens): input_tokens includes cached and
-- cache-write tokens (input_tokens_details); output_tokens includes reasoning (output_tokens_details). Time: created_at. Identity: the response id.
WITH objects AS (SELECT * FROM staged_objects),
events AS (
    SELECT *, json_extract_string(object_raw, '$.type') AS event_type FROM objects
),
classified AS (
    SELECT *,
        CASE
            WHEN object_raw IS NULL THEN 'bad'
            WHEN event_type IN ('response.completed', 'response.incomplete', 'response.failed') THEN 'final'
            WHEN event_type = 'response.created' THEN 'start'
            WHEN starts_with(event_type, 'response.') OR event_type = 'error' THEN 'event'
            ELSE 'object'
        END AS kind,
        CASE WHEN starts_with(event_type, 'response.') THEN json_extract(object_raw, '$.response')
             ELSE CAST(object_raw AS JSON) END AS response
    FROM events
),
parsed AS (
    SELECT *, json_transform(response, '{
        "id": "VARCHAR", "created_at": "VARCHAR", "model": "VARCHAR", "status": "VARCHAR", "service_tier": "VARCHAR",
        "output": [{"type": "VARCHAR"}],
        "error": {"code": "VARCHAR", "message": "VARCHAR"},
        "metadata": "JSON", "usage": ' || spend_responses_usage_shape() || '}') AS r
    FROM classified WHERE kind IN ('bad', 'final', 'start', 'object')
),
rows AS (
    SELECT *, false AS cut FROM parsed WHERE kind <> 'start'
    UNION ALL
    SELECT s.*, true FROM parsed s
    WHERE s.kind = 'start' AND NOT EXISTS (SELECT 1 FROM parsed f WHERE f.kind = 'final' AND f.r.id = s.r.id)
),
tokens AS (
    SELECT *, spend_responses_tokens(r.usage, 'usage.') AS t,
           -- the web-search calls are the response's output items of that type
           CAST(len(list_filter(r.output, lambda o: o.type = 'web_search_call')) AS BIGINT) AS web_searches
    FROM rows
)
SELECT
    source_line,
    raw,
    CASE
        WHEN NOT is_json THEN 'not JSON'
        WHEN object_raw IS NULL THEN 'not a JSON object'
        WHEN cut THEN 'no usage: stream cut'
        WHEN NOT t.has_usage THEN
            'no usage' || coalesce(': response ' || r.status, '') || coalesce(' (' || r.error.code || ')', '')
        WHEN t.bad IS NOT NULL THEN 'bad token count: ' || t.bad
    END AS reason,
    coalesce(r.id, 'sha:' || md5(raw)) AS request_id,
    spend_time(r.created_at) AS ts,
    r.model AS model,
    $default_mode AS mode,
    $provider AS provider,
    CAST(1 AS BIGINT) AS requests,
    unnest(struct_update(t.tokens, web_search_requests := web_searches)),
    r.service_tier AS service_tier,
    CAST(response AS VARCHAR) AS doc,
    r.metadata AS attributes
FROM tokens
