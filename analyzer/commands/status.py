"""`llm-spend status`: what the store holds."""

from __future__ import annotations

import click

from analyzer.cli import Context, output_options, wait_option
from analyzer.outputs import Result, emit


@click.command()
@output_options(("table", "json"))
@wait_option
@click.pass_obj
def status(obj: Context, fmt: str, output: str | None, wait: float) -> None:
    """What the store holds: rows, time range, last run, pricing coverage, unpriced models, rejects.

    Example: llm-spend status --format json
    """
    from analyzer.status import status_text, store_status

    with obj.open(read_only=True, wait=wait) as con:
        data = store_status(con)
    emit(Result(columns=[], document=data, text=status_text(data)), fmt, output)
