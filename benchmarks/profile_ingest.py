"""Where llm-spend's ingest spends its time, and what one change to its SQL would save.

Three parts, all on one file (a profile, not a benchmark: medians only where it says so):

  steps     the library's own `Ingest.run` on a fresh store, every Python step it calls
            (scan/hash, sample, detect, stage) and every SQL statement it executes timed and
            labelled with its named query; nothing is re-implemented here, so the profile
            follows the code as it changes.
  parts     the cost of single expressions (JSON validation, transform, path extraction, blank
            line tests, DuckDB's read_json) over the file's lines, on a private table.
  variants  the library's stage_usage statement against the same statement with ONE textual
            change (e.g. no try()), interleaved round by round inside a transaction as the
            ingest runs it, with a row-for-row check (EXCEPT ALL both ways) that the output is
            the same. A variant whose anchor text is no longer in the query is skipped.

    python benchmarks/profile_ingest.py benchmarks/data/usage-1000000.jsonl --rates benchmarks/data/rates.csv
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
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
        try:
            yield
        finally:
            seconds = time.perf_counter() - began
            self.steps.append((name, seconds))
            print(f"  {seconds:8.3f} s  {name}", flush=True)


def query_names() -> dict[str, str]:
    """SQL text -> query name, to label the statements the library executes."""
    from analyzer import sqlfiles

    return {sql.strip(): name for name, sql in sqlfiles._all_queries().items()}


class TimedConnection:
    """A DuckDB connection whose execute() is timed and labelled; everything else passes through."""

    def __init__(self, con, timer: Timer, names: dict[str, str]):
        self._con, self._timer, self._names = con, timer, names

    def _label(self, sql: str) -> str:
        text = sql.strip()
        if text in self._names:
            return f"sql {self._names[text]}"
        if "CREATE OR REPLACE TEMP TABLE staged AS" in text:
            return "sql stage_usage (reader composed in: reads the file, parses, checks, attributes)"
        return "sql " + " ".join(text.split())[:70]

    def execute(self, sql, *args, **kwargs):
        with self._timer.step(self._label(sql)):
            result = self._con.execute(sql, *args, **kwargs)
        return result

    def __getattr__(self, name):
        return getattr(self._con, name)


def timed_function(module, name: str, timer: Timer, label: str):
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        with timer.step(label):
            return original(*args, **kwargs)

    setattr(module, name, wrapper)
    return original


def profile_steps(path: Path, rates: Path | None, store: Path, timer: Timer) -> dict:
    """Run the library's ingest of `path` into a fresh store, every step timed."""
    from analyzer import ingest
    from analyzer.config import Config
    from analyzer.rates import load_card
    from analyzer.store import open_store

    # the connection the CLI opens: with the config's memory limit (the temp tables spill at it)
    with open_store(store, extra={"memory_limit": Config().memory_limit}) as con:
        if rates:
            load_card(con, rates)
        patched = {name: timed_function(ingest, name, timer, label) for name, label in (
            ("file_hash", "python file_hash / scan (one read: hash + line-ending check)"),
            ("read_sample", "python read_sample"),
            ("detect_reader", "python detect_reader"),
            ("stage_file", "python stage_file (sets up views; may run SQL, timed apart below)"),
        )}
        try:
            began = time.perf_counter()
            summary = ingest.Ingest(TimedConnection(con, timer, query_names()), Config()).run([str(path)])
            total = time.perf_counter() - began
        finally:
            for name, original in patched.items():
                setattr(ingest, name, original)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {total:8.3f} s  total Ingest.run; rows read {summary.total('rows_read'):,}, "
          f"new {summary.total('rows_new'):,}, rejects {summary.total('rejects'):,}; peak RSS so far {peak:,.0f} MB")
    return {"total_seconds": total, "peak_rss_mb": peak, "rows_new": summary.total("rows_new")}


READ_LINES = """
CREATE OR REPLACE TEMP TABLE bench_lines AS
SELECT row_number() OVER () AS source_line, line AS raw
FROM read_csv($path, columns = {'line': 'VARCHAR'}, delim = E'\\x1f', quote = '', escape = '', header = false,
              auto_detect = false, strict_mode = false, max_line_size = 8000000, ignore_errors = true)"""

