-- name: parse_openai_chat_fast
-- Fast path for plain OpenAI chat JSONL (analyzer/fastpath.py): DuckDB's own parallel JSON
-- reader with explicit columns parses the file into a temp table; insertion order is preserved,
-- so rowid - $first_rowid + 1 is the row's position (temp tables number rowids from an offset). With ignore_errors every line gives exactly one row (an
-- unreadable line a NULL row), so the position is the line number when the row count equals
-- the file's line count (checked after). Besides the usage fields, the top-level keys the
-- attribution paths start from are kept as JSON.
CREATE OR REPLACE TEMP TABLE fast_parsed AS
SELECT *
FROM read_json($path, format = 'newline_delimited', ignore_errors = true, columns = $columns,
               compression = $compression, maximum_object_size = 8000000);

-- name: chat_usage_type
-- The DuckDB type of a Chat Completions usage object (the fast path's `usage` column), from the
-- one definition of its shape.
SELECT typeof(json_transform('{}', spend_chat_usage_shape()));

-- name: count_fast_parsed
SELECT count(*) FROM fast_parsed;

-- name: first_fast_rowid
SELECT min(rowid) FROM fast_parsed;

-- name: normalise_openai_chat_fast
-- The parsed rows the fast path prices as they are: an id and both token counts (the usage struct
-- is spend_chat_usage_shape, so the counts are text checked by spend_chat_tokens). Everything else (a
-- line that did not parse, no usage, no id) is left to normalise_openai_chat on the raw line, so
-- reasons, hashes and raw text are the same whichever path read the file. doc is built from the
-- top-level keys kept, for the attribution paths (all of which start from one of them).
WITH tokens AS (
    SELECT rowid - $first_rowid + 1 AS source_line, *, spend_chat_tokens(usage, 'usage.') AS t FROM fast_parsed
    WHERE id IS NOT NULL AND usage.prompt_tokens IS NOT NULL AND usage.completion_tokens IS NOT NULL
)
SELECT
    source_line,
    CAST(NULL AS VARCHAR) AS raw,
    -- any reason sends the line to normalise_openai_chat, which words it from the raw text
    CASE WHEN t.bad IS NOT NULL THEN 'bad token count: ' || t.bad END AS reason,
    id AS request_id,
    spend_epoch(created) AS ts,
    model,
    $default_mode AS mode,
    $provider AS provider,
    CAST(1 AS BIGINT) AS requests,
    unnest(t.tokens),
    service_tier,
    CAST(json_object('metadata', CASE WHEN $metadata_tags THEN metadata END, 'request', request, 'user', "user",
                     'team_id', team_id, 'end_user', end_user, 'project_id', project_id,
                     'api_key_id', api_key_id) AS VARCHAR) AS doc,
    CASE WHEN $metadata_tags THEN metadata END AS attributes
FROM tokens

-- name: fast_lines_needing_raw
-- Lines the fast path hands to the raw-line reader: not parsed as priced rows above, or rejected
-- by the common checks (their reject needs the raw text).
CREATE OR REPLACE TEMP TABLE fast_raw_lines AS
SELECT rowid - $first_rowid + 1 AS source_line FROM fast_parsed
WHERE id IS NULL OR usage.prompt_tokens IS NULL OR usage.completion_tokens IS NULL
UNION ALL
SELECT source_line FROM staged_fast WHERE reason IS NOT NULL;

-- name: count_fast_raw_lines
SELECT count(*) FROM fast_raw_lines;

-- name: set_aside_fast_rows
DROP TABLE IF EXISTS staged_fast;
ALTER TABLE staged RENAME TO staged_fast;

-- name: drop_fast_rejects
-- Rejects are redone from their raw line.
DELETE FROM staged_fast WHERE reason IS NOT NULL;

-- name: fast_raw_line_numbers
SELECT DISTINCT source_line FROM fast_raw_lines ORDER BY source_line;

-- name: stage_records_from_raw_text
-- The raw lines of a plain file, read at their offsets (fastpath.stage_raw_lines).
CREATE OR REPLACE TEMP TABLE fast_raw_records AS SELECT source_line, raw FROM fast_raw_text;
CREATE OR REPLACE TEMP VIEW staged_records AS SELECT source_line, raw FROM fast_raw_records;

-- name: stage_records_for_raw_lines
-- A gzip file: its lines numbered again by DuckDB's line reader.
CREATE OR REPLACE TEMP VIEW staged_records AS
SELECT source_line, raw FROM staged_lines
WHERE source_line IN (SELECT source_line FROM fast_raw_lines);

-- name: merge_raw_rows
-- The few rows read again from their raw lines join the fast rows, which become `staged`.
INSERT INTO staged_fast SELECT * FROM staged;
DROP TABLE staged;
ALTER TABLE staged_fast RENAME TO staged;

-- name: use_fast_rows
ALTER TABLE staged_fast RENAME TO staged;
