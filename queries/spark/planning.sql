-- Spark variants of the what-if queries (queries/planning/whatif.sql; Spark SQL, parameters :name),
-- used by --engine spark in place of the DuckDB query of the same name (analyzer/sparkquery.py).
-- Only where the dialects truly differ; tests/test_spark.py runs whatif on both engines and
-- compares the results.

-- name: create_whatif_usage__spark
-- create_whatif_usage: DuckDB replaces model, mode and provider in place (`u.* REPLACE (...)`);
-- Spark SQL has no REPLACE on a star, so they are left out of the star (EXCEPT) and added after
-- (the column order differs; every query reading whatif_usage names its columns or prices `*`).
CREATE OR REPLACE TEMP VIEW whatif_usage AS
SELECT * EXCEPT (model, mode, provider, as_model, as_mode, as_provider),
       coalesce(as_model, model) AS model, coalesce(as_mode, mode) AS mode,
       coalesce(as_provider, provider) AS provider,
       model AS current_model, mode AS current_mode, provider AS current_provider
FROM (
    SELECT u.*, s.as_model, s.as_mode, s.as_provider
    FROM usage u CROSS JOIN whatif_settings s
    WHERE (s.since IS NULL OR u.ts >= s.since)
      AND (s.until IS NULL OR u.ts < s.until)
      AND (s.w_tenant IS NULL OR u.tenant = s.w_tenant)
      AND (s.w_feature IS NULL OR u.feature = s.w_feature)
      AND (s.w_environment IS NULL OR u.environment = s.w_environment)
      AND (s.w_model IS NULL OR u.model = s.w_model)
      AND (s.w_mode IS NULL OR u.mode = s.w_mode)
      AND (s.w_provider IS NULL OR u.provider = s.w_provider)
      AND (s.w_user_id IS NULL OR u.user_id = s.w_user_id)
      AND (s.w_project IS NULL OR u.project = s.w_project)
);

-- name: create_whatif_rates_from_card__spark
-- create_whatif_rates_from_card: DuckDB copies the card into an empty temp table of the rates
-- table's shape (INSERT ... BY NAME); a Spark temp view takes no INSERT, so whatif_rates is the
-- card itself (its columns are the rates table's, analyzer/rates.card_table). The card resolution
-- (analyzer/sparkpricing.price_relation) inserts it BY NAME into a rates table on the driver, as
-- the DuckDB query does.
CREATE OR REPLACE TEMP VIEW whatif_rates AS SELECT * FROM whatif_card;
