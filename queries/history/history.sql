-- name: latest_rate_version
-- The current (highest) rates version and its file's SHA-256.
SELECT version, sha256 FROM rate_versions ORDER BY version DESC LIMIT 1;

-- name: latest_capacity_version
SELECT version, sha256 FROM capacity_versions ORDER BY version DESC LIMIT 1;

-- name: insert_rate_version
-- A new rates version: the loaded table (already replaced in this transaction) as its rows.
INSERT INTO rate_versions VALUES ($version, now(), $source, $sha256, $rows);

-- name: insert_rate_version_rows
INSERT INTO rate_version_rows BY NAME SELECT $version AS version, * FROM rates;

-- name: insert_capacity_version
INSERT INTO capacity_versions VALUES ($version, now(), $source, $sha256, $rows);

-- name: insert_capacity_version_rows
INSERT INTO capacity_version_rows BY NAME SELECT $version AS version, * FROM capacities;

-- name: list_rate_versions
-- Every rates version, oldest first, whether it is the one loaded now, and the months closed with it.
SELECT v.version, v.loaded_at, v.source, v.sha256, v.rows,
       v.version = (SELECT max(version) FROM rate_versions) AS current,
       (SELECT string_agg(strftime(c.month, '%Y-%m'), ',' ORDER BY c.month) FROM month_closes c
        WHERE c.rates_version = v.version) AS closed_months
FROM rate_versions v ORDER BY v.version;

-- name: list_capacity_versions
SELECT v.version, v.loaded_at, v.source, v.sha256, v.rows,
       v.version = (SELECT max(version) FROM capacity_versions) AS current,
       (SELECT string_agg(strftime(c.month, '%Y-%m'), ',' ORDER BY c.month) FROM month_closes c
        WHERE c.capacity_version = v.version) AS closed_months
FROM capacity_versions v ORDER BY v.version;

-- name: rate_version_exists
SELECT count(*) > 0 FROM rate_versions WHERE version = $version;

-- name: rate_version_rows
-- The rates of one version, in the columns of `rates` (a rates-shaped relation for rates diff).
SELECT * EXCLUDE (version) FROM rate_version_rows WHERE version = $version;
