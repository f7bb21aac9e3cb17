"""`llm-spend rates load | list | unpriced | explain | history | diff | import`: the rate card and its versions."""

from __future__ import annotations

from pathlib import Path

import click

from analyzer.cli import Context, output_options, wait_option
from analyzer.errors import UsageError
from analyzer.modes import MODES
from analyzer.outputs import Result, emit


@click.group()
def rates() -> None:
    """Load and inspect the rate card.

    Example: llm-spend rates load rates.csv && llm-spend rates unpriced
    """


@rates.command("load")
@click.argument("card", type=click.Path(dir_okay=False), required=False)
@click.option("--default", "bundled", is_flag=True, help="Load the rate card bundled with llm-spend.")
@click.option("--reprice-closed", is_flag=True,
              help="Load even when the card changes what a closed month costs at current rates (logged; "
                   "closed months keep their frozen numbers).")
@wait_option
@click.pass_obj
def rates_load(obj: Context, card: str | None, bundled: bool, reprice_closed: bool, wait: float) -> None:
    """Replace the store's rates with a CSV rate card (all or nothing). A card that would change
    the cost of a closed month is refused unless --reprice-closed.

    Example: llm-spend rates load rates.csv   (or: llm-spend rates load --default)
    """
    from analyzer.closing import repriced_note
    from analyzer.rates import DEFAULT_CARD, load_card

    if bool(card) == bundled:
        raise UsageError("give a rate card FILE or --default")
    path = DEFAULT_CARD if bundled else Path(card)
    with obj.open(wait=wait) as con:
        loaded = load_card(con, path, reprice_closed=reprice_closed)
    state = "" if loaded.new_version else "unchanged: "
    click.echo(f"loaded {loaded.rows} rates from {path} ({state}rates version {loaded.version})")
    if loaded.repriced:
        click.echo(repriced_note(list(loaded.repriced)))


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
    """Usage the rates cannot price, per model, mode and service tier, with the reason.

    Example: llm-spend rates unpriced --format csv
    """
    from analyzer.rates import unpriced_models

    with obj.open(read_only=True, wait=wait) as con:
        emit(Result(*unpriced_models(con)), fmt, output)


@rates.command("explain")
@click.argument("model")
@click.option("--provider", help="Usage from this provider (provider rows beat generic ones).")
@click.option("--mode", type=click.Choice(MODES), default="serverless", show_default=True)
@click.option("--service-tier", metavar="TIER", help="A service tier such as flex or priority.")
@output_options(("table", "csv", "json"))
@wait_option
@click.pass_obj
def rates_explain(obj: Context, model: str, provider: str | None, mode: str, service_tier: str | None,
                  fmt: str, output: str | None, wait: float) -> None:
    """Which card row prices MODEL: per provider, mode, tier, time and input range (context tiers),
    the row's line and pattern, the rates that apply and the stored usage it priced.

    Example: llm-spend rates explain claude-sonnet-4-5-20250929 --provider anthropic
    """
    from analyzer.rates import explain_rates

    with obj.open(read_only=True, wait=wait) as con:
        emit(Result(*explain_rates(con, model, provider=provider, mode=mode, service_tier=service_tier)), fmt, output)


@rates.command("history")
@output_options(("table", "csv", "json"))
@wait_option
@click.pass_obj
def rates_history(obj: Context, fmt: str, output: str | None, wait: float) -> None:
    """Every rates version: when it was loaded, from which file, its SHA-256, rows, whether it is
    the one loaded now, and the closed months frozen with it.

    Example: llm-spend rates history --format json
    """
    from analyzer.history import RATES, list_versions

    with obj.open(read_only=True, wait=wait) as con:
        emit(Result(*list_versions(con, RATES)), fmt, output)


@rates.command("diff")
@click.argument("old")
@click.argument("new", required=False)
@output_options(("table", "csv", "json"))
@wait_option
@click.pass_obj
def rates_diff(obj: Context, old: str, new: str | None, fmt: str, output: str | None, wait: float) -> None:
    """What changed between two rate cards, per model, mode, provider, tier, context tier and
    valid_from: one row per changed value (added, removed or changed).

    OLD and NEW are each a version (`3` or `v3`, see `rates history`) or a card FILE. With one
    argument: a version against the loaded card (what changed since), a FILE against the loaded
    card (what loading it would change).

    \b
    Examples:
      llm-spend rates diff 1 2
      llm-spend rates diff 2 new-rates.csv
      llm-spend rates diff new-rates.csv
    """
    from analyzer.history import rates_diff as diff

    with obj.open(read_only=True, wait=wait) as con:
        columns, rows, title = diff(con, old, new)
    emit(Result(columns, rows, text=None if rows else f"no differences: {title}\n"), fmt, output)
@rates.command("import")
@click.argument("source", type=click.Choice(["genai-prices"]))
@click.option("--provider", "providers", multiple=True, metavar="P",
              help="Only this genai-prices provider (repeatable; default: all of them).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="CARD.csv",
              help="Write the card to this file instead of stdout.")
@click.option("--checked-on", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="The check date written in each row's checked_on [default: today, UTC].")
def rates_import(source: str, providers: tuple[str, ...], output: str | None, checked_on) -> None:
    """Build a rate card from the prices the installed genai-prices package ships (offline):
    names and patterns, context tiers, cache, batch and service-tier rates, per-request and
    web-search fees, dated prices. What the card cannot express is listed on stderr.

    Example: llm-spend rates import genai-prices --provider anthropic --provider openai -o card.csv
    """
    from datetime import datetime, timezone

    from analyzer.outputs import write_text
    from analyzer.priceimport import checked_card, import_card

    day = (checked_on or datetime.now(timezone.utc)).strftime("%Y-%m-%d")
    card = import_card(providers or None)
    text = checked_card(card, day)
    write_text(text, output)
    for note in card.notes:
        click.echo(f"not expressible: {note}", err=True)
    click.echo(f"{len(card.rows)} rates for {card.models} models from genai-prices {card.version}"
               f"{' to ' + output if output else ''}; {len(card.notes)} notes", err=True)
