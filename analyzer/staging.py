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
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from analyzer.files import DamagedGzip, Sample, decompressed_chunks, open_binary, text_encoding
from analyzer.readers import Reader
from analyzer.sqlfiles import first_row, query, scalar

# Prefixes the text of a line that is not UTF-8 (its bytes decoded with replacement characters);
# stage_usage turns such records into rejects "not UTF-8".
UNREADABLE_MARK = "\ufffd[llm-spend: not UTF-8]\ufffd"
# Prefixes the first bytes of a line longer than MAX_LINE (the rest is not kept): a reject
# "line longer than 16 MB". Longer lines would not fit DuckDB's memory limit when parsed.
MAX_LINE = 16 << 20
LONG_MARK = "\ufffd[llm-spend: line longer than 16 MB]\ufffd"
LONG_PREFIX = 1024  # bytes of a long line kept in its reject
# DuckDB's own line and JSON readers take lines up to this size; longer ones are staged in Python.
READER_LINE = 8_000_000
CHUNK = 1 << 20
# Granule of the line index scan_file keeps for a plain (not gzip) file: the LF count before each
# 64 KB of the file, so a line's bytes are found by reading one granule, not by rescanning the file.
INDEX_STEP = 1 << 16


def line_text(line: bytes, length: int, max_line: int | None = MAX_LINE) -> str:
    """A line's bytes as the exact line reader stages them: UTF-8 text; a line of `length` bytes
    over `max_line` cut to its first LONG_PREFIX bytes and marked, a line that is not UTF-8 marked
    (each becomes a reject)."""
    if max_line is not None and length > max_line:
        return LONG_MARK + line[:LONG_PREFIX].decode("utf-8", errors="replace")
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return UNREADABLE_MARK + line.decode("utf-8", errors="replace")


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


@dataclass(frozen=True)
class FileScan:
    """What one pass over a file's bytes tells: its content hash (for the manifest) and whether
    DuckDB's line reader would number its lines exactly (no raw 0x1F byte, our delimiter; no CR,
    or CRLF on every line; no byte order mark; no line longer than READER_LINE). The hash is of
    the file as stored (compressed for gzip)."""

    digest: str
    simple_lines: bool
    lines: int | None = None  # lines in the (decompressed) text; None when not counted
    # For a simple plain file: LFs before each INDEX_STEP bytes of it (read_lines uses it).
    line_index: array | None = field(default=None, compare=False, repr=False)


def scan_file(path: Path, on_bytes=None) -> FileScan:
    """Hash the file and check its line endings in one read (memchr-speed checks; lines are only
    counted in the rare chunks that hold a CR). A damaged gzip is not simple (the exact path
    reads what it can). `on_bytes(n)` is told of every chunk read (the progress line)."""
    hasher = hashlib.sha256()
    state = _LineState()
    gz = is_gzip(path)
    counter = _LineCounter(index=not gz)
    inflater = zlib.decompressobj(wbits=31) if gz else None
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
            if on_bytes is not None:
                on_bytes(len(chunk))
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
    return FileScan("sha256:" + hasher.hexdigest(), simple, counter.lines if simple else None,
                    counter.index if simple else None)


class _LineCounter:
    """Lines of a text: LF count, plus a last line without LF. With `index`, also the LF count
    before every INDEX_STEP bytes (chunks are multiples of INDEX_STEP until the last)."""

    def __init__(self, index: bool = False):
        self.newlines, self.last = 0, b"\n"
        self.index = array("q") if index else None

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self.index is None:
            self.newlines += chunk.count(b"\n")
        else:
            for start in range(0, len(chunk), INDEX_STEP):
                self.index.append(self.newlines)
                self.newlines += chunk.count(b"\n", start, start + INDEX_STEP)
        self.last = chunk[-1:]

    @property
    def lines(self) -> int:
        return self.newlines + (0 if self.last == b"\n" else 1)


