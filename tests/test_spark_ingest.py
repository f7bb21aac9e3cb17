"""`ingest --engine spark --lake DIR` (marker spark, the shared local[2] session): the same files
through both engines give the same usage rows, rejects and conflicts; a second run adds nothing;
reports on the lake equal the store's."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
from click.testing import CliRunner

from analyzer.cli import cli
from tests.helpers import FORMATS, REPO, Spend

pytestmark = pytest.mark.spark

SAMPLE = REPO / "sample_logs" / "exports"
# The large formats the issue names, and the fixtures with rejects, conflicts, CRLF and gzip.
NAMED = ["openai_batch_output.jsonl", "openai_batch_error.jsonl", "openai_chat_bad_token_counts.CONSTRUCTED.jsonl",
         "openai_chat_audio_image_tiers.CONSTRUCTED.jsonl", "openai_usage_completions.json",
         "openai_usage_completions_result_grouped.json", "anthropic_stream_usage_events.sse"]


def rows(sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql).fetchall()


def usage_of(lake) -> list[tuple]:
    """Every usage row of a lake, attributes as text, in one order."""
    return rows(f"SELECT * EXCLUDE (attributes), CAST(attributes AS VARCHAR) FROM read_parquet('{lake}/usage/*/*.parquet') "
                "ORDER BY source_file, source_line, request_id, ts")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A folder of inputs: the sample logs, the named fixtures, a file holding a copy of another's
    records (identity across files) with one count changed (a conflict), and one with CRLF lines
    and a line that is not UTF-8."""
    folder = tmp_path_factory.mktemp("spark-inputs")
    shutil.copytree(SAMPLE, folder / "sample")
    for name in NAMED:
        shutil.copy(FORMATS / name, folder / name)
    chat = (FORMATS / "openai_chat_audio_image_tiers.CONSTRUCTED.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(chat[0])
    first["usage"]["completion_tokens"] += 1
    (folder / "zz-copies.jsonl").write_text("\n".join([json.dumps(first), *chat[1:]]) + "\n", encoding="utf-8")
    (folder / "zz-crlf.jsonl").write_bytes(b"\r\n".join([line.encode() for line in chat[:2]] + [b"{\"id\": \"x\xff\"}", b""]))
    return folder


@pytest.fixture(scope="module")
def both(tmp_path_factory, inputs, spark_session):
    """The inputs ingested by the store (then exported) and by Spark, each into its own lake."""
    from analyzer.config import load_config
    from analyzer.sparkingest import ingest_on_spark

    folder = tmp_path_factory.mktemp("spark-ingest")
    spend = Spend(folder / "usage.duckdb")
    spend("ingest", "--quiet", inputs)
    assert spend("export", "--lake", folder / "store-lake").exit_code == 0
    summary = ingest_on_spark(str(folder / "spark-lake"), [str(inputs)], load_config(None))
    return spend, folder, summary


def test_both_engines_store_the_same_usage_rows(both):
    spend, folder, summary = both
    on_store, on_spark = usage_of(folder / "store-lake"), usage_of(folder / "spark-lake")
    assert len(on_store) > 100 and on_spark == on_store
    assert summary.total("rows_new") == len(on_spark)


def test_both_engines_reject_and_count_the_same(both, inputs):
    spend, folder, summary = both
    with duckdb.connect(str(folder / "usage.duckdb"), read_only=True) as con:
        expected = con.execute("SELECT source_file, source_line, reason, raw FROM rejects "
                               "ORDER BY ALL").fetchall()
        conflicts = con.execute("SELECT request_id, source_file, source_line, kept, requests, input_tokens, "
                                "output_tokens FROM ingest_conflicts ORDER BY ALL").fetchall()
        files = dict(con.execute("SELECT path, rows_read FROM ingested_files").fetchall())
    got = rows(f"SELECT source_file, source_line, reason, raw FROM read_parquet('{folder}/spark-lake/rejects/*/*.parquet') "
               "ORDER BY ALL")
    assert got == expected and any(r[2] == "not UTF-8" for r in got) and any(r[2].startswith("bad token") for r in got)
    got_conflicts = rows("SELECT request_id, source_file, source_line, kept, requests, input_tokens, output_tokens "
                         f"FROM read_parquet('{folder}/spark-lake/ingest_conflicts/*/*.parquet') ORDER BY ALL")
    assert got_conflicts == conflicts and len(conflicts) == 1
    assert {f.path: f.rows_read for f in summary.files if f.status == "read"} == files


def test_a_second_run_adds_nothing(both, inputs):
    from analyzer.config import load_config
    from analyzer.sparkingest import ingest_on_spark

    spend, folder, first = both
    before = usage_of(folder / "spark-lake")
    again = ingest_on_spark(str(folder / "spark-lake"), [str(inputs)], load_config(None))
    assert again.run_id == first.run_id + 1
    assert again.total("rows_new") == 0 and again.total("rows_read") == first.total("rows_read")
    assert usage_of(folder / "spark-lake") == before


def test_reports_on_a_spark_ingested_lake_equal_the_store(tmp_path, inputs, spark_session):
    """A lake exported from a store holding only the rate card, then filled by Spark, reports as
    the store that ingested the same files (DuckDB reading the lake), and export keeps its usage."""
    spend = Spend(tmp_path / "rates.duckdb")
    assert spend("rates", "load", REPO / "sample_logs" / "rates.csv").exit_code == 0
    assert spend("export", "--lake", tmp_path / "lake").exit_code == 0
    result = CliRunner().invoke(cli, ["ingest", "--engine", "spark", "--lake", str(tmp_path / "lake"), str(SAMPLE)])
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stdout.splitlines()[-1].startswith("ingested ") and " new rows from 9 files " in result.stdout
    store = Spend(tmp_path / "store.duckdb")
    assert store("rates", "load", REPO / "sample_logs" / "rates.csv").exit_code == 0
    assert store("ingest", "--quiet", SAMPLE).exit_code == 0
    args = ["report", "--by", "tenant,model", "--period", "month", "--format", "csv"]
    on_store = store(*args).stdout
    on_lake = CliRunner().invoke(cli, [*args, "--lake", str(tmp_path / "lake")]).stdout
    assert on_lake == on_store and on_store.count("\n") > 5
    # The rate store exports again (a card change): the tables are rewritten, Spark's usage kept,
    # and the summary says so with the lake's own counts.
    again = spend("export", "--lake", tmp_path / "lake")
    assert again.exit_code == 0
    held = store.sql("SELECT count(*) AS n, count(DISTINCT strftime(ts, '%Y-%m')) AS months FROM usage")[0]
    assert f"usage kept as ingested on Spark ({held['n']:,} rows in {held['months']} months)" in again.stderr
    assert CliRunner().invoke(cli, [*args, "--lake", str(tmp_path / "lake")]).stdout == on_store


def test_a_file_uri_is_read_through_sparks_file_system(tmp_path, inputs, spark_session):
    from analyzer.config import load_config
    from analyzer.sparkingest import ingest_on_spark

    uri = (inputs / "sample").as_uri()
    summary = ingest_on_spark(str(tmp_path / "lake"), [uri], load_config(None))
    assert [f.status for f in summary.files] == ["read"] * 9 and summary.total("rows_new") > 100
    assert {f.path.split("/")[-1] for f in summary.files} == {p.name for p in SAMPLE.rglob("*.gz")}


@pytest.mark.parametrize(("args", "message"), [
    (["--engine", "spark", "PATH"], "error: --engine spark ingests into a lake: pass --lake DIR\n"),
    (["--lake", "LAKE", "PATH"], "error: --lake and --spark-master on ingest are for --engine spark (with DuckDB, "
                                 "ingest into the store, then llm-spend export --lake DIR)\n"),
    (["--engine", "spark", "--lake", "LAKE", "--reread", "PATH"],
     "error: --reread is for the store; on Spark, records already in the lake are kept as they are\n"),
    (["--engine", "spark", "--lake", "LAKE", "MISSING"], "error: no such file or folder: MISSING\n"),
])
def test_spark_ingest_refusals_are_one_line(tmp_path, spark_session, args, message):
    (tmp_path / "in.jsonl").write_text("", encoding="utf-8")
    replaced = [str(tmp_path / "in.jsonl") if a == "PATH" else str(tmp_path / "lake") if a == "LAKE"
                else str(tmp_path / "missing") if a == "MISSING" else a for a in args]
    result = CliRunner().invoke(cli, ["ingest", *replaced])
    assert result.exit_code != 0
    assert result.stderr == message.replace("MISSING", str(tmp_path / "missing"))
