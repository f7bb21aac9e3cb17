"""LiteLLM proxy SpendLogs (JSON from the API, or the table exported as CSV).

Attribution defaults for this shape: tenant from spend_logs_metadata / a "tenant:x" request tag /
team_id; user from end_user (the request's `user`), then LiteLLM's key owner `user`.
"""

from __future__ import annotations

from analyzer.readers import Reader, Sample, has_keys, mostly


def detect(sample: Sample) -> bool:
    return mostly(sample, lambda o: has_keys(o, "request_id", "spend", "startTime") and ("call_type" in o or "api_key" in o))


READER = Reader(
    name="litellm",
    description="LiteLLM proxy SpendLogs (JSON or CSV); its own spend kept in attributes",
    detect=detect,
    query="normalise_litellm",
    layouts=("lines", "document", "csv"),
    provider="litellm",
    attribution={
        "tenant": ("$.metadata.spend_logs_metadata.tenant", "$.tags.tenant", "$.team_id"),
        "feature": ("$.metadata.spend_logs_metadata.feature", "$.tags.feature"),
        "environment": ("$.metadata.spend_logs_metadata.environment", "$.tags.environment"),
        "user_id": ("$.end_user", "$.user"),
        "project": ("$.metadata.spend_logs_metadata.project", "$.tags.project"),
    },
)
