"""What if the measured usage had run on another model, in another mode, or at other rates: each
request keeps its own time and token counts and is re-priced by the one pricing rule
(`price_usage`, queries/views/), next to what it costs today.

Per group: `current_cost` (today's rates; empty when any of the group's requests is unpriced
today), `whatif_cost` (empty when any is unpriced on the what-if rates) and `difference` =
whatif - current (empty when either is). `total` has the same keys over all groups.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from analyzer.errors import BadInput, UsageError
from analyzer.planning import Where, usage_sample
from analyzer.reports import ReportFilter
from analyzer.results import Result
from analyzer.sqlfiles import query, records

WHATIF_MODES = ("serverless", "batch")
MEASURES = ["requests", "current_cost", "whatif_cost", "difference", "unpriced_requests", "whatif_unpriced_requests"]
MONEY = frozenset({"current_cost", "whatif_cost", "difference"})


def whatif(con: duckdb.DuckDBPyConnection, *, by: list[str], flt: ReportFilter, where: Where = Where(),
           as_model: str | None = None, mode: str | None = None, provider: str | None = None,
           rates: Path | None = None) -> Result:
    """Re-price the usage of `flt` / `where` as `as_model` (and / or in `mode`, at `provider`, with
    the card `rates` instead of the store's), per `by` group, against today's cost."""
    if as_model is None and mode is None and rates is None:
        raise UsageError("give --as MODEL, --mode MODE or --rates CARD.csv (what to change)")
    if mode is not None and mode not in WHATIF_MODES:
        raise UsageError(f"--mode {mode!r}: one of {', '.join(WHATIF_MODES)} (capacity modes are compared by `compare`)")
    if provider is not None and as_model is None:
        raise UsageError("--provider goes with --as MODEL")
    current = usage_sample(con, by, flt, where)
    try:
        _prepare(con, flt, where, as_model, mode, provider, rates)
        priced = records(con, "whatif_costs", {"by": by or ["__none__"]})
    finally:
        con.execute(query("drop_whatif"))
    if priced and all(row["whatif_unpriced_requests"] == row["requests"] for row in priced):
        reason = next(row["unpriced_reason"] for row in priced)
        source = f"the card {rates}" if rates else "the store's rates (see `llm-spend rates list`)"
        raise BadInput(f"none of the usage can be priced {_describe(as_model, mode, provider)} with {source}: {reason}")
    whatif_by_key = {tuple(row[d] for d in by): row for row in priced}
    rows = [_row({d: sample[d] for d in by}, sample, whatif_by_key[tuple(sample[d] for d in by)]) for sample in current]
    total = _row({d: None for d in by}, _sum(current, ("sample_requests", "unpriced_requests"), "cost"),
                 _sum(priced, ("requests", "whatif_unpriced_requests"), "whatif_cost"))
    meta = {"as": as_model, "mode": mode, "provider": provider, "rates": str(rates) if rates else "store",
            "by": by, "filter": flt.params | {"where": where.as_dict()}}
    return Result("whatif", [*by, *MEASURES], rows, total, meta, MONEY)


def _describe(as_model, mode, provider) -> str:
    parts = [f"as {as_model}" if as_model else "", f"at {provider}" if provider else "", f"in {mode} mode" if mode else ""]
    return " ".join(p for p in parts if p) or "again"


def _prepare(con, flt: ReportFilter, where: Where, as_model, mode, provider, rates: Path | None) -> None:
    con.execute(query("create_whatif_settings"), {
        "as_model": as_model, "as_mode": mode, "as_provider": provider, "since": flt.since, "until": flt.until,
        **where.params(flt)})
    con.execute(query("create_whatif_usage"))
    if rates is None:
        con.execute(query("create_whatif_rates_from_store"))
        return
    from analyzer.rates import card_table, read_card

    con.register("whatif_card", card_table(read_card(Path(rates))))
    try:
        con.execute(query("create_whatif_rates_from_card"))
    finally:
        con.unregister("whatif_card")


def _sum(rows: list[dict], counts: tuple[str, str], money: str) -> dict:
    """Counts summed; money summed, None when any row's is None (an unpriced part)."""
    total: dict = {name: sum(row[name] for row in rows) for name in counts}
    values = [row[money] for row in rows]
    total[money] = None if any(v is None for v in values) else sum(values, Decimal(0))
    return total


def _row(keys: dict, sample: dict, priced: dict) -> dict:
    unpriced = sample["unpriced_requests"]
    current = sample["cost"] if unpriced == 0 else None
    whatif_unpriced = priced["whatif_unpriced_requests"]
    cost = priced["whatif_cost"] if whatif_unpriced == 0 else None
    return keys | {
        "requests": sample["sample_requests"], "current_cost": current, "whatif_cost": cost,
        "difference": None if current is None or cost is None else cost - current,
        "unpriced_requests": unpriced, "whatif_unpriced_requests": whatif_unpriced,
    }
