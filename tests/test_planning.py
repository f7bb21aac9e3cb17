"""Planning from measured usage: `estimate --from-usage` and the month-end projection, exactly.

Every expected figure is computed by hand in the comments, in units of 1e-7 USD a token-rate
(0.90/1M = 9 units a token) so the sums can be checked on paper.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from analyzer import open_store, render
from tests.helpers import write_card

CONFIG = '[attribution]\ntenant = ["tenant"]\nfeature = ["feature"]\n'
HEADER = "request_id,ts,model,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,tenant,feature\n"

# m: input 0.90 (9 units), cached 0.10 (1 unit), cache write 1.25 (12.5 units), output 3.30 (33 units).
CARD = "m,,0.90,3.30,0.10,1.25,,,"
SAMPLE = """\
r1,2026-09-01T10:00:00Z,m,1000,200,100,50,acme,chat
r2,2026-09-02T10:00:00Z,m,2000,0,0,70,acme,chat
r3,2026-09-03T10:00:00Z,m,3000,1000,0,10,acme,chat
r4,2026-09-04T10:00:00Z,m,4000,0,0,1000,globex,search
r5,2026-09-05T10:00:00Z,mystery,10,0,0,1,globex,search
r6,2026-10-01T10:00:00Z,m,1000,0,0,0,acme,chat
"""
# r1 = 700x9 + 200x1 + 100x12.5 + 50x33 = 6300 + 200 + 1250 + 1650 = 9400 units = 0.00094
# r2 = 2000x9 + 70x33 = 18000 + 2310 = 20310 units = 0.002031
# r3 = 2000x9 + 1000x1 + 10x33 = 18000 + 1000 + 330 = 19330 units = 0.001933
# chat (September) = 49040 units = 0.004904 over 3 requests; r4 = 0.0069; r5 unpriced.


def load(spend, tmp_path, card: str, rows: str):
    config = tmp_path / "attribution.toml"
    config.write_text(CONFIG, encoding="utf-8")
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", card))
    (tmp_path / "usage.csv").write_text(HEADER + rows, encoding="utf-8")
    spend.ok("ingest", tmp_path / "usage.csv", config=config)
    return open_store(spend.db)


@pytest.fixture
def sample(spend, tmp_path):
    return load(spend, tmp_path, CARD, SAMPLE)


def by_key(result, key):
    return {row[key]: row for row in result.rows}


def test_estimate_from_a_known_sample(sample):
    result = sample.estimate_from_usage(by="feature", month="2026-09", requests=1_000_000)
    chat = by_key(result, "feature")["chat"]
    assert chat["sample_requests"] == 3
    assert chat["avg_input_tokens"] == Decimal("2000")
    assert chat["avg_cached_input_tokens"] == Decimal("400")
    assert chat["avg_cache_write_tokens"] == Decimal("33.333333")  # 100 / 3, 6 places
    assert chat["avg_output_tokens"] == Decimal("43.333333")  # 130 / 3
    assert chat["sample_cost"] == Decimal("0.004904")
    # 0.004904 / 3 = 0.001634666..., rounded half to even at 18 places
    assert chat["cost_per_request"] == Decimal("0.001634666666666667")
    # from the total, not from the rounded cost per request (that would give ...666667000)
    assert chat["monthly_cost"] == Decimal("1634.666666666666666667")
    assert chat["monthly_requests"] == Decimal(1_000_000)
    assert chat["unpriced_requests"] == 0


def test_a_group_with_unpriced_usage_is_unpriced_never_zero(sample):
    result = sample.estimate_from_usage(by="feature", month="2026-09", requests=100)
    search = by_key(result, "feature")["search"]
    assert search["sample_requests"] == 2 and search["unpriced_requests"] == 1
    assert search["sample_cost"] is None and search["cost_per_request"] is None and search["monthly_cost"] is None
    assert result.total["unpriced_requests"] == 1 and result.total["monthly_cost"] is None
    by_model = by_key(sample.estimate_from_usage(by="model", month="2026-09", requests=100), "model")
    assert by_model["mystery"]["cost_per_request"] is None
    # m: 0.004904 + 0.0069 = 0.011804 over 4 requests
    assert by_model["m"]["cost_per_request"] == Decimal("0.002951")
    assert by_model["m"]["monthly_cost"] == Decimal("0.2951")


def test_growth_grows_the_measured_month(sample):
    result = sample.estimate_from_usage(by="tenant,feature", month="2026-09", growth="10")
    chat = by_key(result, "feature")["chat"]
    assert chat["tenant"] == "acme"
    assert chat["monthly_requests"] == Decimal("3.3")
    assert chat["monthly_cost"] == Decimal("0.0053944")  # 0.004904 x 1.10
    october = sample.estimate_from_usage(month="2026-10", growth=-50)
    assert october.rows[0]["monthly_cost"] == Decimal("0.00045")  # r6 = 1000 x 9 units = 0.0009, halved


def test_where_and_period_filters(sample):
    result = sample.estimate_from_usage(where="tenant=acme", since="2026-09-02", until="2026-10-31", requests=1)
    (row,) = result.rows
    assert row["sample_requests"] == 3  # r2, r3, r6
    assert row["sample_cost"] == Decimal("0.004864")  # 20310 + 19330 + 9000 units
    assert row["cost_per_request"] == Decimal("0.001621333333333333")
    assert result.total["sample_cost"] == row["sample_cost"]


def test_cli_json_rows_and_total_match_the_api(sample, spend):
    out = spend.ok("estimate", "--from-usage", "--by", "feature", "--month", "2026-09", "--requests", "1000000",
                   "--format", "json").stdout
    data = json.loads(out)
    chat = next(row for row in data["rows"] if row["feature"] == "chat")
    assert chat["cost_per_request"] == "0.001634666666666667"
    assert chat["monthly_cost"] == "1634.666666666666666667"
    assert chat["avg_cache_write_tokens"] == "33.333333"
    assert chat["sample_requests"] == 3
    search = next(row for row in data["rows"] if row["feature"] == "search")
    assert search["cost_per_request"] is None and search["monthly_cost"] is None
    assert data["total"]["sample_requests"] == 5 and data["total"]["monthly_cost"] is None
    api = sample.estimate_from_usage(by="feature", month="2026-09", requests=1_000_000)
    assert data["rows"] == json.loads(render.to_json(api.rows))
    assert data["total"] == json.loads(render.to_json(api.total))
    table = spend.ok("estimate", "--from-usage", "--by", "feature", "--month", "2026-09", "--requests", "1000000").stdout
    assert "unpriced" in table and "$1,634.67" in table


def test_estimate_from_usage_errors(sample, spend):
    def error(*args):
        result = spend("estimate", "--from-usage", *args)
        return result.exit_code, result.stderr.strip()

    assert error("--month", "2026-09") == (2, "error: give --requests N or --growth PCT")
    assert error("--requests", "1", "--growth", "5") == (2, "error: give --requests N or --growth PCT")
    assert error("--growth", "5", "--since", "2026-09-01") == \
        (2, "error: --growth grows one measured month: give --month YYYY-MM")
    assert error("--growth", "-100", "--month", "2026-09")[0] == 2
    assert error("--by", "colour", "--requests", "1")[0] == 2
    assert error("--where", "feature", "--requests", "1")[0] == 2
    code, message = error("--requests", "1", "--input-tokens", "5")
    assert code == 2 and "--from-usage" in message


# A known daily series: m at $1 per 1M input tokens, so 1,000,000 tokens is $1 exactly.
DAILY_CARD = "m,,1,0,,,,,"


def daily_rows() -> str:
    lines = []
    for day in range(25, 32):  # acme: $1 a day from 2026-08-25 ...
        lines.append(f"a08{day},2026-08-{day}T12:00:00Z,m,1000000,0,0,0,acme,chat")
    for day in range(1, 13):  # ... through 2026-09-12 (the days from as_of on are ignored)
        lines.append(f"a09{day:02d},2026-09-{day:02d}T12:00:00Z,m,1000000,0,0,0,acme,chat")
    lines.append("g1,2026-09-05T08:00:00Z,m,2000000,0,0,0,globex,search")  # globex: $2 once
    lines.append("i1,2026-09-06T08:00:00Z,mystery,5,0,0,0,initech,chat")  # initech: unpriced
    return "\n".join(lines) + "\n"


def test_month_end_projection_from_a_known_daily_series(spend, tmp_path):
    store = load(spend, tmp_path, DAILY_CARD, daily_rows())
    result = store.projection(by="tenant", as_of="2026-09-11")
    rows = by_key(result, "tenant")
    # as_of 2026-09-11: month-to-date = Sep 1..10; window = Sep 4..10 (7 days); 20 days left.
    acme, globex, initech = rows["acme"], rows["globex"], rows["initech"]
    assert (acme["month_to_date"], acme["trailing_spend"], acme["trailing_days"], acme["days_left"]) == \
        (Decimal(10), Decimal(7), 7, 20)
    assert acme["daily_mean"] == Decimal(1)
    assert acme["projected_month_end"] == Decimal(30)  # 10 + 7 x 20 / 7
    assert globex["projected_month_end"] == Decimal("7.714285714285714286")  # 2 + 2 x 20 / 7
    assert globex["daily_mean"] == Decimal("0.285714285714285714")
    assert initech["month_to_date"] is None and initech["projected_month_end"] is None
    assert initech["unpriced_requests"] == 1
    total = result.total
    assert total["month_to_date"] == Decimal(12)
    assert total["projected_month_end"] == Decimal("37.714285714285714286")  # 12 + 9 x 20 / 7
    assert total["unpriced_requests"] == 1
    # the 1st of the month: nothing yet this month, the window is the last 7 days of August
    first = store.projection(as_of=date(2026, 9, 1)).total
    assert (first["month_to_date"], first["days_left"], first["projected_month_end"]) == (0, 30, Decimal(30))


def test_projection_window_starts_at_the_first_usage(spend, tmp_path):
    rows = "".join(f"d{day},2026-09-{day:02d}T00:00:00Z,m,{day * 1000000},0,0,0,acme,chat\n" for day in (8, 9, 10))
    store = load(spend, tmp_path, DAILY_CARD, rows)
    total = store.projection(as_of="2026-09-11").total
    # window = Sep 8..10 (3 days, $27), month-to-date $27, 20 days left: 27 + 27 x 20 / 3 = 207
    assert (total["trailing_days"], total["month_to_date"], total["projected_month_end"]) == (3, 27, Decimal(207))
    assert store.projection(as_of="2026-09-08").total["projected_month_end"] is None  # no full day yet


def test_report_covering_the_month_shows_the_projection(spend, tmp_path):
    store = load(spend, tmp_path, DAILY_CARD, daily_rows())
    args = ["report", "--by", "tenant,model", "--month", "2026-09", "--as-of", "2026-09-11"]
    data = json.loads(spend.ok(*args, "--format", "json").stdout)
    projection = data["projection"]
    assert projection["by"] == ["tenant"]  # the report's tenant / feature dimensions
    assert projection["as_of"] == "2026-09-11" and projection["days_left"] == 20
    assert projection["total"]["projected_month_end"] == "37.714285714285714286"
    rows = {row["tenant"]: row for row in projection["rows"]}
    assert rows["globex"]["projected_month_end"] == "7.714285714285714286"
    assert rows["initech"]["projected_month_end"] is None
    assert projection == json.loads(render.to_json(store.projection(by="tenant", as_of="2026-09-11").as_dict()))
    table = spend.ok(*args).stdout
    assert "Month-end projection for 2026-09 as of 2026-09-11" in table
    assert "$37.71" in table and "$7.71" in table
    # a report over another month, or as CSV, carries no projection
    other = json.loads(spend.ok("report", "--month", "2026-08", "--as-of", "2026-09-11", "--format", "json").stdout)
    assert "projection" not in other
    assert "projection" not in spend.ok(*args, "--format", "csv").stdout.lower()
