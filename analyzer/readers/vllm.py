"""vLLM OpenAI-compatible server responses and stream chunks: the OpenAI shape, ids
`chatcmpl-` + 32 hex digits, `prompt_tokens_details` null unless enabled, no reasoning count.

Self-hosted, so the mode is whatever the deployment is: rows are `serverless` unless
`ingest --mode dedicated|gpu_cluster` says otherwise.
"""

from __future__ import annotations

import re

from analyzer.readers import Reader, Sample, mostly
from analyzer.readers.openai_chat import is_chat

VLLM_ID = re.compile(r"(chat)?cmpl-[0-9a-f]{32}")


def is_vllm(record: dict) -> bool:
    return is_chat(record) and (
        bool(VLLM_ID.fullmatch(str(record.get("id", "")))) or "kv_transfer_params" in record or "prompt_logprobs" in record
    )


def detect(sample: Sample) -> bool:
    return mostly(sample, is_vllm)


READER = Reader(
    name="vllm-chat",
    description="vLLM server Chat Completions responses or stream chunks",
    detect=detect,
    query="normalise_openai_chat",
    stream_query="normalise_openai_chat_stream",
    fast_query="normalise_openai_chat_fast",
    fast_columns="openai_chat_fast_columns",
    layouts=("lines", "document", "sse"),
    provider="vllm",
)
