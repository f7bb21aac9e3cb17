"""The `llm-spend` command: a thin skin that parses options, calls one library function, prints.

Heavy imports (duckdb, polars, pyarrow) happen inside the commands so `--help` starts fast.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click

from analyzer.errors import SpendError, UsageError

FORMATS = ("table", "csv", "json", "html")


class Context:
    def __init__(self, db: str | None, config: str | None):
        from analyzer.config import load_config
        from analyzer.store import db_path

        self.config = load_config(config)
        self.db = db_path(db, self.config.db)

    @contextlib.contextmanager
    def open(self, read_only: bool = False, wait: float = 0):
        """The store, read-only for readers; a config file given to a write command also sets
        the batch discount the pricing views read, so later reports price batch the same way."""
        from analyzer.store import open_store, sync_settings

        with open_store(self.db, read_only=read_only, wait=wait,
                        extra={"memory_limit": self.config.memory_limit}) as con:
            if not read_only and self.config.source is not None:
                sync_settings(con, {"batch_discount": str(self.config.batch_discount)})
            yield con


def write_output(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def output_options(formats: tuple[str, ...] = FORMATS, default: str = "table"):
    """--format and -o, shared by the commands that print results."""
    def decorate(func):
        func = click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout.")(func)
        return click.option("--format", "fmt", type=click.Choice(formats), default=default, show_default=True,
                            help="Output format.")(func)
    return decorate


def wait_option(func):
    return click.option("--wait", type=click.FloatRange(min=0), default=0, show_default=True, metavar="SECONDS",
                        help="Seconds to keep retrying while another process holds the store.")(func)


def period_options(func):
    """--period, --month / --since / --until and --tenant, shared by report-like commands."""
    for option in reversed([
        click.option("--period", type=click.Choice(["month", "week", "day", "total"]), default="month", show_default=True),
        click.option("--month", metavar="YYYY-MM", help="One calendar month (UTC)."),
        click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day included (UTC)."),
        click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day included (UTC)."),
        click.option("--tenant", help="Only this tenant's usage."),
    ]):
        func = option(func)
    return func


class SpendGroup(click.Group):
    """The top-level group: every error becomes one line on stderr and its exit code (SPEC)."""

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            hint = f" (see {exc.ctx.command_path} --help)" if isinstance(exc, click.UsageError) and exc.ctx else ""
            fail(exc.format_message() + hint, exc.exit_code)
        except click.Abort:
            fail("aborted", 1)
        except SpendError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except Exception as exc:  # the last line of defence: one line, never a traceback
            if os.environ.get("LLM_SPEND_DEBUG"):
                raise
            first = str(exc).splitlines()[0] if str(exc) else ""
            fail(f"{type(exc).__name__}: {first} (set LLM_SPEND_DEBUG=1 for details)", 1)
        sys.exit(result if isinstance(result, int) else 0)


def fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.group(cls=SpendGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH", help="Store file (default ./usage.duckdb or $LLM_SPEND_DB).")
@click.option("--config", metavar="FILE", help="TOML config file (or $LLM_SPEND_CONFIG).")
@click.version_option(package_name="llm-spend")
@click.pass_context
def cli(ctx: click.Context, db: str | None, config: str | None) -> None:
    """Exact spend reports from exported LLM API usage logs.

    \b
    Example:
      llm-spend rates load rates.csv
      llm-spend ingest /exports/
      llm-spend report --by tenant,feature --period month --format html -o spend.html
    """
    ctx.obj = Context(db, config)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", default="auto", show_default=True, help="Input format name, or auto to detect.")
@click.option("--mode", type=click.Choice(["serverless", "batch", "dedicated", "gpu_cluster"]), help="Force the deployment mode of every row.")
@click.option("--quiet", is_flag=True, help="Print nothing on success (for cron).")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("--fail-under-coverage", type=click.FloatRange(0, 100), metavar="PCT",
              help="Exit 1 (rows kept) when less than PCT % of the new tokens could be priced.")
@click.option("--max-reject-rate", type=click.FloatRange(0, 100), metavar="PCT",
              help="Exit 1 (good rows kept) when more than PCT % of the records read were rejected.")
@click.option("--default-time", metavar="ISO", help="Time for records that carry none (e.g. a bare Anthropic message); UTC unless a zone is given.")
@wait_option
@click.pass_obj
def ingest(obj: Context, paths: tuple[str, ...], fmt: str, mode: str | None, quiet: bool, as_json: bool,
           fail_under_coverage: float | None, max_reject_rate: float | None, default_time: str | None,
           wait: float) -> None:
    """Read usage logs (files, folders, .gz, - for stdin) into the store.

    Incremental and idempotent: unchanged files are skipped, records already stored are not added
    again. One run is one transaction. Exit codes: 0 ok, 1 failure or guard rail, 2 usage error,
    75 store busy (try later).

    Example (cron): llm-spend --db /data/usage.duckdb ingest /exports/ --quiet --wait 600
    """
    from analyzer.ingest import guard_rail_failures, ingest_paths

    progress = FileCounter() if not quiet and sys.stderr.isatty() else None  # never in cron logs
    try:
        with obj.open(wait=wait) as con:
            summary = ingest_paths(con, paths, obj.config, fmt=fmt, mode=mode, progress=progress,
                                   default_time=default_time)
    finally:
        if progress:
            progress(0, 0, None)  # erase the counter, also before an error line
    tripped = guard_rail_failures(summary, min_coverage=fail_under_coverage, max_reject_rate=max_reject_rate)
    if as_json:
        click.echo(json.dumps(summary_dict(summary) | {"guard_rails_failed": [str(t) for t in tripped]}, indent=2))
    elif not quiet:
        for result in summary.files:
            if result.status == "read":
                click.echo(f"{result.path}: {result.format}: {result.rows_read:,} read, {result.rows_new:,} new, "
                           f"{result.duplicates:,} duplicates, {result.rejects:,} rejected"
                           + (f" ({result.note})" if result.note else ""))
            elif result.status == "duplicate-file":
                click.echo(f"{result.path}: skipped, {result.note}")
        click.echo(summary_line(summary))
    for result in summary.errors:
        click.echo(f"error: {result.note}", err=True)
    for failure in tripped:
        click.echo(f"error: {failure}", err=True)
    if summary.errors or tripped:
        sys.exit(1)


class FileCounter:
    """Progress for a terminal: `[3/120] /exports/x.jsonl` redrawn in place on stderr, erased at the end."""

    def __call__(self, done: int, total: int, current: str | None) -> None:
        try:
            width = os.get_terminal_size(sys.stderr.fileno()).columns or 80
        except (OSError, ValueError):
            width = 80
        text = "" if current is None else f"[{done + 1}/{total}] {current}"
        click.echo("\r\x1b[K" + text[:width - 1], err=True, nl=False)


def summary_line(summary) -> str:
    skipped = sum(f.status in ("unchanged", "duplicate-file") for f in summary.files)
    read = sum(f.status == "read" for f in summary.files)
    return (f"ingested {summary.total('rows_new'):,} new rows from {read} files "
            f"({skipped} unchanged skipped, {summary.total('duplicates'):,} duplicates, "
            f"{summary.total('rejects'):,} rejected) in {summary.seconds:.1f}s")


def summary_dict(summary) -> dict:
    return {
        "run_id": summary.run_id, "seconds": round(summary.seconds, 3),
        "rows_new": summary.total("rows_new"), "rows_read": summary.total("rows_read"),
        "duplicates": summary.total("duplicates"), "rejects": summary.total("rejects"),
        "new_tokens": summary.new_tokens, "new_tokens_priced": summary.new_tokens_priced,
        "files": [vars(f) | {"duplicates": f.duplicates} for f in summary.files],
    }


@cli.group()
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


def render_rows(columns: list[str], rows: list[tuple], fmt: str) -> str:
    from analyzer import render

    if fmt == "csv":
        return render.to_csv(columns, rows)
    if fmt == "json":
        return render.to_json([dict(zip(columns, row)) for row in rows])
    return render.to_table(columns, rows)


@cli.command()
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


@cli.command()
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


def _decimal(ctx, param, value):
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise click.BadParameter(f"{value!r} must be a number >= 0")
    return number


@cli.command()
@click.option("--model", help="Take the rates in force now from the store.")
@click.option("--input-price", callback=_decimal, help="USD per 1M input tokens.")
@click.option("--output-price", callback=_decimal, help="USD per 1M output tokens.")
@click.option("--input-tokens", type=click.IntRange(min=0), required=True, help="Input tokens per request.")
@click.option("--output-tokens", type=click.IntRange(min=0), required=True, help="Output tokens per request.")
@click.option("--requests", type=click.IntRange(min=0), required=True, help="Requests per month.")
@click.option("--mode", type=click.Choice(["serverless", "batch"]), default="serverless", show_default=True)
@output_options(("table", "json"))
@click.pass_obj
def estimate(obj: Context, model, input_price, output_price, input_tokens, output_tokens, requests, mode, fmt, output) -> None:
    """What a workload costs per request and per month.

    Example: llm-spend estimate --input-price 0.90 --output-price 3.30 --input-tokens 3000
    --output-tokens 1000 --requests 2000000 --mode batch
    """
    from analyzer import estimate as planning

    if model and (input_price is not None or output_price is not None):
        raise UsageError("give --model or --input-price/--output-price, not both")
    if model:
        with obj.open(read_only=True) as con:
            input_price, output_price = planning.rates_for(con, model, mode)
    elif input_price is None or output_price is None:
        raise UsageError("give --model, or both --input-price and --output-price")
    elif mode == "batch":
        input_price *= obj.config.batch_discount
        output_price *= obj.config.batch_discount
    result = planning.estimate(input_per_mtok=input_price, output_per_mtok=output_price, input_tokens=input_tokens,
                               output_tokens=output_tokens, requests=requests, mode=mode, model=model)
    write_output(render_estimate(result.as_dict(), fmt), output)


def render_estimate(data: dict, fmt: str) -> str:
    from analyzer import render

    if fmt == "json":
        return render.to_json(data)
    rows = [(k, render.money(v) if k.endswith("cost") or k.endswith("request") else
             (render.exact(v) if isinstance(v, Decimal) else v)) for k, v in data.items()]
    return render.to_table(["item", "value"], [(k, "" if v is None else str(v)) for k, v in rows])


@cli.command()
@output_options(("table", "json"))
@wait_option
@click.pass_obj
def status(obj: Context, fmt: str, output: str | None, wait: float) -> None:
    """What the store holds: rows, time range, last run, pricing coverage, unpriced models, rejects.

    Example: llm-spend status --format json
    """
    from analyzer import render
    from analyzer.status import status_text, store_status

    with obj.open(read_only=True, wait=wait) as con:
        data = store_status(con)
    write_output(render.to_json(data) if fmt == "json" else status_text(data), output)


@cli.command()
def formats() -> None:
    """List the input formats `ingest --format` accepts."""
    from analyzer.readers import READERS

    for reader in READERS:
        click.echo(f"{reader.name:<20} {reader.description}")


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="llm-spend")


if __name__ == "__main__":
    main()
