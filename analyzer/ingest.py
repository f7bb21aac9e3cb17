"""Ingest: files -> staged raw records -> a reader's SQL -> checks and attribution -> usage.

One run is one transaction (usage, rejects, manifest, run record) followed by a CHECKPOINT, so a
run killed at any point leaves the store as it was. Files whose size and mtime are unchanged are
skipped without being read; changed ones are hashed and, if the content is new, read again (the
anti-join on request identity keeps only records not already stored).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterable

import duckdb

from analyzer import fastpath
from analyzer.config import ATTRIBUTES, Config
from analyzer.errors import BadInput, GuardRailTripped, UsageError
from analyzer.files import Sample, read_sample
from analyzer.modes import MODES
from analyzer.progress import Progress
from analyzer.readers import Reader, detect_reader, reader_named
from analyzer.sqlfiles import first_row, query, run_composed, scalar
from analyzer.staging import (
    LONG_MARK,
    UNREADABLE_MARK,
    FileScan,
    scan_file,
    stage_file,
    unreadable_lines_met,
    whole_file_problem,
)
from analyzer.store import storage_errors, transaction

FOLDER_SUFFIXES = {".jsonl", ".ndjson", ".json", ".sse", ".csv", ".parquet", ".log"}
STDIN = "-"


@dataclass
class FileResult:
    path: str
    status: str  # read | unchanged | duplicate-file | error
    format: str | None = None
    rows_read: int = 0
    rows_new: int = 0
    rejects: int = 0
    note: str = ""
    conflicts: int = 0  # copies of a known id with other token counts (not stored; README "identity")
    rows_replaced: int = 0  # --reread: stored rows that took the newly read values
    changed_while_read: bool = False  # not recorded in the manifest: the next run reads it again

    @property
    def duplicates(self) -> int:
        return self.rows_read - self.rows_new - self.rejects


@dataclass
class IngestSummary:
    run_id: int
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    new_tokens: int = 0
    new_tokens_priced: int = 0
    new_without_tenant: int = 0
    reread: bool = False

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def errors(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "error"]

    @property
    def warnings(self) -> list[str]:
        """Things a finished run should say although nothing failed."""
        found = []
        new = self.total("rows_new")
        if new and self.new_without_tenant * 2 > new:
            found.append(f"{self.new_without_tenant:,} of {new:,} new rows have no tenant: check the "
                         f"[attribution] tenant paths in the config, then `llm-spend ingest --reread PATH...`")
        for result in self.files:
            if result.changed_while_read:
                found.append(f"{result.path} changed while it was read: not recorded as read, the next run reads it again")
        return found


def discover_files(paths: Iterable[str]) -> list[Path | str]:
    """Files to read: named files as given, folders recursively (known suffixes, no hidden files)."""
    found: list[Path | str] = []
    for raw in paths:
        if raw == STDIN:
            found.append(STDIN)
            continue
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if child.is_file() and not any(p.startswith(".") for p in relative) and known_suffix(child):
                    found.append(child)
        elif path.is_file():
            found.append(path)
        elif path.exists():
            raise BadInput(f"{raw}: not a regular file ({_file_kind(path)}); use - to read standard input")
        else:
            raise BadInput(f"no such file or folder: {raw}")
    return found


def _file_kind(path: Path) -> str:
    import stat

    mode = path.stat().st_mode
    for test, kind in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device")):
        if test(mode):
            return kind
    return "not a file or folder"


def known_suffix(path: Path) -> bool:
    suffixes = path.suffixes
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return bool(suffixes) and suffixes[-1].lower() in FOLDER_SUFFIXES


def file_hash(path: Path, on_bytes: Callable[[int], None] | None = None) -> FileScan:
    """Content hash for the manifest (with the line-ending check staging needs, in the same read);
    only computed when size or mtime say the file may have changed."""
    return scan_file(path, on_bytes)


def _size(path: Path | str) -> int | None:
    try:
        return None if path == STDIN else Path(path).stat().st_size
    except OSError:
        return None


MAX_PATHS = 8  # per attribution field: stage_usage picks the first non-empty of up to 8 slots


def attribution_params(config: Config, reader: Reader | None = None) -> dict:
    """$paths (every attribution JSON path, in order) and, per field, $<field>_slots: the
    1-based positions of the field's paths in $paths, padded with 0 (an empty slot) to MAX_PATHS.
    A field the config file does not set uses the reader's own default paths, if it has some.
    Tenant map: $tenant_key_slots says where ids are found, $tenant_names is the map."""
    params: dict = {"paths": []}

    def slots(paths: list[str], field: str) -> list[int]:
        if len(paths) > MAX_PATHS:
            raise UsageError(f"attribution.{field}: at most {MAX_PATHS} paths")
        start = len(params["paths"]) + 1
        params["paths"].extend(paths)
        return list(range(start, start + len(paths))) + [0] * (MAX_PATHS - len(paths))

    for name in ATTRIBUTES:
        paths = list(config.attribution[name])
        if reader is not None and name not in config.configured and name in reader.attribution:
            paths = list(reader.attribution[name])
        params[f"{name}_slots"] = slots(paths, name)
    keys = list(config.tenant_keys) if config.tenant_names else []  # no map: nothing to look up
    params["tenant_key_slots"] = slots(keys, "tenant_map.ids")
    params["tenant_names"] = {"key": list(config.tenant_names), "value": list(config.tenant_names.values())}
    if not params["paths"]:
        params["paths"] = ["$.__none__"]
    return params


def mode_map(config: Config) -> list[dict]:
    """$mode_map of stage_usage: the config's [modes] entries, most specific first (empty: none)."""
    modes = config.sections.get("modes")
    return modes.ordered() if modes is not None else []


