"""Where llm-spend's ingest spends its time: replay one file's ingest step by step, timed.

Runs the same named queries, in the same order, as `analyzer.ingest.Ingest` does for one new
file into a fresh store (pre-scan, hash, sample, stage lines, normalise, count, rejects,
dedupe + insert, run tokens, commit, checkpoint), then a few alternative formulations of the
expensive steps, so a proposed change comes with a measurement. It reads the library's queries
but changes nothing in it. A profile, not a benchmark: one run, no medians.

    python benchmarks/profile_ingest.py benchmarks/data/usage-1000000.jsonl --rates benchmarks/data/rates.csv
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


class Timer:
    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = []

    @contextmanager
    def step(self, name: str):
        began = time.perf_counter()
        yield
        seconds = time.perf_counter() - began
        self.steps.append((name, seconds))
        print(f"  {seconds:8.3f} s  {name}", flush=True)


def replay_ingest(path: Path, rates: Path | None, store: Path, timer: Timer) -> None:
    """The steps of Ingest.run / Ingest._read for one new file, each timed."""
    from analyzer import ingest, staging
    from analyzer.config import Config
    from analyzer.rates import load_card
    from analyzer.readers import detect_reader, read_sample
    from analyzer.sqlfiles import compose, first_row, query, scalar
    from analyzer.store import open_store

    key = str(path.resolve())
    with open_store(store) as con:
        if rates:
            load_card(con, rates)
        attribution = ingest.attribution_params(Config())
        with timer.step("BEGIN + next_run_id + manifest_entries"):
            con.execute("BEGIN TRANSACTION")
            run_id = scalar(con, "next_run_id")
            con.execute(query("manifest_entries")).fetchall()
        with timer.step("stat + file_hash (Python, whole file)"):
            stat = path.stat()
            digest = ingest.file_hash(path)
        with timer.step("forget_rejects"):
            con.execute(query("forget_rejects"), {"source_file": key})
        with timer.step("read_sample + detect_reader"):
            reader = detect_reader(read_sample(path), path)
        with timer.step("has_simple_lines (Python pre-scan, whole file)"):
            simple = staging.has_simple_lines(path)
        with timer.step("stage_lines (read_csv -> temp table staged_lines)"):
            con.execute("DROP TABLE IF EXISTS staging_rejects")
            con.execute("DROP TABLE IF EXISTS staging_scans")
            con.execute(query("stage_lines"), {"path": str(path), "compression": "none"})
        with timer.step("count_unreadable_lines + stage_records_from_lines"):
            assert simple and not scalar(con, "count_unreadable_lines")
            con.execute(query("stage_records_from_lines"))
        params = dict(attribution, mode=None, default_mode=reader.mode, provider=reader.provider,
                      mark=staging.UNREADABLE_MARK)
        with timer.step("stage_usage (JSON parse, checks, attribution -> temp table staged)"):
            con.execute(compose("stage_usage", reader=reader.query), params)
        with timer.step("count_staged"):
            counts = first_row(con, "count_staged")
        with timer.step("insert_rejects"):
            con.execute(query("insert_rejects"), {"source_file": key, "run_id": run_id})
        with timer.step("insert_new_usage (row_number dedupe + anti-join + insert)"):
            new = con.execute(query("insert_new_usage"), {"source_file": key, "run_id": run_id}).fetchall()[0][0]
        with timer.step("record_file"):
            con.execute(query("record_file"), {
                "path": key, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "content_hash": digest,
                "format": reader.name, "rows_read": counts["rows_read"], "rows_new": new,
                "rejects": counts["rejects"], "run_id": run_id})
        with timer.step("run_tokens (priced_usage WHERE run_id)"):
            first_row(con, "run_tokens", {"run_id": run_id})
        with timer.step("COMMIT"):
            con.execute("COMMIT")
        with timer.step("CHECKPOINT"):
            con.execute("CHECKPOINT")
        print(f"  rows read {counts['rows_read']:,}, new {new:,}, rejects {counts['rejects']:,}")


# Alternatives to the expensive steps, each a self-contained statement on the same file.
READ_JSON_COLUMNS = """{id: 'VARCHAR', created: 'BIGINT', model: 'VARCHAR',
    usage: 'STRUCT(prompt_tokens BIGINT, completion_tokens BIGINT, cached_tokens BIGINT, reasoning_tokens BIGINT,
                   prompt_tokens_details STRUCT(cached_tokens BIGINT),
                   completion_tokens_details STRUCT(reasoning_tokens BIGINT))',
    metadata: 'JSON', "user": 'VARCHAR'}"""

ALTERNATIVES = {
    "read_csv lines only (count)": """
        SELECT count(*) FROM read_csv($path, columns = {'line': 'VARCHAR'}, delim = E'\\x1f', quote = '',
            escape = '', header = false, auto_detect = false, strict_mode = false, max_line_size = 1000000000,
            ignore_errors = true)""",
    "read_csv lines + row_number() OVER () (count)": """
        SELECT count(*) FROM (SELECT row_number() OVER () AS n, line FROM read_csv($path,
            columns = {'line': 'VARCHAR'}, delim = E'\\x1f', quote = '', escape = '', header = false,
            auto_detect = false, strict_mode = false, max_line_size = 1000000000, ignore_errors = true))""",
    "json_transform over staged_lines (count)": """
        SELECT count(r.id) FROM (SELECT json_transform(raw, '{"id": "VARCHAR", "created": "BIGINT",
            "model": "VARCHAR", "usage": {"prompt_tokens": "BIGINT"}, "metadata": "JSON"}') AS r
            FROM staged_lines WHERE json_valid(raw))""",
    "json_transform of the reader's full structure over staged_lines (count)": """
        SELECT count(r.id) FROM (SELECT json_transform(CASE WHEN json_valid(raw) THEN raw END, '{
            "id": "VARCHAR", "created": "BIGINT", "model": "VARCHAR",
            "usage": {"prompt_tokens": "BIGINT", "completion_tokens": "BIGINT",
                      "prompt_tokens_details": {"cached_tokens": "BIGINT"},
                      "completion_tokens_details": {"reasoning_tokens": "BIGINT"},
                      "cached_tokens": "BIGINT", "reasoning_tokens": "BIGINT"},
            "metadata": "JSON"}') AS r FROM staged_lines)""",
    "md5(raw) over staged_lines (count)": """
        SELECT count(DISTINCT md5(raw)) FROM staged_lines""",
    "json_valid + json_type over staged_lines (count)": """
        SELECT count(*) FILTER (WHERE json_type(CASE WHEN json_valid(raw) THEN raw END) = 'OBJECT')
        FROM staged_lines""",
    "json_valid only over staged_lines (count)": """
        SELECT count(*) FILTER (WHERE json_valid(raw)) FROM staged_lines""",
    "json_extract_string(raw, 13 attribution paths) over staged_lines (count)": """
        SELECT count(found[1]) FROM (SELECT json_extract_string(raw, ['$.metadata.tenant',
            '$.request.metadata.tenant', '$.team_id', '$.metadata.feature', '$.request.metadata.feature',
            '$.metadata.environment', '$.request.metadata.environment', '$.user', '$.request.user',
            '$.end_user', '$.metadata.project', '$.request.metadata.project', '$.project_id']) AS found
            FROM (SELECT CASE WHEN json_valid(raw) THEN raw END AS raw FROM staged_lines))""",
    "json_extract_string(raw, '$.metadata.tenant') over staged_lines (count)": """
        SELECT count(json_extract_string(raw, '$.metadata.tenant'))
        FROM (SELECT CASE WHEN json_valid(raw) THEN raw END AS raw FROM staged_lines)""",
    "coalesce(json id, md5(raw)) over staged_lines (count)": """
        SELECT count(DISTINCT coalesce(raw->>'id', md5(raw)))
        FROM (SELECT CASE WHEN json_valid(raw) THEN raw END AS raw FROM staged_lines)""",
    "raw->>'id' over staged_lines (count)": """
        SELECT count(DISTINCT raw->>'id')
        FROM (SELECT CASE WHEN json_valid(raw) THEN raw END AS raw FROM staged_lines)""",
    "read_json explicit columns, ignore_errors (count)": f"""
        SELECT count(*) FROM read_json($path, format = 'newline_delimited', ignore_errors = true,
            columns = {READ_JSON_COLUMNS})""",
    "read_json explicit columns + metadata fields (count)": f"""
        SELECT count(metadata->>'tenant'), count(metadata->>'feature'), count(metadata->>'environment')
        FROM read_json($path, format = 'newline_delimited', ignore_errors = true, columns = {READ_JSON_COLUMNS})""",
    "anti-join of staged ids against usage (count)": """
        SELECT count(*) FROM staged s ANTI JOIN usage u ON u.request_id = s.request_id""",
    "QUALIFY row_number() dedupe of staged (count)": """
        SELECT count(*) FROM (SELECT * FROM staged WHERE reason IS NULL
            QUALIFY row_number() OVER (PARTITION BY request_id ORDER BY source_line) = 1)""",
    "arg_min dedupe of staged ids (count)": """
        SELECT count(*) FROM (SELECT request_id, min(source_line) FROM staged WHERE reason IS NULL
            GROUP BY request_id)""",
}


