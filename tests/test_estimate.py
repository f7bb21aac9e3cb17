"""`llm-spend estimate`: the together.ai pricing guide's worked examples, exactly."""

from __future__ import annotations

import json
from decimal import Decimal

from tests.helpers import write_card

GUIDE = ["--input-price", "0.90", "--output-price", "3.30"]


def estimate(spend, *args) -> dict:
    return json.loads(spend.ok("estimate", *args, "--format", "json").stdout)


def test_single_request_of_the_guide(spend):
    data = estimate(spend, *GUIDE, "--input-tokens", "4000", "--output-tokens", "1000", "--requests", "1")
    assert Decimal(data["input_cost_per_request"]) == Decimal("0.0036")
    assert Decimal(data["output_cost_per_request"]) == Decimal("0.0033")
    assert Decimal(data["cost_per_request"]) == Decimal("0.0069")


def test_monthly_volume_of_the_guide(spend):
    data = estimate(spend, *GUIDE, "--input-tokens", "3000", "--output-tokens", "1000", "--requests", "2000000")
    assert Decimal(data["cost_per_request"]) == Decimal("0.0060")
    assert Decimal(data["monthly_cost"]) == Decimal("12000")
    assert isinstance(data["monthly_cost"], str) and isinstance(data["cost_per_request"], str)


def test_batch_halves_the_monthly_cost(spend):
    data = estimate(spend, *GUIDE, "--input-tokens", "3000", "--output-tokens", "1000", "--requests", "2000000",
                    "--mode", "batch")
    assert Decimal(data["monthly_cost"]) == Decimal("6000")


def test_model_rates_come_from_the_store(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "arcee-ai/maestro-reasoning,,0.90,3.30,,,,,"))
    args = ["--model", "arcee-ai/maestro-reasoning", "--input-tokens", "3000", "--output-tokens", "1000",
            "--requests", "2000000"]
    assert Decimal(estimate(spend, *args)["monthly_cost"]) == Decimal("12000")
    assert Decimal(estimate(spend, *args, "--mode", "batch")["monthly_cost"]) == Decimal("6000")


def test_a_batch_row_wins_over_the_discount(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1.00,2.00,,,,,\nm,batch,0.40,0.80,,,,,"))
    data = estimate(spend, "--model", "m", "--input-tokens", "1000000", "--output-tokens", "1000000",
                    "--requests", "1", "--mode", "batch")
    assert Decimal(data["cost_per_request"]) == Decimal("1.20")


def test_table_output_rounds_for_display_only(spend):
    out = spend.ok("estimate", *GUIDE, "--input-tokens", "4000", "--output-tokens", "1000", "--requests", "1").stdout
    assert "$0.0069" in out


def test_estimate_errors(spend, tmp_path):
    result = spend("estimate", "--input-tokens", "1", "--output-tokens", "1", "--requests", "1")
    assert result.exit_code == 2 and "give --model, or both --input-price and --output-price" in result.stderr
    result = spend("estimate", "--input-price", "-1", "--output-price", "1", "--input-tokens", "1",
                   "--output-tokens", "1", "--requests", "1")
    assert result.exit_code == 2 and "must be a number >= 0" in result.stderr
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1,1,,,,,"))
    result = spend("estimate", "--model", "nope", "--input-tokens", "1", "--output-tokens", "1", "--requests", "1")
    assert result.exit_code == 1 and "no serverless rate in force for model 'nope'" in result.stderr
