"""Anthropic Messages: message objects (JSONL, JSON object/array) and stream captures (SSE).

`input_tokens` excludes cache reads and writes; the canonical input adds them back. A message
has no time of its own: use `ingest --default-time`, or wrap it in a gateway envelope.
"""

from __future__ import annotations

from analyzer.readers import Reader, Sample, mostly

STREAM_EVENTS = {"message_start", "message_delta", "message_stop", "content_block_start",
                 "content_block_delta", "content_block_stop", "ping"}


def is_anthropic(record: dict) -> bool:
    if record.get("type") in STREAM_EVENTS:
        return True
    usage = record.get("usage")
    return record.get("type") == "message" and isinstance(usage, dict) and "input_tokens" in usage


def detect(sample: Sample) -> bool:
    return mostly(sample, is_anthropic)


READER = Reader(
    name="anthropic-messages",
    description="Anthropic Messages responses (JSONL, JSON) or stream events (SSE)",
    detect=detect,
    query="normalise_anthropic",
    stream_query="normalise_anthropic_stream",
    fast_query="normalise_anthropic_fast",
    fast_columns="anthropic_fast_columns",
    layouts=("lines", "document", "sse"),
    provider="anthropic",
)
