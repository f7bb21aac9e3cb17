"""`llm-spend rates load | list | unpriced`: the rate card."""

from __future__ import annotations

from pathlib import Path

import click

from analyzer.cli import Context, output_options, render_rows, wait_option, write_output
from analyzer.errors import UsageError


@click.group()
def rates() -> None:
    """Load and inspect the rate card."""


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
@click.pass_obj
def rates_list(obj: Context, fmt: str, output: str | None) -> None:
    """Show the rates as loaded."""
    from analyzer.rates import list_rates

    with obj.open(read_only=True) as con:
        write_output(render_rows(*list_rates(con), fmt), output)


@rates.command("unpriced")
@output_options(("table", "csv", "json"))
@click.pass_obj
def rates_unpriced(obj: Context, fmt: str, output: str | None) -> None:
    """Models seen in usage with no rate in force, with request and token counts."""
    from analyzer.rates import unpriced_models

    with obj.open(read_only=True) as con:
        write_output(render_rows(*unpriced_models(con), fmt), output)
