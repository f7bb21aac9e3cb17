-- name: normalise_claude_code
-- Claude Code transcript lines ({"type", "sessionId", "cwd", "timestamp", "requestId",
-- "message": {"id", "model", "usage"}, "costUSD", ...}). Only `type` "assistant" entries are
-- requests; every other entry (user, summary, system, attachments...) is skipped, not a reject,
-- and so are the `<synthetic>` messages Claude Code writes itself (API errors, no request made).
-- Claude Code writes one message several times while it streams, each line with the usage so
-- far: identity = message.id + requestId, and the LAST line of an identity is its row (its
-- usage, its line number). Tokens in the Anthropic convention (spend_anthropic_tokens). Time:
-- timestamp (ISO 8601). Project (default attribution): cwd, else the transcript's folder name
-- ($source_path's folder, which Claude Code names after the project path). sessionId, costUSD
-- (Claude Code's own figure, when it wrote one), version, gitBranch and isSidechain are kept in
-- attributes.
WITH objects AS (SELECT * FROM staged_objects),
parsed AS (
    SELECT source_line, raw, is_json, object_raw,
        json_transform(object_raw, '{"type": "VARCHAR", "timestamp": "VARCHAR", "sessionId": "VARCHAR",
            "requestId": "VARCHAR", "cwd": "VARCHAR", "version": "VARCHAR", "gitBranch": "VARCHAR",
            "isSidechain": "BOOLEAN", "costUSD": "JSON",
            "message": {"id": "VARCHAR", "model": "VARCHAR", "usage": ' || spend_anthropic_usage_shape() || '}}') AS r
    FROM objects
),
requests AS (
    SELECT *, CASE
        WHEN r.message.id IS NOT NULL THEN 'claude-code:' || r.message.id || coalesce('|' || r.requestId, '')
        ELSE 'sha:' || md5(raw) END AS identity
    FROM parsed
    WHERE NOT is_json OR object_raw IS NULL
       OR (r.type = 'assistant' AND r.message.model IS DISTINCT FROM '<synthetic>')
),
last_lines AS (
    SELECT *, spend_anthropic_tokens(r.message.usage, 'message.usage.') AS t FROM requests
    QUALIFY object_raw IS NULL OR row_number() OVER (PARTITION BY identity ORDER BY source_line DESC) = 1
)
SELECT
    source_line,
    raw,
    CASE
        WHEN NOT is_json THEN 'not JSON'
        WHEN object_raw IS NULL THEN 'not a JSON object'
        WHEN NOT t.has_usage THEN 'no usage'
        WHEN t.bad IS NOT NULL THEN 'bad token count: ' || t.bad
    END AS reason,
    identity AS request_id,
    spend_time(r.timestamp) AS ts,
    r.message.model AS model,
    $default_mode AS mode,
    $provider AS provider,
    CAST(1 AS BIGINT) AS requests,
    unnest(t.tokens),
    r.message.usage.service_tier AS service_tier,
    CAST(json_merge_patch(object_raw, json_object('project_folder',
        nullif(parse_filename(parse_dirpath($source_path)), ''))) AS VARCHAR) AS doc,
    json_object('session_id', r.sessionId, 'cost_usd', r.costUSD, 'version', r.version,
                'git_branch', r.gitBranch, 'is_sidechain', r.isSidechain, 'cwd', r.cwd) AS attributes
FROM last_lines