def usage_params(config: Config, reader: Reader, mode: str | None = None, default_time: datetime | None = None,
                 source_path: str = "", provider: str | None = None) -> dict:
    """Every $parameter of stage_usage for one file read by `reader`."""
    return dict(attribution_params(config, reader), **reader.query_params(config), mode=mode, mode_map=mode_map(config),
                mark=UNREADABLE_MARK, long_mark=LONG_MARK, default_time=default_time, source_path=source_path, format=reader.name,
                provider_override=provider)


def parse_default_time(text: str | None) -> datetime | None:
    """`--default-time`: an ISO 8601 date or time; without a zone it is UTC."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--default-time {text!r} is not an ISO 8601 date or time (e.g. 2026-01-31T00:00:00Z)") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class Ingest:
    """One ingest run over one open write connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, config: Config, *, fmt: str = "auto",
                 mode: str | None = None, progress: Progress | None = None, default_time: str | None = None,
                 reread: bool = False, provider: str | None = None):
        if mode is not None and mode not in MODES:
            raise UsageError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        if provider is not None and not provider.strip():
            raise UsageError("--provider needs a name")
        self.con = con
        self.config = config
        self.forced = None if fmt == "auto" else reader_named(fmt)
        self.mode = mode  # --mode: every row's mode, over the config's [modes]
        self.mode_map = mode_map(config)
        self.progress = progress or Progress()
        self.attribution = attribution_params(config)
        self.default_time = parse_default_time(default_time)  # for records without any time
        self.reread = reread  # read even if unchanged; stored records take the new values
        self.provider = provider.strip() if provider else None

    def run(self, paths: Iterable[str]) -> IngestSummary:
        # A file named twice (or named and inside a named folder) is read once.
        files = list({(p if p == STDIN else p.resolve()): p for p in discover_files(paths)}.values())
        started = time.monotonic()
        started_at = datetime.now(timezone.utc)
        con = self.con
        with storage_errors(con), transaction(con):
            summary = IngestSummary(run_id=scalar(con, "next_run_id"), reread=self.reread)
            manifest = {row[0]: row[1:] for row in con.execute(query("manifest_entries")).fetchall()}
            hashes = {row[2]: path for path, row in manifest.items()}
            for done, path in enumerate(files):
                self.progress.file(done, len(files), str(path), _size(path))
                summary.files.append(self._one(path, summary.run_id, manifest, hashes))
            self.progress.finish()
            tokens = first_row(con, "run_tokens", {"run_id": summary.run_id})
            summary.new_tokens, summary.new_tokens_priced = int(tokens["tokens"]), int(tokens["priced_tokens"])
            summary.new_without_tenant = int(tokens["without_tenant"])
            con.execute(query("record_run"), {
                "run_id": summary.run_id, "started_at": started_at, "finished_at": datetime.now(timezone.utc),
                "files_seen": len(files), "files_read": sum(f.status == "read" for f in summary.files),
                "rows_read": summary.total("rows_read"), "rows_new": summary.total("rows_new"),
                "duplicates": summary.total("duplicates"), "rejects": summary.total("rejects"),
                "new_tokens": summary.new_tokens, "new_tokens_priced": summary.new_tokens_priced,
                "conflicts": summary.total("conflicts"), "rows_replaced": summary.total("rows_replaced"),
            })
        with storage_errors(con, committed=True):
            con.execute("CHECKPOINT")
        summary.seconds = time.monotonic() - started
        return summary

    def _one(self, path: Path | str, run_id: int, manifest: dict, hashes: dict) -> FileResult:
        if path == STDIN:
            return self._stdin(run_id)
        key = str(path.resolve())
        stat = path.stat()
        known = manifest.get(key)
        if not self.reread and known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
            return FileResult(key, "unchanged")
        scan = file_hash(path, self.progress.scanned)
        digest = scan.digest
        if not self.reread and known and known[2] == digest:
            self.con.execute(query("touch_file"), {"path": key, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
            return FileResult(key, "unchanged")
        if not self.reread and digest in hashes and hashes[digest] != key:
            self._record(key, stat, digest, FileResult(key, "duplicate-file"), run_id)
            return FileResult(key, "duplicate-file", note=f"same content as {hashes[digest]}")
        result = self._read(path, key, run_id, scan)
        if result.status == "read":
            if _identity(path.stat()) != _identity(stat):
                # Written while it was read: what was read is stored, but the file is not
                # recorded, so the next run reads it again and adds what this one missed.
                result.changed_while_read = True
                self.con.execute(query("forget_file"), {"path": key})
            else:
                self._record(key, stat, digest, result, run_id)
                hashes[digest] = key
        return result

    def _stdin(self, run_id: int) -> FileResult:
        with tempfile.NamedTemporaryFile(prefix="llm-spend-stdin-", suffix=".jsonl") as spool:
            shutil.copyfileobj(sys.stdin.buffer, spool)
            spool.flush()
            return self._read(Path(spool.name), "<stdin>", run_id)

    def _record(self, key: str, stat, digest: str, result: FileResult, run_id: int) -> None:
        self.con.execute(query("record_file"), {
            "path": key, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "content_hash": digest,
            "format": result.format, "rows_read": result.rows_read, "rows_new": result.rows_new,
            "rejects": result.rejects, "run_id": run_id,
        })

    def _read(self, path: Path, key: str, run_id: int, scan: FileScan | None = None) -> FileResult:
        con = self.con
        con.execute(query("forget_rejects"), {"source_file": key})
        try:
            sample = read_sample(path)
            reader = self.forced or detect_reader(sample, path)
        except BadInput as exc:
            con.execute(query("insert_file_reject"), {"source_file": key, "reason": str(exc), "run_id": run_id})
            return FileResult(key, "error", note=str(exc))
        own = reader.query_params(self.config)
        if reader.target == "billed_costs":
            params = dict(own, default_time=self.default_time, mark=UNREADABLE_MARK)
            stage(con, path, reader, sample, scan, lambda layout: run_composed(
                con, "stage_billed_costs", params, reader=reader.query_for(sample)), self.progress.reading)
            return self._read_billed_costs(reader, key, run_id)
        params = usage_params(self.config, reader, mode=self.mode, default_time=self.default_time,
                              source_path=key, provider=self.provider)
        stage_usage_file(con, path, reader, sample, scan, params, self.progress)
        counts = first_row(con, "count_staged")
        rows_read, rejects = counts["rows_read"], counts["rejects"]
        self.progress.read(rows_read)
        con.execute(query("insert_rejects"), {"source_file": key, "run_id": run_id})
        problem = whole_file_problem(con)
        if problem and rows_read == rejects:
            return FileResult(key, "error", reader.name, rows_read, 0, rejects, note=f"{key}: {problem}")
        result = FileResult(key, "read", reader.name, rows_read, 0, rejects)
        self._store(result, key, run_id)
        return result

    def _store(self, result: FileResult, key: str, run_id: int) -> None:
        """Add the staged rows whose identity is new; count conflicts; with --reread, give the
        stored copies of the records read the new values (README "identity")."""
        con = self.con
        con.execute(query("find_known_ids"))
        suspects = scalar(con, "count_known_ids")
        con.execute(query("resolve_known_ids" if suspects else "no_known_ids"))
        flags = {"reread": self.reread}
        result.conflicts = scalar(con, "count_conflicts", flags)
        if result.conflicts:
            con.execute(query("insert_conflicts"), {"source_file": key, "run_id": run_id, **flags})
        if self.reread:
            result.rows_replaced = con.execute(query("replace_stored_rows"), {
                "provider_override": self.provider, "mode": self.mode, "mode_map": self.mode_map}).fetchall()[0][0]
        inserts = ("insert_new_usage", "insert_new_ids") if suspects else ("insert_all_usage", "insert_all_ids")
        result.rows_new = con.execute(query(inserts[0]), {"source_file": key, "run_id": run_id}).fetchall()[0][0]
        con.execute(query(inserts[1]))

    def _read_billed_costs(self, reader: Reader, key: str, run_id: int) -> FileResult:
        """Billed amounts (Costs API) are not usage: they go to `billed_costs`, for reconciliation."""
        con = self.con
        counts = first_row(con, "count_staged")
        con.execute(query("insert_rejects"), {"source_file": key, "run_id": run_id})
        rows_new = con.execute(query("insert_new_billed_costs"), {"source_file": key, "run_id": run_id}).fetchall()[0][0]
        return FileResult(key, "read", reader.name, counts["rows_read"], rows_new, counts["rejects"],
                          note="billed costs, stored in billed_costs for reconciliation, not usage")


def stage(con: duckdb.DuckDBPyConnection, path: Path, reader: Reader, sample: Sample, scan: FileScan | None,
          normalise: Callable[[str | None], None], on_reading: Callable[[int | None], None] | None = None) -> None:
    """Stage the file and run `normalise` (it builds `staged`); when DuckDB's line reader met
    lines it could not read (not UTF-8), stage the file exactly and normalise again (given
    no layout: the fast path is then out). `on_reading(lines)` is told when the reading starts."""
    layout = stage_file(con, path, reader, sample, scan)
    if on_reading is not None:
        on_reading(scan.lines if scan else None)
    normalise(layout)
    if unreadable_lines_met(con, layout):
        stage_file(con, path, reader, sample, scan, True)
        normalise(None)


def stage_usage_file(con: duckdb.DuckDBPyConnection, path: Path, reader: Reader, sample: Sample,
                     scan: FileScan | None, params: dict, progress: Progress | None = None) -> None:
    """`staged` (canonical columns, reason, raw) for one usage file read by `reader`: through the
    fast path where it applies, else the reader's query over the staged records. Used by the
    store's ingest and, inside Spark tasks, by the Spark ingest of whole files (sparkstage.py)."""
    progress = progress or Progress()

    def normalise(layout: str | None) -> None:
        if not (layout and fastpath.applies(reader, sample, layout, scan, params)
                and fastpath.stage_usage_fast(con, path, reader, sample, scan, params, progress.read)):
            run_composed(con, "stage_usage", params, reader=reader.query_for(sample))

    stage(con, path, reader, sample, scan, normalise, progress.reading)


def ingest_paths(con: duckdb.DuckDBPyConnection, paths: Iterable[str], config: Config, *, fmt: str = "auto",
                 mode: str | None = None, progress: Progress | None = None,
                 default_time: str | None = None, reread: bool = False,
                 provider: str | None = None) -> IngestSummary:
    """Read files and folders into the store in one transaction; see the module docstring."""
    return Ingest(con, config, fmt=fmt, mode=mode, progress=progress, default_time=default_time,
                  reread=reread, provider=provider).run(paths)


def _identity(stat) -> tuple:
    """What changes whenever a file is written, truncated, replaced or has its mtime reset."""
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def guard_rail_failures(summary: IngestSummary, *, min_coverage: float | None = None,
                        max_reject_rate: float | None = None) -> list[GuardRailTripped]:
    """The cron guard rails a finished run failed (`--fail-under-coverage`, `--max-reject-rate`,
    both in percent). Checked after the commit: the run's rows stay stored either way."""
    failures = []
    tokens, priced = summary.new_tokens, summary.new_tokens_priced
    if min_coverage is not None and tokens and Fraction(priced * 100, tokens) < Fraction(str(min_coverage)):
        failures.append(GuardRailTripped(
            f"only {priced:,} of {tokens:,} new tokens ({_percent(priced, tokens)}) could be priced, under "
            f"--fail-under-coverage {min_coverage:g}; the rows are stored (see llm-spend rates unpriced)"))
    read, rejects = summary.total("rows_read"), summary.total("rejects")
    if max_reject_rate is not None and read and Fraction(rejects * 100, read) > Fraction(str(max_reject_rate)):
        failures.append(GuardRailTripped(
            f"{rejects:,} of {read:,} records read ({_percent(rejects, read)}) were rejected, over "
            f"--max-reject-rate {max_reject_rate:g}; the good rows are stored (see llm-spend status)"))
    return failures


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}%"
