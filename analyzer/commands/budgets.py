"""`llm-spend check-budgets`: the budgets over, or projected over, this month (for cron)."""

from __future__ import annotations

from datetime import datetime

import click

from analyzer.cli import Context, wait_option


@click.command("check-budgets")
@click.option("--month", metavar="YYYY-MM", help="The month to check (default: the month of --as-of).")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), metavar="DATE",
              help="Today (UTC): spend before it counts, the projection runs from it (default: today).")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
@wait_option
@click.pass_obj
def check_budgets(obj: Context, month: str | None, as_of: datetime | None, fmt: str, wait: float) -> None:
    """Print the [budgets] over or projected over; exit 1 when one is over.

    A line is "over" when the month's spend so far exceeds the budget (exit 1), "projected over"
    when only the projected month end does (printed, exit 0).

    Example (cron, every morning): llm-spend --config spend.toml check-budgets
    """
    from analyzer.budgets import budget_lines, check_text
    from analyzer.errors import BadInput
    from analyzer.outputs import Result, emit
    from analyzer.sqlfiles import scalar

    table = obj.budgets()
    if not any(table.values()):
        raise BadInput("no budgets: add [budgets.tenant] or [budgets.feature] to the config file")
    with obj.open(read_only=True, wait=wait) as con:
        lines = budget_lines(con, table, month, as_of.date() if as_of else None)
        currency = scalar(con, "get_setting", {"key": "currency"}) or "USD"
    emit(Result([], document=[vars(line) | {"status": line.status} for line in lines],
                text=check_text(lines, currency)), fmt)
    if any(line.status == "over" for line in lines):
        raise SystemExit(1)
