"""Gateway envelopes: `{"timestamp", "request": {...}, "response": {...}}` per line (or a JSON
array of them). The request's `user` and `metadata` attribute the response's usage."""

from __future__ import annotations

from analyzer.readers import Reader, Sample, mostly


def is_envelope(record: dict) -> bool:
    return isinstance(record.get("request"), dict) and "response" in record and "custom_id" not in record


def detect(sample: Sample) -> bool:
    return mostly(sample, is_envelope)


READER = Reader(
    name="gateway-envelope",
    description='Gateway logs {"timestamp", "request", "response"}: request user/metadata attribute the usage',
    detect=detect,
    query="normalise_gateway_envelope",
    provider="openai",
)
