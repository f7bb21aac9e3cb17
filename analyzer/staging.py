"""Staging: load one file's raw records into `staged_records(source_line, raw)` for a reader.

The layout (see analyzer/files.py) decides how, always in DuckDB:
- `lines`: one record per non-blank line (plain or gzip); `source_line` is the line number.
- `document`: the file is one JSON document; its records are an array's elements, a page's `data`
  elements, or the document itself; `source_line` is the record's position (1-based).
- `sse`: server-sent events; a record is the `data:` payload of one event (several `data:` lines
  joined by newlines), `source_line` the line of its first `data:` line. `[DONE]` and the other
  SSE fields (`event:`, `id:`, `retry:`, comments) are no records; any other line is one.
- `csv`: each row as a JSON object of strings (empty cells null); `source_line` is the row's
  position + 1 (the header is line 1), the file line unless a quoted cell holds a newline.
- `parquet`: each row as a JSON object; `source_line` is the row's position.

Whatever cannot be read as a record (a damaged gzip, a malformed CSV row, a document that is not
JSON, a Parquet file that does not open) goes to `staged_problems(source_line, reason, raw)`,
which stage_usage turns into rejects. Nothing here relies on catching a DuckDB error: a failed
statement would abort the ingest transaction.
"""

from __future__ import annotations

import hashlib
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analyzer.files import DamagedGzip, Sample, decompressed_chunks, open_binary
from analyzer.readers import Reader
from analyzer.sqlfiles import query, scalar

# Prefixes the text of a line that is not UTF-8 (its bytes decoded with replacement characters);
# stage_usage turns such records into rejects "not UTF-8".
UNREADABLE_MARK = "\ufffd[llm-spend: not UTF-8]\ufffd"
CHUNK = 1 << 20


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


@dataclass(frozen=True)
class FileScan:
    """What one pass over a file's bytes tells: its content hash (for the manifest) and whether
    DuckDB's line reader would number its lines exactly (no raw 0x1F byte, our delimiter; no CR,
    or CRLF on every line). The hash is of the file as stored (compressed for gzip)."""

    digest: str
    simple_lines: bool
    lines: int | None = None  # lines in the (decompressed) text; None when not counted


def scan_file(path: Path) -> FileScan:
    """Hash the file and check its line endings in one read (memchr-speed checks; lines are only
    counted in the rare chunks that hold a CR). A damaged gzip is not simple (the exact path
    reads what it can)."""
    hasher = hashlib.sha256()
    state = _LineState()
    counter = _LineCounter()
    gz = is_gzip(path)
    inflater = zlib.decompressobj(wbits=31) if gz else None
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
            if not state.simple:
                continue
            if inflater is None:
                state.feed(chunk)
                counter.feed(chunk)
                continue
            try:
                text = inflater.decompress(chunk)
                state.feed(text)
                counter.feed(text)
                while inflater.eof and inflater.unused_data:  # concatenated gzip members
                    rest = inflater.unused_data
                    inflater = zlib.decompressobj(wbits=31)
                    text = inflater.decompress(rest)
                    state.feed(text)
                    counter.feed(text)
            except zlib.error:
                state.simple = False
    if inflater is not None and not inflater.eof:
        state.simple = False  # cut short: the exact path records where it ends
    simple = state.done()
    return FileScan("sha256:" + hasher.hexdigest(), simple, counter.lines if simple else None)


class _LineCounter:
    """Lines of a text: LF count, plus a last line without LF."""

    def __init__(self):
        self.newlines, self.last = 0, b"\n"

    def feed(self, chunk: bytes) -> None:
        if chunk:
            self.newlines += chunk.count(b"\n")
            self.last = chunk[-1:]

    @property
    def lines(self) -> int:
        return self.newlines + (0 if self.last == b"\n" else 1)


