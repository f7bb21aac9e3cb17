"""A `--tenant` or a period that matches no usage is an error that says what does exist (the
closest tenant names, or the months that hold data) instead of an empty report with exit 0.

Exit code 1 (BadInput): the flags are well formed, the data has nothing for them."""

from __future__ import annotations

import difflib

import duckdb

from analyzer.errors import BadInput
from analyzer.sqlfiles import first_row, records


class NoMatch(BadInput):
    """The filter selects no usage."""


def check_filter_matches(con: duckdb.DuckDBPyConnection, flt) -> None:
    """Raise NoMatch when `flt` (reports.ReportFilter) selects no usage, naming what exists."""
    if flt.tenant is not None:
        tenants = [row["tenant"] for row in records(con, "spend_tenants")]
        if flt.tenant not in tenants:
            close = difflib.get_close_matches(flt.tenant, tenants, n=3, cutoff=0.5)
            hint = f"; closest: {', '.join(close)}" if close else (
                f"; tenants: {', '.join(tenants[:10])}{' ...' if len(tenants) > 10 else ''}" if tenants
                else "; the store has no tenants")
            raise NoMatch(f"no usage for tenant {flt.tenant!r}{hint}")
    if flt.since is None and flt.until is None:
        return
    found = first_row(con, "spend_totals", flt.params) or {}
    if found.get("requests"):
        return
    months = (first_row(con, "spend_data_range", {"tenant": flt.tenant}) or {}).get("months") or []
    where = f" for tenant {flt.tenant!r}" if flt.tenant is not None else ""
    have = f"; months with data: {_ranges(months)}" if months else "; the store holds no usage"
    raise NoMatch(f"no usage in {flt.describe().split(', tenant')[0]}{where}{have}")


def _ranges(months: list[str]) -> str:
    """2026-08, 2026-09, 2026-10, 2027-01 -> '2026-08 to 2026-10, 2027-01'."""
    def index(month: str) -> int:
        year, number = month.split("-")
        return int(year) * 12 + int(number) - 1

    spans: list[list[str]] = []
    for month in months:
        if spans and index(month) == index(spans[-1][-1]) + 1:
            spans[-1].append(month)
        else:
            spans.append([month])
    return ", ".join(s[0] if len(s) == 1 else f"{s[0]} to {s[-1]}" for s in spans)
