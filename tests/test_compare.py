"""`llm-spend compare`: every mode side by side with exact Decimal figures and break-even counts."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

GUIDE = ["--input-tokens", "3000", "--output-tokens", "1000", "--requests", "2000000"]
GUIDE_PRICES = ["--input-price", "0.90", "--output-price", "3.30"]


def compare_json(spend, *args: str) -> dict:
    return json.loads(spend.ok("compare", *args, "--format", "json").stdout)


def modes(data: dict) -> dict[str, dict]:
    return {m["mode"] + (f" {m['capacity']}" if m["capacity"] else ""): m for m in data["modes"]}


def test_the_guide_numbers_come_out_exactly(spend):
    data = compare_json(spend, *GUIDE, *GUIDE_PRICES)
    w = data["workload"]
    assert (w["requests"], w["input_tokens"], w["output_tokens"], w["tokens"]) == (2000000, 6000000000, 2000000000, 8000000000)
    assert Decimal(w["input_tokens_per_request"]) == 3000 and Decimal(w["output_tokens_per_request"]) == 1000
    by_mode = modes(data)
    assert list(by_mode) == ["serverless", "batch"]  # only modes given a price, these two always
    assert Decimal(by_mode["serverless"]["monthly_cost"]) == Decimal("12000")
    assert Decimal(by_mode["serverless"]["effective_per_mtok"]) == Decimal("1.5")
    assert Decimal(by_mode["batch"]["monthly_cost"]) == Decimal("6000")
    assert Decimal(by_mode["batch"]["effective_per_mtok"]) == Decimal("0.75")
    assert by_mode["batch"]["break_even_requests"] is None and by_mode["batch"]["utilisation"] is None


def test_capacity_modes_with_utilisation_fit_and_break_even_by_hand(spend):
    data = compare_json(spend, *GUIDE, *GUIDE_PRICES,
                        "--dedicated-cost", "5000", "--dedicated-capacity-tokens", "10000000000",
                        "--gpus", "8", "--gpu-hours", "720", "--gpu-hour-rate", "2.25")
    by_mode = modes(data)
    dedicated, gpu = by_mode["dedicated"], by_mode["gpu_cluster"]
    # serverless: $0.006 a request. Dedicated $5,000 / $0.006 = 833,333.33... -> 833,334 requests
    # (833,333 requests cost $4,999.998 serverless: still less than the endpoint).
    assert Decimal(dedicated["monthly_cost"]) == Decimal("5000")
    assert Decimal(dedicated["effective_per_mtok"]) == Decimal("0.625")      # 5000 / 8,000
    assert Decimal(dedicated["utilisation"]) == Decimal("0.8")                # 8e9 / 1e10
    assert dedicated["fits"] is True
    assert dedicated["break_even_requests"] == 833334
    assert isinstance(dedicated["break_even_requests"], int)
    # GPU: 8 x 720 h x $2.25 = $12,960 = exactly 2,160,000 serverless requests ("no more than").
    assert Decimal(gpu["monthly_cost"]) == Decimal("12960")
    assert Decimal(gpu["effective_per_mtok"]) == Decimal("1.62")
    assert gpu["break_even_requests"] == 2160000
    assert gpu["utilisation"] is None and gpu["fits"] is None and gpu["capacity_tokens"] is None


def test_the_table_names_the_cheapest_mode_and_by_how_much(spend):
    out = spend.ok("compare", *GUIDE, *GUIDE_PRICES, "--dedicated-cost", "5000",
                   "--dedicated-capacity-tokens", "10000000000").stdout
    lines = out.splitlines()
    assert lines[0] == ("workload: 2,000,000 requests a month, 3,000 input (0 cached) + 1,000 output tokens a request, "
                        "8,000,000,000 tokens a month")
    assert lines[-1] == "cheapest: dedicated at $5,000.00 a month, $7,000.00 (58.3%) less than serverless"
    assert any(line.startswith("serverless") and "$12,000.00" in line and "$1.50" in line for line in lines)
    only_per_token = spend.ok("compare", *GUIDE, *GUIDE_PRICES).stdout.splitlines()
    assert only_per_token[-1] == "cheapest: batch at $6,000.00 a month, $6,000.00 (50.0%) less than serverless"


def test_a_capacity_the_workload_does_not_fit_is_never_the_cheapest(spend):
    data = compare_json(spend, *GUIDE, *GUIDE_PRICES, "--gpus", "1", "--gpu-hours", "100", "--gpu-hour-rate", "2",
                        "--gpu-capacity-tokens", "6000000000")
    gpu = modes(data)["gpu_cluster"]
    assert gpu["fits"] is False
    assert Decimal(gpu["utilisation"]) == Decimal("1.333333333333333333")   # 8e9 / 6e9, half up at 18 places
    assert gpu["break_even_requests"] == 33334                               # $200 / $0.006
    out = spend.ok("compare", *GUIDE, *GUIDE_PRICES, "--gpus", "1", "--gpu-hours", "100", "--gpu-hour-rate", "2",
                   "--gpu-capacity-tokens", "6000000000").stdout
    assert out.splitlines()[-1].startswith("cheapest: batch at $6,000.00")


def test_cached_tokens_and_price_and_batch_discount(spend):
    data = compare_json(spend, "--input-tokens", "1000", "--cached-tokens", "400", "--output-tokens", "100",
                        "--requests", "10", "--input-price", "1", "--cached-price", "0.1", "--output-price", "2",
                        "--batch-discount", "0.6")
    by_mode = modes(data)
    # a request: 600 x $1 + 400 x $0.10 + 100 x $2 per 1M = $0.00084; 10 requests
    assert Decimal(by_mode["serverless"]["monthly_cost"]) == Decimal("0.0084")
    assert Decimal(by_mode["batch"]["monthly_cost"]) == Decimal("0.00504")
    assert Decimal(data["workload"]["batch_discount"]) == Decimal("0.6")


def test_csv_has_one_row_per_mode(spend):
    lines = spend.ok("compare", *GUIDE, *GUIDE_PRICES, "--dedicated-cost", "5000", "--dedicated-capacity-tokens",
                     "10000000000", "--format", "csv").stdout.splitlines()
    assert lines[0] == ("month,requests,tokens,mode,capacity,monthly_cost,effective_per_mtok,capacity_tokens,"
                        "utilisation,fits,break_even_requests")
    assert lines[1:] == [
        ",2000000,8000000000,serverless,,12000,1.5,,,,",
        ",2000000,8000000000,batch,,6000,0.75,,,,",
        ",2000000,8000000000,dedicated,,5000,0.625,10000000000,0.8,yes,833334",
    ]


@pytest.mark.parametrize("args, message", [
    ([*GUIDE, *GUIDE_PRICES, "--gpus", "8", "--gpu-hours", "720"],
     "--gpus, --gpu-hours and --gpu-hour-rate go together: --gpu-hour-rate missing"),
    ([*GUIDE, *GUIDE_PRICES, "--gpu-capacity-tokens", "5"],
     "--gpu-capacity-tokens needs --gpus, --gpu-hours and --gpu-hour-rate"),
    ([*GUIDE, *GUIDE_PRICES, "--dedicated-cost", "5000"], "--dedicated-cost and --dedicated-capacity-tokens go together"),
    ([*GUIDE, *GUIDE_PRICES, "--dedicated-cost", "-5", "--dedicated-capacity-tokens", "9"], "'-5' must be a number > 0"),
    ([*GUIDE, *GUIDE_PRICES, "--dedicated-cost", "5", "--dedicated-capacity-tokens", "0"], "0 is not in the range x>=1"),
    ([*GUIDE, *GUIDE_PRICES, "--gpus", "0", "--gpu-hours", "1", "--gpu-hour-rate", "1"], "0 is not in the range x>=1"),
    ([*GUIDE, "--input-price", "-1", "--output-price", "1"], "'-1' must be a number >= 0"),
    ([*GUIDE, "--input-price", "1"], "--input-price and --output-price go together"),
    (["--input-tokens", "1", "--requests", "1", *GUIDE_PRICES], "give --output-tokens (or --from-usage)"),
    ([*GUIDE], "give --model, or --input-price and --output-price"),
    ([*GUIDE, *GUIDE_PRICES, "--by", "model"], "--by needs --from-usage"),
    (["--from-usage", *GUIDE], "--from-usage measures the workload: drop --input-tokens, --output-tokens, --requests"),
    ([*GUIDE, *GUIDE_PRICES, "--batch-discount", "1.5"], "'1.5' is above 1"),
    (["--input-tokens", "10", "--cached-tokens", "20", "--output-tokens", "1", "--requests", "1", *GUIDE_PRICES],
     "--cached-tokens cannot exceed --input-tokens"),
])
def test_bad_flags_are_one_line_and_exit_2(spend, args, message):
    result = spend("compare", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert message in result.stderr
    assert not spend.db.exists()  # nothing stored, nothing even opened


def measured_store(spend, tmp_path) -> None:
    """September: 4 requests of 3,000 in (1,000 cached) + 1,000 out on model m, one of them on
    another feature; a card for m (serverless and a batch row of its own) and a capacity."""
    from tests.helpers import chat_record, write_card, write_jsonl
    from tests.test_capacity import SEPT, write_capacity

    records = [chat_record(f"r{i}", created=SEPT + i, model="m", prompt=3000, completion=1000, cached=1000,
                           metadata={"tenant": "t", "feature": "search" if i == 3 else "chat"}) for i in range(4)]
    spend.ok("ingest", write_jsonl(tmp_path / "sept.jsonl", records))
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", """
        m,serverless,0.90,3.30,0.10,,,,USD
        m,batch,0.40,1.50,0.05,,,,USD
    """))
    spend.ok("capacity", "load", write_capacity(tmp_path / "cap.csv", "ep,dedicated,m,2026-09,0.5,,,,20000"))


def test_compare_from_measured_usage_equals_compare_from_the_same_numbers_as_flags(spend, tmp_path):
    measured_store(spend, tmp_path)
    offers = ["--dedicated-cost", "0.02", "--dedicated-capacity-tokens", "100000",
              "--gpus", "1", "--gpu-hours", "1", "--gpu-hour-rate", "0.01"]
    as_flags = ["--input-tokens", "3000", "--cached-tokens", "1000", "--output-tokens", "1000", "--requests", "4"]
    # priced by the given prices, and by the store's rates (--model m, its batch row)
    for prices in (["--input-price", "0.90", "--output-price", "3.30", "--cached-price", "0.10"], ["--model", "m"]):
        measured = compare_json(spend, "--from-usage", "--month", "2026-09", *prices, *offers)
        flags = compare_json(spend, *as_flags, *prices, *offers)
        assert measured["modes"] == flags["modes"]
        for key in ("requests", "input_tokens", "cached_tokens", "output_tokens", "tokens", "input_tokens_per_request",
                    "cached_tokens_per_request", "output_tokens_per_request"):
            assert measured["workload"][key] == flags["workload"][key], key
    # by hand: a request is 2,000 x $0.90 + 1,000 x $0.10 + 1,000 x $3.30 per 1M = $0.0052
    by_mode = modes(measured)
    assert Decimal(by_mode["serverless"]["monthly_cost"]) == Decimal("0.0208")
    assert Decimal(by_mode["batch"]["monthly_cost"]) == Decimal("0.0094")  # its batch row: 4 x (800 + 50 + 1,500) / 1M
    assert by_mode["dedicated"]["break_even_requests"] == 4                # ceil(0.02 / 0.0052) = ceil(3.85)
    assert by_mode["gpu_cluster"]["break_even_requests"] == 2              # ceil(0.01 / 0.0052)
    # one group of --by feature is the same as its numbers given as flags
    grouped = json.loads(spend.ok("compare", "--from-usage", "--by", "feature", *offers, "--format", "json").stdout)
    assert [c["workload"]["feature"] for c in grouped] == ["chat", "search"]
    chat = grouped[0]
    three = compare_json(spend, "--input-tokens", "3000", "--cached-tokens", "1000", "--output-tokens", "1000",
                         "--requests", "3", "--model", "m", *offers)
    assert chat["modes"] == three["modes"]


def test_compare_a_loaded_capacity_by_name_and_one_that_is_not_loaded(spend, tmp_path):
    measured_store(spend, tmp_path)
    data = compare_json(spend, "--from-usage", "--model", "m", "--capacity", "ep")
    ep = modes(data)["dedicated ep 2026-09"]
    # $0.50 for 20,000 tokens; the month's 16,000 tokens use 80% of it
    assert Decimal(ep["monthly_cost"]) == Decimal("0.5") and ep["capacity_tokens"] == 20000
    assert Decimal(ep["utilisation"]) == Decimal("0.8") and ep["fits"] is True
    assert ep["break_even_requests"] == 97  # ceil(0.5 / 0.0052) = ceil(96.15...)
    before = spend.sql("SELECT count(*) AS n FROM capacities")
    for args in (["--capacity", "nope"], ["--capacity", "ep", "--month", "2026-10"]):
        result = spend("compare", "--from-usage", "--model", "m", *args)
        assert result.exit_code == 2 and result.stderr.count("\n") == 1
        assert "is loaded; see `llm-spend capacity list`" in result.stderr
    assert spend.sql("SELECT count(*) AS n FROM capacities") == before