class _LineState:
    """Line-ending check over consecutive chunks: all LF, or all CRLF, and no 0x1F byte."""

    def __init__(self):
        self.simple, self.crlf_seen, self.lf_seen, self.pending_cr = True, False, False, False

    def feed(self, chunk: bytes) -> None:
        if not chunk or not self.simple:
            return
        if b"\x1f" in chunk:
            self.simple = False
            return
        if self.pending_cr:  # the last chunk ended with a CR: this one must start with its LF
            if not chunk.startswith(b"\n"):
                self.simple = False
                return
            self.crlf_seen, self.pending_cr, chunk = True, False, chunk[1:]
        if b"\r" not in chunk:
            self.lf_seen = self.lf_seen or b"\n" in chunk
        else:
            self.pending_cr = chunk.endswith(b"\r")
            body = chunk[:-1] if self.pending_cr else chunk
            pairs = body.count(b"\r\n")
            if body.count(b"\r") != pairs or body.count(b"\n") != pairs:
                self.simple = False
            self.crlf_seen = True
        if self.crlf_seen and self.lf_seen:
            self.simple = False

    def done(self) -> bool:
        return self.simple and not self.pending_cr


TEXT_LAYOUTS = ("lines", "document", "sse")


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, reader: Reader, sample: Sample | None = None,
               scan: FileScan | None = None, exact: bool = False) -> str:
    """Load the file's records into the view `staged_records(source_line, raw)` and its unreadable
    parts into `staged_problems`, in the layout the sample shows (else the reader's first layout).
    Text is read lazily through views (nothing is copied until the reader's query runs); with
    `exact`, or when the scan says DuckDB would split the lines wrongly, lines are numbered in
    Python instead. Returns the layout used."""
    layout = reader.layout_for(sample) if sample is not None else reader.layouts[0]
    con.execute(query("create_reader_macros"))
    con.execute(query("create_usage_macros"))
    con.execute(query("create_staged_problems"))
    if layout == "csv":
        stage_csv(con, path, sample)
    elif layout == "parquet":
        stage_parquet(con, path)
    else:
        stage_text_lines(con, path, exact or not (scan or scan_file(path)).simple_lines)
        if layout == "document":
            con.execute(query("stage_document"))
            con.execute(query("stage_records_from_items"))
        elif layout == "sse":
            con.execute(query("stage_sse"))
            con.execute(query("stage_records_from_items"))
        else:
            con.execute(query("stage_records_from_lines"))
    con.execute(query("stage_objects"))
    con.execute(query("stage_bucket_results"))
    return layout


def stage_text_lines(con: duckdb.DuckDBPyConnection, path: Path, exact: bool) -> None:
    """Every line of a text file, numbered, as the view `staged_lines` (blank lines too).

    DuckDB's line reader streams the file when the view is read; lines it cannot read (not UTF-8,
    longer than 8 MB) are skipped and listed in `staging_rejects` instead of raising. Afterwards,
    `unreadable_lines_met` tells the ingest to stage the file again with `exact=True`.
    """
    con.execute("DROP TABLE IF EXISTS staging_rejects")
    con.execute("DROP TABLE IF EXISTS staging_scans")
    if exact:
        stage_lines_exactly(con, path)
    else:
        con.execute(query("set_staged_path"), {"path": str(path)})
        con.execute(query("set_staged_compression"), {"compression": "gzip" if is_gzip(path) else "none"})
        con.execute(query("stage_lines"))


def unreadable_lines_met(con: duckdb.DuckDBPyConnection, layout: str) -> bool:
    """After the staged records were read: did DuckDB's line reader skip lines it could not read?"""
    if layout not in TEXT_LAYOUTS:
        return False
    exists = scalar(con, "staging_rejects_exist")
    return bool(exists) and bool(scalar(con, "count_unreadable_lines"))


