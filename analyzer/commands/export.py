"""`llm-spend export`: the store as a Parquet lake, for DuckDB on larger data or for Spark."""

from __future__ import annotations

import click

from analyzer.cli import Context, wait_option


@click.command()
@click.option("--lake", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="The lake folder: usage per UTC month (usage/month=YYYY-MM/), rates, capacities and their versions.")
@wait_option
@click.pass_obj
def export(obj: Context, lake: str, wait: float) -> None:
    """Write the store's usage, rates and capacities (with their versions) as a Parquet lake.

    Incremental: only the months and tables that changed since the lake's last export are
    rewritten, each file renamed into place. `report`, `sql`, `whatif`, `estimate --from-usage`
    and `compare --from-usage` read a lake with --lake DIR; `report --engine spark` runs on it.

    \b
    Example:
      llm-spend export --lake /data/lake
      llm-spend report --lake /data/lake --by tenant --month 2026-09
    """
    from pathlib import Path

    from analyzer.lake import export_lake

    with obj.open(read_only=True, wait=wait) as con:
        summary = export_lake(con, Path(lake))
    click.echo(summary.line(), err=True)
