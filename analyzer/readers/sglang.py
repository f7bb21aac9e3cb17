"""SGLang server Chat Completions responses and stream chunks: reasoning tokens at top-level
`usage.reasoning_tokens`; the top-level `metadata` is engine info (weight_version), not user tags,
so it never attributes a row nor lands in `attributes`. Mode as for vLLM."""

from __future__ import annotations

from analyzer.readers import Reader, Sample, mostly
from analyzer.readers.openai_chat import is_chat


def is_sglang(record: dict) -> bool:
    usage = record.get("usage")
    metadata = record.get("metadata")
    choices = record.get("choices") if isinstance(record.get("choices"), list) else []
    return is_chat(record) and (
        (isinstance(usage, dict) and "reasoning_tokens" in usage)
        or (isinstance(metadata, dict) and "weight_version" in metadata)
        or any(isinstance(c, dict) and "matched_stop" in c for c in choices)
    )


def detect(sample: Sample) -> bool:
    return mostly(sample, is_sglang)


READER = Reader(
    name="sglang-chat",
    description="SGLang server Chat Completions responses or stream chunks",
    detect=detect,
    query="normalise_openai_chat",
    stream_query="normalise_openai_chat_stream",
    layouts=("lines", "document", "sse"),
    provider="sglang",
    metadata_tags=False,  # its top-level metadata is engine info (weight_version)
)
