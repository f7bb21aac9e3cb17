"""Planning: what a workload costs per request and per month, from given rates or the store's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

import duckdb

from analyzer.errors import BadInput
from analyzer.sqlfiles import first_row, scalar

MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class Estimate:
    model: str | None
    mode: str
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    input_tokens: int
    output_tokens: int
    requests: int

    @property
    def input_cost_per_request(self) -> Decimal:
        return self.input_tokens * self.input_per_mtok / MILLION

    @property
    def output_cost_per_request(self) -> Decimal:
        return self.output_tokens * self.output_per_mtok / MILLION

    @property
    def cost_per_request(self) -> Decimal:
        return self.input_cost_per_request + self.output_cost_per_request

    @property
    def monthly_cost(self) -> Decimal:
        return self.cost_per_request * self.requests

    def as_dict(self) -> dict:
        return {
            "model": self.model, "mode": self.mode,
            "input_per_mtok": self.input_per_mtok, "output_per_mtok": self.output_per_mtok,
            "input_tokens": self.input_tokens, "output_tokens": self.output_tokens, "requests": self.requests,
            "input_cost_per_request": self.input_cost_per_request,
            "output_cost_per_request": self.output_cost_per_request,
            "cost_per_request": self.cost_per_request, "monthly_cost": self.monthly_cost,
        }


def rates_for(con: duckdb.DuckDBPyConnection, model: str, mode: str, at: datetime | None = None) -> tuple[Decimal, Decimal]:
    """Input and output rates of a model in force now: the mode's own row, or for batch the
    serverless row times the store's batch discount (the same rule as priced_usage)."""
    at = at or datetime.now(timezone.utc)
    row = first_row(con, "rate_in_force", {"model": model, "mode": mode, "at": at})
    if row:
        return row["input_per_mtok"], row["output_per_mtok"]
    if mode == "batch":
        row = first_row(con, "rate_in_force", {"model": model, "mode": "serverless", "at": at})
        if row:
            discount = Decimal(scalar(con, "get_setting", {"key": "batch_discount"}))
            return row["input_per_mtok"] * discount, row["output_per_mtok"] * discount
    raise BadInput(f"no {mode} rate in force for model {model!r}; see `llm-spend rates list`")


def estimate(*, input_per_mtok: Decimal, output_per_mtok: Decimal, input_tokens: int, output_tokens: int,
             requests: int, mode: str = "serverless", model: str | None = None) -> Estimate:
    """Cost per request = tokens x rate / 1M for input and output; monthly = per request x requests."""
    return Estimate(model, mode, input_per_mtok, output_per_mtok, input_tokens, output_tokens, requests)