class _LineState:
    """Line-ending check over consecutive chunks: all LF, or all CRLF, no 0x1F byte, no byte
    order mark, and no line longer than READER_LINE bytes."""

    def __init__(self):
        self.simple, self.crlf_seen, self.lf_seen, self.pending_cr = True, False, False, False
        self.started, self.line_length = False, 0

    def feed(self, chunk: bytes) -> None:
        if not chunk or not self.simple:
            return
        if not self.started:
            self.started = True
            if text_encoding(chunk[:4]):
                self.simple = False
                return
        if not self._short_lines(chunk):
            self.simple = False
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

    def _short_lines(self, chunk: bytes) -> bool:
        """Does every line end within READER_LINE bytes? Jumps from the last LF of one window of
        that size to the next, so a chunk costs a couple of rfind calls, not one per line."""
        position, size = 0, len(chunk)
        while True:
            window_end = position + READER_LINE - self.line_length + 1  # an LF must come before it
            if window_end > size:
                last = chunk.rfind(b"\n", position)
                self.line_length = self.line_length + size - position if last < 0 else size - last - 1
                return True
            last = chunk.rfind(b"\n", position, window_end)
            if last < 0:
                return False
            position, self.line_length = last + 1, 0


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
        stage_text_lines(con, path, exact or not (scan or scan_file(path)).simple_lines,
                         max_line=None if layout == "document" else MAX_LINE)
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


def stage_text_lines(con: duckdb.DuckDBPyConnection, path: Path, exact: bool, max_line: int | None = MAX_LINE) -> None:
    """Every line of a text file, numbered, as the view `staged_lines` (blank lines too).

    DuckDB's line reader streams the file when the view is read; lines it cannot read (not UTF-8,
    longer than READER_LINE) are skipped and listed in `staging_rejects` instead of raising. Afterwards,
    `unreadable_lines_met` tells the ingest to stage the file again with `exact=True`.
    """
    con.execute("DROP TABLE IF EXISTS staging_rejects")
    con.execute("DROP TABLE IF EXISTS staging_scans")
    if exact:
        stage_lines_exactly(con, path, max_line)
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


def read_lines(path: Path, scan: FileScan, numbers: list[int]) -> list[str]:
    """The text of the given lines (1-based, ascending) of a simple plain file, as DuckDB's line
    reader gives it (no line end; a line that is not UTF-8 marked as the exact path marks it),
    found through scan.line_index: one granule read per line instead of a rescan of the file."""
    index, texts = scan.line_index, []
    with open(path, "rb") as handle:
        for number in numbers:
            handle.seek(_line_start(handle, index, number))
            line = handle.readline().rstrip(b"\n").removesuffix(b"\r")
            try:
                texts.append(line.decode("utf-8"))
            except UnicodeDecodeError:
                texts.append(UNREADABLE_MARK + line.decode("utf-8", errors="replace"))
    return texts


def _line_start(handle, index: array, number: int) -> int:
    """Byte offset where line `number` starts: just after the file's (number - 1)th LF."""
    wanted = number - 1
    if wanted == 0:
        return 0
    granule = bisect_left(index, wanted) - 1  # the granule holding that LF
    handle.seek(granule * INDEX_STEP)
    data = handle.read(INDEX_STEP)
    position = -1
    for _ in range(wanted - index[granule]):
        position = data.index(b"\n", position + 1)
    return granule * INDEX_STEP + position + 1


def stage_lines_exactly(con: duckdb.DuckDBPyConnection, path: Path, max_line: int | None = MAX_LINE) -> None:
    """Fallback for the rare file with bytes that are not UTF-8, stray CRs or 0x1F, a byte order
    mark, very long lines or a damaged gzip: split in Python (LF, CRLF and a lone CR each end a
    line), number every line, mark undecodable ones so they become rejects "not UTF-8" and lines
    longer than `max_line` bytes so they become rejects "line longer than 16 MB" (only their
    first bytes are kept), and record where a damaged gzip stops. Valid files never take this path."""
    import pyarrow as pa

    lines = _ExactLines(max_line)
    try:
        for chunk in decompressed_chunks(path, CHUNK):
            lines.feed(chunk)
    except DamagedGzip as exc:
        lines.finish()
        add_problem(con, lines.number + 1, f"{exc}: the rest of the file is unreadable")
    lines.finish()
    table = pa.table({"source_line": pa.array(lines.numbers, pa.int64()), "raw": pa.array(lines.texts, pa.string())})
    con.register("exact_lines", table)
    try:
        con.execute(query("stage_exact_lines"))
    finally:
        con.unregister("exact_lines")


