"""Options and output shared by the planning commands (`estimate --from-usage`, `whatif`): the
period and group flags, and the output of a planning result (table, CSV, JSON; see analyzer/outputs.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

import click

from analyzer.cli import Context
from analyzer.outputs import Result

BY_HELP = "Comma-separated dimensions: tenant, feature, environment, model, mode, provider, user_id, project."
# The option names of from_usage_options (without --from-usage) and the flags a user types.
USAGE_FLAGS = {"by_text": "--by", "month": "--month", "since": "--since", "until": "--until", "where": "--where",
               "growth": "--growth"}


def _percent(ctx, param, value):
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise click.BadParameter(f"{value!r} is not a number")
    return number


def measured_options(func):
    """--by, --month / --since / --until and --where: which measured usage, grouped how."""
    for option in reversed([
        click.option("--by", "by_text", help=BY_HELP),
        click.option("--month", metavar="YYYY-MM", help="One calendar month (UTC)."),
        click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day included (UTC)."),
        click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day included (UTC)."),
        click.option("--where", metavar="DIM=VALUE,...",
                     help="Only usage with these exact values, e.g. feature=chat,tenant=acme."),
    ]):
        func = option(func)
    return func


def from_usage_options(func):
    """The flags `estimate --from-usage` adds to `estimate`."""
    func = click.option("--growth", callback=_percent, metavar="PCT",
                        help="With --from-usage --month: the measured month's volume grown by PCT percent.")(func)
    func = measured_options(func)
    return click.option("--from-usage", is_flag=True,
                        help="Measure tokens and cost per request from the stored usage.")(func)


def day(value: datetime | None):
    return value.date() if value else None


def estimate_from_usage(obj: Context, *, requests: int | None, wait: float = 0, by_text: str | None, month: str | None,
                        since: datetime | None, until: datetime | None, where: str | None,
                        growth: Decimal | None) -> Result:
    """`estimate --from-usage`, through the same Python API a notebook uses."""
    from analyzer.api import Store

    result = Store(obj.db, obj.config, wait=wait, lake=obj.lake, engine=obj.engine,
                   spark_master=obj.spark_master).estimate_from_usage(
        by=by_text, month=month, since=day(since), until=day(until), where=where, requests=requests, growth=growth)
    return planning_output(result)


def planning_output(result) -> Result:
    """The output Result of a planning result: JSON what it covers, `rows` and `total`; CSV the
    rows, exact; table the rows and a total line (analyzer.results.render_result)."""
    from analyzer.results import render_result

    return Result(result.columns, result.records(), document=result.as_dict(), text=render_result(result, "table"))
