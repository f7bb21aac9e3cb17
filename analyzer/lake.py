"""The Parquet lake (README "When one machine is not enough"): the store's canonical tables as
Parquet files that DuckDB and Spark both read, so data larger than one store file, or a cluster,
can run the same reports.

Layout of a lake folder:
    _lake.json                      the manifest: format, per table and per month its row count
                                    and digest (what the next export compares to)
    usage/month=YYYY-MM/data.parquet   one file per UTC month (hive partitioning)
    <table>/data.parquet            rates, capacities, their versions, settings, closed months

An export rewrites only the partitions and tables whose digest changed; each file is written
under a hidden temporary name and renamed over the old one (atomic on one file system), so a
reader sees either the old file or the new one, never a half-written file.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from analyzer.errors import SpendError, UsageError
from analyzer.sqlfiles import query, records

LAKE_FORMAT = 1
MANIFEST = "_lake.json"
DATA_FILE = "data.parquet"
SPARK_RUNS = "spark_runs"  # manifest: the runs of `ingest --engine spark` (analyzer/sparkingest.py)
# The tables beside usage that the pricing views and reports read, written whole. Fixed names:
# the only table names Python puts into SQL here, never text from a user.
TABLES = ("settings", "rates", "rate_versions", "rate_version_rows", "capacities", "capacity_versions",
          "capacity_version_rows", "month_closes", "closed_usage", "closed_capacity_costs", "billed_costs",
          "reconciliations", "reconciliation_rows")


@dataclass
class ExportSummary:
    """What one export did: months and tables rewritten or unchanged, months removed."""

    folder: Path
    months_written: list[str] = field(default_factory=list)
    months_unchanged: list[str] = field(default_factory=list)
    months_removed: list[str] = field(default_factory=list)
    tables_written: list[str] = field(default_factory=list)
    tables_unchanged: list[str] = field(default_factory=list)
    usage_rows: int = 0
    spark_months: int | None = None  # a lake whose usage `ingest --engine spark` writes: its months, kept

    def line(self) -> str:
        tables = f"{len(self.tables_written)} tables written, {len(self.tables_unchanged)} unchanged"
        if self.spark_months is not None:
            return (f"lake {self.folder}: usage kept as ingested on Spark ({self.usage_rows:,} rows in "
                    f"{self.spark_months} months); {tables}")
        return (f"lake {self.folder}: usage {self.usage_rows:,} rows in "
                f"{len(self.months_written) + len(self.months_unchanged)} months "
                f"({len(self.months_written)} written, {len(self.months_unchanged)} unchanged"
                + (f", {len(self.months_removed)} removed" if self.months_removed else "")
                + f"); {tables}")


def read_manifest(folder: Path, *, required: bool) -> dict:
    """The lake's manifest; {} for an empty (or absent) folder when not `required`."""
    path = folder / MANIFEST
    if not path.exists():
        if required:
            raise UsageError(f"--lake {folder}: not a lake (no {MANIFEST}); write one with llm-spend export --lake {folder}")
        if folder.exists() and any(folder.iterdir()):
            raise UsageError(f"--lake {folder}: the folder has files but no {MANIFEST}; export into an empty folder")
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SpendError(f"--lake {folder}: cannot read {MANIFEST}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != LAKE_FORMAT:
        raise SpendError(f"--lake {folder}: {MANIFEST} is of another lake format ({manifest.get('format')!r}); "
                         f"this llm-spend reads format {LAKE_FORMAT}")
    return manifest


def month_folder(folder: Path, month: str) -> Path:
    return folder / "usage" / f"month={month}"


def usage_files(folder: Path, manifest: dict) -> list[str]:
    """The month files the manifest lists, in month order."""
    return [str(month_folder(folder, month) / DATA_FILE) for month in sorted(manifest.get("usage", {}))]


def table_file(folder: Path, table: str) -> Path:
    return folder / table / DATA_FILE


def _write_parquet(con: duckdb.DuckDBPyConnection, name: str, params: dict, target: Path) -> None:
    """Run the COPY query `name` into a hidden temporary file beside `target`, then rename it over
    `target` (readers and Spark skip names starting with a dot)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        con.execute(query(name), {**params, "path": str(temporary)})
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def export_lake(con: duckdb.DuckDBPyConnection, folder: Path) -> ExportSummary:
    """Write the store's usage (per UTC month) and TABLES into the lake `folder`, rewriting only
    what changed since the lake's last export; the manifest is written last."""
    from analyzer.store import transaction

    old = read_manifest(folder, required=False)
    folder.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary(folder)
    new: dict = {"format": LAKE_FORMAT, "tables": {}, "usage": {}}
    # A lake whose usage `ingest --engine spark` writes takes the store's tables (a new rate card)
    # and keeps its usage; a store's usage goes into a lake of its own.
    spark_runs = old.get(SPARK_RUNS)
    if spark_runs:
        if records(con, "lake_usage_rows")[0]["rows"]:
            raise UsageError(f"--lake {folder}: this lake's usage is ingested on Spark; export a store's usage into "
                             f"another folder (a store without usage exports its rate card and capacities here)")
        new.update(usage=old.get("usage", {}), **{SPARK_RUNS: spark_runs})
        summary.spark_months = len(new["usage"])
        summary.usage_rows = sum(entry.get("rows", 0) for entry in new["usage"].values())
    with transaction(con):  # one snapshot of the store for every file
        for table in TABLES:
            digest = records(con, "lake_table_digest", {"table": table})[0]
            entry = {"rows": digest["rows"], "digest": digest["digest"]}
            new["tables"][table] = entry
            if old.get("tables", {}).get(table) == entry and table_file(folder, table).exists():
                summary.tables_unchanged.append(table)
                continue
            _write_parquet(con, "lake_copy_table", {"table": table}, table_file(folder, table))
            summary.tables_written.append(table)
        for month in [] if spark_runs else records(con, "lake_month_digests"):
            entry = {"rows": month["rows"], "max_run_id": month["max_run_id"], "digest": month["digest"]}
            name = month["month"]
            new["usage"][name] = entry
            summary.usage_rows += month["rows"]
            target = month_folder(folder, name) / DATA_FILE
            if old.get("usage", {}).get(name) == entry and target.exists():
                summary.months_unchanged.append(name)
                continue
            start = month["month_start"].astimezone(timezone.utc)
            end = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=timezone.utc)
            _write_parquet(con, "lake_copy_month", {"since": start, "until": end}, target)
            summary.months_written.append(name)
    for name in sorted(set(old.get("usage", {})) - set(new["usage"])):  # none on a Spark-ingested lake
        shutil.rmtree(month_folder(folder, name), ignore_errors=True)
        summary.months_removed.append(name)
    temporary = folder / f".{MANIFEST}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, folder / MANIFEST)
    return summary


def attach_lake(con: duckdb.DuckDBPyConnection, folder: Path) -> dict:
    """On an in-memory store with this version's tables (no views yet): fill TABLES from the lake
    and make usage a view over its month files. Returns the manifest."""
    manifest = read_manifest(folder, required=True)
    folder = folder.resolve()  # absolute paths: `sql` allows reading this folder only
    try:
        con.execute("SET VARIABLE lake_folder = $folder", {"folder": str(folder)})  # a report's provenance
        for table in TABLES:
            if table not in manifest.get("tables", {}):
                continue
            con.execute(f"DELETE FROM {table}")  # noqa: S608 (a fixed table name)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet($path)",  # noqa: S608
                        {"path": str(table_file(folder, table))})
        files = usage_files(folder, manifest)
        if files:
            con.execute("SET VARIABLE lake_usage_files = $files", {"files": files})
            con.execute("DROP TABLE usage")
            con.execute(query("lake_usage_view"))
    except duckdb.Error as exc:
        raise SpendError(f"--lake {folder}: cannot read the lake: {str(exc).splitlines()[0]}") from None
    return manifest
