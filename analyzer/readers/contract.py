"""The reader contract: the columns every reader query produces, with their DuckDB types.

A reader's named query (and its stream and fast queries) turns staged records into exactly these
columns, whatever the source; stage_usage (queries/ingest/stage.sql) then applies the common
checks and attribution, and the ingest stores them in `usage` (or `billed_costs`). The types are
DuckDB's names as `DESCRIBE` prints them; tests/test_readers.py checks every registered reader's
queries against this table.

Token columns follow README "Token fields": `input_tokens` is all input, `cached_input_tokens` and
`cache_write_tokens` are parts of it (`cache_write_1h_tokens` part of the cache writes), and so are
`audio_input_tokens` and `image_input_tokens`; `output_tokens` is all output, `reasoning_tokens`,
`audio_output_tokens` and `image_output_tokens` parts of it; `web_search_requests` counts
server-side web-search calls; `service_tier` is the provider's tier as the record names it
(NULL when it names none).
`doc` is the JSON text the attribution paths are looked up in; `attributes` the record's own
metadata kept in `usage.attributes`. A row whose `reason` is not NULL is a reject (its `raw` is
kept); the other columns of a reject may hold anything of the right type.
"""

from __future__ import annotations

USAGE_COLUMNS: dict[str, str] = {
    "source_line": "BIGINT",
    "raw": "VARCHAR",
    "reason": "VARCHAR",
    "request_id": "VARCHAR",
    "ts": "TIMESTAMP WITH TIME ZONE",
    "model": "VARCHAR",
    "mode": "VARCHAR",
    "provider": "VARCHAR",
    "requests": "BIGINT",
    "input_tokens": "BIGINT",
    "cached_input_tokens": "BIGINT",
    "cache_write_tokens": "BIGINT",
    "output_tokens": "BIGINT",
    "reasoning_tokens": "BIGINT",
    "cache_write_1h_tokens": "BIGINT",
    "audio_input_tokens": "BIGINT",
    "audio_output_tokens": "BIGINT",
    "image_input_tokens": "BIGINT",
    "image_output_tokens": "BIGINT",
    "web_search_requests": "BIGINT",
    "service_tier": "VARCHAR",
    "doc": "VARCHAR",
    "attributes": "JSON",
}

# Readers whose target is `billed_costs` (amounts a provider billed, not usage).
BILLED_COLUMNS: dict[str, str] = {
    "source_line": "BIGINT",
    "raw": "VARCHAR",
    "reason": "VARCHAR",
    "cost_id": "VARCHAR",
    "start_time": "TIMESTAMP WITH TIME ZONE",
    "end_time": "TIMESTAMP WITH TIME ZONE",
    "provider": "VARCHAR",
    "amount": "DECIMAL(38,18)",
    "currency": "VARCHAR",
    "line_item": "VARCHAR",
    "project_id": "VARCHAR",
    "api_key_id": "VARCHAR",
    "quantity": "DECIMAL(38,9)",
    "quantity_unit": "VARCHAR",
    "attributes": "JSON",
}

CONTRACTS: dict[str, dict[str, str]] = {"usage": USAGE_COLUMNS, "billed_costs": BILLED_COLUMNS}
