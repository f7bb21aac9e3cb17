"""The Parquet lake: `export --lake` (incremental, atomic per file, types kept) and the commands that
read a lake with DuckDB (--lake instead of --db) giving what they give on the store."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import pytest

from analyzer.lake import MANIFEST
from tests.test_planning import CARD, HEADER, SAMPLE, load


@pytest.fixture
def lake(spend, tmp_path):
    load(spend, tmp_path, CARD, SAMPLE)
    folder = tmp_path / "lake"
    result = spend.ok("export", "--lake", folder)
    assert "usage 6 rows in 2 months (2 written, 0 unchanged); 13 tables written, 0 unchanged" in result.stderr
    return folder


def test_export_writes_months_and_tables_with_their_types(lake):
    assert sorted(p.name for p in (lake / "usage").iterdir()) == ["month=2026-09", "month=2026-10"]
    con = duckdb.connect()
    usage = dict(con.execute(
        "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($p))",
        {"p": str(lake / "usage" / "month=2026-09" / "data.parquet")}).fetchall())
    assert usage["ts"] == "TIMESTAMP WITH TIME ZONE" and usage["input_tokens"] == "BIGINT"
    rates = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($p))",
                             {"p": str(lake / "rates" / "data.parquet")}).fetchall())
    assert rates["input_per_mtok"] == "DECIMAL(24,12)"
    assert con.execute("SELECT count(*) FROM read_parquet($p)",
                       {"p": str(lake / "usage" / "month=2026-09" / "data.parquet")}).fetchall() == [(5,)]
    assert (lake / "rate_versions" / "data.parquet").exists() and (lake / "capacity_version_rows" / "data.parquet").exists()


def test_export_rewrites_only_what_changed(lake, spend, tmp_path):
    september = lake / "usage" / "month=2026-09" / "data.parquet"
    before = september.stat().st_mtime_ns, september.stat().st_ino
    again = spend.ok("export", "--lake", lake)
    assert "(0 written, 2 unchanged); 0 tables written, 13 unchanged" in again.stderr
    (tmp_path / "late.csv").write_text(HEADER + "r7,2026-10-02T10:00:00Z,m,10,0,0,1,acme,chat\n", encoding="utf-8")
    spend.ok("ingest", tmp_path / "late.csv", config=tmp_path / "attribution.toml")
    after = spend.ok("export", "--lake", lake)
    # October changed (r7), and the tables the ingest run touched nothing the lake holds
    assert "usage 7 rows in 2 months (1 written, 1 unchanged); 0 tables written, 13 unchanged" in after.stderr
    assert (september.stat().st_mtime_ns, september.stat().st_ino) == before
    manifest = json.loads((lake / MANIFEST).read_text())
    assert manifest["usage"]["2026-10"]["rows"] == 2 and manifest["usage"]["2026-09"]["rows"] == 5
    assert not [p for p in lake.rglob(".*")]  # no temporary file left


def test_export_refuses_a_folder_that_is_not_a_lake(spend, tmp_path):
    load(spend, tmp_path, CARD, SAMPLE)
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_text("x")
    result = spend("export", "--lake", folder)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: --lake {folder}: the folder has files but no {MANIFEST}; export into an empty folder"


@pytest.mark.parametrize("args", [
    ("report", "--by", "tenant,feature,model", "--period", "day", "--format", "json"),
    ("report", "--by", "model", "--month", "2026-09", "--format", "csv"),
    ("estimate", "--from-usage", "--by", "feature", "--month", "2026-09", "--requests", "1000", "--format", "json"),
    ("whatif", "--mode", "batch", "--month", "2026-09", "--format", "json"),
    ("compare", "--from-usage", "--month", "2026-09", "--model", "m", "--format", "json"),
    ("sql", "SELECT tenant, sum(cost) AS cost, count(*) AS n FROM priced_usage GROUP BY ALL ORDER BY ALL", "--format", "json"),
], ids=lambda a: a[0])
def test_a_lake_reads_as_the_store(lake, spend, args):
    on_store = spend.ok(*args).stdout
    spend.db.rename(spend.db.with_name("elsewhere.duckdb"))  # the lake alone
    on_lake = spend.ok(*args[:1], "--lake", lake, *args[1:]).stdout
    assert same_but_the_source(spend, lake, on_store, on_lake) and on_store.strip()


def same_but_the_source(spend, lake, on_store: str, on_lake: str) -> bool:
    """The same output, but for a report's provenance, which names what it read: the store file,
    or the lake."""
    if '"meta"' in on_store:
        documents = json.loads(on_store), json.loads(on_lake)
        assert [d["meta"].pop("store") for d in documents] == [str(spend.db.resolve()), str(Path(lake).resolve())]
        on_store, on_lake = (json.dumps(d) for d in documents)
    return on_store == on_lake


def test_sql_on_a_lake_reads_no_other_file(lake, spend, tmp_path):
    (tmp_path / "secret.csv").write_text("a\n1\n")
    result = spend("sql", "--lake", lake, f"SELECT * FROM read_csv('{tmp_path / 'secret.csv'}')")
    assert result.exit_code == 1 and "disabled by configuration" in result.stderr


def test_a_folder_without_a_manifest_is_not_a_lake(spend, tmp_path):
    result = spend("report", "--lake", tmp_path / "nothing")
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"error: --lake {tmp_path / 'nothing'}: not a lake (no {MANIFEST}); "
                                     f"write one with llm-spend export --lake {tmp_path / 'nothing'}")


def test_engine_spark_without_the_extra_says_what_to_install(lake, spend, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if not installed
    result = spend("report", "--engine", "spark", "--lake", lake)
    assert result.exit_code == 2
    assert result.stderr == ("error: --engine spark needs the spark extra: pip install 'llm-spend[spark]' "
                             "(pyspark 4, and Java 17+)\n")


def test_engine_spark_needs_a_lake(spend):
    result = spend("report", "--engine", "spark")
    assert result.exit_code == 2
    assert "--engine spark reads a lake: pass --lake DIR" in result.stderr


def test_estimate_of_given_tokens_is_refused_on_spark(lake, spend):
    result = spend("estimate", "--model", "m", "--input-tokens", "10", "--output-tokens", "1", "--requests", "5",
                   "--lake", lake, "--engine", "spark")
    assert result.exit_code == 2
    assert result.stderr == ("error: --engine spark is for --from-usage (a workload priced from given tokens runs "
                             "on DuckDB: drop --engine spark)\n")



def test_a_closed_month_reads_frozen_from_the_lake(lake, spend, tmp_path):
    spend.ok("close", "2026-09")
    spend.ok("export", "--lake", lake)
    args = ("--by", "tenant,model", "--format", "json")
    assert same_but_the_source(spend, lake, spend.ok("report", *args).stdout,
                               spend.ok("report", "--lake", lake, *args).stdout)
    frozen = spend.ok("sql", "--lake", lake, "SELECT count(*) AS n FROM closed_usage", "--format", "json").stdout
    assert json.loads(frozen) == [{"n": 5}]