def stage_lines_exactly(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Fallback for the rare file with bytes that are not UTF-8, stray CRs or 0x1F, or a damaged
    gzip: split on LF in Python, number every line, mark undecodable ones so they become rejects
    "not UTF-8", and record where a damaged gzip stops. Valid files never take this path."""
    import pyarrow as pa

    numbers, lines = [], []
    number = 0
    pending = b""
    try:
        for chunk in decompressed_chunks(path, CHUNK):
            parts = (pending + chunk).split(b"\n")
            pending = parts.pop()
            for line in parts:
                number += 1
                _append_line(numbers, lines, number, line)
    except DamagedGzip as exc:
        if pending:
            number += 1
            _append_line(numbers, lines, number, pending)
            pending = b""
        add_problem(con, number + 1, f"{exc}: the rest of the file is unreadable")
    if pending:
        number += 1
        _append_line(numbers, lines, number, pending)
    table = pa.table({"source_line": pa.array(numbers, pa.int64()), "raw": pa.array(lines, pa.string())})
    con.register("exact_lines", table)
    try:
        con.execute(query("stage_exact_lines"))
    finally:
        con.unregister("exact_lines")


def _append_line(numbers: list, lines: list, number: int, line: bytes) -> None:
    line = line.rstrip(b"\r")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        text = UNREADABLE_MARK + line.decode("utf-8", errors="replace")
    numbers.append(number)
    lines.append(text)


def add_problem(con: duckdb.DuckDBPyConnection, line: int | None, reason: str, raw: str | None = None) -> None:
    """Record a part of the file that is no record (it becomes a reject)."""
    con.execute(query("add_staged_problem"), {"source_line": line, "reason": reason, "raw": raw})


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path, sample: Sample | None) -> None:
    """CSV rows as JSON objects of strings, parsed by DuckDB; malformed rows become problems."""
    columns = csv_columns(sample.columns if sample else [])
    if not columns:
        add_problem(con, 1, "no CSV header")
        con.execute(query("stage_no_items"))
        con.execute(query("stage_records_from_items"))
        return
    with plain_copy(con, path) as source:
        con.execute("DROP TABLE IF EXISTS staging_rejects")
        con.execute("DROP TABLE IF EXISTS staging_scans")
        con.execute(query("stage_csv"), {
            "path": str(source), "columns": {name: "VARCHAR" for name in columns},
            "delimiter": (sample.delimiter if sample else ","),
        })
        con.execute(query("problems_from_csv_rejects"))
    con.execute(query("stage_records_from_items"))


def csv_columns(header: list[str]) -> list[str]:
    """Column names for DuckDB: blanks named column_N, repeated names suffixed (_2, _3...)."""
    seen: dict[str, int] = {}
    names = []
    for position, name in enumerate(header, start=1):
        name = name.strip() or f"column_{position}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        names.append(name)
    return names


class plain_copy:
    """The file itself, or for gzip a temporary plain copy of what decompresses (a damaged gzip
    is recorded as a problem after its last readable line)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path):
        self.con, self.path, self.temp = con, path, None

    def __enter__(self) -> Path:
        if not is_gzip(self.path):
            return self.path
        self.temp = tempfile.NamedTemporaryFile(prefix="llm-spend-", suffix=self.path.stem[-16:])
        lines = 0
        try:
            for chunk in decompressed_chunks(self.path, CHUNK):
                self.temp.write(chunk)
                lines += chunk.count(b"\n")
        except DamagedGzip as exc:
            add_problem(self.con, lines + 1, f"{exc}: the rest of the file is unreadable")
        self.temp.flush()
        return Path(self.temp.name)

    def __exit__(self, *exc) -> None:
        if self.temp is not None:
            self.temp.close()


def stage_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Parquet rows as JSON objects. The file is read by Arrow first, so a damaged file is one
    problem instead of a DuckDB error inside the transaction."""
    import pyarrow.parquet as pq

    try:
        if is_gzip(path):
            import io

            with open_binary(path) as stream:
                table = pq.read_table(io.BytesIO(stream.read()))
        else:
            table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - any Arrow or gzip error means "cannot read this file"
        add_problem(con, None, f"not a readable Parquet file: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
        con.execute(query("stage_no_items"))
    else:
        con.register("parquet_rows", table)
        try:
            con.execute(query("stage_parquet"))
        finally:
            con.unregister("parquet_rows")
    con.execute(query("stage_records_from_items"))
