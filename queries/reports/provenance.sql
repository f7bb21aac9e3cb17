-- name: provenance_store
-- The store file this connection reads (its path as opened), or the lake folder a report over
-- `--lake DIR` reads (an in-memory store: analyzer/lake.py sets lake_folder).
SELECT coalesce((SELECT path FROM duckdb_databases() WHERE database_name = current_database()),
                getvariable('lake_folder'));

-- name: provenance_rates
-- The rates version loaded now: when, from which file, its SHA-256 and rows (none: no history yet).
SELECT version, loaded_at, source, sha256, rows FROM rate_versions ORDER BY version DESC LIMIT 1;

-- name: provenance_capacity
SELECT version, loaded_at, source, sha256, rows FROM capacity_versions ORDER BY version DESC LIMIT 1;

-- name: provenance_data
-- The time range and size of the usage a report over [$since, $until) and $tenant reads.
SELECT min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS rows
FROM usage
WHERE ($since IS NULL OR ts >= $since)
  AND ($until IS NULL OR ts < $until)
  AND ($tenant IS NULL OR tenant = $tenant);

-- name: provenance_closes
-- The closed months (month: their first day), with the versions that froze them; the caller keeps
-- those in the report's period (plain SQL: it runs on Spark over a lake too).
SELECT month, rates_version, capacity_version, through_run_id, closed_at FROM month_closes ORDER BY month;
