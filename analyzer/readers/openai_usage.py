"""OpenAI organization Usage API pages (`/organization/usage/completions`, embeddings): daily or
hourly buckets of aggregated rows; ids (project, API key) can be mapped to tenants in the config."""

from __future__ import annotations

from analyzer.readers import Reader, Sample, mostly


def is_usage(record: dict) -> bool:
    if record.get("object") == "bucket" and isinstance(record.get("results"), list):
        results = [r for r in record["results"] if isinstance(r, dict)]
        return not results or str(results[0].get("object", "")).startswith("organization.usage.")
    return str(record.get("object", "")).startswith("organization.usage.")


def detect(sample: Sample) -> bool:
    return mostly(sample, is_usage)


READER = Reader(
    name="openai-usage",
    description="OpenAI organization Usage API pages (aggregated buckets; JSON)",
    detect=detect,
    query="normalise_openai_usage",
    provider="openai",
    attribution={"user_id": ("$.user_id",), "project": ("$.project_id",)},
)
