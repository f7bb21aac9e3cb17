"""Month close (README "Month close"): freeze a month's priced rows, capacity costs, the versions
that priced them and the totals, so a later rates or capacity load cannot move them; reopen it;
refuse a load that would change what the current rates give for a closed month unless asked.

Tables of migrations 006 and 010 (month_closes, closed_usage, closed_capacity_costs, close_log);
views of queries/views/012_closed_months.sql (priced_usage, late_usage, repriced_usage,
capacity_costs). Every change here is one transaction: all of it or nothing.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb

from analyzer.errors import SpendError
from analyzer.history import add_missing_columns
from analyzer.sqlfiles import first_row, query, records, scalar
from analyzer.store import transaction


class MonthState(SpendError):
    """Closing a closed month, reopening an open one: exit 1, nothing changed."""


class ClosedMonthsWouldChange(SpendError):
    """A load that would change the cost of a closed month, without --reprice-closed: exit 1,
    the load rolled back (nothing stored changes)."""


@dataclass(frozen=True)
class Closed:
    month: date
    rows: int
    requests: int
    unpriced_requests: int
    cost: Decimal | None
    idle_cost: Decimal | None
    rates_version: int | None
    capacity_version: int | None
    through_run_id: int
    currency: str = "USD"


@dataclass(frozen=True)
class Reopened:
    month: date
    frozen_cost: Decimal | None
    cost: Decimal | None        # at the current rates, late arrivals included
    late_rows: int
    currency: str = "USD"


@dataclass(frozen=True)
class Repriced:
    """A closed month whose current-rate cost a load changes: before and after the load."""

    month: date
    old: Decimal | None
    new: Decimal | None
    frozen: Decimal | None


def who() -> str:
    """The name recorded with a close, reopen or repricing (the OS user)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def amount(value: Decimal | None, currency: str = "USD") -> str:
    """An exact amount for a message: $1.5, 12.25 EUR, or unpriced."""
    from analyzer.render import exact

    if value is None:
        return "unpriced"
    text = exact(Decimal(value))
    if currency != "USD":
        return f"{text} {currency}"
    return "-$" + text[1:] if text.startswith("-") else "$" + text


def _currency(con: duckdb.DuckDBPyConnection) -> str:
    return scalar(con, "get_setting", {"key": "currency"}) or "USD"


def close_month(con: duckdb.DuckDBPyConnection, month: date, by: str | None = None) -> Closed:
    """Freeze `month` (its first day): its rows as priced_usage_current prices them now, its
    capacity costs, the versions in use, the last ingest run and the totals; logged."""
    by = by or who()
    with transaction(con):
        if first_row(con, "month_close", {"month": month}):
            raise MonthState(f"{month:%Y-%m} is already closed (llm-spend reopen {month:%Y-%m} first); nothing changed")
        versions = first_row(con, "current_versions")
        through = scalar(con, "last_run_id")
        add_missing_columns(con, "closed_usage", "priced_usage_current")
        add_missing_columns(con, "closed_capacity_costs", "capacity_costs_current")
        con.execute(query("freeze_month_usage"), {"month": month})
        con.execute(query("freeze_month_capacity"), {"month": month})
        con.execute(query("insert_month_close"), {"month": month, "by": by, "through_run_id": through, **versions})
        close = first_row(con, "month_close", {"month": month})
        total = _plus(close["cost"], close["idle_cost"])
        detail = (f"{close['rows']:,} rows, {close['requests']:,} requests, {close['unpriced_requests']:,} unpriced; "
                  f"through ingest run {through}")
        _log(con, month, "close", by, versions, total, detail)
    con.execute("CHECKPOINT")
    return Closed(month, close["rows"], close["requests"], close["unpriced_requests"], close["cost"],
                  close["idle_cost"], versions["rates_version"], versions["capacity_version"], through,
                  _currency(con))


def reopen_month(con: duckdb.DuckDBPyConnection, month: date, by: str | None = None) -> Reopened:
    """Drop `month`'s frozen rows and capacity costs: it is priced at the current rates again,
    late arrivals included; logged with the frozen and the current cost."""
    by = by or who()
    with transaction(con):
        close = first_row(con, "month_close", {"month": month})
        if not close:
            raise MonthState(f"{month:%Y-%m} is not closed; nothing changed")
        late = late_arrivals(con, **_month_bounds(month))
        for name in ("unfreeze_month_usage", "unfreeze_month_capacity", "delete_month_close"):
            con.execute(query(name), {"month": month})
        now = first_row(con, "month_current_cost", {"month": month})
        idle = scalar(con, "month_idle_cost", {"month": month})
        frozen = _plus(close["cost"], close["idle_cost"])
        current = _plus(now["cost"], idle)
        late_rows = sum(r["rows"] for r in late)
        currency = _currency(con)
        detail = (f"frozen {amount(frozen, currency)}, at current rates {amount(current, currency)}"
                  f" ({late_rows:,} late rows included)")
        _log(con, month, "reopen", by, first_row(con, "current_versions"), frozen, detail)
    con.execute("CHECKPOINT")
    return Reopened(month, frozen, current, late_rows, currency)


