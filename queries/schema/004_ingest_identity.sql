-- Migration 004: exact request identity, whatever the records' times.
-- usage_ids holds the 64-bit hash of every stored request_id: the ingest looks a staged record's
-- hash up there first (a compact table, 8 bytes a row), and compares the exact request_id with
-- `usage` only for the few whose hash is found, so a hash collision never drops a record.
-- A request_id that is a plain number (a tool's row number, not a provider's response id) is
-- scoped by the format that read it (`litellm#123`), so two tools' row 123 are two records;
-- ids stored before this migration are scoped the same way by the format their file was read as.
-- ingest_conflicts lists records delivered again under a stored id with different token counts
-- (the stored copy is kept; `ingest --reread` replaces it on purpose).
UPDATE usage SET request_id = f.format || '#' || usage.request_id
FROM ingested_files f
WHERE f.path = usage.source_file AND f.format IS NOT NULL
  AND regexp_full_match(usage.request_id, '[+-]?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?');

CREATE TABLE usage_ids (
    id_hash UBIGINT NOT NULL
);
INSERT INTO usage_ids SELECT hash(request_id) FROM usage;

CREATE TABLE ingest_conflicts (
    request_id          VARCHAR NOT NULL,
    source_file         VARCHAR,
    source_line         BIGINT,
    kept                VARCHAR NOT NULL,  -- which copy is stored: 'stored' (an earlier run) or 'earlier line'
    requests            BIGINT NOT NULL,   -- the counts of the copy that was not stored
    input_tokens        BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL,
    cache_write_tokens  BIGINT NOT NULL,
    output_tokens       BIGINT NOT NULL,
    reasoning_tokens    BIGINT NOT NULL,
    run_id              BIGINT
);

ALTER TABLE ingest_runs ADD COLUMN conflicts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ingest_runs ADD COLUMN rows_replaced BIGINT NOT NULL DEFAULT 0;
