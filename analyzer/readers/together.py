"""together.ai Chat Completions responses and stream chunks: the OpenAI shape with cached tokens at
top-level `usage.cached_tokens` and ids without `chatcmpl-`."""

from __future__ import annotations

from analyzer.readers import Reader, Sample, mostly
from analyzer.readers.openai_chat import is_chat


def is_together(record: dict) -> bool:
    usage = record.get("usage")
    return is_chat(record) and (
        (isinstance(usage, dict) and "cached_tokens" in usage)
        or ("prompt" in record and not str(record.get("id", "")).startswith("chatcmpl-"))
    )


def detect(sample: Sample) -> bool:
    return mostly(sample, is_together)


READER = Reader(
    name="together-chat",
    description="together.ai Chat Completions responses or stream chunks",
    detect=detect,
    query="normalise_openai_chat",
    stream_query="normalise_openai_chat_stream",
    fast_query="normalise_openai_chat_fast",
    fast_columns="openai_chat_fast_columns",
    layouts=("lines", "document", "sse"),
    provider="together",
)
