-- name: create_usage_macros
-- How each provider family's usage object maps to the canonical token columns, defined once and
-- used by every reader of that family (README "Token fields"). Made once per staged file (temp
-- macros: cheap). Token fields are read as text (json_transform "VARCHAR") so that a count that is
-- no JSON integer can be told apart from one that is; json_transform "BIGINT" would round 100.7 to
-- 101, read true as 1 and "1e3" as 1000.
--
-- spend_token(t): the text of a JSON integer (or a CSV cell of digits) from -10^12 to 10^12 as
-- BIGINT, else NULL. The text must be the integer's own spelling: 100.0, 1e3, true, "abc", 1e30
-- and 5000000000000000000 are not counts. Bounding each part keeps every sum of parts far from
-- an INT64 overflow. spend_bad_token(t): a count is present but is no such integer.
-- A negative integer is read, and stage_usage rejects the row as "negative token count".
CREATE OR REPLACE TEMP MACRO spend_token(t) AS CASE
    WHEN CAST(TRY_CAST(t AS BIGINT) AS VARCHAR) = t AND abs(TRY_CAST(t AS BIGINT)) <= 1000000000000
    THEN TRY_CAST(t AS BIGINT) END;
CREATE OR REPLACE TEMP MACRO spend_bad_token(t) AS t IS NOT NULL AND spend_token(t) IS NULL;
CREATE OR REPLACE TEMP MACRO spend_part(t) AS coalesce(spend_token(t), 0);

-- Each family has a shape (the json_transform structure of its `usage` object, token fields as
-- text) and a macro spend_<family>_tokens(u, prefix) giving, for a usage struct u of that shape:
-- has_usage (a total is present), bad (the path, prefixed by `prefix` such as 'usage.', of the
-- first count that is present but no integer: the reject "bad token count: <bad>") and tokens:
-- the canonical counts, in the contract's order (analyzer/readers/contract.py), which a reader
-- selects with unnest(t.tokens). Every part is part of a total, never counted twice:
-- cached_input_tokens, cache_write_tokens (with its 1-hour part cache_write_1h_tokens),
-- audio_input_tokens and image_input_tokens are parts of input_tokens; reasoning_tokens,
-- audio_output_tokens and image_output_tokens parts of output_tokens.

-- Chat Completions usage (OpenAI, together.ai, vLLM, SGLang, OpenRouter, batch bodies, gateway
-- responses). prompt_tokens is all input: prompt_tokens_details.cached_tokens (else
-- usage.cached_tokens, as together.ai writes it), .cache_write_tokens (OpenAI, OpenRouter),
-- .audio_tokens and .image_tokens are parts of it; completion_tokens is all output:
-- completion_tokens_details.reasoning_tokens (else usage.reasoning_tokens, as SGLang writes it),
-- .audio_tokens and .image_tokens (OpenRouter's image output) are parts of it.
CREATE OR REPLACE TEMP MACRO spend_chat_usage_shape() AS '{
    "prompt_tokens": "VARCHAR", "completion_tokens": "VARCHAR",
    "prompt_tokens_details": {"cached_tokens": "VARCHAR", "cache_write_tokens": "VARCHAR",
                              "audio_tokens": "VARCHAR", "image_tokens": "VARCHAR"},
    "completion_tokens_details": {"reasoning_tokens": "VARCHAR", "audio_tokens": "VARCHAR", "image_tokens": "VARCHAR"},
    "cached_tokens": "VARCHAR", "reasoning_tokens": "VARCHAR"}';
