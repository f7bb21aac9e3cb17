"""Where this month will end: month-to-date spend plus the trailing full days' mean daily spend
times the days left.

Method (the README states it too), with `as_of` as "today" (UTC, default the real today):
- month-to-date = priced spend of the full days of the month before `as_of`;
- trailing window = the 7 full days before `as_of` (fewer when the store's first usage is later;
  it may reach into the previous month); mean daily spend = window spend / window days;
- days left = days from `as_of` to the month's end, `as_of` included (today is not over);
- projected month end = month-to-date + window spend x days left / window days, rounded half to
  even to 18 places once (the mean shown is rounded the same way, for display).
Usage at or after `as_of` is ignored, so a past `as_of` reproduces the projection made that day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import duckdb

from analyzer.planning import Where, exact_ratio
from analyzer.reports import ReportFilter
from analyzer.results import Result
from analyzer.sqlfiles import records, scalar

WINDOW_DAYS = 7
MEASURES = ["month", "as_of", "month_to_date", "days_elapsed", "trailing_days", "trailing_spend", "daily_mean",
            "days_left", "projected_month_end", "unpriced_requests"]
MONEY = frozenset({"month_to_date", "trailing_spend", "daily_mean", "projected_month_end"})


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), timezone.utc)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def covers_month(flt: ReportFilter, as_of: date) -> bool:
    """Does a report over `flt` cover any of the month `as_of` is in?"""
    start, end = _midnight(as_of.replace(day=1)), _midnight(_next_month(as_of))
    return (flt.since is None or flt.since < end) and (flt.until is None or flt.until > start)


def month_end_projection(con: duckdb.DuckDBPyConnection, *, by: list[str], as_of: date | None = None,
                         where: Where = Where(), tenant: str | None = None) -> Result:
    """Month-to-date and projected month-end spend per group and in total, by the method above."""
    as_of = as_of or datetime.now(timezone.utc).date()
    month_start, month_end = as_of.replace(day=1), _next_month(as_of)
    first_day = scalar(con, "first_usage_day")
    window_start = as_of - timedelta(days=WINDOW_DAYS)
    if first_day is not None and first_day > window_start:
        window_start = first_day
    window_days = max((as_of - window_start).days, 0)
    days_left = (month_end - as_of).days
    basis = records(con, "month_end_basis", {
        "by": by or ["__none__"], "month_start": _midnight(month_start), "window_start": _midnight(window_start),
        "as_of": _midnight(as_of), **where.params(ReportFilter(tenant=tenant)),
    })
    common = {"month": month_start.strftime("%Y-%m"), "as_of": as_of,
              "days_elapsed": (as_of - month_start).days, "trailing_days": window_days, "days_left": days_left}
    rows = [_projection_row({dim: row[dim] for dim in by}, row, common) for row in basis]
    summed = {name: sum((row[name] for row in basis), Decimal(0) if name.endswith(("_date", "_spend")) else 0)
              for name in ("month_to_date", "priced_requests", "unpriced_requests", "trailing_spend",
                           "trailing_priced_requests", "trailing_unpriced_requests")}
    total = _projection_row({dim: None for dim in by}, summed, common)
    meta = {"by": by, "where": where.as_dict() | ({"tenant": tenant} if tenant else {}),
            "method": f"month-to-date + mean daily spend of the trailing {WINDOW_DAYS} full days x days left",
            **common}
    return Result("month_end_projection", [*by, *MEASURES], rows, total, meta, MONEY)


def _projection_row(keys: dict, basis: dict, common: dict) -> dict:
    month_unpriced_only = basis["priced_requests"] == 0 and basis["unpriced_requests"] > 0
    window_unpriced_only = basis["trailing_priced_requests"] == 0 and basis["trailing_unpriced_requests"] > 0
    month_to_date = None if month_unpriced_only else basis["month_to_date"]
    trailing = None if window_unpriced_only else basis["trailing_spend"]
    days = common["trailing_days"]
    measurable = days > 0 and month_to_date is not None and trailing is not None
    return keys | {
        "month": common["month"], "as_of": common["as_of"], "month_to_date": month_to_date,
        "days_elapsed": common["days_elapsed"], "trailing_days": days, "trailing_spend": trailing,
        "daily_mean": exact_ratio(trailing, days) if measurable else None,
        "days_left": common["days_left"],
        "projected_month_end": (exact_ratio(month_to_date * days + trailing * common["days_left"], days)
                                if measurable else None),
        "unpriced_requests": basis["unpriced_requests"],
    }


def project_month_end(con: duckdb.DuckDBPyConnection, flt: ReportFilter, by: list[str],
                      as_of: date | None = None) -> Result | None:
    """The projection a report over `flt` shows: None when the report does not cover the month of
    `as_of` (default today, UTC); grouped by the report's tenant and feature dimensions."""
    as_of = as_of or datetime.now(timezone.utc).date()
    if not covers_month(flt, as_of):
        return None
    return month_end_projection(con, by=[d for d in by if d in ("tenant", "feature")], as_of=as_of,
                                tenant=flt.tenant)
