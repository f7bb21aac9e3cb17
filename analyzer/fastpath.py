"""Fast path for the plain JSONL files the tool meets most: OpenAI chat, OpenAI batch output and
Anthropic messages, one record per line.

DuckDB's `read_json` parses in parallel, but gives no line numbers; the general path numbers raw
lines first and so parses on one thread. Here the parse comes first, into a temp table whose
rowids (insertion order is kept) give the line, which is only right when every line gave one row: the row count
must equal the line count that staging.scan_file took (blank lines and exotic lines make them
differ, and the file then takes the general path). A reader that has a fast path names the
columns to parse (`fast_columns`) and a query over them (`fast_query`) that gives the canonical
columns for the rows it can price as they are; rows it gives a reason, and rows the common checks
reject, are read again from their raw lines by the reader's general query, so reasons, hashes and
reject text do not depend on the path taken. Attribution is read from the top-level keys the
configured paths start from (ROOTS), kept as JSON, instead of from the whole line.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from analyzer.readers import Reader, Sample
from analyzer.sqlfiles import first_row, query, run_composed, scalar
from analyzer.staging import FileScan, is_gzip, read_lines

# Top-level keys kept as JSON for attribution; a configured path starting elsewhere disables the path.
ROOTS = ("metadata", "request", "user", "team_id", "end_user", "project_id", "api_key_id")
NONE_PATH = "$.__none__"  # attribution_params' stand-in when no path is configured at all


def path_root(path: str) -> str:
    """`$.metadata.tenant` -> metadata; `$."a b".c` -> a b."""
    rest = path[2:] if path.startswith("$.") else ""
    if rest.startswith('"'):
        return rest[1:].split('"', 1)[0]
    return rest.split(".", 1)[0].split("[", 1)[0]


def path_below_root(path: str) -> str:
    """The path relative to its root key: `$.metadata.tenant` -> `$.tenant`; `$.user` -> `$`."""
    root = path_root(path)
    rest = path[2:]
    return "$" + rest[len(root) + 2 if rest.startswith('"') else len(root):]


def applies(reader: Reader, sample: Sample, layout: str, scan: FileScan | None, params: dict) -> bool:
    """Plain JSONL of a reader with a fast path (not a stream), a counted simple file,
    attribution within ROOTS."""
    return (reader.fast_query is not None and layout == "lines" and not sample.streamed
            and scan is not None and scan.simple_lines and scan.lines is not None
            and all(path_root(p) in ROOTS for p in params["paths"] if p != NONE_PATH))


def fast_params(params: dict, first_rowid: int) -> dict:
    """stage_usage's parameters for a fast reader: $root_paths (per root key, the paths below it,
    for spend_fast_found) and every $<field>_slots renumbered to that key-after-key order. A root
    without paths gets the stand-in path, so each part of the list has a fixed length."""
    by_root: dict[str, list[tuple[int, str]]] = {root: [] for root in ROOTS}
    for position, path in enumerate(params["paths"], start=1):
        if path != NONE_PATH:
            by_root[path_root(path)].append((position, path_below_root(path)))
    root_paths, order = {}, []
    for root in ROOTS:
        entries = by_root[root] or [(None, NONE_PATH)]
        root_paths[root] = [below for _, below in entries]
        order.extend(position for position, _ in entries)
    renumbered = {position: new for new, position in enumerate(order, start=1) if position is not None}
    slots = {key: [renumbered.get(slot, 0) for slot in value]
             for key, value in params.items() if key.endswith("_slots")}
    return dict(params, **slots, root_paths=root_paths, first_rowid=first_rowid)


def parse(con: duckdb.DuckDBPyConnection, path: Path, reader: Reader) -> None:
    """The file parsed by read_json into `fast_parsed`, with the reader's columns and ROOTS."""
    con.execute(query("create_fast_macros"))
    columns = dict(first_row(con, reader.fast_columns), **{root: "JSON" for root in ROOTS})
    con.execute(query("parse_fast"), {
        "path": str(path), "columns": columns, "compression": "gzip" if is_gzip(path) else "none"})


def stage_usage_fast(con: duckdb.DuckDBPyConnection, path: Path, reader: Reader, sample: Sample,
                     scan: FileScan, params: dict, on_parsed=None) -> bool:
    """Build `staged` through the fast path; False (nothing staged) when the row count says the
    lines are not one row each, and the caller takes the general path. `on_parsed(rows)` is told
    when the file has been parsed (the progress line)."""
    parse(con, path, reader)
    if scalar(con, "count_fast_parsed") != scan.lines:
        con.execute(query("drop_fast_parsed"))
        return False
    if on_parsed is not None:
        on_parsed(scan.lines)
    run_composed(con, "stage_usage", fast_params(params, scalar(con, "first_fast_rowid")), reader=reader.fast_query)
    con.execute(query("set_aside_fast_rows"))
    con.execute(query("fast_lines_needing_raw"))
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
