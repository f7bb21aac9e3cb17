"""`llm-spend reconcile`: the computed cost next to a bill, per day x model, every difference
explained or marked unexplained; exit 1 when the total difference exceeds the tolerance (cron)."""

from __future__ import annotations

import click

from analyzer.cli import Context, output_options, wait_option

BILL_FORMAT_NAMES = ("auto", "openai-costs", "litellm", "focus", "csv")


@click.command()
@click.option("--bill", "bill_path", required=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="The bill: OpenAI Costs API pages, LiteLLM SpendLogs, a FOCUS CSV or Parquet file, "
                   "or a CSV date,model,amount[,project,tenant,mode,currency].")
@click.option("--bill-format", type=click.Choice(BILL_FORMAT_NAMES), default="auto", show_default=True,
              help="What the bill file is (auto: detected from its content).")
@click.option("--month", metavar="YYYY-MM", help="Compare this month only (default: the days the bill covers).")
@click.option("--tolerance", metavar="PCT", help="Exit 1 when |total difference| exceeds PCT % of the billed "
                                                 "total [default: 1].")
@output_options()
@wait_option
@click.pass_obj
def reconcile(obj: Context, bill_path: str, bill_format: str, month: str | None, tolerance: str | None,
              fmt: str, output: str | None, wait: float) -> None:
    """Compare the computed cost with a bill per UTC day x model (and project, tenant or mode
    where the bill carries them); explain each difference exactly or mark it unexplained.

    The result is also kept in the store for the HTML report of the months it covers. Exit 1
    when |total difference| exceeds --tolerance % of the billed total; exit 2 for a bill that
    cannot be read (nothing stored changes).

    \b
    Example:
      llm-spend reconcile --bill costs-2026-09.json --month 2026-09
      llm-spend reconcile --bill invoice.csv --tolerance 0.5 --format json -o reconciled.json
    """
    from pathlib import Path

    from analyzer.bills import read_bill
    from analyzer.errors import SpendError
    from analyzer.outputs import emit
    from analyzer.provenance import day_bounds, provenance
    from analyzer.reconcile import month_bounds, parse_tolerance, store_reconciliation
    from analyzer.reconcile import reconcile as run
    from analyzer.reconcile_output import reconciliation_result

    pct = parse_tolerance(tolerance)
    if month:
        month_bounds(month)
    bill = read_bill(Path(bill_path), None if bill_format == "auto" else bill_format)
    if not obj.db.exists():
        raise SpendError(f"no store at {obj.db}: run `llm-spend ingest` and `llm-spend rates load` first")
    with obj.open(wait=wait) as con:
        result = run(con, bill, month=month, tolerance=pct)
        store_reconciliation(con, result)
        meta = provenance(con, *day_bounds(result.first_day, result.last_day))
    emit(reconciliation_result(result, meta), fmt, output)
    if not result.within_tolerance:
        raise SystemExit(1)
