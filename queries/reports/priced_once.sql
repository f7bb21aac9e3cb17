-- name: materialise_priced_usage
-- analyzer/pricedonce.py: the store's priced_usage rows in a temp table, and a temp view of the
-- same name over it, which the connection's queries (and the views over priced_usage) now read.
CREATE OR REPLACE TEMP TABLE priced_usage_rows AS SELECT * FROM priced_usage;
CREATE OR REPLACE TEMP VIEW priced_usage AS SELECT * FROM priced_usage_rows;

-- name: forget_materialised_priced_usage
-- The store's priced_usage view is the one read again.
DROP VIEW IF EXISTS temp.main.priced_usage;
DROP TABLE IF EXISTS temp.main.priced_usage_rows;

-- name: narrow_priced_usage_to_tenant
-- analyzer/pricedonce.py: inside priced_once, one tenant's statement reads only that tenant's
-- priced rows (a temp table cut from the priced rows), not the whole store's twenty times over.
CREATE OR REPLACE TEMP TABLE priced_usage_tenant_rows AS SELECT * FROM priced_usage_rows WHERE tenant = $tenant;

-- name: read_tenant_priced_rows
CREATE OR REPLACE TEMP VIEW priced_usage AS SELECT * FROM priced_usage_tenant_rows;

-- name: widen_priced_usage
-- Every tenant's priced rows are read again.
CREATE OR REPLACE TEMP VIEW priced_usage AS SELECT * FROM priced_usage_rows;
DROP TABLE IF EXISTS temp.main.priced_usage_tenant_rows;
