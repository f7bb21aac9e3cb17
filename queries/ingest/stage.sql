-- name: stage_lines
-- One record per line of a text file (plain or gzip), numbered in file order (a streaming
-- row_number over DuckDB's order-preserving scan), as a view: the file is read when the reader's
-- query runs, never copied. The delimiter is a control character that valid JSON never holds
-- raw, so each line is one value; staging.scan_file has checked there is none and that line
-- endings are consistent. Lines DuckDB cannot read (not UTF-8, over 8 MB) are skipped into the
-- temp table staging_rejects; the ingest then stages the file exactly (staging.py).
-- A view cannot take $parameters: the file and its compression are the session variables
-- staged_path and staged_compression (set_staged_file).
CREATE OR REPLACE TEMP VIEW staged_lines AS
SELECT row_number() OVER () AS source_line, line AS raw
FROM read_csv(getvariable('staged_path'), columns = {'line': 'VARCHAR'}, delim = E'\x1f', quote = '',
              escape = '', header = false, auto_detect = false, strict_mode = false,
              compression = getvariable('staged_compression'),
              max_line_size = 8000000, ignore_errors = true, store_rejects = true,
              rejects_table = 'staging_rejects', rejects_scan = 'staging_scans');

-- name: set_staged_path
SET VARIABLE staged_path = $path;

-- name: set_staged_compression
SET VARIABLE staged_compression = $compression;

-- name: stage_exact_lines
-- Lines numbered in Python (staging.stage_lines_exactly), registered as `exact_lines`.
CREATE OR REPLACE TEMP TABLE exact_lines_copy AS SELECT source_line, raw FROM exact_lines;
CREATE OR REPLACE TEMP VIEW staged_lines AS SELECT source_line, raw FROM exact_lines_copy;

-- name: staging_rejects_exist
SELECT count(*) FROM duckdb_tables() WHERE table_name = 'staging_rejects' AND temporary;

-- name: count_unreadable_lines
SELECT count(*) FROM staging_rejects;

-- name: stage_records_from_lines
-- The records are the non-blank lines (a view: no copy).
CREATE OR REPLACE TEMP VIEW staged_records AS
SELECT source_line, raw FROM staged_lines
WHERE raw <> '' AND (ascii(raw) NOT IN (9, 32) OR trim(raw) <> '');  -- trim only when it may matter

-- name: stage_usage
-- Common checks and attribution over a reader's output: its named query is put in place of
-- the `@reader` slot by sqlfiles.compose. $paths holds every attribution JSON path in order;
-- $<field>_slots are the positions of each field's own paths (ingest.attribution_params); the
-- first non-empty value wins. A tenant not found by its paths is looked up by id: the first id
-- at $tenant_key_slots (API key, project id) in the $tenant_names map (config [tenant_map]). A row without time takes $default_time (NULL
-- unless `ingest --default-time`). Rows of staged_problems (parts of the file that are no
-- record: damaged gzip, malformed CSV row, invalid document) are rejects with their reason.
CREATE OR REPLACE TEMP TABLE staged AS
WITH reader_rows AS (
    -- @reader
),
normalised AS (
    SELECT * REPLACE (coalesce(ts, CAST($default_time AS TIMESTAMPTZ)) AS ts) FROM reader_rows
    UNION ALL BY NAME
    SELECT source_line, raw, reason FROM staged_problems
),
checked AS (
    SELECT *, coalesce(CASE WHEN starts_with(raw, $mark) THEN 'not UTF-8' END, reason, CASE
        WHEN model IS NULL OR model = '' THEN 'no model'
        WHEN ts IS NULL THEN 'no timestamp'
        WHEN ts < TIMESTAMPTZ '2000-01-01 00:00:00+00' OR ts >= TIMESTAMPTZ '2100-01-01 00:00:00+00'
            THEN 'timestamp out of range'
        WHEN greatest(requests, input_tokens, output_tokens) > 1000000000000 THEN 'token count out of range'
        WHEN least(requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens) < 0
            THEN 'negative token count'
        WHEN cached_input_tokens + cache_write_tokens > input_tokens THEN 'cached tokens exceed input tokens'
        WHEN reasoning_tokens > output_tokens THEN 'reasoning tokens exceed output tokens'
    END) AS why
    FROM normalised
),
attributed AS (
    SELECT *, CASE WHEN why IS NULL THEN json_extract_string(doc, $paths) END AS found
    FROM checked
)
SELECT
    source_line,
    why AS reason,
    CASE WHEN starts_with(raw, $mark) THEN substr(raw, length($mark) + 1) WHEN why IS NOT NULL THEN raw END AS raw,
    request_id, ts, model, coalesce($mode, mode) AS mode, provider,
    coalesce(spend_first(found, $tenant_slots),
             spend_lookup(CAST($tenant_names AS MAP(VARCHAR, VARCHAR)), found, $tenant_key_slots)) AS tenant,
    spend_first(found, $feature_slots) AS feature,
    spend_first(found, $environment_slots) AS environment,
    spend_first(found, $user_id_slots) AS user_id,
    spend_first(found, $project_slots) AS project,
    requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
    attributes
FROM attributed;

-- name: count_staged
-- Rows read and rejected in the staged file.
SELECT count(*) AS rows_read, count(*) FILTER (WHERE reason IS NOT NULL) AS rejects FROM staged;

-- name: forget_rejects
-- A file read again replaces its earlier rejects (they describe the file as it was).
DELETE FROM rejects WHERE source_file = $source_file;

-- name: insert_rejects
INSERT INTO rejects
SELECT $source_file, source_line, reason, raw, $run_id FROM staged WHERE reason IS NOT NULL;

-- name: insert_file_reject
-- A file that could not be read at all: one reject without a line number.
INSERT INTO rejects VALUES ($source_file, NULL, $reason, NULL, $run_id);

-- name: insert_new_usage
-- Add staged rows whose request identity is new: first occurrence within the file, then an
-- anti-join against the store (no index: see migration 001). A stored duplicate is the same
-- record, so its time is the staged one's: only stored rows within the staged time range (one
-- day of margin for exports that round times differently) are compared, which lets DuckDB skip
-- the rest of a large store by its row-group time ranges.
INSERT INTO usage
WITH fresh AS (
    SELECT * FROM staged WHERE reason IS NULL
    QUALIFY row_number() OVER (PARTITION BY request_id ORDER BY source_line) = 1
),
span AS (  -- from staged, not fresh: a CTE read twice would be materialised
    SELECT min(ts) - INTERVAL 1 DAY AS first_ts, max(ts) + INTERVAL 1 DAY AS last_ts
    FROM staged WHERE reason IS NULL
),
stored AS (
    SELECT u.request_id FROM usage u, span WHERE u.ts BETWEEN span.first_ts AND span.last_ts
)
SELECT s.request_id, s.ts, s.model, s.mode, s.provider, s.tenant, s.feature, s.environment,
       s.user_id, s.project, s.requests, s.input_tokens, s.cached_input_tokens,
       s.cache_write_tokens, s.output_tokens, s.reasoning_tokens,
       $source_file, s.source_line, s.attributes, $run_id
FROM fresh s
ANTI JOIN stored u ON u.request_id = s.request_id;
