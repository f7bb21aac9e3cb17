"""OpenAI Chat Completions response objects, one per line (also together.ai, vLLM, SGLang style).

Convention: `prompt_tokens` includes cached tokens, `completion_tokens` includes reasoning tokens;
missing or null detail objects are zeros.
"""

from __future__ import annotations

from analyzer.readers import Reader, Sample


def detect(sample: Sample) -> bool:
    objects = sample.objects
    if not objects:
        return False
    chat = [o for o in objects if o.get("object", "chat.completion").startswith("chat.completion") and "model" in o]
    return len(chat) >= max(1, len(objects) // 2)


READER = Reader(
    name="openai-chat",
    description="OpenAI Chat Completions responses, one JSON object per line",
    detect=detect,
    query="normalise_openai_chat",
    provider="openai",
)
