"""Planning from measured usage: per group, the sample size, average tokens per request, the exact
cost per request, and the monthly cost for N requests or for the measured month grown by PCT.

Rounding: a cost per request (total cost / requests) rarely terminates (1/3), so it is rounded half
to even to 18 decimal places, the scale of `priced_usage.cost` (DECIMAL(38, 18)): every stored cost
is exact at that scale, and 1e-18 USD is far below anything billed. A monthly cost is computed from
the total (cost x N / requests) and rounded once, so the per-request rounding is never multiplied
by N. Average token counts are rounded half to even to 6 places (a millionth of a token).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import duckdb

from analyzer.errors import UsageError
from analyzer.reports import DIMENSIONS, ReportFilter
from analyzer.results import Result
from analyzer.sqlfiles import records

COST_PLACES = 18
TOKEN_PLACES = 6
TOKEN_FIELDS = ("input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens")
SAMPLE_MEASURES = ("sample_requests", *TOKEN_FIELDS, "cost", "unpriced_requests")


def exact_ratio(numerator: Decimal | int, denominator: Decimal | int, places: int = COST_PLACES) -> Decimal:
    """numerator / denominator rounded half to even to `places` decimal places (exact when it terminates)."""
    with localcontext() as ctx:
        ctx.prec = 80  # far more digits than DECIMAL(38, 18) holds: the division itself loses nothing
        value = Decimal(numerator) / Decimal(denominator)
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Where:
    """Exact filters on dimensions (`--where feature=X,tenant=Y`) (as --tenant: a real name, never a missing one)."""

    values: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> Where:
        if not text:
            return cls()
        values: dict[str, str] = {}
        for part in text.split(","):
            key, sep, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not key or not value:
                raise UsageError(f"--where {part.strip()!r}: expected DIMENSION=VALUE, e.g. feature=chat")
            if key not in DIMENSIONS:
                raise UsageError(f"--where {key}: not a dimension (one of {', '.join(DIMENSIONS)})")
            if key in values:
                raise UsageError(f"--where names {key} twice")
            values[key] = value
        return cls(tuple(values.items()))

    @classmethod
    def of(cls, mapping: dict[str, str] | None) -> Where:
        """From a dict (the Python API), with the same checks as the flag."""
        return cls.parse(",".join(f"{k}={v}" for k, v in (mapping or {}).items()))

    def as_dict(self) -> dict[str, str]:
        return dict(self.values)

    def params(self, flt: ReportFilter) -> dict:
        where = self.as_dict()
        if flt.tenant is not None:
            if where.get("tenant", flt.tenant) != flt.tenant:
                raise UsageError("--tenant and --where tenant=... disagree")
            where["tenant"] = flt.tenant
        return {f"w_{dim}": where.get(dim) for dim in DIMENSIONS}


def usage_sample(con: duckdb.DuckDBPyConnection, by: list[str], flt: ReportFilter, where: Where) -> list[dict]:
    """Measured requests, token sums and today's cost per group (only the --by keys kept)."""
    rows = records(con, "usage_sample", {"by": by or ["__none__"], "since": flt.since, "until": flt.until,
                                         **where.params(flt)})
    return [{name: row[name] for name in (*by, *SAMPLE_MEASURES)} for row in rows]


def sample_total(rows: list[dict], by: list[str]) -> dict:
    """The sample of all groups together: sums, cost NULL when nothing is priced."""
    total: dict = {dim: None for dim in by}
    for name in ("sample_requests", *TOKEN_FIELDS, "unpriced_requests"):
        total[name] = sum(row[name] for row in rows)
    costs = [row["cost"] for row in rows if row["cost"] is not None]
    total["cost"] = sum(costs, Decimal(0)) if costs else None
    return total


def month_of(flt: ReportFilter) -> str | None:
    """YYYY-MM when the filter covers exactly one calendar month, else None."""
    if flt.since is None or flt.until is None or flt.since.day != 1 or flt.until.day != 1:
        return None
    last = flt.until - timedelta(days=1)
    return flt.since.strftime("%Y-%m") if (last.year, last.month) == (flt.since.year, flt.since.month) else None


ESTIMATE_MEASURES = ["sample_requests", "avg_input_tokens", "avg_cached_input_tokens", "avg_cache_write_tokens",
                     "avg_output_tokens", "sample_cost", "cost_per_request", "monthly_requests", "monthly_cost",
                     "unpriced_requests"]


def estimate_from_usage(con: duckdb.DuckDBPyConnection, *, by: list[str], flt: ReportFilter,
                        where: Where = Where(), requests: int | None = None,
                        growth: Decimal | None = None) -> Result:
    """Per group: measured sample, averages, exact cost per request, and the monthly cost for
    `requests` requests, or for the measured month's volume grown by `growth` percent.

    A group with any request unpriced today is unpriced as a whole (its cost per request would
    otherwise understate): its money columns are None and `unpriced_requests` says how many.
    """
    if (requests is None) == (growth is None):
        raise UsageError("give --requests N or --growth PCT")
    if requests is not None and requests < 0:
        raise UsageError("--requests must be >= 0")
    month = month_of(flt)
    if growth is not None:
        if growth <= -100:
            raise UsageError("--growth must be more than -100 (percent)")
        if month is None:
            raise UsageError("--growth grows one measured month: give --month YYYY-MM")
    sample = usage_sample(con, by, flt, where)
    rows = [_estimate_row(row, by, requests, growth) for row in sample]
    total = _estimate_row(sample_total(sample, by), by, requests, growth)
    meta = {
        "by": by, "filter": flt.params | {"where": where.as_dict()}, "month": month,
        "requests": requests, "growth_pct": growth, "cost_places": COST_PLACES,
    }
    return Result("estimate_from_usage", [*by, *ESTIMATE_MEASURES], rows, total, meta,
                  frozenset({"avg_input_tokens", "avg_cached_input_tokens", "avg_cache_write_tokens",
                             "avg_output_tokens", "sample_cost", "cost_per_request", "monthly_requests",
                             "monthly_cost"}))


def _estimate_row(sample: dict, by: list[str], requests: int | None, growth: Decimal | None) -> dict:
    n = sample["sample_requests"]
    row: dict = {dim: sample[dim] for dim in by}
    row["sample_requests"] = n
    for name in TOKEN_FIELDS:
        row[f"avg_{name}"] = exact_ratio(sample[name], n, TOKEN_PLACES) if n else None
    priced = n > 0 and sample["unpriced_requests"] == 0 and sample["cost"] is not None
    cost = sample["cost"] if priced else None
    row["sample_cost"] = cost
    row["cost_per_request"] = exact_ratio(cost, n) if priced else None
    if growth is not None:
        factor = (Decimal(100) + growth) / Decimal(100)  # exact: growth has few places
        row["monthly_requests"] = Decimal(n) * factor
        row["monthly_cost"] = exact_ratio(cost * factor, 1) if priced else None
    else:
        row["monthly_requests"] = Decimal(requests)
        row["monthly_cost"] = exact_ratio(cost * requests, n) if priced else None
    row["unpriced_requests"] = sample["unpriced_requests"]
    return row
