"""Capacity in a spend report (README "Capacity in reports"): the (idle capacity) rows, the
totals' idle_capacity_cost and the capacity section.

Usage rows already carry their capacity shares (priced_usage.cost). The idle part of a capacity's
spend belongs to no tenant, feature or model, so it is its own row in every table with a
dimension: its dimensions are NULL and its `idle_capacity` column true (CSV, JSON); tables and
HTML show it as the reserved label (idle capacity), which a real name cannot spoof (render.label
quotes a name that reads like it). With it the rows add up to the total spend: cost +
idle_capacity_cost. All of this appears only when the store has capacities and the report is
not about one tenant (idle and the capacity figures are everyone's), so other reports stay as
they were, byte for byte.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb

from analyzer.sqlfiles import scalar

FLAG = "idle_capacity"
SECTION_COLUMNS = ("name", "kind", "month", "spend", "tokens", "effective_per_mtok", "utilisation", "idle_cost")
ZERO_MEASURES = {"requests": 0, "input_tokens": 0, "cached_input_tokens": 0, "output_tokens": 0,
                 "unpriced_requests": 0}


def applies(con: duckdb.DuckDBPyConnection, flt) -> bool:
    """Whether a report over `flt` shows capacity: capacities are loaded and no tenant is chosen."""
    return flt.tenant is None and bool(scalar(con, "capacities_loaded"))


def idle_months(section_rows: list[dict]) -> list[tuple[date, Decimal]]:
    """(first day, idle cost) of each month with idle capacity among the section's rows, so the
    idle rows and the section always agree (capacity_costs: a closed month's idle as frozen)."""
    months: dict[date, Decimal] = {}
    for row in section_rows:
        if row["idle_cost"]:
            first = date.fromisoformat(row["month"] + "-01")
            months[first] = months.get(first, Decimal(0)) + row["idle_cost"]
    return sorted(months.items())


def period_of(month: date, period: str) -> str:
    """The report period holding a month's idle: idle is a monthly amount, never spread over
    days or weeks, so it belongs to the period of the month's first day."""
    if period == "month":
        return month.strftime("%Y-%m")
    if period == "week":
        year, week, _ = month.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "day":
        return month.isoformat()
    return "total"


def idle_rows(months: list[tuple[date, Decimal]], by: list[str], period: str | None) -> list[dict]:
    """One row per period with idle capacity, shaped like the report's rows (`by` NULL); with
    `period` None, rows without a period column (the HTML breakdown tables)."""
    per_period: dict[str, Decimal] = {}
    for month, idle in months:
        key = period_of(month, period or "total")
        per_period[key] = per_period.get(key, Decimal(0)) + idle
    return [{**({"period": key} if period else {}), **{dim: None for dim in by}, **ZERO_MEASURES,
             "cost": idle, FLAG: True} for key, idle in sorted(per_period.items())]


def section(con: duckdb.DuckDBPyConnection, flt) -> list[dict]:
    """The capacity section: each capacity month whose first day is in the report's range (the
    months whose idle the report counts), with spend, tokens, effective $/1M, utilisation, idle."""
    from analyzer.capacity import capacity_costs

    return [{c: row[c] for c in SECTION_COLUMNS} for row in capacity_costs(con, flt.since, flt.until)]


def add_to_report(con: duckdb.DuckDBPyConnection, report) -> None:
    """Give a built report (reports.Report) its idle rows, idle total and capacity section, when
    capacity applies (see the module docstring); else leave it untouched."""
    if not applies(con, report.filter):
        return
    report.capacity = section(con, report.filter)
    months = idle_months(report.capacity)
    for row in report.rows:
        row[FLAG] = False
    if report.by:
        report.rows += idle_rows(months, report.by, report.period)
    for dim, rows in report.breakdowns.items():
        if dim != "period":  # the table by period alone has no dimension to hold the label
            rows += idle_rows(months, [dim], None)
    if report.totals:
        report.totals["idle_capacity_cost"] = sum((idle for _, idle in months), Decimal(0))


def total_spend(totals: dict) -> Decimal | None:
    """Priced usage cost plus idle capacity: what the rows of a table with a dimension add up to."""
    idle = totals.get("idle_capacity_cost") or Decimal(0)
    cost = totals.get("cost")
    return cost + idle if cost is not None else (idle or None)


def for_display(rows: list[dict], by: list[str]) -> list[dict]:
    """Rows for a table or the HTML page: an idle row shows the reserved label in its first
    dimension and nothing in the others (never (none): its dimensions are not missing)."""
    from analyzer.render import IDLE_CAPACITY

    out = []
    for row in rows:
        if row.get(FLAG) and by:
            row = row | {dim: (IDLE_CAPACITY if i == 0 else "") for i, dim in enumerate(by)}
        out.append(row)
    return out


def section_text(rows: list[dict], currency: str = "USD", under_rows: bool = True) -> str:
    """The capacity section as a terminal table, one row per capacity month; `under_rows`: below a
    report's rows, with a heading line."""
    from analyzer import terminal

    head = "Capacity (its idle is the (idle capacity) rows above):\n" if under_rows else ""
    if not rows:
        return head.replace(" (its idle is the (idle capacity) rows above):", ": none in these months.")
    columns = ["capacity", "kind", "month", "spend", "tokens", "effective_per_1m", "utilisation", "idle"]
    body = [[r["name"], r["kind"], r["month"], r["spend"], r["tokens"], r["effective_per_mtok"],
             None if r["utilisation"] is None else f"{r['utilisation']:.1%}", r["idle_cost"]] for r in rows]
    return head + terminal.render(columns, body, money=["spend", "effective_per_1m", "idle"], currency=currency,
                                  dimensions=["capacity"], unpriced_text={"effective_per_1m": ""})


def section_result(rows: list[dict], currency: str = "USD"):
    """`report --section capacity`: the section as an output Result (table, CSV, JSON)."""
    from analyzer.outputs import Result

    return Result(list(SECTION_COLUMNS), [tuple(r[c] for c in SECTION_COLUMNS) for r in rows],
                  text=section_text(rows, currency, under_rows=False) if rows else "No capacity in these months.\n",
                  currency=currency)
