"""The DuckDB store: opening it (locks, read-only, sandbox), its named, ordered migrations (tables,
append-only history) and its current views and macros (queries/views/, recreated at every write open)."""

from __future__ import annotations

import hashlib
import os
import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from analyzer.errors import SpendError, StoreBusy
from analyzer.sqlfiles import migrations, views

DEFAULT_DB = "usage.duckdb"

# Nothing may download an extension at run time: we run offline.
_BASE_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
_LOCK_PID = re.compile(r"\(PID (\d+)\)")


def db_path(option: str | os.PathLike | None, config_db: Path | None = None) -> Path:
    """The store to use: `--db`, else `$LLM_SPEND_DB`, else the config's `db`, else ./usage.duckdb."""
    return Path(option or os.environ.get("LLM_SPEND_DB") or config_db or DEFAULT_DB)


def _connect(path: Path, read_only: bool, extra: dict | None) -> duckdb.DuckDBPyConnection:
    config = dict(_BASE_CONFIG)
    config.update(extra or {})
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" in message.lower():
            pid = _LOCK_PID.search(message)
            holder = f" (pid {pid.group(1)})" if pid else ""
            raise StoreBusy(f"store is busy: another llm-spend process{holder} holds it ({path})") from None
        raise SpendError(f"cannot open store {path}: {message.splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise SpendError(f"cannot open store {path}: {str(exc).splitlines()[0]}") from None
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # never draw on a cron log
    return con


def connect(path: Path, *, read_only: bool = False, wait: float = 0, extra: dict | None = None) -> duckdb.DuckDBPyConnection:
    """Open the store, retrying with backoff for up to `wait` seconds while another process holds it."""
    if read_only and not path.exists():
        raise SpendError(f"no store at {path}: run `llm-spend ingest` or `llm-spend rates load` first")
    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            con = _connect(path, read_only, extra)
            break
        except StoreBusy as exc:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                advice = f"still busy after waiting {wait:g}s" if wait else "try later, or pass --wait SECONDS"
                raise StoreBusy(f"{exc}; {advice}") from None
            time.sleep(min(delay, remaining))  # the last try falls on the deadline
            delay = min(delay * 2, 2.0)
    try:
        if not read_only:
            clean_spill_folder(con)
            migrate(con, path)
            create_views(con, path)
            return con
        upgrade = bool(pending_migrations(con, path)) or views_outdated(con)
    except BaseException:
        con.close()  # a refused (newer) or failed upgrade must not keep the file locked
        raise
    if upgrade:
        # An older store (or views of another version) opened by a reader: upgrade it once with a
        # short write connection.
        con.close()
        with open_store(path, wait=wait):
            pass
        con = _connect(path, read_only, extra)
    return con


@contextmanager
def open_store(path: Path, *, read_only: bool = False, wait: float = 0,
               extra: dict | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Context manager around `connect` that always closes the connection (and so the file lock)."""
    con = connect(path, read_only=read_only, wait=wait, extra=extra)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT around the block; ROLLBACK (and re-raise) when the block raises anything."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


_NO_SPACE = ("no space left on device", "disk full", "disk is full", "not enough space")
_QUOTED_FILE = re.compile(r'"([^"]+)"')


@contextmanager
def storage_errors(con: duckdb.DuckDBPyConnection, committed: bool = False) -> Iterator[None]:
    """Turn a write that failed for lack of space (DuckDB's "No space left on device" on COMMIT
    or a checkpoint, or on a spill to the temp folder, which it may report as "Out of Memory")
    into one line saying disk full and where; an interrupted query (Ctrl-C) into KeyboardInterrupt.
    `committed`: the run's data is in the write-ahead log already (a failed checkpoint)."""
    try:
        yield
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None
    except RuntimeError as exc:
        if is_interrupt(exc):  # DuckDB's Python client reports Ctrl-C during a query this way
            raise KeyboardInterrupt from None
        raise
    except duckdb.Error as exc:
        message = str(exc)
        if not any(words in message.lower() for words in _NO_SPACE):
            raise
        quoted = _QUOTED_FILE.search(message)
        if quoted:
            where = quoted.group(1)
        elif "temp" in message.lower() or "offload" in message.lower() or isinstance(exc, duckdb.OutOfMemoryException):
            where = f"the temp folder {_setting(con, 'temp_directory')}"
        else:
            where = "the store"
        outcome = ("the run is stored in the write-ahead log and completes at the next open" if committed
                   else "nothing was stored")
        raise SpendError(f"disk full: cannot write {where} (free some space and run again; {outcome})") from None


def is_interrupt(exc: BaseException) -> bool:
    """A query stopped by Ctrl-C (SIGINT), however DuckDB reports it."""
    return isinstance(exc, (KeyboardInterrupt, duckdb.InterruptException)) or (
        isinstance(exc, RuntimeError) and str(exc).strip().lower() == "query interrupted")


def _setting(con: duckdb.DuckDBPyConnection, name: str) -> str:
    try:
        return con.execute("SELECT current_setting($name)", {"name": name}).fetchall()[0][0]
    except duckdb.Error:
        return "(unknown)"


def clean_spill_folder(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the spill files a killed run left in the temp folder (`<db>.tmp/`). Called on a
    write open: the write lock is ours, so no other process is using them."""
    folder = Path(_setting(con, "temp_directory"))
    if not folder.is_dir():
        return
    for leftover in folder.glob("duckdb_temp_*"):
        try:
            leftover.unlink()
        except OSError:
            pass


@contextmanager
def memory_store() -> Iterator[duckdb.DuckDBPyConnection]:
    """An empty in-memory store with this version's tables, views and macros (for pricing given
    prices by the same SQL rule without a store file)."""
    con = duckdb.connect(":memory:", config=dict(_BASE_CONFIG))
    try:
        con.execute("SET TimeZone = 'UTC'")
        migrate(con, Path(":memory:"))
        create_views(con, Path(":memory:"))
        yield con
    finally:
        con.close()


def _applied(con: duckdb.DuckDBPyConnection) -> list[str]:
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations' AND schema_name = 'main'"
    ).fetchall()[0][0]
    if not exists:
        return []
    return [row[0] for row in con.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()]


def pending_migrations(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[str, str]]:
    """Migrations this version knows that the store lacks; a store from a newer version is refused."""
    applied = _applied(con)
    known = migrations()
    known_names = {name for name, _ in known}
    unknown = [name for name in applied if name not in known_names]
    if unknown:
        raise SpendError(
            f"store {path} was written by a newer llm-spend (schema {unknown[-1]}); upgrade llm-spend to use it"
        )
    return [(name, sql) for name, sql in known if name not in applied]


def migrate(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Apply pending migrations in order, each in its own transaction, recorded in schema_migrations."""
    pending = pending_migrations(con, path)
    if not pending:
        return []
    con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
    for name, sql in pending:
        try:
            with transaction(con):
                con.execute(sql)
                con.execute("INSERT INTO schema_migrations VALUES ($name, now())", {"name": name})
        except duckdb.Error as exc:
            raise SpendError(f"cannot upgrade store {path} ({name}): {str(exc).splitlines()[0]}") from None
    return [name for name, _ in pending]


_VIEWS_KEY = "views_sha256"


def _views_digest() -> str:
    digest = hashlib.sha256()
    for name, sql in views():
        digest.update(name.encode() + b"\0" + sql.encode() + b"\0")
    return digest.hexdigest()


def views_outdated(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the store's views and macros are not this version's queries/views/."""
    rows = con.execute("SELECT value FROM settings WHERE key = $key", {"key": _VIEWS_KEY}).fetchall()
    return not rows or rows[0][0] != _views_digest()


def create_views(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """(Re)create every view and macro of queries/views/ in one transaction, at every write open, so
    the pricing rule in a store is always this version's; a digest in settings lets read-only opens
    notice a store whose views another version wrote."""
    digest = _views_digest()
    failing = ""
    try:
        with transaction(con):
            for name, sql in views():
                failing = name
                con.execute(sql)
            con.execute("INSERT OR REPLACE INTO settings VALUES ($key, $value)", {"key": _VIEWS_KEY, "value": digest})
    except duckdb.Error as exc:
        raise SpendError(f"cannot create the views of store {path} ({failing}): {str(exc).splitlines()[0]}") from None


def sync_settings(con: duckdb.DuckDBPyConnection, settings: dict[str, str]) -> None:
    """Store the settings the pricing views read (batch discount), so every reader sees the same."""
    for key, value in settings.items():
        con.execute(
            "INSERT OR REPLACE INTO settings VALUES ($key, $value)", {"key": key, "value": value}
        )


@contextmanager
def open_lake(folder: str | os.PathLike | None, *, engine: str = "duckdb", master: str | None = None,
              extra: dict | None = None) -> Iterator:
    """A read-only connection over a Parquet lake (`llm-spend export --lake`), for the commands that
    take --lake: with DuckDB, an in-memory store with this version's tables, the lake's tables in
    them, usage a view over the lake's month files, and the views and macros of queries/views/ on
    top, so every query runs as on a store file; with Spark, a connection running the same
    queries on a SparkSession (analyzer/sparkquery.py)."""
    from analyzer.errors import UsageError

    if folder is None:
        raise UsageError("--engine spark reads a lake: pass --lake DIR (llm-spend export --lake DIR writes one)")
    lake = Path(folder)
    if engine == "spark":
        from analyzer.sparkengine import require_spark

        require_spark()  # one line saying what to install, before anything starts
        from analyzer.sparkquery import spark_connection

        with spark_connection(lake, master) as con:
            yield con
        return
    from analyzer.lake import attach_lake, read_manifest

    read_manifest(lake, required=True)  # before any work: not a lake is one line
    config = dict(_BASE_CONFIG)
    config.update(extra or {})
    con = duckdb.connect(":memory:", config=config)
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        migrate(con, Path(":memory:"))
        attach_lake(con, lake)
        create_views(con, lake)
        yield con
    finally:
        con.close()
