-- name: create_reader_macros
-- Helpers the reader queries share (temp macros, made once per staged file: cheap).
-- spend_epoch: a Unix time in seconds, milliseconds, microseconds or nanoseconds (told apart by
-- size) to TIMESTAMPTZ; 0 and NaN are no time (NULL); a negative, infinite or too large value is
-- a time, but one before 2000 (1970-01-01 minus a second), so the common checks say
-- "timestamp out of range" instead of "no timestamp".
-- spend_time: a JSON or CSV value that is a Unix time (number or numeric string) or an ISO 8601
-- text, with or without zone (without: UTC, the session zone), to TIMESTAMPTZ; else NULL.
-- spend_json_text: text that holds JSON (a CSV cell; also the doubled quotes some exports write
-- twice) as JSON text, else NULL. spend_embedded: a JSON value, or a JSON string holding JSON,
-- as JSON. (Token counts: usage_conventions.sql.)
-- spend_first: the first non-empty of found[i[1]] .. found[i[8]] (attribution slots; 0 = none),
-- plain vector operations where a lambda over the list would cost a second per million rows.
-- spend_lookup: the first non-empty m[found[i[k]]] (the tenant map, by the ids in the slots).
-- spend_configured_mode: the mode config [modes] gives a model (NULL: none), from $mode_map, its
-- entries most specific first (ModesSection.ordered: exact name, then longer pattern, then text);
-- nothing is matched when the config has no [modes].
CREATE OR REPLACE TEMP MACRO spend_epoch(n) AS CASE
    WHEN n IS NULL OR isnan(n) OR n = 0 THEN NULL
    WHEN n < 0 OR n >= 1e19 OR isinf(n) THEN TIMESTAMPTZ '1969-12-31 23:59:59+00'
    WHEN n < 1e11 THEN to_timestamp(n)
    WHEN n < 1e14 THEN to_timestamp(0) + to_microseconds(CAST(n * 1000 AS BIGINT))
    WHEN n < 1e17 THEN to_timestamp(0) + to_microseconds(CAST(n AS BIGINT))
    ELSE to_timestamp(0) + to_microseconds(CAST(n / 1000 AS BIGINT))
END;
CREATE OR REPLACE TEMP MACRO spend_time(v) AS coalesce(
    spend_epoch(TRY_CAST(trim(CAST(v AS VARCHAR), ' "') AS DOUBLE)),
    TRY_CAST(trim(CAST(v AS VARCHAR), ' "') AS TIMESTAMPTZ)
);
CREATE OR REPLACE TEMP MACRO spend_json_text(t) AS CASE
    WHEN json_valid(t) THEN t
    WHEN json_valid(replace(t, '""', '"')) THEN replace(t, '""', '"')
END;
CREATE OR REPLACE TEMP MACRO spend_embedded(j) AS CASE
    WHEN json_type(j) = 'VARCHAR' THEN CAST(spend_json_text(j ->> '$') AS JSON)
    ELSE CAST(j AS JSON)
END;
CREATE OR REPLACE TEMP MACRO spend_first(found, i) AS coalesce(
    nullif(found[i[1]], ''), nullif(found[i[2]], ''), nullif(found[i[3]], ''), nullif(found[i[4]], ''),
    nullif(found[i[5]], ''), nullif(found[i[6]], ''), nullif(found[i[7]], ''), nullif(found[i[8]], ''));
CREATE OR REPLACE TEMP MACRO spend_configured_mode(model, mode_map) AS CASE
    WHEN len(CAST(mode_map AS STRUCT(pattern VARCHAR, is_pattern BOOLEAN, mode VARCHAR)[])) > 0 THEN
    list_filter(CAST(mode_map AS STRUCT(pattern VARCHAR, is_pattern BOOLEAN, mode VARCHAR)[]),
                lambda e: e.pattern = model OR (e.is_pattern AND model GLOB e.pattern))[1].mode
END;
CREATE OR REPLACE TEMP MACRO spend_lookup(m, found, i) AS coalesce(
    nullif(m[found[i[1]]], ''), nullif(m[found[i[2]]], ''), nullif(m[found[i[3]]], ''), nullif(m[found[i[4]]], ''),
    nullif(m[found[i[5]]], ''), nullif(m[found[i[6]]], ''), nullif(m[found[i[7]]], ''), nullif(m[found[i[8]]], ''));

