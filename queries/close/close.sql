-- name: month_close
-- The close of one month (first day of the UTC month), if it is closed.
SELECT month, closed_at, closed_by, rates_version, capacity_version, through_run_id, rows, requests,
       priced_requests, unpriced_requests, cost, idle_cost
FROM month_closes WHERE month = $month;

-- name: last_run_id
-- The last ingest run (0: none yet): a month's usage stored by a later run is a late arrival.
SELECT coalesce(max(run_id), 0) AS run_id FROM ingest_runs;

-- name: current_versions
-- The rates and capacity versions loaded now (NULL: none).
SELECT (SELECT max(version) FROM rate_versions) AS rates_version,
       (SELECT max(version) FROM capacity_versions) AS capacity_version;

-- name: freeze_month_usage
-- The month's rows as the current rates price them, frozen (closed_usage has the view's columns:
-- the caller adds what it lacks first). The time range is the month's, for the scan to be pruned.
INSERT INTO closed_usage BY NAME
SELECT $month AS closed_month, *
FROM priced_usage_current
WHERE ts >= timezone('UTC', CAST($month AS TIMESTAMP))
  AND ts < timezone('UTC', CAST($month + INTERVAL 1 MONTH AS TIMESTAMP));

-- name: freeze_month_capacity
-- The month's capacity costs (spend, idle, allocated) at the current capacities, frozen.
INSERT INTO closed_capacity_costs BY NAME
SELECT $month AS closed_month, * FROM capacity_costs_current WHERE utc_month(month_start) = $month;

-- name: insert_month_close
-- The close itself: versions in use, the last run, and the totals of the rows just frozen.
INSERT INTO month_closes
SELECT $month, now(), $by, $rates_version, $capacity_version, $through_run_id,
       (SELECT value FROM settings WHERE key = 'batch_discount'),
       count(*), coalesce(sum(requests), 0),
       coalesce(sum(requests) FILTER (WHERE priced), 0), coalesce(sum(requests) FILTER (WHERE NOT priced), 0),
       coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), sum(cost),
       (SELECT sum(idle_cost) FROM closed_capacity_costs WHERE closed_month = $month)
FROM closed_usage WHERE closed_month = $month;

-- name: insert_close_log
-- One entry of the close log (close, reopen, reprice-closed), numbered in order.
INSERT INTO close_log
SELECT coalesce(max(entry), 0) + 1, $month, $action, now(), $by, $rates_version, $capacity_version, $cost, $detail
FROM close_log;

-- name: unfreeze_month_usage
-- Reopen: the frozen rows, capacity costs and the close go (three statements, one transaction);
-- the month is priced by priced_usage_current again.
DELETE FROM closed_usage WHERE closed_month = $month;

-- name: unfreeze_month_capacity
DELETE FROM closed_capacity_costs WHERE closed_month = $month;

-- name: delete_month_close
DELETE FROM month_closes WHERE month = $month;

-- name: month_current_cost
-- What the current rates give for the month now, late arrivals included (reported by reopen).
SELECT count(*) AS rows, CAST(coalesce(sum(requests), 0) AS BIGINT) AS requests, sum(cost) AS cost
FROM priced_usage_current
WHERE ts >= timezone('UTC', CAST($month AS TIMESTAMP))
  AND ts < timezone('UTC', CAST($month + INTERVAL 1 MONTH AS TIMESTAMP));