class _ExactLines:
    """Numbered lines of a text fed in chunks. The line being assembled is a list of parts, so a
    long line is not copied once per chunk; past `max_line` bytes only its first bytes are kept."""

    def __init__(self, max_line: int | None):
        self.max_line, self.numbers, self.texts, self.number = max_line, [], [], 0
        self.parts: list[bytes] = []
        self.length = 0  # bytes of the line being assembled, kept or not
        self.pending_cr = False  # the last chunk ended with a CR: an LF starting this one is its pair

    def feed(self, chunk: bytes) -> None:
        if self.pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self.pending_cr = chunk.endswith(b"\r")
        if b"\r" in chunk:  # CR LF, and a lone CR, end a line as LF does
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        pieces = chunk.split(b"\n")
        for piece in pieces[:-1]:
            self._extend(piece)
            self._end_line()
        self._extend(pieces[-1])

    def finish(self) -> None:
        if self.length:
            self._end_line()

    def _extend(self, piece: bytes) -> None:
        if piece and (self.max_line is None or self.length <= self.max_line):
            self.parts.append(piece)
        self.length += len(piece)

    def _end_line(self) -> None:
        line = b"".join(self.parts)
        length = self.length
        self.parts, self.length = [], 0
        self._add(line_text(line, length, self.max_line))

    def _add(self, text: str) -> None:
        self.number += 1
        self.numbers.append(self.number)
        self.texts.append(text)


def add_problem(con: duckdb.DuckDBPyConnection, line: int | None, reason: str, raw: str | None = None,
                whole_file: bool = False) -> None:
    """Record a part of the file that is no record (it becomes a reject). A `whole_file` problem
    (the file is not what its layout needs at all) makes the file an error when nothing else of
    it is a record: the run exits 1 and the next run tries the file again."""
    con.execute(query("add_staged_problem"), {"source_line": line, "reason": reason, "raw": raw,
                                              "whole_file": whole_file})


def whole_file_problem(con: duckdb.DuckDBPyConnection) -> str | None:
    """The reason of the first whole-file problem staged, if any."""
    return scalar(con, "first_whole_file_problem")


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path, sample: Sample | None) -> None:
    """CSV rows as JSON objects of strings, parsed by DuckDB; malformed rows become problems.
    The parse runs in a connection of its own (in memory, with the store's limits): DuckDB's CSV
    reader raises on some inputs whatever its options (random bytes), and an error inside the
    ingest transaction would abort the whole run. Such a file is one whole-file problem."""
    columns = csv_columns(sample.columns if sample else [])
    if not columns:
        add_problem(con, 1, "no CSV header", whole_file=True)
        con.execute(query("stage_no_items"))
        con.execute(query("stage_records_from_items"))
        return
    settings = first_row(con, "staging_limits")
    with plain_copy(con, path) as source, duckdb.connect(config={
            "memory_limit": settings["memory_limit"], "temp_directory": settings["temp_directory"],
            "autoinstall_known_extensions": False, "autoload_known_extensions": False}) as side:
        try:
            side.execute(query("stage_csv"), {
                "path": str(source), "columns": {name: "VARCHAR" for name in columns},
                "delimiter": (sample.delimiter if sample else ","),
            })
            items = side.sql(query("staged_items_rows")).to_arrow_table()
            problems = side.execute(query("problems_from_csv_rejects")).fetchall()
        except duckdb.Error as exc:
            add_problem(con, None, f"not a readable CSV file: {first_line(exc)}", whole_file=True)
            con.execute(query("stage_no_items"))
        else:
            for line, reason, raw in problems:
                add_problem(con, line, reason, raw)
            con.register("csv_items", items)
            try:
                con.execute(query("stage_registered_items"))
            finally:
                con.unregister("csv_items")
    con.execute(query("stage_records_from_items"))


def first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


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
        add_problem(con, None, f"not a readable Parquet file: {first_line(exc)}", whole_file=True)
        con.execute(query("stage_no_items"))
    else:
        con.register("parquet_rows", table)
        try:
            con.execute(query("stage_parquet"))
        finally:
            con.unregister("parquet_rows")
    con.execute(query("stage_records_from_items"))