CREATE OR REPLACE TEMP MACRO spend_chat_tokens(u, prefix) AS {
    'has_usage': u.prompt_tokens IS NOT NULL OR u.completion_tokens IS NOT NULL,
    'bad': CASE
        WHEN spend_bad_token(u.prompt_tokens) THEN prefix || 'prompt_tokens'
        WHEN spend_bad_token(u.completion_tokens) THEN prefix || 'completion_tokens'
        WHEN spend_bad_token(u.prompt_tokens_details.cached_tokens) THEN prefix || 'prompt_tokens_details.cached_tokens'
        WHEN spend_bad_token(u.prompt_tokens_details.cache_write_tokens) THEN prefix || 'prompt_tokens_details.cache_write_tokens'
        WHEN spend_bad_token(u.prompt_tokens_details.audio_tokens) THEN prefix || 'prompt_tokens_details.audio_tokens'
        WHEN spend_bad_token(u.prompt_tokens_details.image_tokens) THEN prefix || 'prompt_tokens_details.image_tokens'
        WHEN spend_bad_token(u.completion_tokens_details.reasoning_tokens) THEN prefix || 'completion_tokens_details.reasoning_tokens'
        WHEN spend_bad_token(u.completion_tokens_details.audio_tokens) THEN prefix || 'completion_tokens_details.audio_tokens'
        WHEN spend_bad_token(u.completion_tokens_details.image_tokens) THEN prefix || 'completion_tokens_details.image_tokens'
        WHEN spend_bad_token(u.cached_tokens) THEN prefix || 'cached_tokens'
        WHEN spend_bad_token(u.reasoning_tokens) THEN prefix || 'reasoning_tokens'
    END,
    'tokens': {
        'input_tokens': spend_part(u.prompt_tokens),
        'cached_input_tokens': coalesce(spend_token(u.prompt_tokens_details.cached_tokens), spend_part(u.cached_tokens)),
        'cache_write_tokens': spend_part(u.prompt_tokens_details.cache_write_tokens),
        'output_tokens': spend_part(u.completion_tokens),
        'reasoning_tokens': coalesce(spend_token(u.completion_tokens_details.reasoning_tokens), spend_part(u.reasoning_tokens)),
        'cache_write_1h_tokens': CAST(0 AS BIGINT),
        'audio_input_tokens': spend_part(u.prompt_tokens_details.audio_tokens),
        'audio_output_tokens': spend_part(u.completion_tokens_details.audio_tokens),
        'image_input_tokens': spend_part(u.prompt_tokens_details.image_tokens),
        'image_output_tokens': spend_part(u.completion_tokens_details.image_tokens),
        'web_search_requests': CAST(0 AS BIGINT)
    }
};

-- Responses API usage (OpenAI Responses, batch bodies, gateway responses): input_tokens is all
-- input, input_tokens_details.cached_tokens / .cache_write_tokens / .audio_tokens / .image_tokens
-- parts of it; output_tokens all output, output_tokens_details.reasoning_tokens / .audio_tokens /
-- .image_tokens parts of it. Web-search calls are output items, counted by the reader.
CREATE OR REPLACE TEMP MACRO spend_responses_usage_shape() AS '{
    "input_tokens": "VARCHAR", "output_tokens": "VARCHAR",
    "input_tokens_details": {"cached_tokens": "VARCHAR", "cache_write_tokens": "VARCHAR",
                             "audio_tokens": "VARCHAR", "image_tokens": "VARCHAR"},
    "output_tokens_details": {"reasoning_tokens": "VARCHAR", "audio_tokens": "VARCHAR", "image_tokens": "VARCHAR"}}';
CREATE OR REPLACE TEMP MACRO spend_responses_tokens(u, prefix) AS {
    'has_usage': u.input_tokens IS NOT NULL OR u.output_tokens IS NOT NULL,
    'bad': CASE
        WHEN spend_bad_token(u.input_tokens) THEN prefix || 'input_tokens'
        WHEN spend_bad_token(u.output_tokens) THEN prefix || 'output_tokens'
        WHEN spend_bad_token(u.input_tokens_details.cached_tokens) THEN prefix || 'input_tokens_details.cached_tokens'
        WHEN spend_bad_token(u.input_tokens_details.cache_write_tokens) THEN prefix || 'input_tokens_details.cache_write_tokens'
        WHEN spend_bad_token(u.input_tokens_details.audio_tokens) THEN prefix || 'input_tokens_details.audio_tokens'
        WHEN spend_bad_token(u.input_tokens_details.image_tokens) THEN prefix || 'input_tokens_details.image_tokens'
        WHEN spend_bad_token(u.output_tokens_details.reasoning_tokens) THEN prefix || 'output_tokens_details.reasoning_tokens'
        WHEN spend_bad_token(u.output_tokens_details.audio_tokens) THEN prefix || 'output_tokens_details.audio_tokens'
        WHEN spend_bad_token(u.output_tokens_details.image_tokens) THEN prefix || 'output_tokens_details.image_tokens'
    END,
    'tokens': {
        'input_tokens': spend_part(u.input_tokens),
        'cached_input_tokens': spend_part(u.input_tokens_details.cached_tokens),
        'cache_write_tokens': spend_part(u.input_tokens_details.cache_write_tokens),
        'output_tokens': spend_part(u.output_tokens),
        'reasoning_tokens': spend_part(u.output_tokens_details.reasoning_tokens),
        'cache_write_1h_tokens': CAST(0 AS BIGINT),
        'audio_input_tokens': spend_part(u.input_tokens_details.audio_tokens),
        'audio_output_tokens': spend_part(u.output_tokens_details.audio_tokens),
        'image_input_tokens': spend_part(u.input_tokens_details.image_tokens),
        'image_output_tokens': spend_part(u.output_tokens_details.image_tokens),
        'web_search_requests': CAST(0 AS BIGINT)
    }
};

