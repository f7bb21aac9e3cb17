"""Helicone: request records from its API (JSON) and the export CLI's CSV."""

from __future__ import annotations

from analyzer.readers import Reader, Sample, has_keys, mostly


def detect(sample: Sample) -> bool:
    return mostly(sample, lambda o: has_keys(o, "response_id", "request_created_at")
                  and ("request_body" in o or "prompt_tokens" in o))


READER = Reader(
    name="helicone",
    description="Helicone request records (JSON) and exports (CSV); its own cost kept in attributes",
    detect=detect,
    query="normalise_helicone",
    layouts=("lines", "document", "csv"),
    provider="helicone",
    attribution={
        "tenant": ("$.properties.tenant", "$.properties.Tenant"),
        "feature": ("$.properties.feature", "$.properties.Feature"),
        "environment": ("$.properties.environment", "$.properties.Environment"),
        "user_id": ("$.request_user_id", "$.request_body.user"),
        "project": ("$.properties.project", "$.properties.Project"),
    },
)
