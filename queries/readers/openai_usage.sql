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
            "object": "VARCHAR", "num_model_requests": "VARCHAR",
            "input_tokens": "VARCHAR", "output_tokens": "VARCHAR", "input_cached_tokens": "VARCHAR",
            "input_cache_write_tokens": "VARCHAR", "input_uncached_tokens": "VARCHAR",
            "input_audio_tokens": "VARCHAR", "input_image_tokens": "VARCHAR",
            "input_cached_audio_tokens": "VARCHAR", "input_cached_image_tokens": "VARCHAR",
            "output_audio_tokens": "VARCHAR", "output_image_tokens": "VARCHAR",
            "project_id": "VARCHAR", "user_id": "VARCHAR", "api_key_id": "VARCHAR", "model": "VARCHAR",
            "batch": "BOOLEAN", "service_tier": "VARCHAR"}') AS r
    FROM results
),
counts AS (
    -- every count as text checked by spend_token (usage_conventions.sql); `bad` names the first
    -- that is present but no integer
    SELECT *, {'requests': spend_token(r.num_model_requests), 'input': spend_token(r.input_tokens),
               'output': spend_token(r.output_tokens), 'cached': spend_token(r.input_cached_tokens),
               'write': spend_token(r.input_cache_write_tokens), 'uncached': spend_token(r.input_uncached_tokens),
               'audio_in': spend_part(r.input_audio_tokens), 'image_in': spend_part(r.input_image_tokens),
               'cached_audio': spend_part(r.input_cached_audio_tokens), 'cached_image': spend_part(r.input_cached_image_tokens),
               'audio_out': spend_part(r.output_audio_tokens), 'image_out': spend_part(r.output_image_tokens)} AS n,
        CASE
            WHEN spend_bad_token(r.num_model_requests) THEN 'num_model_requests'
            WHEN spend_bad_token(r.input_tokens) THEN 'input_tokens'
            WHEN spend_bad_token(r.output_tokens) THEN 'output_tokens'
            WHEN spend_bad_token(r.input_cached_tokens) THEN 'input_cached_tokens'
            WHEN spend_bad_token(r.input_cache_write_tokens) THEN 'input_cache_write_tokens'
            WHEN spend_bad_token(r.input_uncached_tokens) THEN 'input_uncached_tokens'
            WHEN spend_bad_token(r.input_audio_tokens) THEN 'input_audio_tokens'
            WHEN spend_bad_token(r.input_image_tokens) THEN 'input_image_tokens'
            WHEN spend_bad_token(r.input_cached_audio_tokens) THEN 'input_cached_audio_tokens'
            WHEN spend_bad_token(r.input_cached_image_tokens) THEN 'input_cached_image_tokens'
            WHEN spend_bad_token(r.output_audio_tokens) THEN 'output_audio_tokens'
            WHEN spend_bad_token(r.output_image_tokens) THEN 'output_image_tokens'
        END AS bad
    FROM parsed
),
meaning AS (
    SELECT *, r.input_uncached_tokens IS NOT NULL OR bucket_start >= TIMESTAMPTZ '2026-07-15 00:00:00+00' AS all_modalities
    FROM counts
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
        WHEN bad IS NOT NULL THEN 'bad token count: ' || bad
    END AS reason,
    CASE WHEN start_time IS NULL THEN 'sha:' || md5(result_raw)
         ELSE concat_ws('|', 'usage:' || coalesce(r.object, ''), start_time, coalesce(r.project_id, ''),
                        coalesce(r.api_key_id, ''), coalesce(r.user_id, ''), coalesce(r.model, ''),
                        coalesce(CAST(r.batch AS VARCHAR), ''), coalesce(r.service_tier, '')) END AS request_id,
    bucket_start AS ts,
    coalesce(r.model, '(all models)') AS model,
    CASE WHEN r.batch THEN 'batch' ELSE $default_mode END AS mode,
    $provider AS provider,
    coalesce(n.requests, 0) AS requests,
    CASE WHEN all_modalities
         THEN coalesce(n.input, n.uncached + coalesce(n.cached, 0) + coalesce(n.write, 0), 0)
         ELSE coalesce(n.input, 0) + n.audio_in + n.image_in END AS input_tokens,
    CASE WHEN all_modalities THEN coalesce(n.cached, 0)
         ELSE coalesce(n.cached, 0) + n.cached_audio + n.cached_image END AS cached_input_tokens,
    coalesce(n.write, 0) AS cache_write_tokens,
    CASE WHEN all_modalities THEN coalesce(n.output, 0)
         ELSE coalesce(n.output, 0) + n.audio_out + n.image_out END AS output_tokens,
    CAST(0 AS BIGINT) AS reasoning_tokens,
    CAST(0 AS BIGINT) AS cache_write_1h_tokens,
    -- audio and image parts of input outside its cached part (cached audio / image are cached input)
    greatest(n.audio_in - n.cached_audio, 0) AS audio_input_tokens,
    n.audio_out AS audio_output_tokens,
    greatest(n.image_in - n.cached_image, 0) AS image_input_tokens,
    n.image_out AS image_output_tokens,
    CAST(0 AS BIGINT) AS web_search_requests,
    r.service_tier AS service_tier,
    result_raw AS doc,
    json_object('project_id', r.project_id, 'api_key_id', r.api_key_id, 'user_id', r.user_id,
                'service_tier', r.service_tier, 'batch', r.batch, 'bucket_end', spend_time(end_time),
                'token_meaning', CASE WHEN all_modalities THEN 'all modalities' ELSE 'text only (before 2026-07-15)' END,
                'result', CAST(CASE WHEN r IS NOT NULL THEN result_raw END AS JSON)) AS attributes
FROM meaning
