"""The Spark engine (marker spark, one local[2] session for the run): every report query gives on
Spark, over a lake, exactly what it gives on DuckDB over the same lake, to the last decimal; the
report command prints the same bytes on both engines."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from analyzer.cli import cli
from analyzer.sqlfiles import query
from analyzer.store import open_lake
from tests.helpers import FORMATS, REPO

pytestmark = pytest.mark.spark

SEPTEMBER = datetime(2026, 9, 1, tzinfo=timezone.utc)
OCTOBER = datetime(2026, 10, 1, tzinfo=timezone.utc)
ALL = {"since": None, "until": None, "tenant": None}
BY = ["tenant", "feature", "environment", "model", "mode", "provider", "user_id", "project"]
# Every query the report command runs (table, csv, json, html, per-tenant), with the filters
# and groupings it passes.
REPORT_QUERIES = [
    *[("spend_report", {"by": by, "period": period, **ALL})
      for by, period in ((["__none__"], "total"), (["tenant", "feature", "model"], "month"), (BY, "week"),
                         (["tenant", "feature", "model"], "day"))],
    ("spend_report", {"by": ["model", "mode"], "period": "day", "since": SEPTEMBER, "until": OCTOBER, "tenant": "acme-corp"}),
    ("spend_totals", ALL),
    ("spend_totals", {"since": SEPTEMBER, "until": OCTOBER, "tenant": "globex"}),
    ("spend_unpriced", ALL),
    ("spend_unpriced", {"since": SEPTEMBER, "until": OCTOBER, "tenant": None}),
    ("spend_data_range", {"tenant": None}),
    ("spend_tenants", {}),
    ("spend_tenants_in_range", {"since": SEPTEMBER, "until": OCTOBER}),
    ("spend_daily_by", {"dimension": "tenant", **ALL}),
    ("spend_daily_by", {"dimension": "model", "since": SEPTEMBER, "until": OCTOBER, "tenant": None}),
    ("month_end_basis", {"by": ["tenant", "feature"], "month_start": OCTOBER,
                         "window_start": datetime(2026, 10, 10, tzinfo=timezone.utc),
                         "as_of": datetime(2026, 10, 20, tzinfo=timezone.utc),
                         **{f"w_{dim}": None for dim in BY}}),
    ("first_usage_day", {}),
    ("get_setting", {"key": "currency"}),
    ("unpriced_models", {}),
    ("spend_cost_parts", ALL),  # a Spark variant (queries/spark/reports.sql)
    ("spend_cost_parts", {"since": SEPTEMBER, "until": OCTOBER, "tenant": "acme-corp"}),
    ("focus_usage", {"since": SEPTEMBER, "until": OCTOBER, "tenant": None}),
    ("focus_unpriced", ALL),
]


def run(spend, *args):
    result = spend(*args)
    assert result.exit_code == 0, result.output + result.stderr
    return result


@pytest.fixture(scope="module")
def lake(tmp_path_factory, spark_session):
    """The sample logs and every format fixture, priced by the default card, exported once."""
    from tests.helpers import Spend

    folder = tmp_path_factory.mktemp("spark")
    spend = Spend(folder / "usage.duckdb")
    run(spend, "rates", "load", REPO / "analyzer" / "data" / "default_rates.csv")
    spend("ingest", "--quiet", REPO / "sample_logs" / "exports", FORMATS)  # the fixtures include rejects
    run(spend, "export", "--lake", folder / "lake")
    return spend, folder / "lake"


def test_every_report_query_is_equal_on_both_engines(lake):
    _, folder = lake
    with open_lake(folder) as duck, open_lake(folder, engine="spark") as spark:
        for name, params in REPORT_QUERIES:
            on_duckdb, on_spark = duck.execute(query(name), params), spark.execute(query(name), params)
            assert [d[0] for d in on_spark.description] == [d[0] for d in on_duckdb.description], name
            expected, got = on_duckdb.fetchall(), on_spark.fetchall()
            assert expected, f"{name} {params}: no rows to compare"
            # repr: Decimal('1.50') == Decimal('1.5'), but not to the last decimal
            assert repr(got) == repr(expected), f"{name} {params}"


GENERATED = re.compile(r"generated \d{4}-\d\d-\d\d \d\d:\d\d UTC")


@pytest.mark.parametrize("args", [
    ("--by", "tenant,feature,model", "--format", "json"),
    ("--by", "model,mode", "--period", "week", "--format", "csv"),
    ("--by", "tenant", "--month", "2026-09", "--as-of", "2026-09-20", "--format", "table"),
    ("--month", "2026-09", "--as-of", "2026-09-20", "--format", "html"),
    ("--month", "2026-10", "--format", "focus"),
], ids=["json", "csv-week", "table-projection", "html", "focus"])
def test_the_report_command_prints_the_same_on_spark(lake, args):
    spend, folder = lake
    on_duckdb = run(spend, "report", "--lake", folder, *args).stdout
    on_spark = run(spend, "report", "--lake", folder, "--engine", "spark", *args).stdout
    assert GENERATED.sub("generated", on_spark) == GENERATED.sub("generated", on_duckdb) and on_duckdb.strip()


# whatif and estimate --from-usage: the what-if's temp views, its price_usage relation (a card
# registered with --rates, the batch step) and the planning sample, on both engines.
@pytest.mark.parametrize("args", [
    ("whatif", "--as", "gpt-4o-mini-2024-07-18", "--by", "tenant", "--format", "json"),
    ("whatif", "--mode", "batch", "--rates", REPO / "sample_logs" / "rates.csv", "--by", "feature,model",
     "--month", "2026-10", "--format", "csv"),
    ("estimate", "--from-usage", "--by", "feature", "--month", "2026-09", "--growth", "20", "--format", "json"),
    ("estimate", "--from-usage", "--by", "tenant,model", "--requests", "1000000", "--format", "csv"),
], ids=["whatif-as", "whatif-batch-card", "estimate-growth", "estimate-requests"])
def test_planning_commands_print_the_same_on_spark(lake, args):
    spend, folder = lake
    on_duckdb = run(spend, *args, "--lake", folder).stdout
    on_spark = run(spend, *args, "--lake", folder, "--engine", "spark").stdout
    assert on_spark == on_duckdb and on_duckdb.count("\n") > 2


def test_a_lake_with_capacities_is_refused_on_spark(tmp_path, spark_session):
    from tests.helpers import Spend
    from tests.test_planning import CARD, SAMPLE, load

    spend = Spend(tmp_path / "usage.duckdb")
    load(spend, tmp_path, CARD, SAMPLE)
    (tmp_path / "capacity.csv").write_text("name,kind,models,month,monthly_cost,gpus,gpu_hours,gpu_hour_rate,capacity_tokens\n"
                                            "endpoint,dedicated,m,2026-09,100,,,,\n")
    run(spend, "capacity", "load", tmp_path / "capacity.csv")
    run(spend, "export", "--lake", tmp_path / "lake")
    result = CliRunner().invoke(cli, ["report", "--lake", str(tmp_path / "lake"), "--engine", "spark"])
    assert result.exit_code == 2
    assert result.stderr == ("error: --engine spark: capacity allocation does not run on Spark yet; this lake has "
                             "capacities: report on it with DuckDB (drop --engine spark)\n")
