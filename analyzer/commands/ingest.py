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
@click.option("--engine", type=click.Choice(("duckdb", "spark")), default="duckdb", show_default=True,
              help="Read into the store with DuckDB, or into the Parquet lake --lake DIR on Apache Spark (the spark extra).")
@click.option("--lake", type=click.Path(file_okay=False), metavar="DIR",
              help="With --engine spark: the lake folder to write (made when empty, or one export --lake wrote).")
@click.option("--spark-master", metavar="URL",
              help="Spark master for --engine spark (default local[2] or $LLM_SPEND_SPARK_MASTER).")
@wait_option
@click.pass_obj
def ingest(obj: Context, paths: tuple[str, ...], fmt: str, mode: str | None, quiet: bool, as_json: bool,
           fail_under_coverage: float | None, max_reject_rate: float | None, default_time: str | None,
           reread: bool, provider: str | None, engine: str, lake: str | None, spark_master: str | None,
           wait: float) -> None:
    """Read usage logs (files, folders, .gz, - for stdin) into the store.

    Incremental and idempotent: unchanged files are skipped, records already stored are not added
    again. One run is one transaction. Exit codes: 0 ok, 1 failure or guard rail, 2 usage error,
    75 store busy (try later).

    \b
    Example (cron): llm-spend --db /data/usage.duckdb ingest /exports/ --quiet --wait 600
    Example (after fixing [attribution]): llm-spend ingest --reread /exports/2026-09/
    Example (Spark): llm-spend ingest --engine spark --lake /data/lake s3a://logs/2026-09/
    """
    if engine == "spark" or lake is not None or spark_master is not None:
        summary = _ingest_on_spark(obj, paths, engine, lake, spark_master, fmt=fmt, mode=mode, default_time=default_time,
                                   provider=provider, reread=reread, fail_under_coverage=fail_under_coverage)
        late = None
    else:
        summary, late = _ingest_into_store(obj, paths, quiet, wait, fmt=fmt, mode=mode, default_time=default_time,
                                           reread=reread, provider=provider)
    _report(summary, late, quiet, as_json, reread, fail_under_coverage, max_reject_rate)


def _ingest_on_spark(obj: Context, paths, engine: str, lake: str | None, spark_master: str | None, *,
                     reread: bool, fail_under_coverage: float | None, **options):
    """`--engine spark --lake DIR`: the files into the lake on Spark (analyzer/sparkingest.py)."""
    if engine != "spark":
        raise UsageError("--lake and --spark-master on ingest are for --engine spark (with DuckDB, ingest into "
                         "the store, then llm-spend export --lake DIR)")
    if lake is None:
        raise UsageError("--engine spark ingests into a lake: pass --lake DIR")
    if reread:
        raise UsageError("--reread is for the store; on Spark, records already in the lake are kept as they are")
    if fail_under_coverage is not None:
        raise UsageError("--fail-under-coverage is for the store: a lake is priced at report time (llm-spend report --lake)")
    from analyzer.sparkengine import require_spark

    require_spark()
    from analyzer.sparkingest import ingest_on_spark

    return ingest_on_spark(lake, paths, obj.config, master=spark_master, **options)


def _ingest_into_store(obj: Context, paths, quiet: bool, wait: float, **options):
    from analyzer.closing import late_in_run
    from analyzer.ingest import ingest_paths
    from analyzer.progress import Progress, TerminalProgress

    progress = TerminalProgress() if not quiet and sys.stderr.isatty() else Progress()  # never in cron logs
    try:
        with obj.open(wait=wait) as con:
            if isinstance(progress, TerminalProgress):
                progress.attach(con)
            summary = ingest_paths(con, paths, obj.config, progress=progress, **options)
            late = late_in_run(con, summary.run_id)
    finally:
        progress.finish()  # erase the line, also before an error line
    return summary, late


def _report(summary, late, quiet: bool, as_json: bool, reread: bool, fail_under_coverage: float | None,
            max_reject_rate: float | None) -> None:
    from analyzer.ingest import guard_rail_failures
    from analyzer.render import visible

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