-- name: create_staged_problems
-- Parts of the file that are no record (damaged gzip, malformed CSV row, invalid document).
-- whole_file: the file as a whole is not what its layout needs (not a JSON document, not a
-- readable CSV or Parquet file): with no record besides, the file is an error (staging.py).
CREATE OR REPLACE TEMP TABLE staged_problems (source_line BIGINT, reason VARCHAR, raw VARCHAR, whole_file BOOLEAN);

-- name: add_staged_problem
INSERT INTO staged_problems VALUES ($source_line, $reason, $raw, $whole_file);

-- name: first_whole_file_problem
SELECT min(reason) FROM staged_problems WHERE whole_file;

-- name: staging_limits
-- The store connection's memory limit and spill folder, for the side connection that parses CSV.
SELECT current_setting('memory_limit') AS memory_limit, current_setting('temp_directory') AS temp_directory;

-- name: stage_document
-- The whole file (staged_lines) as one JSON document; its records are an array's elements, the
-- elements of a page's `data` array (an object with `data` and no `usage`), or the document,
-- numbered by position. A file that is not one document but whose first line is JSON (JSON
-- Lines of pages or arrays) is read per line, each line's records numbered by that line; any
-- other file that is not valid JSON is one problem holding the whole text.
CREATE OR REPLACE TEMP TABLE staged_document AS
SELECT string_agg(coalesce(raw, ''), E'\n' ORDER BY source_line) AS text,
       coalesce(json_valid(arg_min(raw, source_line) FILTER (WHERE trim(coalesce(raw, ''), E' \t\r\n') <> '')), false) AS first_line_json
FROM staged_lines;
INSERT INTO staged_problems
SELECT 1, 'not a valid JSON document', text, true FROM staged_document
WHERE trim(coalesce(text, ''), E' \t\r\n') <> '' AND NOT json_valid(text) AND NOT first_line_json;
CREATE OR REPLACE TEMP TABLE staged_items AS
WITH parts AS (
    SELECT 0 AS line, text FROM staged_document WHERE json_valid(text)
    UNION ALL
    SELECT l.source_line, l.raw FROM staged_lines l, staged_document d
    WHERE NOT json_valid(d.text) AND d.first_line_json AND trim(coalesce(l.raw, ''), E' \t\r\n') <> ''
),
checked AS (
    SELECT line, text, CASE WHEN json_valid(text) THEN text END AS json_text FROM parts
),
shaped AS (
    SELECT line, CASE
        WHEN json_type(json_text) = 'ARRAY' THEN CAST(json_extract(json_text, '$[*]') AS VARCHAR[])
        WHEN json_type(json_text) = 'OBJECT' AND json_type(json_text, '$.data') = 'ARRAY'
             AND NOT json_exists(json_text, '$.usage') THEN CAST(json_extract(json_text, '$.data[*]') AS VARCHAR[])
        ELSE [text]
    END AS items
    FROM checked
),
numbered AS (
    SELECT line, generate_subscripts(items, 1) AS position, unnest(items) AS raw FROM shaped
)
SELECT CASE WHEN line = 0 THEN position ELSE line END AS source_line, raw FROM numbered ORDER BY line, position;

-- name: stage_sse
-- Server-sent events (staged_lines) to one record per event: its `data:` lines joined by
-- newlines (one optional space after the colon dropped), numbered by its first data line.
-- Events are separated by blank lines; `[DONE]`, `event:`, `id:`, `retry:` and comment lines
-- are no records; any other line is a record of its own (the reader rejects it).
CREATE OR REPLACE TEMP TABLE staged_items AS
WITH kinds AS (
    SELECT source_line, coalesce(raw, '') AS line, CASE
        WHEN trim(coalesce(raw, ''), E' \t\r\n') = '' THEN 'blank'
        WHEN starts_with(raw, 'data:') THEN 'data'
        WHEN starts_with(raw, ':') OR starts_with(raw, 'event:') OR starts_with(raw, 'id:')
             OR starts_with(raw, 'retry:') OR raw IN ('event', 'data', 'id', 'retry') THEN 'field'
        ELSE 'other'
    END AS kind
    FROM staged_lines
),
events AS (
    SELECT *, sum(CASE WHEN kind = 'blank' THEN 1 ELSE 0 END)
              OVER (ORDER BY source_line ROWS UNBOUNDED PRECEDING) AS event_no
    FROM kinds
),
payloads AS (
    SELECT min(source_line) AS source_line,
           string_agg(CASE WHEN starts_with(line, 'data: ') THEN substr(line, 7) ELSE substr(line, 6) END,
                      E'\n' ORDER BY source_line) AS raw
    FROM events WHERE kind = 'data' GROUP BY event_no
)
SELECT source_line, raw FROM payloads WHERE trim(raw, E' \t\r\n') <> '[DONE]'
UNION ALL
SELECT source_line, line FROM events WHERE kind = 'other'
ORDER BY source_line;

