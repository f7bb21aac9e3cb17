"""Planning: what a workload costs per request and per month, priced by the store's SQL rule.

Both ways of giving prices go through `price_usage` (queries/views/010_pricing.sql), so an
estimate and the stored pricing cannot disagree: `--model` prices a one-request, usage-shaped temp
table with the store's rates; `--input-price/--output-price` does the same in an in-memory store
whose card is that one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

import duckdb

from analyzer.errors import BadInput
from analyzer.sqlfiles import first_row, query

GIVEN_PRICES = "(given prices)"  # the model name of the one-row card of given prices


@dataclass(frozen=True)
class Estimate:
    model: str | None
    mode: str
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    input_tokens: int
    output_tokens: int
    requests: int
    input_cost_per_request: Decimal
    output_cost_per_request: Decimal
    cost_per_request: Decimal
    monthly_cost: Decimal

    def as_dict(self) -> dict:
        return {
            "model": self.model, "mode": self.mode,
            "input_per_mtok": self.input_per_mtok, "output_per_mtok": self.output_per_mtok,
            "input_tokens": self.input_tokens, "output_tokens": self.output_tokens, "requests": self.requests,
            "input_cost_per_request": self.input_cost_per_request,
            "output_cost_per_request": self.output_cost_per_request,
            "cost_per_request": self.cost_per_request, "monthly_cost": self.monthly_cost,
        }


def estimate(con: duckdb.DuckDBPyConnection, *, model: str, mode: str, input_tokens: int, output_tokens: int,
             requests: int, cached_input_tokens: int = 0, cache_write_tokens: int = 0,
             provider: str | None = None, service_tier: str | None = None,
             discount: Decimal | None = None, at: datetime | None = None) -> Estimate:
    """Price one request of the workload with the store's rates in force at `at` (default now) by the
    pricing rule, and the month as that cost x requests. Tokens mean what they mean in `usage`
    (input includes its cached and cache-write parts); the batch discount is the store's unless
    given. A model the rule cannot price is a BadInput."""
    if cached_input_tokens + cache_write_tokens > input_tokens:
        raise BadInput("cached and cache-write tokens are parts of the input tokens: they cannot exceed them")
    con.execute(query("create_estimate_request"))
    con.execute(query("fill_estimate_request"), {
        "at": at or datetime.now(timezone.utc), "model": model, "mode": mode, "provider": provider,
        "service_tier": service_tier, "input_tokens": input_tokens, "cached_input_tokens": cached_input_tokens,
        "cache_write_tokens": cache_write_tokens, "output_tokens": output_tokens,
    })
    row = first_row(con, "price_estimate_request", {"requests": requests, "discount": discount})
    if not row["priced"]:
        raise BadInput(f"no {mode} rate in force for model {model!r} ({row['unpriced_reason']}); "
                       "see `llm-spend rates list`")
    return Estimate(
        model=model, mode=mode, input_per_mtok=row["input_rate"], output_per_mtok=row["output_rate"],
        input_tokens=input_tokens, output_tokens=output_tokens, requests=requests,
        input_cost_per_request=row["input_cost"], output_cost_per_request=row["output_cost"],
        cost_per_request=row["cost"], monthly_cost=row["monthly_cost"],
    )


def estimate_from_prices(*, input_per_mtok: Decimal, output_per_mtok: Decimal, discount: Decimal,
                         **workload) -> Estimate:
    """The same rule with given prices: an in-memory store whose card is one serverless row."""
    from analyzer.store import memory_store

    with memory_store() as con:
        con.execute(query("add_estimate_rate"), {"model": GIVEN_PRICES, "input_per_mtok": input_per_mtok,
                                                 "output_per_mtok": output_per_mtok})
        result = estimate(con, model=GIVEN_PRICES, discount=discount, **workload)
    return Estimate(**{**result.__dict__, "model": None})
