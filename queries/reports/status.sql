-- name: status_usage
-- Size and time range of the store.
SELECT count(*) AS rows, CAST(coalesce(sum(requests), 0) AS BIGINT) AS requests,
       min(ts) AS first_ts, max(ts) AS last_ts
FROM usage;

-- name: status_coverage
-- Share of requests and tokens that are priced.
SELECT CAST(coalesce(sum(requests), 0) AS BIGINT) AS requests,
       CAST(coalesce(sum(requests) FILTER (WHERE priced), 0) AS BIGINT) AS priced_requests,
       CAST(coalesce(sum(input_tokens + output_tokens), 0) AS BIGINT) AS tokens,
       CAST(coalesce(sum(input_tokens + output_tokens) FILTER (WHERE priced), 0) AS BIGINT) AS priced_tokens,
       sum(cost) AS cost
FROM priced_usage;

-- name: status_last_run
SELECT run_id, started_at, finished_at, files_seen, files_read, rows_read, rows_new, duplicates,
       rejects, epoch(finished_at - started_at) AS seconds
FROM ingest_runs ORDER BY run_id DESC LIMIT 1;

-- name: status_rejects
-- Reject counts by reason.
SELECT reason, count(*) AS count FROM rejects GROUP BY reason ORDER BY count DESC, reason;

-- name: status_files
SELECT count(*) AS files, coalesce(sum(rows_new), 0) AS rows_new FROM ingested_files;
