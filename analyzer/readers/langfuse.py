"""Langfuse observations: the API's JSON objects, or the batch export as CSV."""

from __future__ import annotations

from analyzer.readers import Reader, Sample, has_keys, mostly


def detect(sample: Sample) -> bool:
    return mostly(sample, lambda o: has_keys(o, "traceId", "startTime", "type") and ("usageDetails" in o or "usage" in o))


READER = Reader(
    name="langfuse",
    description="Langfuse observation exports (JSON or CSV); its own cost kept in attributes",
    detect=detect,
    query="normalise_langfuse",
    layouts=("lines", "document", "csv"),
    provider="langfuse",
    attribution={
        "tenant": ("$.metadata.tenant",),
        "feature": ("$.metadata.feature",),
        "environment": ("$.metadata.environment", "$.environment"),
        "user_id": ("$.userId", "$.metadata.user"),
        "project": ("$.metadata.project", "$.projectId"),
    },
)
