-- name: openai_chat_fast_columns
-- The columns DuckDB's read_json parses a Chat Completions line into on the fast path (the
-- attribution keys are added by fastpath.py). `usage` is the one Chat Completions usage shape.
SELECT 'VARCHAR' AS id, 'DOUBLE' AS created, 'VARCHAR' AS model, 'VARCHAR' AS service_tier,
       typeof(json_transform('{}', spend_chat_usage_shape())) AS usage;

-- name: normalise_openai_chat_fast
-- normalise_openai_chat over the parsed rows (fast_parsed), for the rows it prices as they are:
-- an id, both token counts that are integers (spend_chat_tokens over the same usage shape, read as
-- text) and a time. Every other row (a line that did not parse, no usage, no id, no time) gets a
-- reason and is read again from its raw line by normalise_openai_chat, so reasons, hashes and raw
-- text do not depend on the path taken. Attribution comes as `found` (spend_fast_found) instead
-- of a `doc`.
WITH tokens AS (
    SELECT rowid - $first_rowid + 1 AS source_line, *, spend_chat_tokens(usage, 'usage.') AS t,
           spend_epoch(created) AS time
    FROM fast_parsed
)
SELECT
    source_line,
    CAST(NULL AS VARCHAR) AS raw,
    CASE WHEN id IS NULL OR usage.prompt_tokens IS NULL OR usage.completion_tokens IS NULL
              OR t.bad IS NOT NULL OR time IS NULL THEN 'read from the raw line' END AS reason,
    id AS request_id,
    time AS ts,
    model,
    $default_mode AS mode,
    $provider AS provider,
    CAST(1 AS BIGINT) AS requests,
    unnest(t.tokens),
    service_tier,
    CAST(NULL AS VARCHAR) AS doc,
    CASE WHEN $metadata_tags THEN metadata END AS attributes,
    spend_fast_found(CASE WHEN $metadata_tags THEN metadata END, request, "user", team_id, end_user, project_id,
                     api_key_id, $root_paths) AS found
FROM tokens
