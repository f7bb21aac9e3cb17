"""Staging: load one file's raw records into `staged_records(source_line, raw)` for a reader.

The layout decides how: `lines` numbers the lines of a text file (plain or gzip) in DuckDB.
A reader's query then turns `raw` (JSON text) into canonical columns.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from analyzer.readers import Reader, open_binary
from analyzer.sqlfiles import query, scalar

# Prefixes the text of a line that is not UTF-8 (its bytes decoded with replacement characters);
# stage_usage turns such records into rejects "not UTF-8".
UNREADABLE_MARK = "\ufffd[llm-spend: not UTF-8]\ufffd"
CHUNK = 1 << 20


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def has_simple_lines(path: Path) -> bool:
    """True when DuckDB's line reader numbers this file exactly: no raw 0x1F byte (our
    delimiter) and either no CR at all or CRLF on every line. Scans at memchr speed."""
    newlines = crlf = cr = 0
    tail = b""
    with open_binary(path) as stream:
        while chunk := stream.read(CHUNK):
            if b"\x1f" in chunk:
                return False
            data = tail + chunk
            newlines += chunk.count(b"\n")
            cr += chunk.count(b"\r")
            crlf += data.count(b"\r\n") - tail.count(b"\r\n")
            tail = chunk[-1:]
    return cr == 0 or cr == crlf == newlines


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, reader: Reader) -> None:
    """Load the file's raw records into the view `staged_records(source_line, raw)`.

    Never raises for a bad line: a failed statement would abort the ingest transaction, so
    DuckDB's line reader collects unreadable lines in its reject store, and such files (and files
    whose bytes it would split wrongly) are staged by the exact fallback below instead.
    """
    if has_simple_lines(path):
        compression = "gzip" if is_gzip(path) else "none"
        con.execute("DROP TABLE IF EXISTS staging_rejects")
        con.execute("DROP TABLE IF EXISTS staging_scans")
        con.execute(query("stage_lines"), {"path": str(path), "compression": compression})
        if not scalar(con, "count_unreadable_lines"):
            con.execute(query("stage_records_from_lines"))
            return
    stage_lines_exactly(con, path)


def stage_lines_exactly(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Fallback for the rare file with bytes that are not UTF-8, stray CRs or 0x1F: split on LF
    in Python, number every line, mark undecodable ones so they become rejects "not UTF-8".
    Valid, consistent files never take this per-line path."""
    import pyarrow as pa

    numbers, lines = [], []
    with open_binary(path) as stream:
        for number, line in enumerate(stream, start=1):
            line = line.rstrip(b"\r\n")
            if not line.strip():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                text = UNREADABLE_MARK + line.decode("utf-8", errors="replace")
            numbers.append(number)
            lines.append(text)
    table = pa.table({"source_line": pa.array(numbers, pa.int64()), "raw": pa.array(lines, pa.string())})
    con.register("exact_lines", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE staged_lines AS SELECT * FROM exact_lines")
    finally:
        con.unregister("exact_lines")
    con.execute(query("stage_records_from_lines"))
