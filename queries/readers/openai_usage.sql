-- name: normalise_openai_usage
-- OpenAI organization Usage API pages (completions, embeddings): records are buckets
-- {start_time, end_time, results: [...]} (staging unwraps the page's `data`) or bare result
-- objects. One row per result, aggregated: requests = num_model_requests, time = the bucket's
-- start_time (a bare result has none: --default-time), mode batch when `batch` is true. An empty
-- bucket has no rows. Identity: usage:<object>|<bucket start>|<group keys>. A result without a
-- model (a page not grouped by model) keeps its tokens under the model "(all models)".
-- Token meanings: rows with `input_uncached_tokens` (the API's meaning from 2026-07-15 on, also
-- assumed for any bucket from that day) count all input in input_tokens and all output in
-- output_tokens, cached and cache-write tokens being parts of input. Earlier rows counted text
-- only in input_tokens / output_tokens: audio and image tokens are added to input, cached input
-- and output. project_id, api_key_id, user_id, service_tier and the whole result are kept in
-- attributes. Results of other kinds (images, audio, vector stores...) carry no tokens: rejects.
WITH results AS (SELECT * FROM staged_bucket_results),
parsed AS (
    SELECT *, spend_time(start_time) AS bucket_start,
        json_transform(CASE WHEN is_object AND json_type(result_raw) = 'OBJECT' THEN result_raw END, '{
            "object": "VARCHAR", "num_model_requests": "BIGINT",
            "input_tokens": "BIGINT", "output_tokens": "BIGINT", "input_cached_tokens": "BIGINT",
            "input_cache_write_tokens": "BIGINT", "input_uncached_tokens": "BIGINT",
            "input_audio_tokens": "BIGINT", "input_image_tokens": "BIGINT",
            "input_cached_audio_tokens": "BIGINT", "input_cached_image_tokens": "BIGINT",
            "output_audio_tokens": "BIGINT", "output_image_tokens": "BIGINT",
            "project_id": "VARCHAR", "user_id": "VARCHAR", "api_key_id": "VARCHAR", "model": "VARCHAR",
            "batch": "BOOLEAN", "service_tier": "VARCHAR"}') AS r
    FROM results
),
meaning AS (
    SELECT *, r.input_uncached_tokens IS NOT NULL OR bucket_start >= TIMESTAMPTZ '2026-07-15 00:00:00+00' AS all_modalities
    FROM parsed
)
SELECT
    source_line,
    result_raw AS raw,
    CASE
        WHEN NOT is_json THEN 'not JSON'
        WHEN r IS NULL THEN 'not a JSON object'
        WHEN r.object IS NOT NULL AND r.object NOT IN ('organization.usage.completions.result', 'organization.usage.embeddings.result')
            THEN 'not token usage: ' || r.object
        WHEN r.input_tokens IS NULL AND r.output_tokens IS NULL AND r.input_uncached_tokens IS NULL THEN 'no usage'
    END AS reason,
    CASE WHEN start_time IS NULL THEN 'sha:' || md5(result_raw)
         ELSE concat_ws('|', 'usage:' || coalesce(r.object, ''), start_time, coalesce(r.project_id, ''),
                        coalesce(r.api_key_id, ''), coalesce(r.user_id, ''), coalesce(r.model, ''),
                        coalesce(CAST(r.batch AS VARCHAR), ''), coalesce(r.service_tier, '')) END AS request_id,
    bucket_start AS ts,
    coalesce(r.model, '(all models)') AS model,
    CASE WHEN r.batch THEN 'batch' ELSE $default_mode END AS mode,
    $provider AS provider,
    coalesce(r.num_model_requests, 0) AS requests,
    CASE WHEN all_modalities
         THEN coalesce(r.input_tokens, r.input_uncached_tokens + coalesce(r.input_cached_tokens, 0) + coalesce(r.input_cache_write_tokens, 0), 0)
         ELSE coalesce(r.input_tokens, 0) + coalesce(r.input_audio_tokens, 0) + coalesce(r.input_image_tokens, 0) END AS input_tokens,
    CASE WHEN all_modalities THEN coalesce(r.input_cached_tokens, 0)
         ELSE coalesce(r.input_cached_tokens, 0) + coalesce(r.input_cached_audio_tokens, 0) + coalesce(r.input_cached_image_tokens, 0) END
        AS cached_input_tokens,
    coalesce(r.input_cache_write_tokens, 0) AS cache_write_tokens,
    CASE WHEN all_modalities THEN coalesce(r.output_tokens, 0)
         ELSE coalesce(r.output_tokens, 0) + coalesce(r.output_audio_tokens, 0) + coalesce(r.output_image_tokens, 0) END AS output_tokens,
    CAST(0 AS BIGINT) AS reasoning_tokens,
    result_raw AS doc,
    json_object('project_id', r.project_id, 'api_key_id', r.api_key_id, 'user_id', r.user_id,
                'service_tier', r.service_tier, 'batch', r.batch, 'bucket_end', spend_time(end_time),
                'token_meaning', CASE WHEN all_modalities THEN 'all modalities' ELSE 'text only (before 2026-07-15)' END,
                'result', CAST(CASE WHEN r IS NOT NULL THEN result_raw END AS JSON)) AS attributes
FROM meaning
