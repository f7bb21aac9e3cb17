-- name: materialise_priced_usage
-- analyzer/pricedonce.py: the store's priced_usage rows in a temp table; read_materialised_priced_usage
-- then puts a temp view of the same name over it, which the connection's queries now read.
CREATE OR REPLACE TEMP TABLE priced_usage_rows AS SELECT * FROM priced_usage;

-- name: materialise_tenant_priced_usage
-- The same for one tenant's statement (analyzer/statements.py): only that tenant's rows are
-- priced and held, so the page's queries scan a small table in memory, and no other tenant's
-- row can reach it.
CREATE OR REPLACE TEMP TABLE priced_usage_rows AS SELECT * FROM priced_usage WHERE tenant = $tenant;

-- name: read_materialised_priced_usage
CREATE OR REPLACE TEMP VIEW priced_usage AS SELECT * FROM priced_usage_rows;

-- name: forget_materialised_priced_usage
-- The store's priced_usage view is the one read again.
DROP VIEW IF EXISTS temp.main.priced_usage;
DROP TABLE IF EXISTS temp.main.priced_usage_rows;
