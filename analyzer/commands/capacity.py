"""`llm-spend capacity load | list | costs | history`: dedicated endpoints and GPU clusters."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from analyzer.cli import Context, output_options, wait_option
from analyzer.outputs import Result, emit


@click.group()
def capacity() -> None:
    """Load and inspect capacities (dedicated endpoints, GPU clusters) and what they cost.

    Example: llm-spend capacity load capacity.csv && llm-spend capacity costs --month 2026-09
    """


@capacity.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--reprice-closed", is_flag=True,
              help="Load even when the file changes what a closed month costs at current capacities "
                   "(logged; closed months keep their frozen numbers).")
@wait_option
@click.pass_obj
def capacity_load(obj: Context, file: str, reprice_closed: bool, wait: float) -> None:
    """Replace the store's capacities with a capacity CSV file (all or nothing). A file that would
    change the cost of a closed month is refused unless --reprice-closed.

    Columns: name,kind,models,month,monthly_cost,gpus,gpu_hours,gpu_hour_rate,capacity_tokens.

    Example: llm-spend capacity load capacity.csv
    """
    from analyzer.capacity import load_capacities, read_capacity_file
    from analyzer.closing import repriced_note

    path = Path(file)
    read_capacity_file(path)  # a bad file is refused before the store is opened (or locked)
    with obj.open(wait=wait) as con:
        loaded = load_capacities(con, path, reprice_closed=reprice_closed)
    state = "" if loaded.new_version else "unchanged: "
    click.echo(f"loaded {loaded.rows} capacities from {path} ({state}capacity version {loaded.version})")
    if loaded.repriced:
        click.echo(repriced_note(list(loaded.repriced)))


@capacity.command("list")
@output_options(("table", "csv", "json"))
@wait_option
@click.pass_obj
def capacity_list(obj: Context, fmt: str, output: str | None, wait: float) -> None:
    """Show the capacities as loaded, one row per capacity and month, with their spend.

    Example: llm-spend capacity list --format csv
    """
    from analyzer.capacity import list_capacities

    with obj.open(read_only=True, wait=wait) as con:
        emit(Result(*list_capacities(con)), fmt, output)


@capacity.command("costs")
@click.option("--month", metavar="YYYY-MM", help="One calendar month (UTC).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day included (UTC).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day included (UTC).")
@output_options(("table", "csv", "json"))
@wait_option
@click.pass_obj
def capacity_costs(obj: Context, month: str | None, since: datetime | None, until: datetime | None,
                   fmt: str, output: str | None, wait: float) -> None:
    """Each capacity and month: spend, tokens served, effective $/1M, utilisation, idle cost.

    A month is included when its first day is in the period.

    Example: llm-spend capacity costs --month 2026-09 --format csv -o capacity.csv
    """
    from analyzer.capacity import COSTS_COLUMNS
    from analyzer.capacity import capacity_costs as costs
    from analyzer.reports import make_filter

    flt = make_filter(month, since.date() if since else None, until.date() if until else None)
    with obj.open(read_only=True, wait=wait) as con:
        rows = costs(con, flt.since, flt.until)
    emit(Result(list(COSTS_COLUMNS), [tuple(r[c] for c in COSTS_COLUMNS) for r in rows]), fmt, output)


@capacity.command("history")
@output_options(("table", "csv", "json"))
@wait_option
@click.pass_obj
def capacity_history(obj: Context, fmt: str, output: str | None, wait: float) -> None:
    """Every capacity version: when it was loaded, from which file, its SHA-256, rows, whether it
    is the one loaded now, and the closed months frozen with it.

    Example: llm-spend capacity history
    """
    from analyzer.history import CAPACITY, list_versions

    with obj.open(read_only=True, wait=wait) as con:
        emit(Result(*list_versions(con, CAPACITY)), fmt, output)
