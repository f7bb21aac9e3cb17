-- Migration 002: billed amounts (OpenAI Costs API pages) for reconciliation with priced usage.
-- They are not usage: no tokens, one row per billed line item and period.
CREATE TABLE billed_costs (
    cost_id       VARCHAR NOT NULL,   -- cost:<bucket start>|<line_item>|<project_id>|<api_key_id>|<currency>
    start_time    TIMESTAMPTZ NOT NULL,
    end_time      TIMESTAMPTZ,
    provider      VARCHAR,
    amount        DECIMAL(38, 18) NOT NULL,
    currency      VARCHAR NOT NULL,
    line_item     VARCHAR,
    project_id    VARCHAR,
    api_key_id    VARCHAR,
    quantity      DECIMAL(38, 9),
    quantity_unit VARCHAR,
    source_file   VARCHAR,
    source_line   BIGINT,
    attributes    JSON,
    run_id        BIGINT
);

-- Billed vs priced, per UTC day and project (provider openai): what the invoice says next to
-- what llm-spend computes from usage and rates. difference = billed - priced (NULL when either
-- side is missing); unpriced_requests counts usage the rates could not price.
CREATE VIEW cost_reconciliation AS
WITH billed AS (
    SELECT CAST(start_time AT TIME ZONE 'UTC' AS DATE) AS day, project_id AS project, currency,
           sum(amount) AS billed
    FROM billed_costs GROUP BY ALL
),
priced AS (
    SELECT CAST(ts AT TIME ZONE 'UTC' AS DATE) AS day, project, sum(cost) AS priced,
           sum(requests) FILTER (WHERE NOT priced) AS unpriced_requests
    FROM priced_usage WHERE provider = 'openai' GROUP BY ALL
)
SELECT coalesce(b.day, p.day) AS day, coalesce(b.project, p.project) AS project, b.currency,
       b.billed, p.priced, b.billed - p.priced AS difference, coalesce(p.unpriced_requests, 0) AS unpriced_requests
FROM billed b FULL JOIN priced p ON b.day = p.day AND b.project IS NOT DISTINCT FROM p.project;
