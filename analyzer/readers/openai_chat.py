"""OpenAI Chat Completions responses: JSONL, a single (pretty-printed) object or a JSON array,
and streamed chunks (SSE captures or chunk objects one per line).

Convention: `prompt_tokens` includes cached tokens, `completion_tokens` includes reasoning tokens;
missing or null detail objects are zeros. A stream is one row: its usage chunk.
"""

from __future__ import annotations

from analyzer.readers import Reader, Sample, mostly


def is_chat(record: dict) -> bool:
    """A Chat Completions response or chunk: `object` chat.completion[.chunk] (or absent) and a model."""
    return str(record.get("object", "chat.completion")).startswith("chat.completion") and "model" in record


def detect(sample: Sample) -> bool:
    return mostly(sample, is_chat)


READER = Reader(
    name="openai-chat",
    description="OpenAI Chat Completions responses or stream chunks (JSONL, JSON object/array, SSE)",
    detect=detect,
    query="normalise_openai_chat",
    stream_query="normalise_openai_chat_stream",
    fast_query="normalise_openai_chat_fast",
    fast_columns="openai_chat_fast_columns",
    layouts=("lines", "document", "sse"),
    provider="openai",
)