-- name: create_closed_month_usage
-- The usage of the closed months (late arrivals too: a capacity's share is computed over all of
-- a month's usage, as in priced_usage_current), for pricing them alone with the loaded rates.
CREATE OR REPLACE TEMP VIEW closed_month_usage AS
SELECT u.* FROM usage u SEMI JOIN month_closes c ON utc_month(u.ts) = c.month;

-- name: closed_month_costs
-- Per closed month: what the rates and capacities loaded now give for the rows frozen at its
-- close (late arrivals left out, as repriced_usage) and its idle capacity, next to the frozen
-- numbers. A load compares this before and after it replaces the rates or capacities.
WITH priced AS (
    SELECT c.month, p.requests, p.priced, p.cost
    FROM price_usage('closed_month_usage', 'rates', store_batch_discount()) p
    JOIN month_closes c ON utc_month(p.ts) = c.month
    WHERE p.run_id IS NULL OR p.run_id <= c.through_run_id
),
usage_costs AS (
    SELECT month, sum(cost) AS cost, CAST(coalesce(sum(requests) FILTER (WHERE NOT priced), 0) AS BIGINT) AS unpriced
    FROM priced GROUP BY month
),
idle AS (
    SELECT utc_month(month_start) AS month, sum(idle_cost) AS idle_cost
    FROM capacity_costs_current GROUP BY ALL
)
SELECT c.month, u.cost, coalesce(u.unpriced, 0) AS unpriced_requests, i.idle_cost,
       c.cost AS frozen_cost, c.unpriced_requests AS frozen_unpriced_requests, c.idle_cost AS frozen_idle_cost
FROM month_closes c
LEFT JOIN usage_costs u USING (month)
LEFT JOIN idle i USING (month)
ORDER BY c.month;

-- name: list_closes
-- The closed months now, oldest first.
SELECT strftime(month, '%Y-%m') AS month, closed_at, closed_by, rates_version, capacity_version,
       through_run_id, requests, cost, idle_cost
FROM month_closes ORDER BY month;

-- name: closed_month_count
SELECT count(*) FROM month_closes;

-- name: month_idle_cost
-- The month's idle capacity at the current capacities (NULL: no capacity that month).
SELECT sum(idle_cost) FROM capacity_costs_current WHERE utc_month(month_start) = $month;

-- name: late_arrivals
-- Late arrivals per closed month (stored by an ingest run after the close, kept out of its frozen
-- totals), at current rates, for the months in [$since, $until) (NULL: unbounded) and $tenant.
-- The rows and costs of the late_usage view, priced over the closed months' usage alone (the
-- temp view closed_month_usage), not the whole store.
SELECT strftime(c.month, '%Y-%m') AS month, count(*) AS rows,
       CAST(sum(p.requests) AS BIGINT) AS requests,
       CAST(coalesce(sum(p.requests) FILTER (WHERE NOT p.priced), 0) AS BIGINT) AS unpriced_requests,
       sum(p.cost) AS cost, min(p.run_id) AS first_run_id, max(p.run_id) AS last_run_id
FROM price_usage('closed_month_usage', 'rates', store_batch_discount()) p
JOIN month_closes c ON utc_month(p.ts) = c.month
WHERE p.run_id > c.through_run_id
  AND ($since IS NULL OR p.ts >= $since)
  AND ($until IS NULL OR p.ts < $until)
  AND ($tenant IS NULL OR p.tenant = $tenant)
GROUP BY c.month ORDER BY c.month;

-- name: late_in_run
-- The records of one ingest run that are late arrivals for closed months, per month.
SELECT strftime(c.month, '%Y-%m') AS month, count(*) AS rows, CAST(sum(u.requests) AS BIGINT) AS requests
FROM usage u JOIN month_closes c ON utc_month(u.ts) = c.month
WHERE u.run_id = $run_id AND u.run_id > c.through_run_id
GROUP BY c.month ORDER BY c.month;

-- name: late_arrivals_current
-- late_arrivals read from priced_usage_current (the Spark engine over a lake registers that
-- view; no temp view or macro there): per closed month, the month as its first day.
SELECT c.month, count(*) AS rows, CAST(sum(p.requests) AS BIGINT) AS requests,
       CAST(coalesce(sum(CASE WHEN NOT p.priced THEN p.requests ELSE 0 END), 0) AS BIGINT) AS unpriced_requests,
       sum(p.cost) AS cost, min(p.run_id) AS first_run_id, max(p.run_id) AS last_run_id
FROM priced_usage_current p
JOIN month_closes c ON CAST(date_trunc('month', p.ts) AS DATE) = c.month
WHERE p.run_id > c.through_run_id
  AND ($since IS NULL OR p.ts >= $since)
  AND ($until IS NULL OR p.ts < $until)
  AND ($tenant IS NULL OR p.tenant = $tenant)
GROUP BY c.month ORDER BY c.month;
