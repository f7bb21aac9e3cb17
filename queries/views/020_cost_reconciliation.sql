-- Billed vs priced, per UTC day and project (provider openai): what the invoice says next to
-- what llm-spend computes from usage and rates. difference = billed - priced (NULL when either
-- side is missing); unpriced_requests counts usage the rates could not price.
-- Current SQL, recreated at every write open; migration 002 keeps its first version as history.
CREATE OR REPLACE VIEW cost_reconciliation AS
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
