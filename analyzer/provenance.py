"""Provenance (README "Provenance"): what a report was made from, so a number can be traced back:
the store file, the rates and capacity versions loaded (when, which file, its SHA-256), the
closed months in the period with the versions that froze them, and the time range of the usage.

Shown as the footer of an HTML page, the `meta` object of a JSON document, and for CSV written
with `-o FILE.csv` a sidecar FILE.meta.json (a comment line would break CSV readers).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb

from analyzer.sqlfiles import first_row, records, scalar


def provenance(con: duckdb.DuckDBPyConnection, since=None, until=None, tenant: str | None = None) -> dict:
    """The `meta` object of a report over [since, until) (and one tenant). `con` may be the
    Spark engine's connection over a lake (analyzer/sparkquery.py): then the lake is the store."""
    params = {"since": since, "until": until, "tenant": tenant}
    if getattr(con, "engine", "duckdb") == "spark":
        store = con.lake
    else:
        store = scalar(con, "provenance_store")
        store = str(Path(store).resolve()) if store else None
    data = first_row(con, "provenance_data", params) or {}
    first = since.date().replace(day=1) if since else None
    closes = [{"month": f"{c['month']:%Y-%m}", **{k: c[k] for k in ("rates_version", "capacity_version",
                                                                     "through_run_id", "closed_at")}}
              for c in records(con, "provenance_closes")
              if (first is None or c["month"] >= first) and (until is None or c["month"] < until.date())]
    return {
        "store": store,
        "rates": first_row(con, "provenance_rates"),
        "capacity": first_row(con, "provenance_capacity"),
        "closed_months": closes,
        "data": {"first_ts": data.get("first_ts"), "last_ts": data.get("last_ts"), "rows": data.get("rows", 0)},
    }


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[first, last] UTC days as [since, until) instants."""
    since = datetime.combine(first, datetime.min.time(), timezone.utc)
    return since, datetime.combine(last + timedelta(days=1), datetime.min.time(), timezone.utc)


def sidecar_path(output: str | Path) -> Path:
    """FILE.meta.json beside FILE.csv (spend.csv -> spend.meta.json)."""
    path = Path(output)
    return path.with_name(f"{path.stem}.meta.json")


def write_sidecar(meta: dict, output: str | Path) -> Path:
    """Write the meta object beside a CSV file (replaced only once complete)."""
    from analyzer import render
    from analyzer.outputs import write_text

    target = sidecar_path(output)
    write_text(render.to_json({"file": Path(output).name, "meta": meta}), str(target))
    return target
