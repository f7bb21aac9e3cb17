"""`llm-spend rates load | list | unpriced`: the rate card."""

from __future__ import annotations

from pathlib import Path

import click

from analyzer.cli import Context, output_options, wait_option
from analyzer.errors import UsageError
from analyzer.outputs import Result, emit


@click.group()
def rates() -> None:
    """Load and inspect the rate card.

    Example: llm-spend rates load rates.csv && llm-spend rates unpriced
    """


@rates.command("load")
@click.argument("card", type=click.Path(dir_okay=False), required=False)
@click.option("--default", "bundled", is_flag=True, help="Load the rate card bundled with llm-spend.")
@wait_option
@click.pass_obj
def rates_load(obj: Context, card: str | None, bundled: bool, wait: float) -> None:
    """Replace the store's rates with a CSV rate card (all or nothing).

    Example: llm-spend rates load rates.csv   (or: llm-spend rates load --default)
    """
    from analyzer.rates import DEFAULT_CARD, load_card

    if bool(card) == bundled:
        raise UsageError("give a rate card FILE or --default")
    path = DEFAULT_CARD if bundled else Path(card)
    with obj.open(wait=wait) as con:
        count = load_card(con, path)
    click.echo(f"loaded {count} rates from {path}")


@rates.command("list")
@output_options(("table", "csv", "json"))
@wait_option
@click.pass_obj
def rates_list(obj: Context, fmt: str, output: str | None, wait: float) -> None:
    """Show the rates as loaded.

    Example: llm-spend rates list --format csv -o rates.csv
    """
    from analyzer.rates import list_rates

    with obj.open(read_only=True, wait=wait) as con:
        emit(Result(*list_rates(con)), fmt, output)


@rates.command("unpriced")
@output_options(("table", "csv", "json"))
@wait_option
@click.pass_obj
def rates_unpriced(obj: Context, fmt: str, output: str | None, wait: float) -> None:
    """Models seen in usage with no rate in force, with request and token counts.

    Example: llm-spend rates unpriced --format json
    """
    from analyzer.rates import unpriced_models

    with obj.open(read_only=True, wait=wait) as con:
        emit(Result(*unpriced_models(con)), fmt, output)
