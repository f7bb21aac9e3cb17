"""`report --reprice`: what the current rates give for the rows a report shows, next to the cost
it shows (a closed month's frozen numbers), with the difference, per period and group.

Both sides leave a closed month's late arrivals out (queries/reports/reprice.sql); for an open
month they are the same pricing and the difference is 0.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb

from analyzer.reports import PERIODS, ReportFilter
from analyzer.sqlfiles import records, scalar

MEASURES = ["requests", "frozen_cost", "current_cost", "difference", "frozen_unpriced_requests",
            "current_unpriced_requests"]
MONEY = ("frozen_cost", "current_cost", "difference")


def reprice_rows(con: duckdb.DuckDBPyConnection, by: list[str], period: str, flt: ReportFilter) -> list[dict]:
    """Per period and `by` group: requests, frozen_cost, current_cost, difference (current -
    frozen; None when either side has unpriced requests) and the unpriced requests of each side."""
    from analyzer.errors import UsageError

    if period not in PERIODS:
        raise UsageError(f"--period {period!r}: one of {', '.join(PERIODS)}")
    columns = ["period", *by, *MEASURES]
    rows = records(con, "spend_reprice", {"by": by or ["__none__"], "period": period, **flt.params})
    return [{name: row[name] for name in columns} for row in rows]


def _total(rows: list[dict]) -> dict:
    def money(name: str) -> Decimal | None:
        values = [r[name] for r in rows if r[name] is not None]
        return sum(values, Decimal(0)) if values else None

    counts = {name: sum(r[name] for r in rows) for name in
              ("requests", "frozen_unpriced_requests", "current_unpriced_requests")}
    frozen, current = money("frozen_cost"), money("current_cost")
    exact = counts["frozen_unpriced_requests"] == 0 and counts["current_unpriced_requests"] == 0
    return counts | {"frozen_cost": frozen, "current_cost": current,
                     "difference": (current or Decimal(0)) - (frozen or Decimal(0)) if exact else None}


def reprice_result(con: duckdb.DuckDBPyConnection, by: list[str], period: str, flt: ReportFilter):
    """The repricing as an output Result: rows for table and CSV, {rows, total, ...} for JSON,
    templates/reprice.html for HTML; each with its provenance."""
    from analyzer import terminal
    from analyzer.outputs import Result
    from analyzer.provenance import provenance

    rows = reprice_rows(con, by, period, flt)
    currency = scalar(con, "get_setting", {"key": "currency"}) or "USD"
    columns = ["period", *by, *MEASURES]
    total = {"period": "total", **{d: None for d in by}} | _total(rows)
    # The terminal table: the money side by side (the unpriced counts are in CSV, JSON and HTML).
    shown = ["period", *by, "requests", *MONEY]
    text = terminal.render(shown, [[r[c] for c in shown] for r in rows], money=MONEY, currency=currency,
                           dimensions=by, total=[("" if c in by else total[c]) for c in shown],
                           unpriced_text={"difference": ""})
    meta = provenance(con, flt.since, flt.until, flt.tenant)
    document = {"period": period, "by": by, "filter": flt.params, "currency": currency,
                "rows": rows, "total": total, "meta": meta}
    return Result(columns, [[r[c] for c in columns] for r in rows], document=document, text=text,
                  template="reprice.html", currency=currency, dimensions=by, meta=meta,
                  context={"meta": meta, "rows": rows, "total": total, "columns": columns, "by": by, "currency": currency,
                           "money_columns": MONEY, "filter": flt, "period": period})
