"""OpenAI organization Costs API pages: billed amounts, not usage. Stored in `billed_costs` (see
the `cost_reconciliation` view) for reconciliation with priced usage."""

from __future__ import annotations

from analyzer.readers import Reader, Sample, mostly


def is_costs(record: dict) -> bool:
    if record.get("object") == "bucket" and isinstance(record.get("results"), list):
        results = [r for r in record["results"] if isinstance(r, dict)]
        return bool(results) and results[0].get("object") == "organization.costs.result"
    return record.get("object") == "organization.costs.result"


def detect(sample: Sample) -> bool:
    return mostly(sample, is_costs)


READER = Reader(
    name="openai-costs",
    description="OpenAI organization Costs API pages (billed amounts -> billed_costs, not usage)",
    detect=detect,
    query="normalise_openai_costs",
    provider="openai",
    target="billed_costs",
)
