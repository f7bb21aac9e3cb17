"""Spend reports: run the named report queries with the user's filters and return the results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import duckdb

from analyzer.errors import UsageError
from analyzer.sqlfiles import first_row, records, scalar

DIMENSIONS = ("tenant", "feature", "environment", "model", "mode", "provider", "user_id", "project")
PERIODS = ("month", "week", "day", "total")
MEASURES = ("requests", "input_tokens", "cached_input_tokens", "output_tokens", "cost", "unpriced_requests")


@dataclass(frozen=True)
class ReportFilter:
    """What a report covers: [since, until) in UTC, and optionally one tenant."""

    since: datetime | None = None
    until: datetime | None = None
    tenant: str | None = None

    @property
    def params(self) -> dict:
        return {"since": self.since, "until": self.until, "tenant": self.tenant}

    def describe(self) -> str:
        parts = []
        if self.since or self.until:
            start = self.since.date().isoformat() if self.since else "start"
            end = (self.until - timedelta(days=1)).date().isoformat() if self.until else "now"
            parts.append(f"{start} to {end}")
        else:
            parts.append("all time")
        if self.tenant is not None:
            parts.append(f"tenant {self.tenant}")
        return ", ".join(parts)


@dataclass
class Report:
    by: list[str]
    period: str
    filter: ReportFilter
    rows: list[dict]  # report results are small (one row per group): plain rows, no dataframe
    totals: dict
    unpriced: list[dict]
    currency: str = "USD"
    breakdowns: dict[str, list[dict]] = field(default_factory=dict)
    # Month-to-date and projected month end (analyzer.projection.Result) when the report covers
    # the month of its as-of day and there is usage to project from; else None.
    projection: object | None = None
    # The capacity section (analyzer/capacityreport.py) when the store has capacities and the
    # report is about everyone; then rows carry idle_capacity and totals idle_capacity_cost.
    capacity: list[dict] | None = None
    # Late arrivals for closed months in the report's period (analyzer.closing.late_arrivals):
    # stored after the close, kept out of the frozen totals, shown apart.
    late_arrivals: list[dict] = field(default_factory=list)
    # What the report was made from (analyzer.provenance): JSON `meta`, HTML footer, CSV sidecar.
    meta: dict = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return ["period", *self.by, *MEASURES]

    @property
    def data_columns(self) -> list[str]:
        """The columns of the CSV and JSON rows: with capacity, idle_capacity marks the idle rows."""
        return self.columns + (["idle_capacity"] if self.capacity is not None else [])


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), timezone.utc)


def make_filter(month: str | None = None, since: date | None = None, until: date | None = None,
                tenant: str | None = None) -> ReportFilter:
    """--month YYYY-MM, or --since DATE / --until DATE (both inclusive days), UTC."""
    if month and (since or until):
        raise UsageError("--month cannot be combined with --since/--until")
    if month:
        try:
            first = datetime.strptime(month, "%Y-%m").date()
        except ValueError:
            raise UsageError(f"--month {month!r} is not YYYY-MM") from None
        _in_range(f"--month {month}", first)
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return ReportFilter(_midnight(first), _midnight(following), tenant)
    for flag, day in (("--since", since), ("--until", until)):
        if day is not None:
            _in_range(f"{flag} {day:%Y-%m-%d}", day)
    if since and until and until < since:
        raise UsageError("--until is before --since")
    return ReportFilter(
        _midnight(since) if since else None,
        _midnight(until + timedelta(days=1)) if until else None,
        tenant,
    )


def _in_range(what: str, day: date) -> None:
    """Stored times are from 2000 to 2099 (the ingest rejects others): a period outside is a typo."""
    if not date(2000, 1, 1) <= day <= date(2099, 12, 31):
        raise UsageError(f"{what} is out of range: usage times are from 2000-01-01 to 2099-12-31")


def parse_by(text: str) -> list[str]:
    by = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [b for b in by if b not in DIMENSIONS]
    if unknown:
        raise UsageError(f"--by {','.join(unknown)}: not a dimension (one of {', '.join(DIMENSIONS)})")
    if len(set(by)) != len(by):
        raise UsageError("--by names a dimension twice")
    return by


def spend_rows(con: duckdb.DuckDBPyConnection, by: list[str], period: str, flt: ReportFilter) -> list[dict]:
    """The report's rows: period, the --by columns in order, then the measures."""
    if period not in PERIODS:
        raise UsageError(f"--period {period!r}: one of {', '.join(PERIODS)}")
    columns = ["period", *by, *MEASURES]
    rows = records(con, "spend_report", {"by": by or ["__none__"], "period": period, **flt.params})
    return [{name: row[name] for name in columns} for row in rows]