def alternatives(path: Path, store: Path, timer: Timer) -> None:
    from analyzer.store import open_store

    with open_store(store) as con:
        # staged_lines / staged are temp tables of the replay's connection: rebuild them here.
        from analyzer import staging
        from analyzer.config import Config
        from analyzer.ingest import attribution_params
        from analyzer.readers import detect_reader, read_sample
        from analyzer.sqlfiles import compose, query

        reader = detect_reader(read_sample(path), path)
        con.execute(query("stage_lines"), {"path": str(path), "compression": "none"})
        con.execute(query("stage_records_from_lines"))
        con.execute(compose("stage_usage", reader=reader.query), dict(
            attribution_params(Config()), mode=None, default_mode=reader.mode, provider=reader.provider,
            mark=staging.UNREADABLE_MARK))
        for name, sql in ALTERNATIVES.items():
            with timer.step(name):
                con.execute(sql, {"path": str(path)} if "$path" in sql else {}).fetchall()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, help="an OpenAI chat JSONL file (benchmarks/generate.py)")
    parser.add_argument("--rates", type=Path, help="rate card to load first")
    parser.add_argument("--json", type=Path, help="also write the step timings here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="llm-spend-profile-") as tmp:
        store = Path(tmp) / "profile.duckdb"
        print(f"ingest steps, {args.file} into a fresh store:")
        steps = Timer()
        began = time.perf_counter()
        replay_ingest(args.file, args.rates, store, steps)
        total = time.perf_counter() - began
        print(f"  {total:8.3f} s  total (peak RSS so far {peak_rss_mb():,.0f} MB)")
        print("alternatives and parts, same file:")
        others = Timer()
        alternatives(args.file, store, others)
    if args.json:
        args.json.write_text(json.dumps({"file": str(args.file), "ingest_steps": steps.steps, "total": total,
                                         "alternatives": others.steps}, indent=2))
    return 0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main())
