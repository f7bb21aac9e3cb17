"""Inside Spark tasks: the store's own staging SQL over what Spark read (README "When one machine
is not enough", `ingest --engine spark`).

Spark reads the logs (any URI it can read), splits large JSON Lines files across tasks, and does
the identity and the lake writes (analyzer/sparkingest.py); each task turns its share of records
into canonical rows with the very queries the store's ingest runs (stage_usage and the reader's
query, in an in-memory DuckDB of its own), so columns, rejects, attribution and identity keys do
not depend on the engine. Two inputs:

- numbered lines of JSON Lines files (`stage_line_batches`): Spark's text reader gives each
  line's bytes with the file and the start of the split holding it; the line number is the
  split's first line (counted by the driver) plus the line's position in the split;
- whole files (`stage_file_batches`, everything else: documents, CSV, Parquet, SSE, gzip files
  without a .gz name): the bytes are written to a temporary file and staged exactly as the
  store's ingest stages a file.

A task yields Arrow batches of STAGED columns: the file's position in the run (`file_order`), the
file as the store names it (`source_file`), `file_problem` (the whole-file problem of a file
none of whose records could be read) and the store's staged columns.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

LINES_PER_CALL = 200_000  # lines staged by one DuckDB statement in a task


@dataclass(frozen=True)
class PlannedFile:
    """One file of a Spark ingest, as the driver planned it: what Spark calls it (`uri`), what the
    store calls it (`key`), its place in the run, the reader and its stage_usage parameters, and
    the sample detection saw (whole files are staged with it)."""

    uri: str
    key: str
    order: int
    reader: str
    query: str
    params: dict
    sample: object
    split: bool  # read as lines split across tasks; else as a whole file
    name: str  # the file's own name (a whole file's temporary copy keeps its suffixes)


def task_connection():
    """A task's in-memory DuckDB: UTC, one thread and a bounded memory (Spark runs the tasks side
    by side), no extension downloads, the staging macros made."""
    import duckdb

    from analyzer.sqlfiles import query

    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                             "autoload_known_extensions": False,
                                             "threads": 1, "memory_limit": "1GB"})
    con.execute("SET TimeZone = 'UTC'")
    con.execute(query("create_reader_macros"))
    con.execute(query("create_usage_macros"))
    return con


def staged_arrow_schema():
    """The Arrow schema of a task's output: spark_staged_rows over an empty staged table of this
    version's usage columns (the single place the columns are listed is the schema)."""
    from analyzer.sqlfiles import query
    from analyzer.store import memory_store

    with memory_store() as con:
        con.execute(query("spark_empty_staged"))
        return con.sql(query("spark_staged_rows"),
                       params={"order": 0, "source_file": "", "file_problem": None}).to_arrow_table().schema


def _texts(values):
    """Line bytes as the store's exact line reader gives them: UTF-8 text; a line that is not
    UTF-8 marked (a reject "not UTF-8"), a line over 16 MB cut to its first bytes and marked."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from analyzer.staging import MAX_LINE, line_text

    longest = pc.max(pc.binary_length(values)).as_py() or 0
    if longest <= MAX_LINE:
        try:
            return values.cast(pa.string())  # validates UTF-8 for the whole batch at once
        except pa.ArrowInvalid:
            pass
    # the rare batch with a line that is not UTF-8 or too long
    texts = [line_text(value, len(value)) for value in values.to_pylist()]
    return pa.array(texts, pa.string())


def _stage_lines(con, planned: PlannedFile, numbers, texts, schema):
    """The staged rows of some numbered lines of one file, as an Arrow table of `schema`."""
    import pyarrow as pa

    from analyzer.sqlfiles import query, run_composed

    con.execute(query("create_staged_problems"))
    con.register("exact_lines", pa.table({"source_line": numbers, "raw": texts}))
    try:
        con.execute(query("stage_exact_lines"))
    finally:
        con.unregister("exact_lines")
    con.execute(query("stage_records_from_lines"))
    con.execute(query("stage_objects"))
    con.execute(query("stage_bucket_results"))
    run_composed(con, "stage_usage", planned.params, reader=planned.query)
    return _staged(con, planned, None, schema)


def _staged(con, planned: PlannedFile, problem: str | None, schema):
    from analyzer.sqlfiles import query

    table = con.sql(query("spark_staged_rows"), params={
        "order": planned.order, "source_file": planned.key, "file_problem": problem}).to_arrow_table()
    return table.select(schema.names).cast(schema)


def stage_line_batches(plan: dict[str, PlannedFile], first_lines: dict[tuple[str, int], int], schema):
    """The mapInArrow function over (file_path, block_start, value) batches of Spark's text reader:
    each line numbered (`first_lines[(file, block)]` is the number of the split's first line) and
    staged, a file's consecutive lines LINES_PER_CALL at a time."""
    import pyarrow as pa

    def run(batches: Iterator) -> Iterator:
        con = task_connection()
        seen: dict[tuple[str, int], int] = {}  # lines of each split met so far in this task
        pending: list = []  # (file, numbers, texts) of one file, not staged yet
        size = 0

        def flush():
            nonlocal pending, size
            if pending:
                planned = plan[pending[0][0]]
                numbers = pa.concat_arrays([p[1] for p in pending])
                texts = pa.concat_arrays([p[2] for p in pending])
                pending, size = [], 0
                yield from _stage_lines(con, planned, numbers, texts, schema).to_batches()

        try:
            for batch in batches:
                files = batch.column("file_path").to_pylist()
                blocks = batch.column("block_start").to_pylist()
                values = batch.column("value")
                start = 0
                while start < len(files):  # runs of one split within the batch
                    end = start
                    while end < len(files) and files[end] == files[start] and blocks[end] == blocks[start]:
                        end += 1
                    key = (files[start], blocks[start])
                    before = seen.get(key, 0)
                    seen[key] = before + end - start
                    first = first_lines[key] + before
                    if pending and pending[0][0] != files[start]:
                        yield from flush()
                    pending.append((files[start], pa.array(range(first, first + end - start), pa.int64()),
                                    _texts(values.slice(start, end - start))))
                    size += end - start
                    if size >= LINES_PER_CALL:
                        yield from flush()
                    start = end
            yield from flush()
        finally:
            con.close()

    return run


def stage_file_batches(plan: dict[str, PlannedFile], schema):
    """The mapInArrow function over (path, content) batches of Spark's binaryFile reader: each file
    written to a temporary file and staged as the store's ingest stages it."""
    from analyzer.ingest import stage_usage_file
    from analyzer.readers import reader_named
    from analyzer.sqlfiles import first_row
    from analyzer.staging import scan_file, whole_file_problem

    def run(batches: Iterator) -> Iterator:
        con = task_connection()
        try:
            with tempfile.TemporaryDirectory(prefix="llm-spend-spark-") as folder:
                for batch in batches:
                    for path, content in zip(batch.column("path").to_pylist(), batch.column("content").to_pylist()):
                        planned = plan[path]
                        local = Path(folder) / planned.name
                        local.write_bytes(content)
                        con.execute("DROP TABLE IF EXISTS staged")
                        stage_usage_file(con, local, reader_named(planned.reader), planned.sample,
                                         scan_file(local), planned.params)
                        counts = first_row(con, "count_staged")
                        problem = whole_file_problem(con)
                        problem = problem if problem and counts["rows_read"] == counts["rejects"] else None
                        local.unlink()
                        yield from _staged(con, planned, problem, schema).to_batches()
        finally:
            con.close()

    return run
