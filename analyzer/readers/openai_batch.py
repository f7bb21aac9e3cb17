"""OpenAI Batch output JSONL: one line per request, usage at `response.body.usage`; mode batch.
Expired and failed lines carry no usage and become rejects with their error code."""

from __future__ import annotations

from analyzer.readers import Reader, Sample, mostly


def is_batch_line(record: dict) -> bool:
    return "custom_id" in record and ("response" in record or "error" in record)


def detect(sample: Sample) -> bool:
    return mostly(sample, lambda o: is_batch_line(o) and "id" in o)


READER = Reader(
    name="openai-batch",
    description="OpenAI Batch API output (and error) files, JSONL; mode batch",
    detect=detect,
    query="normalise_openai_batch",
    fast_query="normalise_openai_batch_fast",
    fast_columns="openai_batch_fast_columns",
    mode="batch",
    provider="openai",
)
