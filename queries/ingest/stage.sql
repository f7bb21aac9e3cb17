-- name: stage_lines
-- One record per line of a text file (plain or gzip), numbered in file order (a streaming
-- row_number over DuckDB's order-preserving scan), as a view: the file is read when the reader's
-- query runs, never copied. The delimiter is a control character that valid JSON never holds
-- raw, so each line is one value; staging.scan_file has checked there is none and that line
-- endings are consistent. Lines DuckDB cannot read (not UTF-8, over 8 MB) are skipped into the
-- temp table staging_rejects; the ingest then stages the file exactly (staging.py).
-- A view cannot take $parameters: the file and its compression are the session variables
-- staged_path and staged_compression (set by set_staged_path and set_staged_compression below,
-- from staging.stage_file).
CREATE OR REPLACE TEMP VIEW staged_lines AS
SELECT row_number() OVER () AS source_line, line AS raw
FROM read_csv(getvariable('staged_path'), columns = {'line': 'VARCHAR'}, delim = E'\x1f', quote = '',
              escape = '', header = false, auto_detect = false, strict_mode = false,
              compression = getvariable('staged_compression'),
              max_line_size = 8000000, ignore_errors = true, store_rejects = true,
              rejects_table = 'staging_rejects', rejects_scan = 'staging_scans');

-- name: set_staged_path
SET VARIABLE staged_path = $path;

-- name: set_staged_compression
SET VARIABLE staged_compression = $compression;

-- name: stage_exact_lines
-- Lines numbered in Python (staging.stage_lines_exactly), registered as `exact_lines`.
CREATE OR REPLACE TEMP TABLE exact_lines_copy AS SELECT source_line, raw FROM exact_lines;
CREATE OR REPLACE TEMP VIEW staged_lines AS SELECT source_line, raw FROM exact_lines_copy;

-- name: staging_rejects_exist
SELECT count(*) FROM duckdb_tables() WHERE table_name = 'staging_rejects' AND temporary;

-- name: count_unreadable_lines
SELECT count(*) FROM staging_rejects;

-- name: stage_records_from_lines
-- The records are the non-blank lines (a view: no copy).
CREATE OR REPLACE TEMP VIEW staged_records AS
SELECT source_line, raw FROM staged_lines
WHERE raw <> '' AND (ascii(raw) NOT IN (9, 32) OR trim(raw, E' \t') <> '');  -- trim only when it may matter

-- name: stage_usage
-- Common checks and attribution over a reader's output: its named query is put in place of
-- the `@reader` slot by sqlfiles.compose. $paths holds every attribution JSON path in order;
-- $<field>_slots are the positions of each field's own paths (ingest.attribution_params); the
-- first non-empty value wins. A tenant not found by its paths is looked up by id: the first id
-- at $tenant_key_slots (API key, project id) in the $tenant_names map (config [tenant_map]). A row
-- without a time its reader knows takes its top-level `created` when that is ISO 8601 text (the
-- chat readers parse only Unix times there, on the hot path), else $default_time (NULL
-- unless `ingest --default-time`). Lines staging marked (not UTF-8, longer than 16 MB: $mark,
-- $long_mark) are rejects whatever the reader made of them. Rows of staged_problems (parts of the file that are no
-- record: damaged gzip, malformed CSV row, invalid document) are rejects with their reason.
-- Identity (README "identity"): a blank or whitespace-only id is no id (the record's hash is
-- used); an id that is a plain number is a tool's row number, scoped by the $format that read it
-- (`litellm#123`), so it never meets another tool's row 123 or a provider id of the same digits.
-- Provider: the reader's, except an OpenAI-shaped record whose id is an OpenRouter generation id
-- (`gen-<unix time>-<key>`: OpenRouter bills it, whatever upstream served it) is `openrouter`;
-- $provider_override (`ingest --provider NAME`) replaces either.
-- Mode: $mode (`ingest --mode`), else the config's [modes] for the model ($mode_map), else the reader's.
-- A fast-path reader (analyzer/fastpath.py) gives its attribution values as `found` (in the
-- order its $<field>_slots point to) instead of a `doc`.
CREATE OR REPLACE TEMP TABLE staged AS
WITH reader_rows AS (
    -- @reader
),
normalised AS (
    SELECT * REPLACE (coalesce(ts, CASE WHEN ts IS NULL THEN CASE WHEN json_valid(doc)
                                   THEN spend_time(json_extract_string(doc, '$.created')) END END,
                               CAST($default_time AS TIMESTAMPTZ)) AS ts) FROM reader_rows
    UNION ALL BY NAME
    -- `found`: a fast-path reader's attribution values, else NULL (looked up in doc below)
    SELECT source_line, raw, reason, CAST(NULL AS VARCHAR[]) AS found FROM staged_problems
),
checked AS (
    SELECT *, coalesce(CASE WHEN starts_with(raw, $mark) THEN 'not UTF-8'
                            WHEN starts_with(raw, $long_mark) THEN 'line longer than 16 MB' END, reason, CASE
        WHEN model IS NULL OR model = '' THEN 'no model'
        WHEN ts IS NULL THEN 'no timestamp'
        WHEN ts < TIMESTAMPTZ '2000-01-01 00:00:00+00' OR ts >= TIMESTAMPTZ '2100-01-01 00:00:00+00'
            THEN 'timestamp out of range'
        WHEN greatest(requests, input_tokens, output_tokens) > 1000000000000 THEN 'token count out of range'
        WHEN least(requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
                   cache_write_1h_tokens, audio_input_tokens, audio_output_tokens, image_input_tokens,
                   image_output_tokens, web_search_requests) < 0
            THEN 'negative token count'
        WHEN cached_input_tokens + cache_write_tokens > input_tokens THEN 'cached tokens exceed input tokens'
        WHEN cache_write_1h_tokens > cache_write_tokens THEN '1-hour cache writes exceed cache writes'
        -- the audio and image parts of input lie outside its cached and cache-write parts
        WHEN audio_input_tokens + image_input_tokens > input_tokens - cached_input_tokens - cache_write_tokens
            THEN 'audio and image tokens exceed uncached input tokens'
        WHEN reasoning_tokens > output_tokens THEN 'reasoning tokens exceed output tokens'
        WHEN audio_output_tokens + image_output_tokens > output_tokens THEN 'audio and image tokens exceed output tokens'
        -- a blank id is replaced by the record's hash, which needs the raw text: a row parsed
        -- without it (the fast path) is handed back to be read from its raw line (the trim only
        -- where the first character may be trimmed: it cost a fifth of the fast path's checks)
        WHEN raw IS NULL AND (request_id = '' OR ascii(request_id) IN (9, 10, 13, 32))
             AND trim(request_id, E' \t\r\n') = '' THEN 'blank request id'
    END) AS why
    FROM normalised
),
attributed AS (
    SELECT * REPLACE (CASE WHEN why IS NULL THEN coalesce(found, json_extract_string(doc, $paths)) END AS found)
    FROM checked
)
SELECT
    source_line,
    why AS reason,
    CASE WHEN starts_with(raw, $mark) THEN substr(raw, length($mark) + 1)
         WHEN starts_with(raw, $long_mark) THEN substr(raw, length($long_mark) + 1) || '...'
         WHEN why IS NOT NULL THEN raw END AS raw,
    CASE WHEN request_id = '' OR (ascii(request_id) IN (9, 10, 13, 32) AND trim(request_id, E' \t\r\n') = '')
             THEN 'sha:' || md5(raw)
         WHEN ascii(request_id) BETWEEN 43 AND 57 THEN CASE  -- + , - . / 0-9: maybe a plain number
             WHEN regexp_full_match(request_id, '[+-]?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?')
             THEN $format || '#' || request_id ELSE request_id END
         ELSE request_id END AS request_id,
    ts, model, coalesce($mode, spend_configured_mode(model, $mode_map), mode) AS mode,
    coalesce($provider_override, CASE WHEN starts_with(request_id, 'gen-') AND provider = 'openai' THEN CASE
        WHEN regexp_full_match(request_id, 'gen-[0-9]{8,}-[A-Za-z0-9]+') THEN 'openrouter' ELSE provider END
        ELSE provider END) AS provider,
    coalesce(spend_first(found, $tenant_slots),
             spend_lookup(CAST($tenant_names AS MAP(VARCHAR, VARCHAR)), found, $tenant_key_slots)) AS tenant,
    spend_first(found, $feature_slots) AS feature,
    spend_first(found, $environment_slots) AS environment,
    spend_first(found, $user_id_slots) AS user_id,
    spend_first(found, $project_slots) AS project,
    requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
    cache_write_1h_tokens, audio_input_tokens, audio_output_tokens, image_input_tokens, image_output_tokens,
    web_search_requests, service_tier, attributes
FROM attributed;

-- name: count_staged
-- Rows read and rejected in the staged file.
SELECT count(*) AS rows_read, count(*) FILTER (WHERE reason IS NOT NULL) AS rejects FROM staged;

-- name: forget_rejects
-- A file read again replaces its earlier rejects (they describe the file as it was).
DELETE FROM rejects WHERE source_file = $source_file;

-- name: insert_rejects
INSERT INTO rejects
SELECT $source_file, source_line, reason, raw, $run_id FROM staged WHERE reason IS NOT NULL;

-- name: insert_file_reject
-- A file that could not be read at all: one reject without a line number.
INSERT INTO rejects VALUES ($source_file, NULL, $reason, NULL, $run_id);

-- name: find_known_ids
-- Staged records whose identity may be known already: the hash of their request_id is in
-- usage_ids (a hash of every stored id: `stored_hash`) or is shared with another staged record.
-- Usually none; only these are compared exactly (resolve_known_ids), so identity holds whatever
-- the times. Only the suspects with a stored hash are looked up in usage, whose request_id
-- column is then scanned whole: copies within the file alone do not cost a scan of the store.
CREATE OR REPLACE TEMP TABLE staged_keys AS
SELECT source_line, hash(request_id) AS id_hash FROM staged WHERE reason IS NULL;
CREATE OR REPLACE TEMP TABLE staged_suspects AS
SELECT source_line, bool_or(stored_hash) AS stored_hash FROM (
    SELECT source_line, true AS stored_hash FROM staged_keys WHERE id_hash IN (SELECT id_hash FROM usage_ids)
    UNION ALL
    SELECT source_line, false AS stored_hash FROM staged_keys
    WHERE id_hash IN (SELECT id_hash FROM staged_keys GROUP BY id_hash HAVING count(*) > 1)
) GROUP BY source_line;
DROP TABLE staged_keys;

-- name: count_known_ids
SELECT count(*) FROM staged_suspects;

-- name: no_known_ids
CREATE OR REPLACE TEMP TABLE staged_known (source_line BIGINT, request_id VARCHAR, kept VARCHAR, conflict BOOLEAN);

-- name: resolve_known_ids
-- The suspects compared exactly: a record whose request_id is stored already is not added
-- (kept 'stored'); of the copies of one id within the file, the first (by line) is added and the
-- later ones are not (kept 'earlier line'). A copy that is not added and whose token counts differ
-- from the kept copy's is a conflict. With several stored rows for an id (stores from before
-- migration 004 could hold a record twice), the earliest run's is the kept copy.
CREATE OR REPLACE TEMP TABLE staged_known AS
WITH suspects AS (
    SELECT s.source_line, s.request_id, k.stored_hash,
           struct_pack(s.requests, s.input_tokens, s.cached_input_tokens, s.cache_write_tokens,
                       s.output_tokens, s.reasoning_tokens) AS counts
    FROM staged s JOIN staged_suspects k ON k.source_line = s.source_line
    WHERE s.reason IS NULL
),
stored AS (
    SELECT u.request_id,
           arg_min(struct_pack(u.requests, u.input_tokens, u.cached_input_tokens, u.cache_write_tokens,
                               u.output_tokens, u.reasoning_tokens), coalesce(u.run_id, 0)) AS counts
    FROM usage u SEMI JOIN (SELECT request_id FROM suspects WHERE stored_hash) s ON s.request_id = u.request_id
    GROUP BY u.request_id
),
copies AS (
    SELECT *, row_number() OVER (PARTITION BY request_id ORDER BY source_line) AS copy,
           first_value(counts) OVER (PARTITION BY request_id ORDER BY source_line) AS first_counts
    FROM suspects
)
SELECT c.source_line, c.request_id, CASE WHEN t.request_id IS NOT NULL THEN 'stored' ELSE 'earlier line' END AS kept,
       c.counts IS DISTINCT FROM coalesce(t.counts, c.first_counts) AS conflict
FROM copies c LEFT JOIN stored t ON t.request_id = c.request_id
WHERE t.request_id IS NOT NULL OR c.copy > 1;

-- name: insert_conflicts
-- Copies not added whose counts differ from the kept copy's (README "identity").
INSERT INTO ingest_conflicts
SELECT s.request_id, $source_file, s.source_line, k.kept, s.requests, s.input_tokens, s.cached_input_tokens,
       s.cache_write_tokens, s.output_tokens, s.reasoning_tokens, $run_id
FROM staged s JOIN staged_known k ON k.source_line = s.source_line
WHERE k.conflict AND NOT ($reread AND k.kept = 'stored');

-- name: count_conflicts
SELECT count(*) FROM staged_known WHERE conflict AND NOT ($reread AND kept = 'stored');

-- name: insert_new_usage
-- Add the staged rows whose identity is new (not in staged_known). By name: every canonical
-- column stage_usage makes is a usage column.
INSERT INTO usage BY NAME
SELECT s.* EXCLUDE (reason, raw), $source_file AS source_file, $run_id AS run_id
FROM staged s
ANTI JOIN staged_known k ON k.source_line = s.source_line
WHERE s.reason IS NULL;

-- name: insert_new_ids
-- The hashes of the ids just added (same rows as insert_new_usage).
INSERT INTO usage_ids
SELECT hash(s.request_id) FROM staged s
ANTI JOIN staged_known k ON k.source_line = s.source_line
WHERE s.reason IS NULL;

-- name: insert_all_usage
-- insert_new_usage when no staged identity may be known (no suspects: the usual first read of
-- a file), without the anti-join.
INSERT INTO usage BY NAME
SELECT s.* EXCLUDE (reason, raw), $source_file AS source_file, $run_id AS run_id
FROM staged s WHERE s.reason IS NULL;

-- name: insert_all_ids
-- insert_new_ids without the anti-join (as insert_all_usage).
INSERT INTO usage_ids SELECT hash(request_id) FROM staged WHERE reason IS NULL;

-- name: replace_stored_rows
-- `ingest --reread`: stored records read again take the new attribution and token counts (and
-- the provider and mode when --provider / --mode are given); rows already equal are left alone.
-- Returns the number of rows changed.
UPDATE usage SET
    tenant = s.tenant, feature = s.feature, environment = s.environment, user_id = s.user_id,
    project = s.project, attributes = s.attributes, requests = s.requests, input_tokens = s.input_tokens,
    cached_input_tokens = s.cached_input_tokens, cache_write_tokens = s.cache_write_tokens,
    output_tokens = s.output_tokens, reasoning_tokens = s.reasoning_tokens,
    cache_write_1h_tokens = s.cache_write_1h_tokens, audio_input_tokens = s.audio_input_tokens,
    audio_output_tokens = s.audio_output_tokens, image_input_tokens = s.image_input_tokens,
    image_output_tokens = s.image_output_tokens, web_search_requests = s.web_search_requests,
    service_tier = s.service_tier,
    provider = CASE WHEN $provider_override IS NULL THEN usage.provider ELSE s.provider END,
    mode = CASE WHEN $mode IS NULL AND spend_configured_mode(s.model, $mode_map) IS NULL THEN usage.mode ELSE s.mode END
FROM (
    SELECT s.* FROM staged s JOIN staged_known k ON k.source_line = s.source_line
    WHERE k.kept = 'stored'
    QUALIFY row_number() OVER (PARTITION BY s.request_id ORDER BY s.source_line) = 1
) s
WHERE usage.request_id = s.request_id
  AND (usage.tenant, usage.feature, usage.environment, usage.user_id, usage.project,
       CAST(usage.attributes AS VARCHAR), usage.requests, usage.input_tokens, usage.cached_input_tokens,
       usage.cache_write_tokens, usage.output_tokens, usage.reasoning_tokens, usage.cache_write_1h_tokens,
       usage.audio_input_tokens, usage.audio_output_tokens, usage.image_input_tokens, usage.image_output_tokens,
       usage.web_search_requests, usage.service_tier,
       CASE WHEN $provider_override IS NULL THEN NULL ELSE usage.provider END,
       CASE WHEN $mode IS NULL AND spend_configured_mode(s.model, $mode_map) IS NULL THEN NULL ELSE usage.mode END)
      IS DISTINCT FROM
      (s.tenant, s.feature, s.environment, s.user_id, s.project, CAST(s.attributes AS VARCHAR), s.requests,
       s.input_tokens, s.cached_input_tokens, s.cache_write_tokens, s.output_tokens, s.reasoning_tokens,
       s.cache_write_1h_tokens, s.audio_input_tokens, s.audio_output_tokens, s.image_input_tokens,
       s.image_output_tokens, s.web_search_requests, s.service_tier,
       CASE WHEN $provider_override IS NULL THEN NULL ELSE s.provider END,
       CASE WHEN $mode IS NULL AND spend_configured_mode(s.model, $mode_map) IS NULL THEN NULL ELSE s.mode END);
