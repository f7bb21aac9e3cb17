"""`whatif`: the measured usage re-priced on another model, mode or card, each request keeping its
own token counts; every figure computed by hand below, in units of 1e-7 USD (0.20/1M = 2 units a
token), from the sample of tests/test_planning.py."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from analyzer import render
from tests.helpers import write_card
from tests.test_planning import SAMPLE, load

# m as in test_planning; nocache has neither a cached nor a cache-write rate (both bill at its
# input rate, 2 units a token; output 6 units).
CARD = "m,,0.90,3.30,0.10,1.25,,,\nnocache,,0.20,0.60,,,,,"


@pytest.fixture
def store(spend, tmp_path):
    return load(spend, tmp_path, CARD, SAMPLE)


def whatif(spend, *args) -> dict:
    return json.loads(spend.ok("whatif", *args, "--format", "json").stdout)


def rows_by(data: dict, key: str) -> dict:
    return {row[key]: row for row in data["rows"]}


def test_whatif_on_a_model_without_a_cached_rate(store, spend):
    data = whatif(spend, "--as", "nocache", "--month", "2026-09", "--by", "feature")
    chat, search = rows_by(data, "feature")["chat"], rows_by(data, "feature")["search"]
    # chat today: 0.004904 (test_planning). On nocache, cached and cache-write tokens bill at input:
    # r1 = 1000x2 + 50x6 = 2300, r2 = 2000x2 + 70x6 = 4420, r3 = 3000x2 + 10x6 = 6060 units
    assert chat == {"feature": "chat", "requests": 3, "current_cost": "0.004904", "whatif_cost": "0.001278",
                    "difference": "-0.003626", "unpriced_requests": 0, "whatif_unpriced_requests": 0}
    # search: r4 = 4000x2 + 1000x6 = 14000, r5 (mystery, unpriced today) = 10x2 + 1x6 = 26 units
    assert search == {"feature": "search", "requests": 2, "current_cost": None, "whatif_cost": "0.0014026",
                      "difference": None, "unpriced_requests": 1, "whatif_unpriced_requests": 0}
    assert data["total"] == {"feature": None, "requests": 5, "current_cost": None, "whatif_cost": "0.0026806",
                             "difference": None, "unpriced_requests": 1, "whatif_unpriced_requests": 0}
    assert data["as"] == "nocache" and data["rates"] == "store"


def test_whatif_as_batch_and_where(store, spend):
    data = whatif(spend, "--mode", "batch", "--where", "feature=chat", "--month", "2026-09")
    # m has no batch row: serverless x the store's discount 0.5
    assert data["total"]["current_cost"] == "0.004904"
    assert data["total"]["whatif_cost"] == "0.002452"
    assert data["total"]["difference"] == "-0.002452"
    assert data["rows"] == [{k: v for k, v in data["total"].items()}]


def test_whatif_with_a_card_that_is_not_loaded(store, spend, tmp_path):
    # cheap: input 1 unit, cached 0.5, cache write (unset) = input, output 2
    card = write_card(tmp_path / "cheap.csv", "cheap,,0.10,0.20,0.05,,,,")
    data = whatif(spend, "--as", "cheap", "--rates", card, "--where", "tenant=acme", "--by", "model")
    # r1 = 700 + 100 + 100 + 100 = 1000, r2 = 2000 + 140, r3 = 2000 + 500 + 20, r6 = 1000 units
    assert rows_by(data, "model")["m"] == {"model": "m", "requests": 4, "current_cost": "0.005804",
                                           "whatif_cost": "0.000666", "difference": "-0.005138",
                                           "unpriced_requests": 0, "whatif_unpriced_requests": 0}
    assert data["rates"] == str(card)
    assert [r["model"] for r in spend.sql("SELECT DISTINCT model FROM rates ORDER BY 1")] == ["m", "nocache"]


def test_api_whatif_is_the_cli_whatif(store, spend):
    data = whatif(spend, "--as", "nocache", "--month", "2026-09", "--by", "tenant,feature")
    result = store.whatif(as_model="nocache", month="2026-09", by="tenant,feature")
    assert json.loads(render.to_json(result.as_dict())) == data
    chat = next(row for row in result.rows if row["feature"] == "chat")
    assert chat["whatif_cost"] == Decimal("0.001278") and chat["whatif_cost"].as_tuple().exponent == -18
    assert str(result.arrow().schema.field("difference").type) == "decimal128(38, 18)"


def test_whatif_table_and_errors(store, spend, tmp_path):
    table = spend.ok("whatif", "--as", "nocache", "--month", "2026-09", "--by", "feature").stdout
    assert "unpriced" in table and "total" in table and "-$0.0036" in table
    result = spend("whatif", "--month", "2026-09")
    assert result.exit_code == 2 and "give --as MODEL, --mode MODE or --rates CARD.csv" in result.stderr
    result = spend("whatif", "--as", "nope")
    assert result.exit_code == 1 and result.stderr.startswith("error: none of the usage can be priced as nope")
    result = spend("whatif", "--mode", "dedicated")
    assert result.exit_code == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("model,mode\nx,\n", encoding="utf-8")
    result = spend("whatif", "--as", "x", "--rates", bad)
    assert result.exit_code == 1 and "bad.csv" in result.stderr and "Traceback" not in result.stderr
