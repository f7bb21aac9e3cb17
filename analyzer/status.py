"""`llm-spend status`: what the store holds, how the last run went, how much is priced."""

from __future__ import annotations

import duckdb

from analyzer.sqlfiles import first_row, records


def _one(con: duckdb.DuckDBPyConnection, name: str) -> dict:
    return first_row(con, name) or {}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def store_status(con: duckdb.DuckDBPyConnection) -> dict:
    """Everything status shows, as plain data (the CLI prints it as text or JSON).

    Counts are integers; shares are fractions in [0, 1] (None when there is nothing to share);
    cost is a Decimal (None when nothing is priced)."""
    from analyzer.anomalies import recent_anomalies
    from analyzer.closing import late_arrivals

    coverage = _one(con, "status_coverage")
    usage = _one(con, "status_usage")
    return {
        "usage": usage,
        "files": _one(con, "status_files") | _one(con, "status_runs"),
        "last_run": _one(con, "status_last_run") or None,
        "coverage": coverage | {
            "requests_share": _share(coverage["priced_requests"], coverage["requests"]),
            "tokens_share": _share(coverage["priced_tokens"], coverage["tokens"]),
        },
        "unpriced_models": records(con, "status_unpriced"),
        "rejects": records(con, "status_rejects"),
        "conflicts": _one(con, "status_conflicts"),
        "schema": [row["name"] for row in records(con, "status_schema")],
        # closed months (llm-spend close) and the records stored for them since (kept apart)
        "closed_months": records(con, "list_closes"),
        "late_arrivals": late_arrivals(con),
        # unusual days among the last 30 with data (rule: analyzer/anomalies.py, README "Anomalies")
        "anomalies": [vars(a) for a in recent_anomalies(con, usage.get("last_ts"))],
    }


def _percent(part: int, whole: int) -> str:
    """A share for people: never shows 100% or 0% unless it is exactly that."""
    share = 100 * part / whole
    if part != whole and share > 99.9:
        return ">99.9%"
    if part and share < 0.1:
        return "<0.1%"
    return f"{share:.1f}%"


def status_text(status: dict) -> str:
    """Human summary of store_status, for a terminal (names made visible: they come from the logs)."""
    from analyzer.anomalies import Rule
    from analyzer.closing import amount
    from analyzer.render import label, visible

    usage, files, cov, run = status["usage"], status["files"], status["coverage"], status["last_run"]
    lines = [f"usage: {usage['rows']:,} rows ({usage['requests']:,} requests) from {files['files']:,} files "
             f"in {files['runs']:,} runs"]
    if usage["first_ts"]:
        lines.append(f"time range: {usage['first_ts']:%Y-%m-%d %H:%M:%S} to {usage['last_ts']:%Y-%m-%d %H:%M:%S} UTC")
    if run:
        lines.append(
            f"last run: #{run['run_id']} at {run['finished_at']:%Y-%m-%d %H:%M:%S} UTC, took {run['seconds']:.1f}s: "
            f"{run['files_read']:,} of {run['files_seen']:,} files read, {run['rows_new']:,} new rows, "
            f"{run['duplicates']:,} duplicates, {run['rejects']:,} rejects"
        )
    else:
        lines.append("last run: none")
    if cov["requests"]:
        lines.append(
            f"priced: {_percent(cov['priced_requests'], cov['requests'])} of requests "
            f"({cov['priced_requests']:,} of {cov['requests']:,}), {_percent(cov['priced_tokens'], cov['tokens'])} "
            f"of tokens ({cov['priced_tokens']:,} of {cov['tokens']:,})"
        )
    for model in status["unpriced_models"]:
        lines.append(f"unpriced: {visible(model['model'])} ({visible(model['mode'])}): {model['requests']:,} requests, "
                     f"{model['tokens']:,} tokens")
    for reject in status["rejects"]:
        lines.append(f"rejects: {reject['count']:,} {visible(reject['reason'])}")
    for a in status["anomalies"]:
        lines.append(f"unusual day: {a['day']:%Y-%m-%d} {a['dimension']} {visible(label(a['name']))}: spend {a['cost']:.2f}, "
                     f"usual {a['baseline']:.2f} (median of the {Rule().window} days before)")
    conflicts = status["conflicts"]
    if conflicts.get("count"):
        lines.append(f"conflicts: {conflicts['count']:,} copies of {conflicts['ids']:,} stored ids with other token "
                     f"counts, not stored (table ingest_conflicts; last in run #{conflicts['last_run_id']})")
    for close in status["closed_months"]:
        lines.append(f"closed: {close['month']}: {close['requests']:,} requests, {amount(close['cost'])} frozen"
                     + (f" + idle capacity {amount(close['idle_cost'])}" if close["idle_cost"] is not None else "")
                     + f" (through ingest run {close['through_run_id']})")
    for late in status["late_arrivals"]:
        lines.append(f"late arrivals: {late['month']}: {late['rows']:,} rows, {late['requests']:,} requests, "
                     f"{amount(late['cost'])} at current rates, not in the closed totals")
    lines.append(f"schema: {', '.join(status['schema'])}")
    return "\n".join(lines) + "\n"