-- name: stage_csv
-- CSV rows as JSON objects of strings (empty cells null); the header is line 1. Malformed rows
-- go to the temp table staging_rejects (then to staged_problems). Run in a side connection
-- (staging.stage_csv): the CSV reader raises on some inputs whatever its options.
CREATE OR REPLACE TEMP TABLE staged_items AS
SELECT row_number() OVER () + 1 AS source_line, CAST(to_json(t) AS VARCHAR) AS raw
FROM read_csv($path, columns = $columns, header = true, auto_detect = false, delim = $delimiter,
              quote = '"', escape = '"', compression = 'none', strict_mode = true,
              max_line_size = 1000000000, ignore_errors = true, store_rejects = true,
              rejects_table = 'staging_rejects', rejects_scan = 'staging_scans') t;

-- name: staged_items_rows
SELECT source_line, raw FROM staged_items ORDER BY source_line;

-- name: problems_from_csv_rejects
-- Malformed rows of the CSV just parsed (in the side connection), one per line.
SELECT line, 'malformed CSV row: ' || first(error_message ORDER BY column_idx), first(csv_line)
FROM staging_rejects GROUP BY line ORDER BY line;

-- name: stage_registered_items
-- Items parsed elsewhere (an Arrow table registered as csv_items) as staged_items.
CREATE OR REPLACE TEMP TABLE staged_items AS SELECT source_line, raw FROM csv_items;

-- name: stage_parquet
-- Parquet rows (an Arrow table registered as parquet_rows) as JSON objects.
CREATE OR REPLACE TEMP TABLE staged_items AS
SELECT row_number() OVER () AS source_line, CAST(to_json(p) AS VARCHAR) AS raw FROM parquet_rows p;

-- name: stage_no_items
CREATE OR REPLACE TEMP TABLE staged_items (source_line BIGINT, raw VARCHAR);

-- name: stage_records_from_items
-- The records of a document, SSE, CSV or Parquet file (a view: no copy).
CREATE OR REPLACE TEMP VIEW staged_records AS
SELECT source_line, raw FROM staged_items WHERE raw IS NOT NULL AND trim(raw, E' \t\r\n') <> '';

-- name: stage_objects
-- The staged records with what every JSON reader checks first: is_json, and object_raw (the
-- text when it is a JSON object, else NULL). Invalid JSON is turned into NULL before any JSON
-- function sees it, because CASE and AND evaluate their operands on whole vectors.
CREATE OR REPLACE TEMP VIEW staged_objects AS
WITH valid AS (
    SELECT source_line, raw, CASE WHEN json_valid(raw) THEN raw END AS json_raw FROM staged_records
)
SELECT source_line, raw, json_raw IS NOT NULL AS is_json,
       CASE WHEN json_type(json_raw) = 'OBJECT' THEN json_raw END AS object_raw
FROM valid;

-- name: stage_bucket_results
-- Organization API pages (Usage, Costs): a record that is a bucket {start_time, end_time,
-- results: [...]} gives one row per result, with the bucket's times; any other record is one row
-- as it is (a bare result, or text that is no object). A view: read only by those readers.
CREATE OR REPLACE TEMP VIEW staged_bucket_results AS
WITH buckets AS (
    SELECT *, json_type(object_raw, '$.results') = 'ARRAY' AS is_bucket FROM staged_objects
)
SELECT source_line, is_json, true AS is_object, json_extract_string(object_raw, '$.start_time') AS start_time,
       json_extract_string(object_raw, '$.end_time') AS end_time,
       unnest(CAST(json_extract(object_raw, '$.results[*]') AS VARCHAR[])) AS result_raw
FROM buckets WHERE is_bucket
UNION ALL
SELECT source_line, is_json, object_raw IS NOT NULL, NULL, NULL, coalesce(object_raw, raw)
FROM buckets WHERE NOT coalesce(is_bucket, false);
