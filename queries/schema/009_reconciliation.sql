-- Migration 009: the last reconciliation of a bill (`llm-spend reconcile`), kept for the HTML
-- report of the months it covers. A newer reconciliation replaces the ones whose days all lie in
-- its months. Money DECIMAL(38, 18) as priced_usage.cost; computed and difference are NULL where
-- usage is unpriced (never 0 for an unknown).
CREATE TABLE reconciliations (
    run_id           BIGINT PRIMARY KEY,
    reconciled_at    TIMESTAMPTZ NOT NULL,
    bill_file        VARCHAR NOT NULL,
    bill_format      VARCHAR NOT NULL,
    bill_sha256      VARCHAR NOT NULL,
    first_day        DATE NOT NULL,     -- the days compared, both included (UTC)
    last_day         DATE NOT NULL,
    keys             VARCHAR[] NOT NULL, -- what the rows are per besides the day: model, project, tenant, mode
    currency         VARCHAR NOT NULL,
    tolerance_pct    DECIMAL(9, 6) NOT NULL,
    computed         DECIMAL(38, 18),
    billed           DECIMAL(38, 18) NOT NULL,
    difference       DECIMAL(38, 18),
    within_tolerance BOOLEAN NOT NULL
);

CREATE TABLE reconciliation_rows (
    run_id            BIGINT NOT NULL,
    day               DATE NOT NULL,
    model             VARCHAR,
    project           VARCHAR,
    tenant            VARCHAR,
    mode              VARCHAR,
    requests          BIGINT NOT NULL,
    unpriced_requests BIGINT NOT NULL,
    computed          DECIMAL(38, 18),
    billed            DECIMAL(38, 18) NOT NULL,
    difference        DECIMAL(38, 18),
    explained_by      VARCHAR[] NOT NULL
);
