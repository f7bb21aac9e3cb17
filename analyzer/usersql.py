"""Ad-hoc SQL for analysts: one read-only statement, on a sandboxed read-only connection, with a
memory limit, a time limit and a row limit; results are streamed, never fetched whole."""

from __future__ import annotations

import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import duckdb

from analyzer.errors import SpendError, UsageError
from analyzer.store import open_lake, open_store

# DESCRIBE, SHOW, SUMMARIZE, WITH and FROM-first queries parse as SELECT; EXPLAIN only of one of these.
ALLOWED = "SELECT"
ALLOWED_TEXT = "SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN [ANALYZE] of one of them"
DEFAULT_TIMEOUT = 60.0  # seconds
DEFAULT_MAX_ROWS = 10_000
BATCH_ROWS = 2_048


def _statements(sql: str) -> list:
    try:
        return duckdb.connect(":memory:").extract_statements(sql)
    except duckdb.Error as exc:
        raise UsageError(f"sql: {str(exc).splitlines()[0]}") from None


def _explained(sql: str) -> str:
    """The statement an EXPLAIN [ANALYZE] [(options)] statement explains, found with DuckDB's own
    tokenizer (comments skipped) so the text checked is the text DuckDB would run."""
    tokens = duckdb.tokenize(sql)
    words = []  # (offset, text) of each token that is not a comment
    for i, (offset, kind) in enumerate(tokens):
        end = tokens[i + 1][0] if i + 1 < len(tokens) else len(sql)
        if kind != duckdb.token_type.comment:
            words.append((offset, sql[offset:end].strip()))
    position = 0
    if not words or words[0][1].upper() != "EXPLAIN":
        raise UsageError("sql: EXPLAIN could not be read")
    position = 1
    if position < len(words) and words[position][1].upper() == "ANALYZE":
        position += 1
    if position < len(words) and words[position][1].startswith("("):
        depth = 0
        while position < len(words):
            depth += words[position][1].count("(") - words[position][1].count(")")
            position += 1
            if depth <= 0:
                break
    if position >= len(words):
        raise UsageError("sql: EXPLAIN of nothing")
    return sql[words[position][0]:]


def check_statement(sql: str) -> None:
    """Refuse anything but one SELECT / WITH / DESCRIBE / SHOW / SUMMARIZE statement, or an
    EXPLAIN (ANALYZE) of one: EXPLAIN ANALYZE runs the statement it explains, so
    `EXPLAIN ANALYZE COPY ... TO` would write a file and `EXPLAIN ANALYZE CREATE` create a table."""
    statements = _statements(sql)
    if len(statements) != 1:
        raise UsageError(f"sql: give exactly one statement (found {len(statements)})")
    kind = statements[0].type.name
    if kind == "EXPLAIN":
        inner = _statements(_explained(sql))
        inner_kind = inner[0].type.name if len(inner) == 1 else "MULTI"
        if inner_kind != ALLOWED:
            raise UsageError(f"sql: EXPLAIN of a {inner_kind} statement is not allowed; llm-spend sql is "
                             f"read-only ({ALLOWED_TEXT})")
        return
    if kind != ALLOWED:
        raise UsageError(f"sql: {kind} statements are not allowed; llm-spend sql is read-only ({ALLOWED_TEXT})")


def unique_columns(names: Sequence[str]) -> list[str]:
    """Column names made unique, so no format loses a column: a repeated `a` becomes `a_1`,
    `a_2`... (skipping names the query already has), as DuckDB names them in a subquery."""
    taken = set(names)
    seen: set[str] = set()
    out = []
    for name in names:
        if name in seen:
            n = 1
            while f"{name}_{n}" in taken:
                n += 1
            name = f"{name}_{n}"
            taken.add(name)
        seen.add(name)
        out.append(name)
    return out


@dataclass
class UserQuery:
    """A running statement: its columns, and its rows as a one-pass stream of at most `max_rows`
    (after the stream ends, `cut` says whether the query had more)."""

    columns: list[str]
    rows: Iterator[tuple] = field(repr=False)
    max_rows: int = 0
    cut: bool = False


@contextmanager
def user_query(path: Path, sql: str, *, wait: float = 0, memory_limit: str | None = None,
               timeout: float = DEFAULT_TIMEOUT, max_rows: int = DEFAULT_MAX_ROWS,
               lake: Path | None = None) -> Iterator[UserQuery]:
    """Run the statement with no file or network access and the configuration locked; the store
    stays open (read-only) while the caller consumes the rows. `timeout` seconds (0: none) cover
    running and fetching; `max_rows` (0: all) bounds what is fetched. With `lake`, on the lake's
    connection (store.open_lake): the lake folder is the one place its files may be read from."""
    check_statement(sql)
    # The spill folder is a private, throwaway one: DuckDB lets a sandboxed connection write its
    # temp_directory, so the store's own <db>.tmp must not be it.
    with tempfile.TemporaryDirectory(prefix="llm-spend-sql-") as spill:
        extra = {"temp_directory": spill}
        if memory_limit:
            extra["memory_limit"] = memory_limit
        opened = (open_lake(lake, extra=extra) if lake is not None
                  else open_store(path, read_only=True, wait=wait, extra=extra))
        with opened as con:
            if lake is not None:
                con.execute("SET allowed_directories = $folders", {"folders": [str(Path(lake).resolve()) + "/"]})
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
            expired = threading.Event()

            def expire() -> None:
                expired.set()
                con.interrupt()

            timer = threading.Timer(timeout, expire) if timeout else None
            if timer:
                timer.daemon = True
                timer.start()
            try:
                def failed(exc: duckdb.Error) -> SpendError:
                    if expired.is_set():
                        return SpendError(f"sql: query timed out after {timeout:g} s (--timeout)")
                    return SpendError(f"sql: {str(exc).splitlines()[0]}")

                try:
                    result = con.execute(sql)
                except duckdb.Error as exc:
                    raise failed(exc) from None
                query = UserQuery(unique_columns([d[0] for d in result.description]), iter(()), max_rows)

                def stream() -> Iterator[tuple]:
                    sent = 0
                    while True:
                        want = BATCH_ROWS if not max_rows else min(BATCH_ROWS, max_rows - sent + 1)
                        try:
                            batch = result.fetchmany(want)
                        except duckdb.Error as exc:
                            raise failed(exc) from None
                        if expired.is_set():
                            raise failed(duckdb.InterruptException("interrupted"))
                        if not batch:
                            return
                        if max_rows and sent + len(batch) > max_rows:
                            yield from batch[:max_rows - sent]
                            query.cut = True
                            return
                        sent += len(batch)
                        yield from batch

                query.rows = stream()
                yield query
            finally:
                if timer:
                    timer.cancel()
