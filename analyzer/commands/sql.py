"""`llm-spend sql`: one read-only, sandboxed SQL statement on the store."""

from __future__ import annotations

import click

from analyzer.cli import Context, lake_options, output_options, wait_option
from analyzer.outputs import Result, emit


@click.command()
@click.argument("statement")
@output_options(("table", "csv", "json"))
@click.option("--timeout", type=click.FloatRange(min=0), default=60, show_default=True, metavar="SECONDS",
              help="Stop the query after this many seconds (0: no limit).")
@click.option("--max-rows", type=click.IntRange(min=0), default=10_000, show_default=True, metavar="N",
              help="Write at most N rows, saying so on stderr when there were more (0: no limit).")
@lake_options(engines=False)
@wait_option
@click.pass_obj
def sql(obj: Context, statement: str, fmt: str, output: str | None, timeout: float, max_rows: int,
        wait: float) -> None:
    """Run one read-only SQL statement on the store (sandboxed: no files, no network).

    The config's memory limit applies; CSV and JSON results are streamed to the output.

    Example: llm-spend sql "SELECT tenant, sum(cost) FROM priced_usage GROUP BY ALL"
    """
    from analyzer.usersql import user_query

    with user_query(obj.db, statement, wait=wait, memory_limit=obj.config.memory_limit, timeout=timeout,
                    max_rows=max_rows, lake=obj.lake) as query:
        emit(Result(query.columns, query.rows), fmt, output)
    if query.cut:
        click.echo(f"sql: stopped after {max_rows:,} rows (--max-rows); the result has more", err=True)
