-- name: anthropic_fast_columns
-- The columns DuckDB's read_json parses an Anthropic message line into on the fast path (the
-- attribution keys are added by fastpath.py); `usage` is the one Anthropic usage shape.
SELECT 'VARCHAR' AS id, 'VARCHAR' AS model, 'VARCHAR' AS created_at, 'VARCHAR' AS "timestamp",
       'JSON' AS created, typeof(json_transform('{}', spend_anthropic_usage_shape())) AS usage;

-- name: normalise_anthropic_fast
-- normalise_anthropic over the parsed rows (fast_parsed), for the rows it prices as they are: an
-- id and usage whose counts are integers. Every other row gets a reason and is read again from
-- its raw line by normalise_anthropic. The time falls back on a top-level `created` as
-- stage_usage does from `doc` (then on --default-time, in stage_usage). Attribution comes as
-- `found` (spend_fast_found).
WITH tokens AS (
    SELECT rowid - $first_rowid + 1 AS source_line, *, spend_anthropic_tokens(usage, 'usage.') AS t
    FROM fast_parsed
)
SELECT
    source_line,
    CAST(NULL AS VARCHAR) AS raw,
    CASE WHEN id IS NULL OR NOT t.has_usage OR t.bad IS NOT NULL THEN 'read from the raw line' END AS reason,
    id AS request_id,
    coalesce(spend_time(coalesce(created_at, "timestamp")), spend_time(json_extract_string(created, '$'))) AS ts,
    model,
    $default_mode AS mode,
    $provider AS provider,
    CAST(1 AS BIGINT) AS requests,
    unnest(t.tokens),
    usage.service_tier AS service_tier,
    CAST(NULL AS VARCHAR) AS doc,
    json_object('cache_creation', usage.cache_creation, 'service_tier', usage.service_tier,
                'inference_geo', usage.inference_geo) AS attributes,
    spend_fast_found(metadata, request, "user", team_id, end_user, project_id, api_key_id, $root_paths) AS found
FROM tokens
