-- Migration 003: the usage parts and rate-card columns that real bills price (README "Rate card").
-- Tables only: the pricing rule itself is current SQL in queries/views/, recreated at every
-- write open, so this migration leaves the views of 001 and 002 to be replaced there.

-- Parts of existing totals, never counted twice: cache_write_1h_tokens is part of
-- cache_write_tokens; audio_input_tokens and image_input_tokens are parts of input_tokens outside
-- its cached and cache-write parts; audio_output_tokens and image_output_tokens are parts of
-- output_tokens. web_search_requests counts server-side web-search calls. service_tier is the
-- provider's tier of the request (flex, priority, ...), NULL when the record shows none.
ALTER TABLE usage ADD COLUMN cache_write_1h_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage ADD COLUMN audio_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage ADD COLUMN audio_output_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage ADD COLUMN image_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage ADD COLUMN image_output_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage ADD COLUMN web_search_requests BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage ADD COLUMN service_tier VARCHAR;

-- Rates take up to 12 decimal places (published prices such as 0.08333333333333334 per 1M are
-- refused with a hint); below 1,000,000 per 1M tokens, as before.
ALTER TABLE rates ALTER input_per_mtok TYPE DECIMAL(24, 12);
ALTER TABLE rates ALTER input_per_mtok SET NOT NULL;
ALTER TABLE rates ALTER output_per_mtok TYPE DECIMAL(24, 12);
ALTER TABLE rates ALTER output_per_mtok SET NOT NULL;
ALTER TABLE rates ALTER cached_input_per_mtok TYPE DECIMAL(24, 12);
ALTER TABLE rates ALTER cache_write_per_mtok TYPE DECIMAL(24, 12);

-- Optional card columns after SPEC's nine (an old card loads unchanged, these stay NULL):
-- provider (the row applies only to that provider's usage), service_tier (NULL = default tier),
-- input_tokens_above (a context tier: the row prices all of a request's tokens when its input
-- exceeds this), the 1-hour cache-write, audio and image rates (NULL = the cache-write or text
-- rate of that side), per_request (USD a request) and web_search_per_k (USD per 1,000 calls).
ALTER TABLE rates ADD COLUMN provider VARCHAR;
ALTER TABLE rates ADD COLUMN service_tier VARCHAR;
ALTER TABLE rates ADD COLUMN input_tokens_above BIGINT;
ALTER TABLE rates ADD COLUMN cache_write_1h_per_mtok DECIMAL(24, 12);
ALTER TABLE rates ADD COLUMN audio_input_per_mtok DECIMAL(24, 12);
ALTER TABLE rates ADD COLUMN audio_output_per_mtok DECIMAL(24, 12);
ALTER TABLE rates ADD COLUMN image_input_per_mtok DECIMAL(24, 12);
ALTER TABLE rates ADD COLUMN image_output_per_mtok DECIMAL(24, 12);
ALTER TABLE rates ADD COLUMN per_request DECIMAL(24, 12);
ALTER TABLE rates ADD COLUMN web_search_per_k DECIMAL(24, 12);
