-- Closed months (README "Month close"; tables of migration 006). A thin layer over the pricing
-- computation: priced_usage_current (010_pricing.sql) prices every month at the current rates;
-- priced_usage is the same view with a closed month's rows replaced by the rows frozen at its
-- close (closed_usage), so every report, statement, export and mail shows the frozen numbers.
--
-- A late arrival is a usage row of a closed month stored by an ingest run after the close
-- (run_id > month_closes.through_run_id): stored, kept out of the frozen totals, listed by
-- late_usage at current rates. Rows with no run_id were stored before runs were numbered: never late.
-- The month is matched by equality (a hash anti-join: priced_usage costs what
-- priced_usage_current costs when no month is closed).

-- The first day of a time's UTC month (month_closes.month).
CREATE OR REPLACE MACRO utc_month(ts) AS CAST(date_trunc('month', timezone('UTC', ts)) AS DATE);

-- priced_usage: the stable pricing view (docs/sql.md): current pricing for open months, the
-- frozen rows for closed ones. Columns are priced_usage_current's (frozen rows carry NULL in a
-- column the pricing gained after their close).
CREATE OR REPLACE VIEW priced_usage AS
SELECT p.* FROM priced_usage_current p
ANTI JOIN month_closes c ON utc_month(p.ts) = c.month
UNION ALL BY NAME
SELECT * EXCLUDE (closed_month) FROM closed_usage;

-- late_usage: the late arrivals of closed months, priced at the current rates, with their month.
CREATE OR REPLACE VIEW late_usage AS
SELECT c.month AS closed_month, p.*
FROM priced_usage_current p
JOIN month_closes c ON utc_month(p.ts) = c.month
WHERE p.run_id > c.through_run_id;

-- repriced_usage: what the current rates give for the rows priced_usage shows (`report
-- --reprice`): priced_usage_current without the late arrivals.
CREATE OR REPLACE VIEW repriced_usage AS
SELECT p.* FROM priced_usage_current p
ANTI JOIN month_closes c ON utc_month(p.ts) = c.month AND p.run_id > c.through_run_id;

-- capacity_costs: capacity_costs_current (005_capacity.sql) with a closed month's rows as frozen
-- at its close (closed_capacity_costs, migration 010): its spend, idle and allocated cost stay put
-- whatever capacities are loaded later.
CREATE OR REPLACE VIEW capacity_costs AS
SELECT k.* FROM capacity_costs_current k
ANTI JOIN month_closes c ON utc_month(k.month_start) = c.month
UNION ALL BY NAME
SELECT * EXCLUDE (closed_month) FROM closed_capacity_costs;
