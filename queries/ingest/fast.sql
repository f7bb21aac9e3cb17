-- name: parse_fast
-- Fast path for plain JSONL of one shape (analyzer/fastpath.py): DuckDB's own parallel JSON
-- reader with explicit columns (the reader's `fast_columns` query, plus the top-level keys the
-- attribution paths start from, as JSON) parses the file into a temp table. Insertion order is
-- preserved, so rowid - $first_rowid + 1 is the row's position (temp tables number rowids from
-- an offset). With ignore_errors every line gives exactly one row (an unreadable line a NULL
-- row), so the position is the line number when the row count equals the file's line count
-- (checked after).
CREATE OR REPLACE TEMP TABLE fast_parsed AS
SELECT *
FROM read_json($path, format = 'newline_delimited', ignore_errors = true, columns = $columns,
               compression = $compression, maximum_object_size = 8000000);

-- name: create_fast_macros
-- spend_fast_found: the attribution values of a parsed row, from the top-level keys kept as JSON
-- (fastpath.ROOTS), without the whole line: $root_paths holds, per key, the attribution paths
-- that start there, relative to it (`$.metadata.tenant` -> metadata: `$.tenant`); the result
-- lists them key after key, and the fast path's slots point into that order
-- (fastpath.fast_params). A key that is absent gives NULLs (JSON null), never a shorter list.
CREATE OR REPLACE TEMP MACRO spend_fast_found(metadata, request, user_value, team_id, end_user, project_id,
                                              api_key_id, p) AS list_concat(
    json_extract_string(coalesce(metadata, JSON 'null'), p.metadata),
    json_extract_string(coalesce(request, JSON 'null'), p.request),
    json_extract_string(coalesce(user_value, JSON 'null'), p.user),
    json_extract_string(coalesce(team_id, JSON 'null'), p.team_id),
    json_extract_string(coalesce(end_user, JSON 'null'), p.end_user),
    json_extract_string(coalesce(project_id, JSON 'null'), p.project_id),
    json_extract_string(coalesce(api_key_id, JSON 'null'), p.api_key_id));

-- name: count_fast_parsed
SELECT count(*) FROM fast_parsed;

-- name: drop_fast_parsed
DROP TABLE fast_parsed;

-- name: first_fast_rowid
SELECT min(rowid) FROM fast_parsed;

-- name: fast_lines_needing_raw
-- Lines the fast path hands to the raw-line reader: every row its reader query or the common
-- checks gave a reason (the reader's `needs raw line`, or a reject, whose reason and raw text
-- come from the raw line).
CREATE OR REPLACE TEMP TABLE fast_raw_lines AS
SELECT source_line FROM staged_fast WHERE reason IS NOT NULL;

-- name: count_fast_raw_lines
SELECT count(*) FROM fast_raw_lines;

-- name: set_aside_fast_rows
-- The parsed rows are not read again: dropped now, so the steps after have their memory.
DROP TABLE fast_parsed;
DROP TABLE IF EXISTS staged_fast;
ALTER TABLE staged RENAME TO staged_fast;

-- name: drop_fast_rejects
-- Rejects are redone from their raw line.
DELETE FROM staged_fast WHERE reason IS NOT NULL;

-- name: fast_raw_line_numbers
SELECT source_line FROM fast_raw_lines ORDER BY source_line;

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
