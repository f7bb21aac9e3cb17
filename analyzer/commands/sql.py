"""`llm-spend sql`: one read-only, sandboxed SQL statement on the store."""

from __future__ import annotations

import click

from analyzer.cli import Context, output_options, render_rows, write_output


@click.command()
@click.argument("statement")
@output_options(("table", "csv", "json"))
@click.pass_obj
def sql(obj: Context, statement: str, fmt: str, output: str | None) -> None:
    """Run one read-only SQL statement on the store (sandboxed: no files, no network).

    Example: llm-spend sql "SELECT tenant, sum(cost) FROM priced_usage GROUP BY ALL"
    """
    from analyzer.usersql import run_user_sql

    columns, rows = run_user_sql(obj.db, statement)
    write_output(render_rows(columns, rows, fmt), output)
