"""The HTML report and the per-tenant statement: everything the page shows, gathered once.

A statement is the same page over one tenant's filter, without the sections that are about
everyone (top tenants, capacity idle, feature budgets): no other tenant's name or figure can
reach it, since every query it runs carries the tenant filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import duckdb

from analyzer import anomalies, budgets, capacityreport, ranking, sections

HTML_TOP = 20  # rows per period in the HTML detail table unless --top says otherwise


@dataclass(frozen=True)
class RenderedChart:
    key: str
    title: str
    svg: Any  # markupsafe.Markup, checked by charts.safe_svg


def budget_month(report, overview: sections.Overview) -> str | None:
    """The month the budget table is about: the report's month, else the compared window's."""
    window = overview.current
    since = window.since if sections._is_month(window.since, window.until) else None
    if since is None and report.filter.until is not None:
        since = sections.month_start((report.filter.until - timedelta(days=1)).date())
    return since.strftime("%Y-%m") if since else None


def html_context(con: duckdb.DuckDBPyConnection, report, *, statement: str | None = None,
                 budget_table: dict[str, dict[str, Decimal]] | None = None, as_of: date | None = None,
                 rule: anomalies.Rule = anomalies.Rule(), sort: str = "cost", top: int | None = HTML_TOP,
                 generated_at: datetime | None = None) -> dict[str, Any]:
    """The template context of report.html for a built report (reports.Report with breakdowns)."""
    overview = sections.build_overview(con, report, statement=statement is not None)
    month = budget_month(report, overview)
    lines = budgets.budget_lines(con, budget_table or {}, month, as_of, tenant=statement) if budget_table and month else []
    first, following, checked = budgets.month_bounds(month, as_of) if month else (None, None, None)
    note = ""
    if lines:
        note = (f"Spend before {checked.isoformat()} (UTC). " if checked < following else "The month is complete. ")
        note += budgets.PROJECTION_NOTE if checked < following else ""
    breakdowns = {dim: capacityreport.for_display(sections.with_shares(rows), [dim])
                  for dim, rows in report.breakdowns.items()
                  if dim != "period" and not (statement is not None and dim == "tenant")}
    if report.capacity is not None:  # the months whose idle the (idle capacity) rows hold
        overview.capacity = report.capacity
    detail = ranking.shape_rows(report.rows, report.by, sort, top)
    top_totals = {dim: ranking.total_row(rows, [dim]) for dim, rows in overview.top.items()}
    return {
        "report": report,
        "statement": statement,
        "overview": overview,
        "charts": [RenderedChart(c.key, c.title, c.svg()) for c in overview.charts],
        "top_totals": top_totals,
        "projection": getattr(report, "projection", None),
        "budgets": lines,
        "budget_note": note,
        "anomalies": anomalies.find_anomalies(con, report.filter.since, report.filter.until, report.filter.tenant, rule),
        "anomaly_rule": rule.describe(report.currency),
        "by_period": report.breakdowns.get("period", []),
        "breakdowns": breakdowns,
        "columns": report.columns,
        "rows": capacityreport.for_display(detail, report.by),
        "detail_top": top if top and any(r.get("folded") for r in detail) else None,
        # what the rows of a table with a dimension add up to: with idle capacity, cost + idle
        "dimension_total": (report.totals | {"cost": capacityreport.total_spend(report.totals)}
                            if report.capacity is not None and report.totals else report.totals),
        "unpriced": report.unpriced,
        "late_arrivals": report.late_arrivals,
        "meta": report.meta,
        "reconciliation": (None if statement is not None or report.filter.tenant is not None
                           else reconciliation_view(con, report.filter)),
        "generated_at": (generated_at or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
    }


def reconciliation_view(con: duckdb.DuckDBPyConnection, flt) -> dict | None:
    """The last reconciliation of a bill (`llm-spend reconcile`) over the report's days, for the
    report's section; None when no bill covering them has been reconciled. Not in a statement or
    a --tenant report: its rows and totals are everyone's."""
    from analyzer.reconcile import stored_reconciliation
    from analyzer.reconcile_output import stored_view

    stored = stored_reconciliation(con, flt.since, flt.until)
    return stored_view(stored) if stored else None


def render_html(context: dict[str, Any]) -> str:
    from analyzer import render

    return render.render_template("report.html", **context)
