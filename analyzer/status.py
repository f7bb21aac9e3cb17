"""`llm-spend status`: what the store holds, how the last run went, how much is priced."""

from __future__ import annotations

import duckdb

from analyzer.rates import unpriced_models
from analyzer.sqlfiles import first_row, query


def _one(con: duckdb.DuckDBPyConnection, name: str) -> dict:
    return first_row(con, name) or {}


def store_status(con: duckdb.DuckDBPyConnection) -> dict:
    """Everything status shows, as plain data (the CLI prints it as text or JSON)."""
    coverage = _one(con, "status_coverage")
    rejects = con.execute(query("status_rejects")).fetchall()
    return {
        "usage": _one(con, "status_usage"),
        "files": _one(con, "status_files"),
        "last_run": _one(con, "status_last_run") or None,
        "coverage": {
            **coverage,
            "requests_share": (coverage["priced_requests"] / coverage["requests"]) if coverage["requests"] else None,
            "tokens_share": (coverage["priced_tokens"] / coverage["tokens"]) if coverage["tokens"] else None,
        },
        "unpriced_models": unpriced_models(con).to_pylist(),
        "rejects": [{"reason": reason, "count": count} for reason, count in rejects],
    }


def status_text(status: dict) -> str:
    """Human summary of store_status."""
    usage, cov, run = status["usage"], status["coverage"], status["last_run"]
    lines = [f"usage rows: {usage['rows']:,} ({usage['requests']:,} requests) from {status['files']['files']:,} files"]
    if usage["first_ts"]:
        lines.append(f"time range: {usage['first_ts']:%Y-%m-%d %H:%M} to {usage['last_ts']:%Y-%m-%d %H:%M} UTC")
    if run:
        lines.append(
            f"last run: #{run['run_id']} at {run['finished_at']:%Y-%m-%d %H:%M:%S} UTC, {run['files_read']} of "
            f"{run['files_seen']} files read, {run['rows_new']:,} new rows, {run['duplicates']:,} duplicates, "
            f"{run['rejects']:,} rejects, {run['seconds']:.1f}s"
        )
    else:
        lines.append("last run: none")
    if cov["requests"]:
        lines.append(f"priced: {cov['requests_share']:.1%} of requests, {cov['tokens_share']:.1%} of tokens")
    for model in status["unpriced_models"]:
        lines.append(f"unpriced: {model['model']} ({model['mode']}): {model['requests']:,} requests, "
                     f"{model['input_tokens'] + model['output_tokens']:,} tokens")
    for reject in status["rejects"]:
        lines.append(f"rejects: {reject['count']:,} {reject['reason']}")
    return "\n".join(lines) + "\n"
