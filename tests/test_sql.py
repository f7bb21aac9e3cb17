"""`llm-spend sql`: read-only statements, sandboxed: no files, no network, configuration locked."""

from __future__ import annotations

import json

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
