-- Migration 005: capacities, as loaded from a capacity file (dedicated endpoints and GPU clusters;
-- README "Capacity"). One row per capacity and UTC month. The spend is monthly_cost, or gpus x
-- gpu_hours x gpu_hour_rate, computed exactly when the file is loaded. How it is allocated to
-- usage is the view code in queries/views/ (capacity_costs), not this history.
CREATE TABLE capacities (
    name            VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,          -- dedicated | gpu_cluster (the usage mode it serves)
    models          VARCHAR[] NOT NULL,        -- models it serves (exact names)
    month           DATE NOT NULL,             -- first day of the UTC month
    monthly_cost    DECIMAL(18, 6),
    gpus            BIGINT,
    gpu_hours       DECIMAL(18, 6),            -- hours per GPU in the month
    gpu_hour_rate   DECIMAL(18, 6),            -- USD per GPU-hour
    capacity_tokens BIGINT,                    -- tokens (input + output) it can serve in the month
    spend           DECIMAL(38, 18) NOT NULL,
    file_line       INTEGER
);
