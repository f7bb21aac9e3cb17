-- name: manifest_entries
-- Every file the incremental ingest has seen, for the skip decision.
SELECT path, size, mtime_ns, content_hash FROM ingested_files;

-- name: record_file
-- Remember a file as read (or recognised), replacing what was known of it, except rows_new:
-- it adds up over the reads of the file (an appended file's first rows were new in an earlier
-- run), so sum(rows_new) over the manifest is what the files brought into usage.
INSERT INTO ingested_files
VALUES ($path, $size, $mtime_ns, $content_hash, $format, $rows_read, $rows_new, $rejects, now(), $run_id)
ON CONFLICT (path) DO UPDATE SET
    size = excluded.size, mtime_ns = excluded.mtime_ns, content_hash = excluded.content_hash,
    format = excluded.format, rows_read = excluded.rows_read,
    rows_new = ingested_files.rows_new + excluded.rows_new, rejects = excluded.rejects,
    ingested_at = excluded.ingested_at, run_id = excluded.run_id;

-- name: forget_file
-- A file that changed while it was read is not remembered (the next run reads it again).
DELETE FROM ingested_files WHERE path = $path;

-- name: touch_file
-- Same content, new mtime: remember the mtime so the next run skips it without hashing.
UPDATE ingested_files SET mtime_ns = $mtime_ns, size = $size WHERE path = $path;

-- name: next_run_id
SELECT coalesce(max(run_id), 0) + 1 FROM ingest_runs;

-- name: run_tokens
-- New tokens of a run, how many of them could be priced (for --fail-under-coverage), and how
-- many new rows have no tenant (the summary warns when that is most of them).
SELECT coalesce(sum(input_tokens + output_tokens), 0) AS tokens,
       coalesce(sum(input_tokens + output_tokens) FILTER (WHERE priced), 0) AS priced_tokens,
       count(*) FILTER (WHERE tenant IS NULL) AS without_tenant
FROM priced_usage WHERE run_id = $run_id;

-- name: record_run
INSERT INTO ingest_runs (run_id, started_at, finished_at, files_seen, files_read, rows_read, rows_new,
    duplicates, rejects, new_tokens, new_tokens_priced, conflicts, rows_replaced)
VALUES ($run_id, $started_at, $finished_at, $files_seen, $files_read, $rows_read,
    $rows_new, $duplicates, $rejects, $new_tokens, $new_tokens_priced, $conflicts, $rows_replaced);
