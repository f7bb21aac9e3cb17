-- Migration 006: rate and capacity history, and month close (README "Rate and capacity history",
-- "Month close").
--
-- Every `rates load` / `capacity load` that changes what is loaded is a version: when, from which
-- file, the file's SHA-256, the row count, and the rows themselves (so two versions can be diffed
-- and a closed month knows which version priced it). The current version is the highest one. A
-- store from before this migration keeps its rates and capacities as version 1 (source unknown).
CREATE TABLE rate_versions (
    version   BIGINT PRIMARY KEY,
    loaded_at TIMESTAMPTZ,   -- NULL: loaded before history was kept
    source    VARCHAR,       -- the file loaded (absolute path); NULL: unknown
    sha256    VARCHAR,       -- hex SHA-256 of the file's bytes; NULL: unknown
    rows      BIGINT NOT NULL
);
-- The rates of each version: the columns of `rates` plus version (a column a later migration adds
-- to `rates` is added here by the next load, NULL in earlier versions).
CREATE TABLE rate_version_rows AS SELECT CAST(NULL AS BIGINT) AS version, * FROM rates LIMIT 0;

CREATE TABLE capacity_versions (
    version   BIGINT PRIMARY KEY,
    loaded_at TIMESTAMPTZ,
    source    VARCHAR,
    sha256    VARCHAR,
    rows      BIGINT NOT NULL
);
CREATE TABLE capacity_version_rows AS SELECT CAST(NULL AS BIGINT) AS version, * FROM capacities LIMIT 0;

INSERT INTO rate_versions SELECT 1, NULL, NULL, NULL, count(*) FROM rates HAVING count(*) > 0;
INSERT INTO rate_version_rows SELECT 1, * FROM rates;
INSERT INTO capacity_versions SELECT 1, NULL, NULL, NULL, count(*) FROM capacities HAVING count(*) > 0;
INSERT INTO capacity_version_rows SELECT 1, * FROM capacities;

-- Closed months (`llm-spend close YYYY-MM`), one row per month closed now (a reopen deletes it;
-- close_log keeps every close, reopen and repricing). through_run_id is the last ingest run at the
-- close: usage of the month stored by a later run is a late arrival, kept out of the totals.
CREATE TABLE month_closes (
    month             DATE PRIMARY KEY,   -- first day of the UTC month
    closed_at         TIMESTAMPTZ NOT NULL,
    closed_by         VARCHAR NOT NULL,
    rates_version     BIGINT,             -- NULL: no rates loaded
    capacity_version  BIGINT,             -- NULL: no capacities loaded
    through_run_id    BIGINT NOT NULL,    -- 0: no ingest run before the close
    batch_discount    VARCHAR,
    rows              BIGINT NOT NULL,
    requests          BIGINT NOT NULL,
    priced_requests   BIGINT NOT NULL,
    unpriced_requests BIGINT NOT NULL,
    input_tokens      BIGINT NOT NULL,
    output_tokens     BIGINT NOT NULL,
    cost              DECIMAL(38, 18),    -- NULL: nothing priced
    idle_cost         DECIMAL(38, 18)     -- idle capacity of the month (capacity_costs), NULL: none
);

-- The frozen priced rows of the closed months: what priced_usage showed for the month at the
-- close (usage columns and cost parts). The pricing view's columns at each close are added
-- here when missing (NULL in months closed before).
CREATE TABLE closed_usage AS SELECT CAST(NULL AS DATE) AS closed_month, * FROM usage LIMIT 0;
ALTER TABLE closed_usage ADD COLUMN input_cost DECIMAL(38, 18);
ALTER TABLE closed_usage ADD COLUMN cached_input_cost DECIMAL(38, 18);
ALTER TABLE closed_usage ADD COLUMN cache_write_cost DECIMAL(38, 18);
ALTER TABLE closed_usage ADD COLUMN cache_write_1h_cost DECIMAL(38, 18);
ALTER TABLE closed_usage ADD COLUMN audio_cost DECIMAL(38, 18);
ALTER TABLE closed_usage ADD COLUMN image_cost DECIMAL(38, 18);
ALTER TABLE closed_usage ADD COLUMN output_cost DECIMAL(38, 18);
ALTER TABLE closed_usage ADD COLUMN request_fee_cost DECIMAL(38, 18);
ALTER TABLE closed_usage ADD COLUMN web_search_cost DECIMAL(38, 18);
ALTER TABLE closed_usage ADD COLUMN cost DECIMAL(38, 18);
ALTER TABLE closed_usage ADD COLUMN priced BOOLEAN;
ALTER TABLE closed_usage ADD COLUMN unpriced_reason VARCHAR;
ALTER TABLE closed_usage ADD COLUMN rate_card_line INTEGER;

-- Every close, reopen and load that repriced a closed month (--reprice-closed), in order.
CREATE TABLE close_log (
    entry            BIGINT PRIMARY KEY,
    month            DATE NOT NULL,
    action           VARCHAR NOT NULL,   -- close | reopen | reprice-closed
    logged_at        TIMESTAMPTZ NOT NULL,
    done_by          VARCHAR NOT NULL,
    rates_version    BIGINT,
    capacity_version BIGINT,
    cost             DECIMAL(38, 18),    -- the month's frozen cost (close, reopen) or the new current-rate cost
    detail           VARCHAR
);