def build_report(con: duckdb.DuckDBPyConnection, by: list[str], period: str, flt: ReportFilter,
                 breakdowns: bool = False, totals: bool = True, projection: bool = False,
                 as_of: date | None = None) -> Report:
    """Rows, and (with `totals`) totals and unpriced usage for one report; with breakdowns, one
    table per dimension; with `projection`, the month-end projection as of `as_of` (default
    today, UTC) per tenant / feature of `by`. CSV outputs print only the rows: they skip the
    extra scans."""
    from analyzer.closing import late_arrivals
    from analyzer.projection import project_month_end
    from analyzer.provenance import provenance

    rows = spend_rows(con, by, period, flt)
    report = Report(
        by=by, period=period, filter=flt, rows=rows,
        totals=first_row(con, "spend_totals", flt.params) if totals else {},
        unpriced=records(con, "spend_unpriced", flt.params) if totals else [],
        currency=scalar(con, "get_setting", {"key": "currency"}) or "USD",
        late_arrivals=late_arrivals(con, flt.since, flt.until, flt.tenant),
        meta=provenance(con, flt.since, flt.until, flt.tenant),
    )
    if projection:
        projected = project_month_end(con, flt, by, as_of)
        report.projection = projected if projected is not None and projected.rows else None
    if breakdowns:
        report.breakdowns["period"] = spend_rows(con, [], period, flt)
        for dim in by:
            report.breakdowns[dim] = [{k: v for k, v in row.items() if k != "period"}
                                      for row in spend_rows(con, [dim], "total", flt)]
    from analyzer.capacityreport import add_to_report

    add_to_report(con, report)
    return report


def report_document(report: Report) -> dict:
    """The report's JSON document."""
    data = {
        "period": report.period,
        "by": report.by,
        "filter": report.filter.params,
        "currency": report.currency,
        "totals": report.totals,
        "rows": report.rows,
        "unpriced": report.unpriced,
        "late_arrivals": report.late_arrivals,
        "meta": report.meta,
    }
    if report.projection is not None:
        data["projection"] = report.projection.as_dict()
    if report.capacity is not None:
        data["capacity"] = report.capacity
    return data


def report_json(report: Report) -> str:
    from analyzer import render

    return render.to_json(report_document(report))


def report_result(report: Report, generated_at: datetime | None = None):
    """The report as an output Result: its rows for table and CSV, the document for JSON, the
    page's context for HTML (see analyzer/outputs.py)."""
    from analyzer import render
    from analyzer.capacityreport import for_display, section_text
    from analyzer.outputs import Result

    columns = report.columns
    rows = [tuple(row[name] for name in report.data_columns) for row in report.rows]
    text = None
    if report.projection is not None or report.capacity is not None:
        shown = [tuple(row[name] for name in columns) for row in for_display(report.rows, report.by)]
        text = render.to_table(columns, shown, report.currency, dimensions=report.by)
        if report.projection is not None:
            text += "\n" + projection_text(report.projection)
        if report.capacity is not None:
            text += "\n" + section_text(report.capacity, report.currency)
    return Result(
        columns=report.data_columns,
        rows=rows,
        currency=report.currency,
        dimensions=report.by,
        document=report_document(report),
        text=text,
        template="report.html",
        meta=report.meta,
        context={
            "report": report,
            "meta": report.meta,
            "columns": columns,
            "rows": report.rows,
            "by_period": report.breakdowns.get("period", []),
            "breakdowns": {dim: rows for dim, rows in report.breakdowns.items() if dim != "period"},
            "unpriced": report.unpriced,
            "generated_at": (generated_at or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
        },
    )


def render_report(report: Report, fmt: str, generated_at: datetime | None = None) -> str:
    """The report as table, csv, json or html text."""
    from analyzer.outputs import to_text

    return to_text(report_result(report, generated_at), fmt)


def projection_text(projection) -> str:
    """The month-end projection under a report table: one line for the method, then per group."""
    from analyzer.results import render_result

    meta = projection.meta
    head = (f"Month-end projection for {meta['month']} as of {meta['as_of'].isoformat()}: {meta['method']} "
            f"({meta['trailing_days']} days measured, {meta['days_left']} days left)\n")
    keys = [dim for dim in projection.columns if dim in meta["by"]]
    return head + render_result(projection, "table",
                                [*keys, "month_to_date", "daily_mean", "projected_month_end", "unpriced_requests"])
