-- Spark variants of report queries (Spark SQL; parameters :name), used by --engine spark in place
-- of the DuckDB query of the same name (analyzer/sparkquery.py). Only where the dialects truly
-- differ; tests/test_spark.py runs both and compares the rows.

-- name: spend_cost_parts__spark
-- spend_cost_parts: DuckDB picks the part columns up by name (COLUMNS('^.+_cost$')); Spark SQL has
-- no column pattern, so the parts are listed, in priced_usage's column order (a part the pricing
-- adds must be added here: the engines test fails until it is).
SELECT part, amount
FROM (
    SELECT sum(input_cost) AS input_cost, sum(cached_input_cost) AS cached_input_cost,
           sum(cache_write_cost) AS cache_write_cost, sum(cache_write_1h_cost) AS cache_write_1h_cost,
           sum(audio_cost) AS audio_cost, sum(image_cost) AS image_cost, sum(output_cost) AS output_cost,
           sum(request_fee_cost) AS request_fee_cost, sum(web_search_cost) AS web_search_cost
    FROM priced_usage
    WHERE priced
      AND (:since IS NULL OR ts >= :since)
      AND (:until IS NULL OR ts < :until)
      AND (:tenant IS NULL OR tenant = :tenant)
) UNPIVOT INCLUDE NULLS (amount FOR part IN (input_cost, cached_input_cost, cache_write_cost, cache_write_1h_cost,
                                              audio_cost, image_cost, output_cost, request_fee_cost, web_search_cost));

-- name: capacity_view_exists__spark
-- capacity_view_exists: DuckDB asks its catalog (duckdb_views()); on Spark the lake always has the
-- capacity_costs view (empty: a lake with capacities is refused on Spark).
SELECT true;
