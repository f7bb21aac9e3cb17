-- Migration 010: closed months keep their capacity costs too (README "Month close").
--
-- closed_capacity_costs holds the rows the capacity costs view showed for a month at its close
-- (spend, tokens served, effective $/1M, utilisation, idle and allocated cost of each capacity),
-- so a later `capacity load --reprice-closed` moves neither the frozen usage rows (closed_usage)
-- nor the month's idle capacity. The columns are capacity_costs_current's
-- (queries/views/005_capacity.sql); a column that view gains later is added at the next close.
CREATE TABLE closed_capacity_costs (
    closed_month       DATE NOT NULL,      -- first day of the UTC month (month_closes.month)
    name               VARCHAR,
    kind               VARCHAR,
    month              VARCHAR,            -- YYYY-MM
    spend              DECIMAL(38, 18),
    tokens             BIGINT,
    effective_per_mtok DECIMAL(38, 18),
    utilisation        DECIMAL(38, 18),
    idle_cost          DECIMAL(38, 18),
    models             VARCHAR,
    capacity_tokens    BIGINT,
    allocated_cost     DECIMAL(38, 18),
    month_start        TIMESTAMPTZ
);
