-- name: normalise_langfuse
-- Langfuse observations, from the API (JSON objects) or a batch export (CSV: JSON-encoded
-- cells, timestamps as quoted JSON strings). Only generations carry usage; other observations
-- (spans, events) are rejects "no usage". usageDetails splits input into keys: `input` is the
-- uncached part, `input_cached_tokens` / `*cache_read*` the cached part, `*cache_creation*` /
-- `*cache_write*` the cache writes; canonical input = inputUsage (or usage.input, or the sum of
-- the input* keys); output = outputUsage (or usage.output, or the sum of the output* keys);
-- reasoning = the output*reasoning* keys. Time: startTime. Identity: the observation id.
-- Langfuse's own cost (totalCost / calculatedTotalCost, costDetails) is kept in attributes.
WITH objects AS (SELECT * FROM staged_objects),
fields AS (
    SELECT *,
        json_extract_string(object_raw, ['$.id', '$.startTime', '$.model', '$.type', '$.inputUsage',
            '$.outputUsage', '$.usage.input', '$.usage.output', '$.traceId', '$.name', '$.traceName',
            '$.totalCost', '$.calculatedTotalCost']) AS f,
        spend_embedded(json_extract(object_raw, '$.usageDetails')) AS details,
        spend_embedded(json_extract(object_raw, '$.costDetails')) AS cost_details,
        spend_embedded(json_extract(object_raw, '$.metadata')) AS metadata,
        spend_embedded(json_extract(object_raw, '$.traceTags')) AS trace_tags
    FROM objects
),
detailed AS (
    SELECT *, CASE WHEN json_type(details) = 'OBJECT' THEN json_keys(details) END AS keys FROM fields
),
sums AS (
    SELECT *,
        list_sum(list_transform(list_filter(keys, lambda k: starts_with(k, 'input')), lambda k: spend_token(details ->> k))) AS input_sum,
        list_sum(list_transform(list_filter(keys, lambda k: starts_with(k, 'output')), lambda k: spend_token(details ->> k))) AS output_sum,
        list_sum(list_transform(list_filter(keys, lambda k: starts_with(k, 'input') AND (contains(k, 'cached') OR contains(k, 'cache_read'))),
                                lambda k: spend_token(details ->> k))) AS cached_sum,
        list_sum(list_transform(list_filter(keys, lambda k: starts_with(k, 'input') AND (contains(k, 'cache_creation') OR contains(k, 'cache_write'))),
                                lambda k: spend_token(details ->> k))) AS write_sum,
        list_sum(list_transform(list_filter(keys, lambda k: starts_with(k, 'output') AND contains(k, 'reasoning')),
                                lambda k: spend_token(details ->> k))) AS reasoning_sum,
        -- uncached audio / image input (cached ones are part of the cached sum), audio / image output
        list_sum(list_transform(list_filter(keys, lambda k: starts_with(k, 'input') AND contains(k, 'audio') AND NOT contains(k, 'cache')),
                                lambda k: spend_token(details ->> k))) AS audio_in_sum,
        list_sum(list_transform(list_filter(keys, lambda k: starts_with(k, 'input') AND contains(k, 'image') AND NOT contains(k, 'cache')),
                                lambda k: spend_token(details ->> k))) AS image_in_sum,
        list_sum(list_transform(list_filter(keys, lambda k: starts_with(k, 'output') AND contains(k, 'audio')),
                                lambda k: spend_token(details ->> k))) AS audio_out_sum,
        list_sum(list_transform(list_filter(keys, lambda k: starts_with(k, 'output') AND contains(k, 'image')),
                                lambda k: spend_token(details ->> k))) AS image_out_sum,
        list_filter(keys, lambda k: (starts_with(k, 'input') OR starts_with(k, 'output'))
                                    AND spend_bad_token(details ->> k))[1] AS bad_key
    FROM detailed
)
SELECT
    source_line,
    raw,
    CASE
        WHEN NOT is_json THEN 'not JSON'
        WHEN object_raw IS NULL THEN 'not a JSON object'
        WHEN coalesce(f[5], f[7], f[6], f[8]) IS NULL AND bad_key IS NULL AND coalesce(input_sum, output_sum) IS NULL
            THEN 'no usage' || coalesce(' (Langfuse ' || f[4] || ' observation)', '')
        WHEN spend_bad_token(f[5]) THEN 'bad token count: inputUsage'
        WHEN spend_bad_token(f[6]) THEN 'bad token count: outputUsage'
        WHEN spend_bad_token(f[7]) THEN 'bad token count: usage.input'
        WHEN spend_bad_token(f[8]) THEN 'bad token count: usage.output'
        WHEN bad_key IS NOT NULL THEN 'bad token count: usageDetails.' || bad_key
    END AS reason,
    coalesce(nullif(f[1], ''), 'sha:' || md5(raw)) AS request_id,
    spend_time(f[2]) AS ts,
    nullif(f[3], '') AS model,
    $default_mode AS mode,
    coalesce(json_extract_string(metadata, '$.ls_provider'), $provider) AS provider,
    CAST(1 AS BIGINT) AS requests,
    CAST(coalesce(spend_token(f[5]), spend_token(f[7]), input_sum, 0) AS BIGINT) AS input_tokens,
    CAST(coalesce(cached_sum, 0) AS BIGINT) AS cached_input_tokens,
    CAST(coalesce(write_sum, 0) AS BIGINT) AS cache_write_tokens,
    CAST(coalesce(spend_token(f[6]), spend_token(f[8]), output_sum, 0) AS BIGINT) AS output_tokens,
    CAST(coalesce(reasoning_sum, 0) AS BIGINT) AS reasoning_tokens,
    CAST(0 AS BIGINT) AS cache_write_1h_tokens,
    CAST(coalesce(audio_in_sum, 0) AS BIGINT) AS audio_input_tokens,
    CAST(coalesce(audio_out_sum, 0) AS BIGINT) AS audio_output_tokens,
    CAST(coalesce(image_in_sum, 0) AS BIGINT) AS image_input_tokens,
    CAST(coalesce(image_out_sum, 0) AS BIGINT) AS image_output_tokens,
    CAST(0 AS BIGINT) AS web_search_requests,
    CAST(NULL AS VARCHAR) AS service_tier,
    CAST(json_merge_patch(object_raw, json_object('metadata', metadata, 'traceTags', trace_tags)) AS VARCHAR) AS doc,
    json_object('total_cost', CASE WHEN TRY_CAST(coalesce(nullif(f[12], ''), f[13]) AS DOUBLE) IS NOT NULL
                                   THEN CAST(coalesce(nullif(f[12], ''), f[13]) AS JSON) END,
                'cost_details', cost_details, 'trace_id', nullif(f[9], ''), 'name', nullif(f[10], ''),
                'trace_name', nullif(f[11], ''), 'trace_tags', trace_tags, 'metadata', metadata) AS attributes
FROM sums
