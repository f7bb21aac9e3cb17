"""The Python API: the same numbers as the CLI, exact decimal Arrow and polars columns, read-only."""

from __future__ import annotations

import json
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest

from analyzer import Result, open_store, render
from analyzer.errors import SpendError, UsageError
from tests.helpers import write_card
from tests.test_planning import CARD, SAMPLE, load

MONEY = pa.decimal128(38, 18)


@pytest.fixture
def store(spend, tmp_path):
    return load(spend, tmp_path, CARD, SAMPLE)


def cli_json(spend, *args) -> dict:
    return json.loads(spend.ok(*args, "--format", "json").stdout)


def as_json(value) -> dict:
    return json.loads(render.to_json(value))


def test_report_is_the_cli_report(store, spend):
    data = cli_json(spend, "report", "--by", "tenant,model", "--month", "2026-09")
    result = store.report(by=["tenant", "model"], month="2026-09")
    assert as_json(result.rows) == data["rows"]
    assert as_json(result.total) == data["totals"]
    assert as_json(result.meta["unpriced"]) == data["unpriced"]
    table = result.arrow()
    assert table.schema.field("cost").type == MONEY
    assert table.column("cost").to_pylist() == [Decimal("0.0069"), Decimal("0.004904"), None]


def test_estimates_are_the_cli_estimates(store, spend):
    data = cli_json(spend, "estimate", "--input-price", "0.90", "--output-price", "3.30", "--input-tokens", "3000",
                    "--output-tokens", "1000", "--requests", "2000000", "--mode", "batch")
    result = store.estimate(input_price="0.90", output_price="3.30", input_tokens=3000, output_tokens=1000,
                            requests=2_000_000, mode="batch")
    assert as_json(result.rows[0]) == data
    assert result.rows[0]["monthly_cost"] == Decimal("6000")
    data = cli_json(spend, "estimate", "--from-usage", "--by", "tenant,feature", "--month", "2026-09",
                    "--growth", "12.5")
    result = store.estimate_from_usage(by="tenant,feature", month="2026-09", growth=Decimal("12.5"))
    assert as_json(result.as_dict()) == data
    chat = next(row for row in result.rows if row["feature"] == "chat")
    assert chat["monthly_cost"] == Decimal("0.005517")  # 0.004904 x 1.125


def test_projection_is_the_cli_projection(store, spend):
    data = cli_json(spend, "report", "--by", "feature", "--month", "2026-09", "--as-of", "2026-09-05")
    assert as_json(store.projection(by="feature", as_of="2026-09-05").as_dict()) == data["projection"]


def test_arrow_and_polars_keep_exact_decimals(store):
    import polars as pl

    result = store.estimate_from_usage(by="feature", month="2026-09", requests=1_000_000)
    assert isinstance(result, Result)
    table = result.arrow()
    for name in ("cost_per_request", "monthly_cost", "sample_cost", "avg_input_tokens"):
        assert table.schema.field(name).type == MONEY
    assert table.schema.field("sample_requests").type == pa.int64()
    assert table.schema.field("feature").type == pa.string()
    chat = next(row for row in table.to_pylist() if row["feature"] == "chat")
    assert chat["monthly_cost"] == Decimal("1634.666666666666666667")
    frame = result.pl()
    assert frame.schema["monthly_cost"] == pl.Decimal(38, 18)
    by_feature = dict(zip(frame["feature"].to_list(), frame["cost_per_request"].to_list()))
    assert by_feature == {"chat": Decimal("0.001634666666666667"), "search": None}
    with_total = result.pl(include_total=True)
    assert with_total.height == 3 and with_total["sample_requests"].to_list()[-1] == 5
    # a column that is all unpriced is still a decimal column, not floats or nulls
    unpriced = store.estimate_from_usage(where="feature=search", requests=1).arrow()
    assert unpriced.schema.field("monthly_cost").type == MONEY


def test_read_only_and_holds_no_lock_between_calls(store, spend, tmp_path):
    with store.connection() as con:
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE scratch (a INTEGER)")
    store.report(by="tenant")
    # the API keeps nothing open: a writer (rates load) gets the store right after a call
    spend.ok("rates", "load", write_card(tmp_path / "card2.csv", CARD))
    with pytest.raises(SpendError, match="no store at"):
        open_store(tmp_path / "missing.duckdb").report()


def test_api_errors_are_the_cli_errors(store):
    with pytest.raises(UsageError, match="give --requests N or --growth PCT"):
        store.estimate_from_usage(month="2026-09")
    with pytest.raises(UsageError, match="not a dimension"):
        store.estimate_from_usage(by="colour", requests=1)
    with pytest.raises(UsageError, match="not a date"):
        store.projection(as_of="11/09/2026")
    with pytest.raises(UsageError, match="not a dimension"):
        store.estimate_from_usage(where={"colour": "red"}, requests=1)


def test_compare_is_the_cli_compare(store, spend):
    data = cli_json(spend, "compare", "--input-tokens", "3000", "--output-tokens", "1000", "--requests", "2000000",
                    "--input-price", "0.90", "--output-price", "3.30", "--dedicated-cost", "5000",
                    "--dedicated-capacity-tokens", "10000000000")
    result = store.compare(input_tokens=3000, output_tokens=1000, requests=2_000_000, input_price="0.90",
                           output_price="3.30", dedicated=("5000", 10_000_000_000))
    assert as_json(result.meta["comparisons"][0]) == data
    modes = {row["mode"]: row for row in result.rows}
    assert modes["serverless"]["monthly_cost"] == Decimal("12000") and modes["batch"]["monthly_cost"] == Decimal("6000")
    assert modes["dedicated"]["monthly_cost"] == Decimal("5000")
    assert result.arrow().schema.field("monthly_cost").type == MONEY
    measured = cli_json(spend, "compare", "--from-usage", "--month", "2026-09", "--by", "model",
                        "--input-price", "1", "--output-price", "2")
    api = store.compare(from_usage=True, month="2026-09", by="model", input_price=1, output_price=2)
    assert as_json(api.meta["comparisons"]) == measured
    assert {row["model"] for row in api.rows} == {"m", "mystery"}