-- Anthropic Messages usage (Messages API, its streams, Claude Code transcripts, gateway
-- responses): input_tokens EXCLUDES cache reads and writes, so canonical input = input_tokens +
-- cache_read_input_tokens + cache_creation_input_tokens; cached = cache reads; cache write =
-- cache creation, of which cache_creation.ephemeral_1h_input_tokens are 1-hour writes (the rest
-- 5-minute); output includes thinking (output_tokens_details.thinking_tokens = reasoning);
-- server_tool_use.web_search_requests counts web searches. usage.service_tier is read by readers.
CREATE OR REPLACE TEMP MACRO spend_anthropic_usage_shape() AS '{
    "input_tokens": "VARCHAR", "output_tokens": "VARCHAR",
    "cache_read_input_tokens": "VARCHAR", "cache_creation_input_tokens": "VARCHAR",
    "cache_creation": "JSON", "service_tier": "VARCHAR", "inference_geo": "VARCHAR",
    "server_tool_use": {"web_search_requests": "VARCHAR"},
    "output_tokens_details": {"thinking_tokens": "VARCHAR"}}';
CREATE OR REPLACE TEMP MACRO spend_anthropic_tokens(u, prefix) AS {
    'has_usage': u.input_tokens IS NOT NULL OR u.output_tokens IS NOT NULL,
    'bad': CASE
        WHEN spend_bad_token(u.input_tokens) THEN prefix || 'input_tokens'
        WHEN spend_bad_token(u.output_tokens) THEN prefix || 'output_tokens'
        WHEN spend_bad_token(u.cache_read_input_tokens) THEN prefix || 'cache_read_input_tokens'
        WHEN spend_bad_token(u.cache_creation_input_tokens) THEN prefix || 'cache_creation_input_tokens'
        WHEN spend_bad_token(json_extract_string(u.cache_creation, '$.ephemeral_1h_input_tokens'))
            THEN prefix || 'cache_creation.ephemeral_1h_input_tokens'
        WHEN spend_bad_token(u.output_tokens_details.thinking_tokens) THEN prefix || 'output_tokens_details.thinking_tokens'
        WHEN spend_bad_token(u.server_tool_use.web_search_requests) THEN prefix || 'server_tool_use.web_search_requests'
    END,
    'tokens': {
        'input_tokens': spend_part(u.input_tokens) + spend_part(u.cache_read_input_tokens)
                        + spend_part(u.cache_creation_input_tokens),
        'cached_input_tokens': spend_part(u.cache_read_input_tokens),
        'cache_write_tokens': spend_part(u.cache_creation_input_tokens),
        'output_tokens': spend_part(u.output_tokens),
        'reasoning_tokens': spend_part(u.output_tokens_details.thinking_tokens),
        'cache_write_1h_tokens': spend_part(json_extract_string(u.cache_creation, '$.ephemeral_1h_input_tokens')),
        'audio_input_tokens': CAST(0 AS BIGINT),
        'audio_output_tokens': CAST(0 AS BIGINT),
        'image_input_tokens': CAST(0 AS BIGINT),
        'image_output_tokens': CAST(0 AS BIGINT),
        'web_search_requests': spend_part(u.server_tool_use.web_search_requests)
    }
};
