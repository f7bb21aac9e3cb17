"""`llm-spend sql`: read-only statements, sandboxed: no files, no network, configuration locked."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.helpers import chat_record, write_card, write_jsonl


@pytest.fixture
def loaded(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,0.90,3.30,,,,,"))
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [chat_record("a", prompt=4000, completion=1000,
                                                                      metadata={"tenant": "acme"})]))
    return spend


@pytest.mark.parametrize("statement", [
    "SELECT tenant, sum(cost) AS cost FROM priced_usage GROUP BY ALL",
    "WITH t AS (SELECT * FROM usage) SELECT count(*) FROM t",
    "DESCRIBE priced_usage",
    "SHOW TABLES",
    "SUMMARIZE usage",
    "EXPLAIN SELECT * FROM usage",
])
def test_read_only_statements_run(loaded, statement):
    result = loaded.ok("sql", statement, "--format", "json")
    assert json.loads(result.stdout)


def test_results_in_each_format(loaded):
    out = loaded.ok("sql", "SELECT tenant, cost FROM priced_usage", "--format", "csv").stdout
    assert out.splitlines() == ["tenant,cost", "acme,0.0069"]
    assert json.loads(loaded.ok("sql", "SELECT cost FROM priced_usage", "--format", "json").stdout) == [{"cost": "0.0069"}]
    table = loaded.ok("sql", "SELECT tenant FROM usage").stdout.splitlines()
    assert table[0].strip() == "tenant" and table[2].strip() == "acme"


def test_session_time_zone_is_utc(loaded):
    assert loaded.sql("SELECT current_setting('TimeZone') AS tz")[0]["tz"] == "UTC"


@pytest.mark.parametrize("statement,text", [
    ("DELETE FROM usage", "DELETE statements are not allowed"),
    ("INSERT INTO rates SELECT * FROM rates", "INSERT statements are not allowed"),
    ("CREATE TABLE x (a INT)", "CREATE statements are not allowed"),
    ("DROP VIEW priced_usage", "DROP statements are not allowed"),
    ("ATTACH '/tmp/other.duckdb'", "ATTACH statements are not allowed"),
    ("COPY usage TO '/tmp/out.csv'", "COPY statements are not allowed"),
    ("SET TimeZone = 'Europe/Paris'", "SET statements are not allowed"),
    ("INSTALL httpfs", "statements are not allowed"),
    ("PRAGMA version", "PRAGMA statements are not allowed"),
    ("SELECT 1; SELECT 2", "give exactly one statement"),
    ("SELEC 1", "syntax error"),
])
def test_writes_and_side_effects_are_refused(loaded, statement, text):
    result = loaded("sql", statement)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and text in result.stderr, result.stderr
    assert loaded.sql("SELECT count(*) AS n FROM usage")[0]["n"] == 1


@pytest.mark.parametrize("statement", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_json('https://example.com/x.json')",
    "SELECT * FROM duckdb_settings() WHERE name = 'x' UNION ALL SELECT * FROM read_parquet('/tmp/x.parquet')",
])
def test_file_and_network_access_is_blocked(loaded, statement):
    result = loaded("sql", statement)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "disabled by configuration" in result.stderr or "Permission" in result.stderr, result.stderr


def test_sql_on_a_missing_store_is_one_line(spend):
    result = spend("sql", "SELECT 1")
    assert result.exit_code == 1
    assert "no store at" in result.stderr


# --- EXPLAIN runs what it explains: only of a read-only statement; the spill folder out of reach

@pytest.mark.parametrize("statement", [
    "EXPLAIN ANALYZE COPY (SELECT 42 AS x) TO '{spill}/x.csv'",
    "EXPLAIN COPY (SELECT 42 AS x) TO '{spill}/x.csv'",
    "explain /* a comment */ (analyze) copy (select 42) to '{spill}/x.csv'",
    "EXPLAIN (ANALYZE, FORMAT json) COPY (SELECT 42) TO '{spill}/x.csv'",
    "EXPLAIN ANALYZE CREATE TEMP TABLE t AS SELECT 1",
    "EXPLAIN ANALYZE INSERT INTO rates SELECT * FROM rates",
    "EXPLAIN ANALYZE PIVOT usage ON model USING count(*)",
])
def test_explain_of_anything_but_a_query_is_refused(loaded, statement):
    spill = loaded.db.with_name(loaded.db.name + ".tmp")  # DuckDB's default spill folder for the store
    spill.mkdir(exist_ok=True)
    result = loaded("sql", statement.format(spill=spill))
    assert result.exit_code == 2, result.stdout
    assert "not allowed" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(spill.iterdir()) == []


@pytest.mark.parametrize("statement", [
    "EXPLAIN ANALYZE SELECT count(*) FROM usage",
    "EXPLAIN (FORMAT json) SELECT * FROM priced_usage",
    "explain -- the plan\n analyze with t as (select 1) select * from t",
])
def test_explain_of_a_query_runs(loaded, statement):
    assert json.loads(loaded.ok("sql", statement, "--format", "json").stdout)[0]["explain_value"]


def test_the_spill_folder_is_private_and_gone_afterwards(loaded):
    folder = loaded.sql("SELECT current_setting('temp_directory') AS t")[0]["t"]
    assert folder and not folder.startswith(str(loaded.db)) and not Path(folder).exists()


# --- limits: memory, time, rows

def test_the_configs_memory_limit_applies(loaded, tmp_path):
    config = tmp_path / "llm-spend.toml"
    config.write_text('[store]\nmemory_limit = "300MB"\n')
    result = loaded.ok("sql", "SELECT current_setting('memory_limit') AS m", "--format", "json", config=config)
    assert json.loads(result.stdout) == [{"m": "286.1 MiB"}]  # DuckDB shows 300 MB in MiB


def test_a_runaway_query_times_out_and_lets_go_of_the_store(loaded, tmp_path):
    result = loaded("sql", "SELECT sum(a.range * b.range) FROM range(100000000) a, range(100000000) b",
                    "--timeout", "0.5")
    assert result.exit_code == 1
    assert result.stderr == "error: sql: query timed out after 0.5 s (--timeout)\n"
    # the store is free again: the nightly ingest is not locked out
    loaded.ok("ingest", write_jsonl(tmp_path / "b.jsonl", [chat_record("b")]))


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_max_rows_cuts_and_says_so(loaded, fmt):
    result = loaded.ok("sql", "SELECT range AS n FROM range(25)", "--max-rows", "10", "--format", fmt)
    assert result.stderr == "sql: stopped after 10 rows (--max-rows); the result has more\n"
    if fmt == "json":
        assert [r["n"] for r in json.loads(result.stdout)] == list(range(10))
    elif fmt == "csv":
        assert result.stdout.splitlines() == ["n", *map(str, range(10))]
    else:
        assert len(result.stdout.splitlines()) == 2 + 10


def test_max_rows_exactly_reached_or_unlimited_says_nothing(loaded):
    exact = loaded.ok("sql", "SELECT range AS n FROM range(10)", "--max-rows", "10", "--format", "csv")
    assert exact.stderr == "" and len(exact.stdout.splitlines()) == 11
    everything = loaded.ok("sql", "SELECT range AS n FROM range(25000)", "--max-rows", "0", "--format", "csv")
    assert everything.stderr == "" and len(everything.stdout.splitlines()) == 25001
    default = loaded.ok("sql", "SELECT range AS n FROM range(25000)", "--format", "csv")
    assert "stopped after 10,000 rows" in default.stderr and len(default.stdout.splitlines()) == 10001


def test_rows_are_streamed_not_fetched_whole(loaded):
    from analyzer.usersql import BATCH_ROWS, user_query

    with user_query(loaded.db, "SELECT range AS n FROM range(1000000)", max_rows=0) as query:
        assert not isinstance(query.rows, (list, tuple))
        first = [next(query.rows) for _ in range(3)]
        assert first == [(0,), (1,), (2,)]
    assert BATCH_ROWS < 1000000


# --- JSON for every column type, and no column lost

def test_json_handles_every_type_and_stays_valid(loaded):
    statement = ("SELECT '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::UUID AS u, INTERVAL '1 day 2 hours 3.5 seconds' AS i, "
                 "TIME '10:00:01.5' AS t, 'ab\\x00'::BLOB AS b, 'nan'::DOUBLE AS nan, 'inf'::DOUBLE AS inf, "
                 "'-inf'::FLOAT AS neg, [1.5, 'nan'::DOUBLE] AS l, map([DATE '2026-01-01'], [1]) AS m, "
                 "1 AS a, 2 AS a, 3 AS a")
    text = loaded.ok("sql", statement, "--format", "json").stdout

    def no_constants(name):
        raise AssertionError(f"not JSON: {name}")

    row = json.loads(text, parse_constant=no_constants)[0]
    assert row == {
        "u": "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "i": "P1DT2H0M3.5S", "t": "10:00:01.500000",
        "b": base64.b64encode(b"ab\x00").decode(), "nan": None, "inf": None, "neg": None, "l": [1.5, None],
        "m": {"2026-01-01": 1}, "a": 1, "a_1": 2, "a_2": 3,
    }
    csv_lines = loaded.ok("sql", "SELECT 1 AS a, 2 AS a", "--format", "csv").stdout.splitlines()
    assert csv_lines == ["a,a_1", "1,2"]


def test_the_csv_header_is_neutralised_too(loaded):
    out = loaded.ok("sql", """SELECT 1 AS "=HYPERLINK(""http://x"")", 2 AS " @SUM(A1)" """, "--format", "csv").stdout
    assert out.splitlines()[0] == """\"'=HYPERLINK(""http://x"")\",' @SUM(A1)"""
