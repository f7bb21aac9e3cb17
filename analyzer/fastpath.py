"""Fast path for the file the tool meets most: plain OpenAI chat JSONL.

DuckDB's `read_json` parses in parallel, but gives no line numbers; the general path numbers raw
lines first and so parses on one thread. Here the parse comes first, into a temp table whose
rowids (insertion order is kept) give the line, which is only right when every line gave one row: the row count
must equal the line count that staging.scan_file took (blank lines and exotic lines make them
differ, and the file then takes the general path). Rows that are not plainly priceable, and rows
the common checks reject, are read again from their raw lines by the general reader, so reasons,
hashes and reject text do not depend on the path taken.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from analyzer.readers import Reader, Sample
from analyzer.sqlfiles import query, run_composed, scalar
from analyzer.staging import FileScan, is_gzip, read_lines

# Top-level keys kept as JSON for attribution; a configured path starting elsewhere disables the path.
ROOTS = ("metadata", "request", "user", "team_id", "end_user", "project_id", "api_key_id")
# The parsed columns; `usage` takes its type from the one Chat Completions usage shape (chat_usage_type).
COLUMNS = {
    "id": "VARCHAR", "created": "DOUBLE", "model": "VARCHAR", "service_tier": "VARCHAR", "usage": None,
    "metadata": "JSON", "request": "JSON", "user": "VARCHAR", "team_id": "VARCHAR",
    "end_user": "VARCHAR", "project_id": "VARCHAR", "api_key_id": "VARCHAR",
}


def path_root(path: str) -> str:
    """`$.metadata.tenant` -> metadata; `$."a b".c` -> a b."""
    rest = path[2:] if path.startswith("$.") else ""
    if rest.startswith('"'):
        return rest[1:].split('"', 1)[0]
    return rest.split(".", 1)[0].split("[", 1)[0]


def applies(reader: Reader, sample: Sample, layout: str, scan: FileScan | None, params: dict) -> bool:
    """Plain chat JSONL (not a stream), a counted simple file, attribution within ROOTS."""
    return (reader.fast_query is not None and layout == "lines" and not sample.streamed
            and scan is not None and scan.simple_lines and scan.lines is not None
            and all(path_root(p) in ROOTS for p in params["paths"] if p != "$.__none__"))


def stage_usage_fast(con: duckdb.DuckDBPyConnection, path: Path, reader: Reader, sample: Sample,
                     scan: FileScan, params: dict, on_parsed=None) -> bool:
    """Build `staged` through the fast path; False (nothing staged) when the row count says the
    lines are not one row each, and the caller takes the general path. `on_parsed(rows)` is told
    when the file has been parsed (the progress line)."""
    columns = dict(COLUMNS, usage=scalar(con, "chat_usage_type"))
    con.execute(query("parse_openai_chat_fast"), {
        "path": str(path), "columns": columns, "compression": "gzip" if is_gzip(path) else "none"})
    if scalar(con, "count_fast_parsed") != scan.lines:
        return False
    if on_parsed is not None:
        on_parsed(scan.lines)
    first_rowid = scalar(con, "first_fast_rowid")
    run_composed(con, "stage_usage", dict(params, first_rowid=first_rowid), reader=reader.fast_query)
    con.execute(query("set_aside_fast_rows"))
    con.execute(query("fast_lines_needing_raw"), {"first_rowid": first_rowid})
    if scalar(con, "count_fast_raw_lines"):
        con.execute(query("drop_fast_rejects"))
        stage_raw_lines(con, path, scan)
        con.execute(query("stage_objects"))
        run_composed(con, "stage_usage", params, reader=reader.query_for(sample))
        con.execute(query("merge_raw_rows"))
    else:
        con.execute(query("use_fast_rows"))
    return True


def stage_raw_lines(con: duckdb.DuckDBPyConnection, path: Path, scan: FileScan) -> None:
    """`staged_records` for the lines in fast_raw_lines. A plain file's lines are read at their
    offsets (scan.line_index); a gzip file is scanned again by DuckDB's line reader."""
    if scan.line_index is None:
        con.execute(query("stage_records_for_raw_lines"))
        return
    import pyarrow as pa

    numbers = [row[0] for row in con.execute(query("fast_raw_line_numbers")).fetchall()]
    table = pa.table({"source_line": pa.array(numbers, pa.int64()),
                      "raw": pa.array(read_lines(path, scan, numbers), pa.string())})
    con.register("fast_raw_text", table)
    try:
        con.execute(query("stage_records_from_raw_text"))
    finally:
        con.unregister("fast_raw_text")
