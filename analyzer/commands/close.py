"""`llm-spend close YYYY-MM` and `llm-spend reopen YYYY-MM`: freeze a month's numbers, or let the
current rates price it again."""

from __future__ import annotations

from datetime import date

import click

from analyzer.cli import Context, wait_option
from analyzer.errors import UsageError


def _month(text: str) -> date:
    from analyzer.capacity import parse_month

    try:
        return parse_month(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


@click.command()
@click.argument("month", metavar="YYYY-MM")
@wait_option
@click.pass_obj
def close(obj: Context, month: str, wait: float) -> None:
    """Close a month: its priced rows, capacity costs, the rates and capacity versions and the
    totals are frozen in the store. Reports, statements, FOCUS and priced_usage show these
    numbers from now on; a rates or capacity load that would change them is refused unless
    --reprice-closed; records that arrive later are kept apart as late arrivals.

    Example: llm-spend close 2026-09
    """
    from analyzer.closing import amount, close_month

    first = _month(month)
    with obj.open(wait=wait) as con:
        closed = close_month(con, first)
    versions = ", ".join(f"{name} version {v}" for name, v in (("rates", closed.rates_version),
                                                                ("capacity", closed.capacity_version)) if v)
    idle = f" + idle capacity {amount(closed.idle_cost, closed.currency)}" if closed.idle_cost is not None else ""
    unpriced = f", {closed.unpriced_requests:,} unpriced" if closed.unpriced_requests else ""
    click.echo(f"closed {first:%Y-%m}: {closed.rows:,} rows, {closed.requests:,} requests{unpriced}, "
               f"{amount(closed.cost, closed.currency)}{idle} ({versions or 'no rates loaded'}; through ingest run "
               f"{closed.through_run_id})")


@click.command()
@click.argument("month", metavar="YYYY-MM")
@wait_option
@click.pass_obj
def reopen(obj: Context, month: str, wait: float) -> None:
    """Reopen a closed month: its frozen numbers are dropped (the close log keeps them) and the
    current rates price it again, late arrivals included.

    Example: llm-spend reopen 2026-09
    """
    from analyzer.closing import amount, reopen_month

    first = _month(month)
    with obj.open(wait=wait) as con:
        reopened = reopen_month(con, first)
    currency = reopened.currency
    click.echo(f"reopened {first:%Y-%m}: frozen {amount(reopened.frozen_cost, currency)}, now "
               f"{amount(reopened.cost, currency)} at current rates ({reopened.late_rows:,} late rows included)")
