-- name: status_usage
-- Size and time range of the store.
SELECT count(*) AS rows, CAST(coalesce(sum(requests), 0) AS BIGINT) AS requests,
       min(ts) AS first_ts, max(ts) AS last_ts
FROM usage;

-- name: status_coverage
-- Share of requests and tokens (input + output) that are priced.
SELECT CAST(coalesce(sum(requests), 0) AS BIGINT) AS requests,
       CAST(coalesce(sum(requests) FILTER (WHERE priced), 0) AS BIGINT) AS priced_requests,
       CAST(coalesce(sum(input_tokens + output_tokens), 0) AS BIGINT) AS tokens,
       CAST(coalesce(sum(input_tokens + output_tokens) FILTER (WHERE priced), 0) AS BIGINT) AS priced_tokens,
       sum(cost) AS cost
FROM priced_usage;

-- name: status_unpriced
-- Models (and modes) with usage but no rate in force, biggest first.
SELECT model, mode, CAST(sum(requests) AS BIGINT) AS requests,
       CAST(sum(input_tokens + output_tokens) AS BIGINT) AS tokens,
       min(ts) AS first_seen, max(ts) AS last_seen
FROM priced_usage WHERE NOT priced
GROUP BY model, mode ORDER BY tokens DESC, model, mode;

-- name: status_last_run
-- The latest ingest run: when, files, rows, rejects, duration.
SELECT run_id, started_at, finished_at, files_seen, files_read, rows_read, rows_new, duplicates,
       rejects, new_tokens, new_tokens_priced, epoch(finished_at - started_at) AS seconds
FROM ingest_runs ORDER BY run_id DESC LIMIT 1;

-- name: status_runs
SELECT count(*) AS runs FROM ingest_runs;

-- name: status_rejects
-- Reject counts by reason.
SELECT reason, count(*) AS count FROM rejects GROUP BY reason ORDER BY count DESC, reason;

-- name: status_files
-- Files in the manifest, and the rows they brought (rows_new adds up over re-reads).
SELECT count(*) AS files, CAST(coalesce(sum(rows_new), 0) AS BIGINT) AS rows_new FROM ingested_files;

-- name: status_conflicts
-- Records delivered again under a stored id with other token counts (not stored: the first copy
-- is kept; see ingest_conflicts), and when the last one came.
SELECT count(*) AS count, count(DISTINCT request_id) AS ids, max(run_id) AS last_run_id FROM ingest_conflicts;

-- name: status_schema
-- Migrations applied to this store, in order.
SELECT name FROM schema_migrations ORDER BY name;
