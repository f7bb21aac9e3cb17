"""`llm-spend whatif`: the measured usage re-priced on another model, mode or rate card."""

from __future__ import annotations

from datetime import datetime

import click

from analyzer.cli import Context, lake_options, output_options, wait_option
from analyzer.commands.planning import day, measured_options
from analyzer.outputs import write_text
from analyzer.results import render_result


@click.command()
@click.option("--as", "as_model", metavar="MODEL", help="Re-price as if the usage had run on MODEL.")
@click.option("--mode", type=click.Choice(("serverless", "batch")), help="Re-price as if it had run in this mode.")
@click.option("--provider", help="With --as: the provider of MODEL (card rows for a provider; default: each request's own).")
@click.option("--rates", type=click.Path(dir_okay=False), metavar="CARD.csv",
              help="Price the what-if with this rate card instead of the store's (not loaded).")
@measured_options
@output_options(("table", "csv", "json"))
@lake_options()
@wait_option
@click.pass_obj
def whatif(obj: Context, as_model: str | None, mode: str | None, provider: str | None, rates: str | None,
           by_text: str | None, month: str | None, since: datetime | None, until: datetime | None,
           where: str | None, fmt: str, output: str | None, wait: float) -> None:
    """What the measured usage would cost on another model (or mode, or rate card), each request
    keeping its own token counts, next to its cost today.

    \b
    Example:
      llm-spend whatif --as gpt-4o-mini --where feature=chat --month 2026-09 --by tenant
      llm-spend whatif --mode batch --by feature --month 2026-09
      llm-spend whatif --as llama-3-70b --rates together.csv --by feature
    """
    from analyzer.api import Store

    result = Store(obj.db, obj.config, wait=wait, lake=obj.lake, engine=obj.engine,
                   spark_master=obj.spark_master).whatif(
        as_model=as_model, mode=mode, provider=provider, rates=rates, by=by_text, month=month,
        since=day(since), until=day(until), where=where)
    write_text(render_result(result, fmt), output)
