"""`llm-spend report`: spend per period and dimension; per-tenant statements; FOCUS export."""

from __future__ import annotations

from datetime import datetime

import click

from analyzer.cli import Context, lake_options, period_options, wait_option
from analyzer.outputs import resolve_format

FORMATS = ("table", "csv", "json", "html", "focus")


@click.command()
@click.option("--by", "by_text", default="tenant,feature,model", show_default=True,
              help="Comma-separated dimensions: tenant, feature, environment, model, mode, provider, user_id, project.")
@period_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (focus: FOCUS v1.2 CSV, or Parquet when -o ends in .parquet) "
                   "[default: table, or the -o FILE extension's: .csv .json .html .parquet].")
@click.option("-o", "--output", type=click.Path(), metavar="FILE|DIR",
              help="Write to FILE instead of stdout (with --per-tenant: the folder for the statements).")
@click.option("--top", type=click.IntRange(min=0), metavar="N",
              help="At most N rows per period, the rest folded into one (others) row; 0 = all "
                   "[default: 20 for table and html, all for csv and json].")
@click.option("--sort", type=click.Choice(("cost", "requests", "name")), default="cost", show_default=True,
              help="Row order within each period.")
@click.option("--section", type=click.Choice(("rows", "capacity")), default="rows", show_default=True,
              help="What a table, CSV or JSON holds: the report rows, or the capacity section alone "
                   "(each capacity and month: spend, tokens, effective $/1M, utilisation, idle).")
@click.option("--per-tenant", is_flag=True, help="Write one HTML statement and one CSV per tenant into -o DIR.")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), metavar="DATE",
              help="Today for budgets and the month-end projection (default: today, UTC).")
@lake_options()
@click.option("--reprice", is_flag=True,
              help="What the current rates give per row next to the frozen numbers of closed months: "
                   "frozen_cost, current_cost, difference.")
@wait_option
@click.pass_obj
def report(obj: Context, by_text: str, period: str, month: str | None, since: datetime | None,
           until: datetime | None, tenant: str | None, fmt: str | None, output: str | None, top: int | None,
           sort: str, section: str, per_tenant: bool, as_of: datetime | None, reprice: bool,
           wait: float) -> None:
    """Spend per period and dimension, as table, CSV, JSON, HTML or FOCUS.

    \b
    Examples:
      llm-spend report --by tenant,feature --month 2026-09 --format csv -o sept.csv
      llm-spend report --format html -o spend.html
      llm-spend report --per-tenant --month 2026-09 -o statements/
      llm-spend report --format focus --month 2026-09 -o focus.parquet
      llm-spend report --section capacity --month 2026-09 --format csv -o capacity.csv
      llm-spend report --reprice --month 2026-09 --by model
    """
    from analyzer import spendreport

    # -o is a folder with --per-tenant, else a file whose extension may name the format
    fmt = (fmt or "table") if per_tenant else resolve_format(fmt, output, FORMATS)
    request = spendreport.ReportRequest(
        by_text=by_text, period=period, month=month, since=since.date() if since else None,
        until=until.date() if until else None, tenant=tenant, fmt=fmt, top=top, sort=sort,
        as_of=as_of.date() if as_of else None, budgets=obj.budgets(), section=section,
        reprice=reprice)
    with obj.open(read_only=True, wait=wait) as con:
        if per_tenant:
            notes = spendreport.per_tenant(con, request, output)
        else:
            notes = spendreport.produce(con, request, output)
    for note in notes:
        click.echo(note, err=True)
