-- Migration 001: the stable SQL interface of docs/sql.md.
-- usage has no PRIMARY KEY on purpose: request identity is enforced by an anti-join inside the
-- ingest transaction (an index on 10M rows costs several times the data).

CREATE TABLE settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
INSERT INTO settings VALUES ('batch_discount', '0.5'), ('currency', 'USD');

CREATE TABLE usage (
    request_id          VARCHAR NOT NULL,
    ts                  TIMESTAMPTZ NOT NULL,
    model               VARCHAR NOT NULL,
    mode                VARCHAR NOT NULL,
    provider            VARCHAR,
    tenant              VARCHAR,
    feature             VARCHAR,
    environment         VARCHAR,
    user_id             VARCHAR,
    project             VARCHAR,
    requests            BIGINT NOT NULL,
    input_tokens        BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL,
    cache_write_tokens  BIGINT NOT NULL,
    output_tokens       BIGINT NOT NULL,
    reasoning_tokens    BIGINT NOT NULL,
    source_file         VARCHAR,
    source_line         BIGINT,
    attributes          JSON,
    run_id              BIGINT
);

CREATE TABLE rates (
    model                 VARCHAR NOT NULL,
    mode                  VARCHAR NOT NULL,
    input_per_mtok        DECIMAL(18, 6) NOT NULL,
    output_per_mtok       DECIMAL(18, 6) NOT NULL,
    cached_input_per_mtok DECIMAL(18, 6),
    cache_write_per_mtok  DECIMAL(18, 6),
    valid_from            TIMESTAMPTZ,
    valid_to              TIMESTAMPTZ,
    currency              VARCHAR NOT NULL,
    card_line             INTEGER
);

CREATE TABLE rejects (
    source_file VARCHAR NOT NULL,
    source_line BIGINT,
    reason      VARCHAR NOT NULL,
    raw         VARCHAR,
    run_id      BIGINT
);

CREATE TABLE ingested_files (
    path         VARCHAR PRIMARY KEY,
    size         BIGINT NOT NULL,
    mtime_ns     BIGINT NOT NULL,
    content_hash VARCHAR NOT NULL,
    format       VARCHAR,
    rows_read    BIGINT NOT NULL,
    rows_new     BIGINT NOT NULL,
    rejects      BIGINT NOT NULL,
    ingested_at  TIMESTAMPTZ NOT NULL,
    run_id       BIGINT
);

CREATE TABLE ingest_runs (
    run_id        BIGINT PRIMARY KEY,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ NOT NULL,
    files_seen    BIGINT NOT NULL,
    files_read    BIGINT NOT NULL,
    rows_read     BIGINT NOT NULL,
    rows_new      BIGINT NOT NULL,
    duplicates    BIGINT NOT NULL,
    rejects       BIGINT NOT NULL,
    new_tokens    BIGINT NOT NULL,
    new_tokens_priced BIGINT NOT NULL
);

-- Rates in force for a request: its own mode's row; for batch without a batch row, the
-- serverless row times the batch discount (settings.batch_discount). Missing cached and
-- cache-write rates fall back to the input rate of the row used. No row at all: unpriced.
CREATE VIEW priced_usage AS
WITH discount AS (
    SELECT CAST(value AS DECIMAL(7, 6)) AS factor FROM settings WHERE key = 'batch_discount'
),
matched AS (
    SELECT
        u.*,
        CASE WHEN r.model IS NOT NULL THEN r.input_per_mtok
             ELSE s.input_per_mtok * d.factor END AS in_rate,
        CASE WHEN r.model IS NOT NULL THEN coalesce(r.cached_input_per_mtok, r.input_per_mtok)
             ELSE coalesce(s.cached_input_per_mtok, s.input_per_mtok) * d.factor END AS cached_rate,
        CASE WHEN r.model IS NOT NULL THEN coalesce(r.cache_write_per_mtok, r.input_per_mtok)
             ELSE coalesce(s.cache_write_per_mtok, s.input_per_mtok) * d.factor END AS write_rate,
        CASE WHEN r.model IS NOT NULL THEN r.output_per_mtok
             ELSE s.output_per_mtok * d.factor END AS out_rate
    FROM usage u
    CROSS JOIN discount d
    LEFT JOIN rates r
        ON r.model = u.model AND r.mode = u.mode
       AND (r.valid_from IS NULL OR u.ts >= r.valid_from)
       AND (r.valid_to IS NULL OR u.ts < r.valid_to)
    LEFT JOIN rates s
        ON r.model IS NULL AND u.mode = 'batch'
       AND s.model = u.model AND s.mode = 'serverless'
       AND (s.valid_from IS NULL OR u.ts >= s.valid_from)
       AND (s.valid_to IS NULL OR u.ts < s.valid_to)
),
costed AS (
    SELECT
        * EXCLUDE (in_rate, cached_rate, write_rate, out_rate),
        CAST((input_tokens - cached_input_tokens - cache_write_tokens) * in_rate * 0.000001 AS DECIMAL(38, 18)) AS input_cost,
        CAST(cached_input_tokens * cached_rate * 0.000001 AS DECIMAL(38, 18)) AS cached_input_cost,
        CAST(cache_write_tokens * write_rate * 0.000001 AS DECIMAL(38, 18)) AS cache_write_cost,
        CAST(output_tokens * out_rate * 0.000001 AS DECIMAL(38, 18)) AS output_cost,
        in_rate IS NOT NULL AS priced
    FROM matched
)
SELECT
    * EXCLUDE (priced),
    CAST(input_cost + cached_input_cost + cache_write_cost + output_cost AS DECIMAL(38, 18)) AS cost,
    priced
FROM costed;