READ_JSON_COLUMNS = """{id: 'VARCHAR', created: 'BIGINT', model: 'VARCHAR',
    usage: 'STRUCT(prompt_tokens BIGINT, completion_tokens BIGINT, cached_tokens BIGINT, reasoning_tokens BIGINT,
                   prompt_tokens_details STRUCT(cached_tokens BIGINT),
                   completion_tokens_details STRUCT(reasoning_tokens BIGINT))',
    metadata: 'JSON', "user": 'VARCHAR'}"""

CHAT_STRUCTURE = """'{"id": "VARCHAR", "created": "DOUBLE", "model": "VARCHAR",
    "usage": {"prompt_tokens": "BIGINT", "completion_tokens": "BIGINT",
              "prompt_tokens_details": {"cached_tokens": "BIGINT"},
              "completion_tokens_details": {"reasoning_tokens": "BIGINT"},
              "cached_tokens": "BIGINT", "reasoning_tokens": "BIGINT"},
    "metadata": "JSON"}'"""

VALID = "(SELECT CASE WHEN json_valid(raw) THEN raw END AS raw FROM bench_lines)"
PARTS = {
    "read_csv lines, numbered (count)": """
        SELECT count(*) FROM (SELECT row_number() OVER () AS n, line FROM read_csv($path,
            columns = {'line': 'VARCHAR'}, delim = E'\\x1f', quote = '', escape = '', header = false,
            auto_detect = false, strict_mode = false, max_line_size = 8000000, ignore_errors = true))""",
    "blank test trim(raw) <> ''": "SELECT count(*) FROM bench_lines WHERE trim(raw) <> ''",
    "blank test NOT regexp_full_match(raw, '\\s*')":
        "SELECT count(*) FROM bench_lines WHERE NOT regexp_full_match(raw, '\\s*')",
    "json_valid": "SELECT count(*) FILTER (WHERE json_valid(raw)) FROM bench_lines",
    "json_valid + json_type": f"SELECT count(*) FILTER (WHERE json_type(raw) = 'OBJECT') FROM {VALID}",
    "json_transform guarded by json_valid":
        f"SELECT count(json_transform(CASE WHEN json_valid(raw) THEN raw END, {CHAT_STRUCTURE}).id) FROM bench_lines",
    "try(json_transform) (bad lines spread through the file)":
        f"SELECT count(try(json_transform(raw, {CHAT_STRUCTURE})).id) FROM bench_lines",
    "json_extract_string(raw, 13 default attribution paths)": f"""
        SELECT count(found[1]) FROM (SELECT json_extract_string(raw, ['$.metadata.tenant',
            '$.request.metadata.tenant', '$.team_id', '$.metadata.feature', '$.request.metadata.feature',
            '$.metadata.environment', '$.request.metadata.environment', '$.user', '$.request.user',
            '$.end_user', '$.metadata.project', '$.request.metadata.project', '$.project_id']) AS found
            FROM {VALID})""",
    "md5(raw)": "SELECT count(DISTINCT md5(raw)) FROM bench_lines",
    "read_json, explicit columns (count)": f"""
        SELECT count(*) FROM read_json($path, format = 'newline_delimited', ignore_errors = true,
            columns = {READ_JSON_COLUMNS})""",
    "read_json, explicit columns, metadata fields used": f"""
        SELECT count(metadata->>'tenant'), count(metadata->>'feature'), count(id), sum(usage.prompt_tokens)
        FROM read_json($path, format = 'newline_delimited', ignore_errors = true, columns = {READ_JSON_COLUMNS})""",
}


def profile_parts(path: Path, timer: Timer) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(READ_LINES, {"path": str(path)})
    for name, sql in PARTS.items():
        with timer.step(name):
            con.execute(sql, {"path": str(path)} if "$path" in sql else {}).fetchall()
    con.close()


