"""`llm-spend report`: spend per period and dimension."""

from __future__ import annotations

from datetime import datetime

import click

from analyzer.cli import Context, output_options, period_options, write_output


@click.command()
@click.option("--by", "by_text", default="tenant,feature,model", show_default=True,
              help="Comma-separated dimensions: tenant, feature, environment, model, mode, provider, user_id, project.")
@period_options
@output_options()
@click.pass_obj
def report(obj: Context, by_text: str, period: str, month: str | None, since: datetime | None,
           until: datetime | None, tenant: str | None, fmt: str, output: str | None) -> None:
    """Spend per period and dimension, as table, CSV, JSON or HTML.

    Example: llm-spend report --by tenant,feature --month 2026-09 --format csv -o sept.csv
    """
    from analyzer.reports import build_report, make_filter, parse_by, render_report

    by = parse_by(by_text)
    flt = make_filter(month, since.date() if since else None, until.date() if until else None, tenant)
    with obj.open(read_only=True) as con:
        result = build_report(con, by, period, flt, breakdowns=(fmt == "html"), totals=fmt in ("json", "html"))
    write_output(render_report(result, fmt), output)