def _plus(cost: Decimal | None, idle: Decimal | None) -> Decimal | None:
    """Usage cost plus idle capacity (NULL when both are)."""
    if cost is None and idle is None:
        return None
    return (cost or Decimal(0)) + (idle or Decimal(0))


def _month_bounds(month: date) -> dict:
    from analyzer.reports import make_filter

    flt = make_filter(f"{month:%Y-%m}")
    return {"since": flt.since, "until": flt.until}


def _log(con, month: date, action: str, by: str, versions: dict, cost, detail: str) -> None:
    con.execute(query("insert_close_log"), {
        "month": month, "action": action, "by": by, "rates_version": versions["rates_version"],
        "capacity_version": versions["capacity_version"], "cost": cost, "detail": detail})


# --- loads that would change a closed month ------------------------------------------------------

def closed_month_costs(con: duckdb.DuckDBPyConnection) -> dict[date, tuple]:
    """Per closed month: (cost, unpriced requests, frozen cost): what the loaded rates and
    capacities give for its frozen rows (late arrivals left out) plus its idle capacity, and the
    same frozen at the close. Empty (no pricing done) when no month is closed."""
    if not scalar(con, "closed_month_count"):
        return {}
    con.execute(query("create_closed_month_usage"))
    rows = records(con, "closed_month_costs")
    return {r["month"]: (_plus(r["cost"], r["idle_cost"]), r["unpriced_requests"],
                         _plus(r["frozen_cost"], r["frozen_idle_cost"])) for r in rows}


def check_closed_months(con: duckdb.DuckDBPyConnection, before: dict, *, load: str, reprice_closed: bool) -> list[Repriced]:
    """Inside a load's transaction, after the rates or capacities were replaced: the closed months
    whose current-rate cost (or unpriced count) the load changes. Without `reprice_closed` a
    change is refused (ClosedMonthsWouldChange: the caller's transaction rolls back); with it,
    each changed month is logged (reprice-closed). The frozen numbers stay either way."""
    if not before:
        return []
    after = closed_month_costs(con)
    changed = [Repriced(month, before[month][0], after[month][0], before[month][2])
               for month in sorted(before) if before[month][:2] != after[month][:2]]
    if not changed:
        return []
    currency = _currency(con)
    described = "; ".join(f"{c.month:%Y-%m} {amount(c.old, currency)} -> {amount(c.new, currency)}" for c in changed)
    if not reprice_closed:
        raise ClosedMonthsWouldChange(
            f"{load} would change the cost of closed months at current rates: {described}; nothing changed "
            "(pass --reprice-closed to load it anyway: closed months keep their frozen numbers)")
    versions = first_row(con, "current_versions")
    by = who()
    for c in changed:
        _log(con, c.month, "reprice-closed", by, versions, c.new,
             f"{load}: {amount(c.old, currency)} -> {amount(c.new, currency)} at current rates "
             f"(frozen {amount(c.frozen, currency)} kept)")
    return changed


def repriced_note(changed: list[Repriced], currency: str = "USD") -> str:
    """The line a load with --reprice-closed prints when it changed closed months."""
    months = ", ".join(f"{c.month:%Y-%m} (now {amount(c.new, currency)} at current rates)" for c in changed)
    return f"closed months keep their frozen numbers: {months}; see report --reprice"


# --- late arrivals ---------------------------------------------------------------------------------

def late_arrivals(con: duckdb.DuckDBPyConnection, since=None, until=None, tenant: str | None = None) -> list[dict]:
    """Per closed month in [since, until): the late arrivals (rows, requests, cost at current
    rates) kept out of its frozen totals; nothing is priced when no month is closed."""
    if not scalar(con, "closed_month_count"):
        return []
    params = {"since": since, "until": until, "tenant": tenant}
    if getattr(con, "engine", "duckdb") == "spark":  # a lake on Spark (analyzer/sparkquery.py)
        return [r | {"month": f"{r['month']:%Y-%m}"} for r in records(con, "late_arrivals_current", params)]
    con.execute(query("create_closed_month_usage"))
    return records(con, "late_arrivals", params)


def late_in_run(con: duckdb.DuckDBPyConnection, run_id: int) -> list[dict]:
    """The records an ingest run stored for closed months (late arrivals), per month."""
    if not scalar(con, "closed_month_count"):
        return []
    return records(con, "late_in_run", {"run_id": run_id})


def late_note(late: list[dict], currency: str = "USD") -> str:
    """One line about the late arrivals (empty without any)."""
    if not late:
        return ""
    parts = [f"{r['month']}: {r['requests']:,} requests, {amount(r['cost'], currency)} at current rates"
             + (f" ({r['unpriced_requests']:,} unpriced)" if r["unpriced_requests"] else "") for r in late]
    return "late arrivals for closed months, not in their totals: " + "; ".join(parts)