# One textual change each to the composed stage_usage statement: (anchor, replacement) pairs.
VARIANTS = {
    "json_valid guard instead of try()": [
        ("SELECT source_line, raw,\n        try(json_transform(raw, '",
         "SELECT source_line, raw, json_valid(raw) AS is_json,\n"
         "        json_transform(CASE WHEN json_valid(raw) THEN raw END, '"),
        ('"metadata": "JSON"}\')) AS r', '"metadata": "JSON"}\') AS r'),
        ("WHEN r IS NULL THEN 'not JSON'", "WHEN NOT is_json THEN 'not JSON'"),
    ],
}


def apply_variant(sql: str, changes: list[tuple[str, str]]) -> str | None:
    for anchor, replacement in changes:
        if sql.count(anchor) != 1:
            return None
        sql = sql.replace(anchor, replacement)
    return sql


def profile_variants(path: Path, store: Path, timer: Timer, rounds: int) -> dict:
    """The library's stage_usage vs each variant, interleaved, in a transaction, same output."""
    from analyzer import ingest
    from analyzer.config import Config
    from analyzer.files import read_sample
    from analyzer.readers import detect_reader
    from analyzer.sqlfiles import _PARAMETER, compose
    from analyzer.staging import stage_file
    from analyzer.store import open_store

    sample = read_sample(path)
    reader = detect_reader(sample, path)
    params = ingest.usage_params(Config(), reader, source_path=str(path))
    today = compose("stage_usage", reader=reader.query_for(sample))
    params = {key: value for key, value in params.items() if key in set(_PARAMETER.findall(today))}
    variants = {}
    for name, changes in VARIANTS.items():
        changed = apply_variant(today, changes)
        if changed is None:
            print(f"  skipped {name!r}: its anchor text is not in today's query")
            continue
        variants[name] = changed.replace("CREATE OR REPLACE TEMP TABLE staged AS",
                                         "CREATE OR REPLACE TEMP TABLE staged_variant AS", 1)
    result: dict = {"rounds": rounds, "today": [], "variants": {name: [] for name in variants}, "same_rows": {}}
    with open_store(store) as con:
        for _ in range(rounds):
            con.execute("BEGIN TRANSACTION")
            stage_file(con, path, reader, sample)
            with timer.step("today: stage_usage"):
                con.execute(today, params)
            result["today"].append(timer.steps[-1][1])
            for name, sql in variants.items():
                stage_file(con, path, reader, sample)
                with timer.step(f"variant: {name}"):
                    con.execute(sql, params)
                result["variants"][name].append(timer.steps[-1][1])
                result["same_rows"][name] = all(con.execute(q).fetchall()[0][0] == 0 for q in (
                    "SELECT count(*) FROM (SELECT * FROM staged EXCEPT ALL SELECT * FROM staged_variant)",
                    "SELECT count(*) FROM (SELECT * FROM staged_variant EXCEPT ALL SELECT * FROM staged)"))
            con.execute("ROLLBACK")
    medians = {"today": statistics.median(result["today"])}
    medians |= {name: statistics.median(runs) for name, runs in result["variants"].items()}
    result["medians"] = medians
    print(f"  medians of {rounds}: " + ", ".join(f"{k} {v:.3f} s" for k, v in medians.items()))
    print(f"  same rows as today: {result['same_rows']}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, help="an OpenAI chat JSONL file (benchmarks/generate.py)")
    parser.add_argument("--rates", type=Path, help="rate card to load first")
    parser.add_argument("--json", type=Path, help="also write the timings here")
    parser.add_argument("--skip-parts", action="store_true", help="skip the single-expression timings")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the variants (0: skip)")
    args = parser.parse_args(argv)
    out: dict = {"file": str(args.file)}
    with tempfile.TemporaryDirectory(prefix="llm-spend-profile-") as tmp:
        print(f"steps of Ingest.run, {args.file} into a fresh store:")
        steps = Timer()
        out["run"] = profile_steps(args.file, args.rates, Path(tmp) / "profile.duckdb", steps)
        out["steps"] = steps.steps
        if not args.skip_parts:
            print("parts, over the same lines:")
            parts = Timer()
            profile_parts(args.file, parts)
            out["parts"] = parts.steps
        if args.rounds:
            print("variants of stage_usage, same file:")
            out["variants"] = profile_variants(args.file, Path(tmp) / "variants.duckdb", Timer(), args.rounds)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
