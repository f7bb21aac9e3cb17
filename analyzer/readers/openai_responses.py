"""OpenAI Responses API: response objects (JSONL, JSON object/array) and stream captures whose
`response.completed` event carries the usage."""

from __future__ import annotations

from analyzer.readers import Reader, Sample, mostly


def is_response(record: dict) -> bool:
    return record.get("object") == "response" or str(record.get("type", "")).startswith("response.")


def detect(sample: Sample) -> bool:
    return mostly(sample, is_response)


READER = Reader(
    name="openai-responses",
    description="OpenAI Responses API objects or response.* stream events (JSONL, JSON, SSE)",
    detect=detect,
    query="normalise_openai_responses",
    layouts=("lines", "document", "sse"),
    provider="openai",
)
