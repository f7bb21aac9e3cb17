-- name: materialise_priced_usage
-- analyzer/pricedonce.py: the store's priced_usage rows in a temp table, and a temp view of the
-- same name over it, which the connection's queries (and the views over priced_usage) now read.
CREATE OR REPLACE TEMP TABLE priced_usage_rows AS SELECT * FROM priced_usage;
CREATE OR REPLACE TEMP VIEW priced_usage AS SELECT * FROM priced_usage_rows;

-- name: forget_materialised_priced_usage
-- The store's priced_usage view is the one read again.
DROP VIEW IF EXISTS temp.main.priced_usage;
DROP TABLE IF EXISTS temp.main.priced_usage_rows;
