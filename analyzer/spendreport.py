"""What `llm-spend report` does, given its flags: the report in one format, the FOCUS export, or
the per-tenant statements. Returns the notes the command prints on stderr."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from analyzer.errors import UsageError
from analyzer.sqlfiles import scalar

DEFAULT_TOP = {"table": 20, "html": 20}  # rows per period; csv, json and focus carry every row


@dataclass(frozen=True)
class ReportRequest:
    by_text: str = "tenant,feature,model"
    period: str = "month"
    month: str | None = None
    since: date | None = None
    until: date | None = None
    tenant: str | None = None
    fmt: str = "table"
    top: int | None = None
    sort: str = "cost"
    as_of: date | None = None
    budgets: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    section: str = "rows"  # or "capacity": the capacity section alone (a CSV is one table)
    reprice: bool = False  # frozen vs current-rate cost per group (analyzer/repricing.py)

    def filter(self):
        from analyzer.reports import make_filter

        return make_filter(self.month, self.since, self.until, self.tenant)

    @property
    def rows_per_period(self) -> int | None:
        top = DEFAULT_TOP.get(self.fmt) if self.top is None else self.top
        return top or None


def produce(con: duckdb.DuckDBPyConnection, request: ReportRequest, output: str | None) -> list[str]:
    """Render the report (or the FOCUS export) to `output` or stdout."""
    from analyzer.matching import check_filter_matches
    from analyzer.reports import parse_by

    by = parse_by(request.by_text)
    flt = request.filter()
    if output and Path(output).is_dir():
        raise UsageError(f"-o {output} is a folder (a folder is for --per-tenant)")
    if request.section == "capacity" and request.fmt not in ("table", "csv", "json"):
        raise UsageError(f"--section capacity is a table, CSV or JSON; the {request.fmt} report holds every section")
    if request.section != "capacity":  # a capacity month without usage is all idle: still shown
        check_filter_matches(con, flt)
    if request.reprice:
        from analyzer.outputs import emit
        from analyzer.repricing import reprice_result

        if request.fmt == "focus":
            raise UsageError("--reprice writes table, csv, json or html, not focus")
        if request.section != "rows":
            raise UsageError("--reprice shows the report rows: drop --section")
        emit(reprice_result(con, by, request.period, flt), request.fmt, output)
        return []
    if request.fmt == "focus":
        return _focus(con, flt, output)
    from analyzer.outputs import emit

    emit(result(con, request, by, flt), request.fmt, output)
    return []


def result(con: duckdb.DuckDBPyConnection, request: ReportRequest, by: list[str], flt):
    """The report as an output Result (analyzer/outputs.py) for table, csv, json or html."""
    from analyzer import ranking, terminal
    from analyzer.outputs import Result
    from analyzer.reports import build_report, projection_text, report_document

    fmt = request.fmt
    if request.section == "capacity":
        return _capacity_section(con, flt, fmt)
    if fmt == "html":  # a score of queries: priced once (analyzer/pricedonce.py)
        from analyzer.htmlreport import html_context, render_html
        from analyzer.pricedonce import priced_once

        with priced_once(con):
            report = build_report(con, by, request.period, flt, breakdowns=True, totals=True, projection=True,
                                  as_of=request.as_of)
            return Result(report.columns, html=render_html(html_context(
                con, report, budget_table=request.budgets, as_of=request.as_of, sort=request.sort,
                top=request.rows_per_period)))
    report = build_report(con, by, request.period, flt, breakdowns=False, totals=fmt == "json",
                          projection=fmt in ("table", "json"), as_of=request.as_of)
    rows = ranking.shape_rows(report.rows, by, request.sort, request.rows_per_period)
    columns = report.columns
    text = None
    if fmt == "table":
        from analyzer.capacityreport import for_display, section_text

        total = ranking.total_row(report.rows, by)
        text = terminal.render(columns, [[r.get(c) for c in columns] for r in for_display(rows, by)], money=["cost"],
                               compactable=["input_tokens", "cached_input_tokens", "output_tokens"],
                               dimensions=by,
                               currency=report.currency, total=[total.get(c) for c in columns])
        if report.projection is not None:
            text += "\n" + projection_text(report.projection)
        if report.capacity is not None:
            text += "\n" + section_text(report.capacity, report.currency)
        if report.late_arrivals:
            from analyzer.closing import late_note

            text += "\n" + late_note(report.late_arrivals, report.currency) + "\n"
    columns = report.data_columns
    report.rows = [{c: r.get(c) for c in columns} for r in rows]
    return Result(columns, [[r.get(c) for c in columns] for r in rows], document=report_document(report),
                  text=text, currency=report.currency, dimensions=by, meta=report.meta)


def _capacity_section(con: duckdb.DuckDBPyConnection, flt, fmt: str):
    """`report --section capacity`: each capacity month of the report's range (table, CSV, JSON)."""
    from analyzer.capacityreport import section, section_result

    if flt.tenant is not None:
        raise UsageError("--section capacity is about every tenant (spend, tokens and idle are everyone's): drop --tenant")
    return section_result(section(con, flt), scalar(con, "get_setting", {"key": "currency"}) or "USD")


def per_tenant(con: duckdb.DuckDBPyConnection, request: ReportRequest, folder: str | None) -> list[str]:
    """One HTML statement and one CSV per tenant into `folder`."""
    from analyzer.matching import check_filter_matches
    from analyzer.reports import parse_by
    from analyzer.statements import write_statements

    if not folder:
        raise UsageError("--per-tenant needs -o DIR, the folder for the statements")
    if request.tenant is not None:
        raise UsageError("--per-tenant writes every tenant's statement: drop --tenant")
    if request.section != "rows":
        raise UsageError("--per-tenant writes statements, which hold no capacity section: drop --section")
    if request.fmt not in ("table", "html"):
        raise UsageError("--per-tenant writes HTML and CSV: drop --format")
    if request.reprice:
        raise UsageError("--reprice goes without --per-tenant")
    if Path(folder).exists() and not Path(folder).is_dir():
        raise UsageError(f"-o {folder} is a file: --per-tenant needs a folder")
    flt = request.filter()
    check_filter_matches(con, flt)
    prefix = f"{request.month}_" if request.month else ""
    written, untenanted = write_statements(con, Path(folder), parse_by(request.by_text), request.period, flt,
                                           request.budgets, request.as_of, prefix)
    notes = [f"wrote {len(written)} statements ({len(written) * 3} files: HTML, CSV, CSV provenance) into {folder}"]
    if untenanted:
        notes.append(f"{untenanted:,} requests carry no tenant and are in no statement")
    return notes


def _focus(con: duckdb.DuckDBPyConnection, flt, output: str | None) -> list[str]:
    from analyzer.focus import focus_export, left_out_note, write_parquet
    from analyzer.provenance import provenance, write_sidecar

    export = focus_export(con, flt)
    meta = provenance(con, flt.since, flt.until, flt.tenant)
    if output and output.lower().endswith(".parquet"):
        write_parquet(export, Path(output))
        write_sidecar(meta, output)
    else:
        from analyzer.outputs import Result, emit

        emit(Result([], context={"focus_export": export}, meta=meta), "focus", output)
    note = left_out_note(export)
    return [note] if note else []

