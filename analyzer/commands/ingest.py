"""`llm-spend ingest`: read usage logs into the store."""

from __future__ import annotations

import json
import sys

import click

from analyzer.cli import Context, wait_option
from analyzer.errors import UsageError
from analyzer.modes import MODES


def _input_format(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """`auto` or a registered reader's name; anything else is a usage error (exit 2)."""
    from analyzer.readers import READERS

    if value != "auto" and value not in {reader.name for reader in READERS}:
        raise UsageError(f"unknown format {value!r}; known formats: {', '.join(r.name for r in READERS)}")
    return value


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", default="auto", show_default=True, callback=_input_format,
              help="Input format name (see llm-spend formats), or auto to detect.")
@click.option("--mode", type=click.Choice(MODES), help="Force the deployment mode of every row.")
@click.option("--quiet", is_flag=True, help="Print nothing on success (for cron).")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("--fail-under-coverage", type=click.FloatRange(0, 100), metavar="PCT",
              help="Exit 1 (rows kept) when less than PCT % of the new tokens could be priced.")
@click.option("--max-reject-rate", type=click.FloatRange(0, 100), metavar="PCT",
              help="Exit 1 (good rows kept) when more than PCT % of the records read were rejected.")
@click.option("--default-time", metavar="ISO",
              help="Time for records that carry none (e.g. a bare Anthropic message); UTC unless a zone is given.")
@click.option("--reread", is_flag=True,
              help="Read the files again even if unchanged; records already stored take the newly read "
                   "attribution and token counts (one transaction).")
@click.option("--provider", metavar="NAME", help="Label every row with this provider (e.g. openrouter).")
@wait_option
@click.pass_obj
def ingest(obj: Context, paths: tuple[str, ...], fmt: str, mode: str | None, quiet: bool, as_json: bool,
           fail_under_coverage: float | None, max_reject_rate: float | None, default_time: str | None,
           reread: bool, provider: str | None, wait: float) -> None:
    """Read usage logs (files, folders, .gz, - for stdin) into the store.

    Incremental and idempotent: unchanged files are skipped, records already stored are not added
    again. One run is one transaction. Exit codes: 0 ok, 1 failure or guard rail, 2 usage error,
    75 store busy (try later).

    \b
    Example (cron): llm-spend --db /data/usage.duckdb ingest /exports/ --quiet --wait 600
    Example (after fixing [attribution]): llm-spend ingest --reread /exports/2026-09/
    """
    from analyzer.closing import late_in_run
    from analyzer.ingest import guard_rail_failures, ingest_paths
    from analyzer.progress import Progress, TerminalProgress
    from analyzer.render import visible

    progress = TerminalProgress() if not quiet and sys.stderr.isatty() else Progress()  # never in cron logs
    try:
        with obj.open(wait=wait) as con:
            if isinstance(progress, TerminalProgress):
                progress.attach(con)
            summary = ingest_paths(con, paths, obj.config, fmt=fmt, mode=mode, progress=progress,
                                   default_time=default_time, reread=reread, provider=provider)
            late = late_in_run(con, summary.run_id)
    finally:
        progress.finish()  # erase the line, also before an error line
    tripped = guard_rail_failures(summary, min_coverage=fail_under_coverage, max_reject_rate=max_reject_rate)
    if as_json:
        click.echo(json.dumps(summary_dict(summary) | {"guard_rails_failed": [str(t) for t in tripped]}
                              | ({"late_arrivals": late} if late else {}), indent=2))
    elif not quiet:
        for result in summary.files:
            if result.status == "read":
                click.echo(visible(f"{result.path}: {result.format}: {result.rows_read:,} read, {result.rows_new:,} new, "
                                   f"{result.duplicates:,} duplicates, {result.rejects:,} rejected"
                                   + (f", {result.conflicts:,} conflicts" if result.conflicts else "")
                                   + (f", {result.rows_replaced:,} changed" if reread else "")
                                   + (f" ({result.note})" if result.note else "")))
            elif result.status == "duplicate-file":
                click.echo(visible(f"{result.path}: skipped, {result.note}"))
        for warning in summary.warnings:
            click.echo(f"warning: {visible(warning)}")
        click.echo(summary_line(summary))
        if late:
            months = ", ".join(f"{m['month']}: {m['requests']:,} requests" for m in late)
            click.echo(f"late arrivals for closed months, kept out of their totals: {months} (see status)")
    for result in summary.errors:
        click.echo(f"error: {visible(result.note)}", err=True)
    for failure in tripped:
        click.echo(f"error: {visible(str(failure))}", err=True)
    if summary.errors or tripped:
        sys.exit(1)


def summary_line(summary) -> str:
    skipped = sum(f.status in ("unchanged", "duplicate-file") for f in summary.files)
    read = sum(f.status == "read" for f in summary.files)
    return (f"ingested {summary.total('rows_new'):,} new rows from {read} files "
            f"({skipped} unchanged skipped, {summary.total('duplicates'):,} duplicates, "
            f"{summary.total('rejects'):,} rejected"
            + (f", {summary.total('conflicts'):,} conflicts (see table ingest_conflicts)" if summary.total("conflicts") else "")
            + (f", {summary.total('rows_replaced'):,} stored rows changed" if any(f.rows_replaced for f in summary.files)
               or summary.reread else "")
            + f") in {summary.seconds:.1f}s")


def summary_dict(summary) -> dict:
    return {
        "run_id": summary.run_id, "seconds": round(summary.seconds, 3),
        "rows_new": summary.total("rows_new"), "rows_read": summary.total("rows_read"),
        "duplicates": summary.total("duplicates"), "rejects": summary.total("rejects"),
        "new_tokens": summary.new_tokens, "new_tokens_priced": summary.new_tokens_priced,
        "conflicts": summary.total("conflicts"), "rows_replaced": summary.total("rows_replaced"),
        "warnings": summary.warnings,
        "files": [vars(f) | {"duplicates": f.duplicates} for f in summary.files],
    }
