-- `ingest --engine spark` (analyzer/sparkingest.py, sparkstage.py). The first two run in DuckDB,
-- inside Spark tasks; the others are Spark SQL (parameters :name) on the driver's session, over
-- the temp views spark_staged (every staged row of the run) and lake_stored (the usage already in
-- the lake's month files).

-- name: spark_empty_staged
-- (DuckDB) An empty `staged` with this version's columns (stage_usage's output: usage's columns
-- but source_file and run_id, plus reason and raw), for the task output's schema.
CREATE OR REPLACE TEMP TABLE staged AS
SELECT * EXCLUDE (source_file, run_id), CAST(NULL AS VARCHAR) AS reason, CAST(NULL AS VARCHAR) AS raw
FROM usage LIMIT 0;

-- name: spark_staged_rows
-- (DuckDB) A task's staged rows with the file's place in the run and name, and its whole-file
-- problem ($file_problem: set when no record of the file could be read). attributes is JSON
-- text (Spark has no JSON type).
SELECT CAST($order AS INTEGER) AS file_order, CAST($source_file AS VARCHAR) AS source_file,
       CAST($file_problem AS VARCHAR) AS file_problem,
       * EXCLUDE (attributes), CAST(attributes AS VARCHAR) AS attributes
FROM staged;

-- name: spark_ingest_copies
-- Identity (README "identity"), as the store applies it file after file: every readable staged
-- row with its copy number among the rows of its request_id in the run (file order, then line),
-- whether the lake holds the id already, and whether its token counts differ from the kept copy's
-- (the stored one, else the run's first; with several stored rows, the earliest run's). A later
-- file's copy of an id an earlier file of the run added counts as `stored`, as in the store.
WITH good AS (
    SELECT *, named_struct('requests', requests, 'input_tokens', input_tokens,
                           'cached_input_tokens', cached_input_tokens, 'cache_write_tokens', cache_write_tokens,
                           'output_tokens', output_tokens, 'reasoning_tokens', reasoning_tokens) AS counts
    FROM spark_staged WHERE reason IS NULL
),
stored AS (
    SELECT request_id,
           min_by(named_struct('requests', requests, 'input_tokens', input_tokens,
                               'cached_input_tokens', cached_input_tokens, 'cache_write_tokens', cache_write_tokens,
                               'output_tokens', output_tokens, 'reasoning_tokens', reasoning_tokens),
                  coalesce(run_id, 0)) AS counts
    FROM lake_stored l LEFT SEMI JOIN good g ON g.request_id = l.request_id
    GROUP BY request_id
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY request_id ORDER BY file_order, source_line) AS copy,
           first_value(counts) OVER (PARTITION BY request_id ORDER BY file_order, source_line) AS first_counts,
           first_value(file_order) OVER (PARTITION BY request_id ORDER BY file_order, source_line) AS first_file
    FROM good
)
SELECT r.*, s.request_id IS NOT NULL AS stored,
       CASE WHEN s.request_id IS NOT NULL OR r.first_file < r.file_order THEN 'stored' ELSE 'earlier line' END AS kept,
       NOT (r.counts <=> coalesce(s.counts, r.first_counts)) AS conflict
FROM ranked r LEFT JOIN stored s ON s.request_id = r.request_id;

-- name: spark_ingest_new_rows
-- The rows this run adds: the first copy of each id the lake does not hold, with the run and the
-- UTC month (the partition they go to); sparkingest.py keeps usage's columns, in usage's order.
SELECT *, CAST(:run_id AS BIGINT) AS run_id, date_format(ts, 'yyyy-MM') AS month
FROM spark_ingest_copies
WHERE copy = 1 AND NOT stored;

-- name: spark_ingest_conflicts
-- Copies not added whose counts differ from the kept copy's (the store's ingest_conflicts columns).
SELECT request_id, source_file, source_line, kept, requests, input_tokens, cached_input_tokens,
       cache_write_tokens, output_tokens, reasoning_tokens, CAST(:run_id AS BIGINT) AS run_id
FROM spark_ingest_copies
WHERE (stored OR copy > 1) AND conflict;

-- name: spark_ingest_rejects
-- The run's rejects (the store's rejects columns).
SELECT source_file, source_line, reason, raw, CAST(:run_id AS BIGINT) AS run_id
FROM spark_staged WHERE reason IS NOT NULL;

-- name: spark_ingest_file_counts
-- Per file: rows read, rejects, the whole-file problem, and the rows added and conflicts.
SELECT s.file_order, first(s.source_file) AS source_file, count(*) AS rows_read,
       count(s.reason) AS rejects, max(s.file_problem) AS file_problem
FROM spark_staged s
GROUP BY s.file_order;

-- name: spark_ingest_added_counts
SELECT file_order, count_if(copy = 1 AND NOT stored) AS rows_new,
       count_if((stored OR copy > 1) AND conflict) AS conflicts,
       sum(CASE WHEN copy = 1 AND NOT stored THEN input_tokens + output_tokens ELSE 0 END) AS new_tokens,
       count_if(copy = 1 AND NOT stored AND tenant IS NULL) AS without_tenant
FROM spark_ingest_copies
GROUP BY file_order;
