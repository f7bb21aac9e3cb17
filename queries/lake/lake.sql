-- name: lake_table_digest
-- Row count and an order-independent digest of one store table ($table: one of the fixed lake
-- tables of analyzer/lake.py, never user input): the export rewrites the table's Parquet file
-- only when these changed.
SELECT count(*) AS rows, CAST(coalesce(bit_xor(hash(t)), 0) AS VARCHAR) AS digest
FROM query_table($table) t;

-- name: lake_month_digests
-- Per UTC month of usage: its bounds, row count, largest ingest run and an order-independent
-- digest of its rows (a --reread that changes a stored row changes the digest). The export
-- rewrites a month's partition only when its digest changed.
SELECT strftime(ts, '%Y-%m') AS month,
       CAST(date_trunc('month', min(ts)) AS TIMESTAMPTZ) AS month_start,
       count(*) AS rows, max(run_id) AS max_run_id,
       CAST(bit_xor(hash(u)) AS VARCHAR) AS digest
FROM usage u
GROUP BY ALL
ORDER BY month;

-- name: lake_copy_table
-- One whole table as one Parquet file ($path: the temporary name the export renames into place).
-- Parquet keeps DECIMAL(p, s), TIMESTAMPTZ (UTC-adjusted), DATE, lists and JSON as they are.
COPY (SELECT * FROM query_table($table)) TO $path (FORMAT parquet, COMPRESSION zstd);

-- name: lake_copy_month
-- One UTC month of usage, [$since, $until), as one Parquet file in time order (row-group
-- statistics on ts let a period filter skip what it does not need).
COPY (SELECT * FROM usage WHERE ts >= $since AND ts < $until ORDER BY ts, request_id)
TO $path (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880);

-- name: lake_usage_view
-- On a lake connection (an in-memory DuckDB): usage is the lake's month partitions, the files
-- its manifest lists (the variable lake_usage_files), read where they are.
CREATE VIEW usage AS SELECT * FROM read_parquet(getvariable('lake_usage_files'));

-- name: lake_usage_rows
-- Does the store hold usage (an export into a lake whose usage Spark ingests refuses it)?
SELECT count(*) AS rows FROM usage;
