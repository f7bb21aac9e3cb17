"""Every pricing rule of docs/pricing.md, with exact Decimal expectations, through a real store file."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from analyzer.store import open_store
from tests.helpers import chat_record, write_card, write_jsonl

SEPT_14_LAST_SECOND = int(datetime(2026, 9, 14, 23, 59, 59, tzinfo=timezone.utc).timestamp())
SEPT_15_MIDNIGHT = int(datetime(2026, 9, 15, tzinfo=timezone.utc).timestamp())


def costs(spend, where: str = "true") -> dict[str, dict]:
    rows = spend.sql(f"SELECT request_id, input_cost, cached_input_cost, cache_write_cost, output_cost, cost, priced "
                     f"FROM priced_usage WHERE {where} ORDER BY request_id")
    return {r["request_id"]: r for r in rows}


def test_guide_worked_example_per_request(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "arcee-ai/maestro-reasoning,,0.90,3.30,,,,,"))
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [
        chat_record("r1", model="arcee-ai/maestro-reasoning", prompt=4000, completion=1000),
        chat_record("r2", model="arcee-ai/maestro-reasoning", prompt=3000, completion=1000),
    ]))
    rows = costs(spend)
    assert Decimal(rows["r1"]["input_cost"]) == Decimal("0.0036")
    assert Decimal(rows["r1"]["output_cost"]) == Decimal("0.0033")
    assert Decimal(rows["r1"]["cost"]) == Decimal("0.0069")
    assert Decimal(rows["r2"]["cost"]) == Decimal("0.0060")


def test_rate_change_inside_a_month_prices_each_request_by_the_rate_in_force(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", """
        m,,1.10,2.00,,,,2026-09-15,
        m,,0.88,1.00,,,2026-09-15,,
    """))
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [
        chat_record("before", created=SEPT_14_LAST_SECOND, prompt=1_000_000, completion=1_000_000),
        chat_record("after", created=SEPT_15_MIDNIGHT, prompt=1_000_000, completion=1_000_000),
    ]))
    rows = costs(spend)
    assert Decimal(rows["before"]["cost"]) == Decimal("3.10")
    assert Decimal(rows["after"]["cost"]) == Decimal("1.88")
    out = spend.ok("report", "--by", "model", "--month", "2026-09", "--format", "csv").stdout
    assert out.splitlines()[1] == "2026-09,m,2,2000000,0,2000000,4.98,0"


def test_cached_tokens_use_the_cached_rate(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1.00,2.00,0.10,,,,"))
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [chat_record("r", prompt=1000, cached=400, completion=10)]))
    row = costs(spend)["r"]
    assert Decimal(row["input_cost"]) == Decimal("0.0006")        # 600 uncached x $1/1M
    assert Decimal(row["cached_input_cost"]) == Decimal("0.00004")  # 400 cached x $0.10/1M
    assert Decimal(row["output_cost"]) == Decimal("0.00002")
    assert Decimal(row["cost"]) == Decimal("0.00066")


def test_cached_tokens_without_a_cached_rate_bill_at_the_input_rate(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1.00,2.00,,,,,"))
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [chat_record("r", prompt=1000, cached=400, completion=0)]))
    row = costs(spend)["r"]
    assert Decimal(row["cached_input_cost"]) == Decimal("0.0004")
    assert Decimal(row["cost"]) == Decimal("0.001")


def test_batch_uses_its_own_row_and_its_missing_cached_rate_falls_back_to_that_row(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", """
        m,serverless,1.00,4.00,0.25,,,,
        m,batch,0.40,1.00,,,,,
    """))
    spend.ok("ingest", "--mode", "batch",
             write_jsonl(tmp_path / "a.jsonl", [chat_record("r", prompt=1000, cached=500, completion=1000)]))
    row = costs(spend)["r"]
    assert Decimal(row["input_cost"]) == Decimal("0.0002")         # 500 x 0.40
    assert Decimal(row["cached_input_cost"]) == Decimal("0.0002")  # 500 x 0.40 (batch row's input rate)
    assert Decimal(row["output_cost"]) == Decimal("0.001")
    assert Decimal(row["cost"]) == Decimal("0.0014")


def test_batch_without_a_batch_row_is_serverless_times_the_default_discount(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "arcee-ai/maestro-reasoning,,0.90,3.30,,,,,"))
    spend.ok("ingest", "--mode", "batch", write_jsonl(tmp_path / "a.jsonl", [
        chat_record("r", model="arcee-ai/maestro-reasoning", prompt=3000, completion=1000)]))
    assert Decimal(costs(spend)["r"]["cost"]) == Decimal("0.0030")


def test_batch_discount_comes_from_the_config(spend, tmp_path):
    config = tmp_path / "llm-spend.toml"
    config.write_text('[pricing]\nbatch_discount = "0.6"\n')
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1.00,2.00,0.50,,,,"), config=config)
    spend.ok("ingest", "--mode", "batch",
             write_jsonl(tmp_path / "a.jsonl", [chat_record("r", prompt=1000, cached=200, completion=1000)]),
             config=config)
    row = costs(spend)["r"]
    assert Decimal(row["input_cost"]) == Decimal("0.00048")         # 800 x 1.00 x 0.6
    assert Decimal(row["cached_input_cost"]) == Decimal("0.00006")  # 200 x 0.50 x 0.6
    assert Decimal(row["output_cost"]) == Decimal("0.0012")         # 1000 x 2.00 x 0.6


def test_unknown_model_is_unpriced_never_zero(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1.00,2.00,,,,,"))
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [
        chat_record("known", prompt=1000, completion=0),
        chat_record("unknown", model="mystery", prompt=1000, completion=0),
    ]))
    rows = costs(spend)
    assert rows["unknown"]["cost"] is None and rows["unknown"]["priced"] is False
    assert rows["known"]["priced"] is True
    csv_lines = spend.ok("report", "--by", "model", "--period", "total", "--format", "csv").stdout.splitlines()
    assert "total,mystery,1,1000,0,0,,1" in csv_lines
    assert "total,m,1,1000,0,0,0.001,0" in csv_lines
    unpriced = spend.ok("rates", "unpriced", "--format", "csv").stdout
    assert unpriced.splitlines()[1].startswith("mystery,serverless,1,1000,0,")


def test_free_model_has_an_explicit_zero_cost(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "free-model,,0,0,,,,,"))
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [chat_record("r", model="free-model")]))
    row = costs(spend)["r"]
    assert row["priced"] is True and Decimal(row["cost"]) == 0


def test_request_before_the_first_rate_is_unpriced(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1.00,2.00,,,2026-09-15,,"))
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [
        chat_record("early", created=SEPT_14_LAST_SECOND), chat_record("late", created=SEPT_15_MIDNIGHT)]))
    rows = costs(spend)
    assert rows["early"]["priced"] is False and rows["late"]["priced"] is True


def test_cache_write_tokens_use_their_rate_or_fall_back_to_input(db, spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", """
        with-write,,3.00,15.00,0.30,3.75,,,
        no-write,,3.00,15.00,0.30,,,,
    """))
    with open_store(db) as con:
        con.execute("""
            INSERT INTO usage (request_id, ts, model, mode, requests, input_tokens, cached_input_tokens,
                               cache_write_tokens, output_tokens, reasoning_tokens)
            VALUES ('a', TIMESTAMPTZ '2026-10-01 00:00:00+00', 'with-write', 'serverless', 1, 10000, 4000, 2000, 100, 0),
                   ('b', TIMESTAMPTZ '2026-10-01 00:00:00+00', 'no-write', 'serverless', 1, 10000, 4000, 2000, 100, 0)
        """)
    rows = costs(spend)
    assert Decimal(rows["a"]["input_cost"]) == Decimal("0.012")       # 4000 uncached x 3.00
    assert Decimal(rows["a"]["cached_input_cost"]) == Decimal("0.0012")
    assert Decimal(rows["a"]["cache_write_cost"]) == Decimal("0.0075")  # 2000 x 3.75
    assert Decimal(rows["a"]["cost"]) == Decimal("0.0222")
    assert Decimal(rows["b"]["cache_write_cost"]) == Decimal("0.006")   # 2000 x 3.00 (input rate)


def test_no_cost_column_is_a_float(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1,1,,,,,"))
    described = {r["column_name"]: r["column_type"] for r in spend.sql("DESCRIBE priced_usage")}
    for column in ("input_cost", "cached_input_cost", "cache_write_cost", "output_cost", "cost"):
        assert described[column].startswith("DECIMAL"), (column, described[column])
    assert "DOUBLE" not in described.values() and "FLOAT" not in described.values()
    assert described["input_tokens"] == "BIGINT"


@pytest.mark.parametrize("requests,expected", [(1, "0.0069"), (2_000_000, "13800")])
def test_sums_stay_exact_over_many_requests(spend, tmp_path, requests, expected):
    """Summing many tiny costs must not drift (a float sum of 0.0069 x 2M would)."""
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,0.90,3.30,,,,,"))
    from analyzer.store import open_store as store

    with store(spend.db) as con:
        con.execute("""
            INSERT INTO usage (request_id, ts, model, mode, requests, input_tokens, cached_input_tokens,
                               cache_write_tokens, output_tokens, reasoning_tokens)
            SELECT 'r' || i, TIMESTAMPTZ '2026-10-01 00:00:00+00', 'm', 'serverless', 1, 4000, 0, 0, 1000, 0
            FROM range($n) t(i)
        """, {"n": requests})
    total = spend.sql("SELECT sum(cost) AS total FROM priced_usage")[0]["total"]
    assert Decimal(total) == Decimal(expected)


# ---- the rule as current SQL (queries/views/), reusable over any usage and rates ----------------

NEW_USAGE_PARTS = ("cache_write_1h_tokens", "audio_input_tokens", "audio_output_tokens", "image_input_tokens",
                   "image_output_tokens", "web_search_requests")
NEW_COST_PARTS = ("cache_write_1h_cost", "audio_cost", "image_cost", "request_fee_cost", "web_search_cost")


def test_a_store_of_migrations_001_and_002_upgrades_and_keeps_its_costs(db):
    import duckdb

    from analyzer.sqlfiles import migrations

    old = [(name, sql) for name, sql in migrations() if name < "003"]
    assert [name for name, _ in old] == ["001_core", "002_billed_costs"]
    with duckdb.connect(str(db)) as con:  # the store as the version before migration 003 left it
        con.execute("CREATE TABLE schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
        for name, sql in old:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES ($name, now())", {"name": name})
        con.execute("INSERT INTO rates VALUES ('m', 'serverless', 0.90, 3.30, 0.09, NULL, NULL, NULL, 'USD', 2)")
        con.execute("""INSERT INTO usage (request_id, ts, model, mode, requests, input_tokens, cached_input_tokens,
                                          cache_write_tokens, output_tokens, reasoning_tokens)
                       VALUES ('r', TIMESTAMPTZ '2026-10-01 00:00:00+00', 'm', 'serverless', 1, 4000, 1000, 0, 1000, 0)""")
    with open_store(db) as con:
        usage = {r[0]: r for r in con.execute("DESCRIBE usage").fetchall()}
        rates = {r[0]: r[1] for r in con.execute("DESCRIBE rates").fetchall()}
        row = con.execute("SELECT * FROM priced_usage").fetchall()
        names = [d[0] for d in con.execute("SELECT * FROM priced_usage").description]
    for column in NEW_USAGE_PARTS:
        assert usage[column][1:3] == ("BIGINT", "NO") and usage[column][4] == "0"
    assert usage["service_tier"][1] == "VARCHAR"
    for column in ("input_per_mtok", "output_per_mtok", "cached_input_per_mtok", "cache_write_per_mtok",
                   "cache_write_1h_per_mtok", "audio_input_per_mtok", "per_request", "web_search_per_k"):
        assert rates[column] == "DECIMAL(24,12)", column
    assert rates["provider"] == "VARCHAR" and rates["input_tokens_above"] == "BIGINT"
    priced = dict(zip(names, row[0]))
    assert priced["cost"] == Decimal("0.00609")  # 3000 x 0.90 + 1000 x 0.09 + 1000 x 3.30, per 1M
    assert all(priced[c] == 0 for c in NEW_COST_PARTS) and priced["rate_card_line"] == 2


def test_views_are_recreated_at_a_write_open_and_a_reader_notices_other_views(spend, db, tmp_path):
    import duckdb

    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1,1,,,,,"))
    with duckdb.connect(str(db)) as con:
        con.execute("DROP VIEW cost_reconciliation")
        con.execute("CREATE OR REPLACE VIEW priced_usage AS SELECT 1 AS stale")
        con.execute("UPDATE settings SET value = 'other version' WHERE key = 'views_sha256'")
    # A read-only command finds views another version wrote and upgrades them first.
    described = [r["column_name"] for r in spend.sql("DESCRIBE priced_usage")]
    assert "cost" in described and "stale" not in described
    assert spend.sql("SELECT count(*) AS n FROM cost_reconciliation") == [{"n": 0}]
    with duckdb.connect(str(db)) as con:
        con.execute("DROP VIEW priced_usage")  # the digest still matches: only a write open repairs this
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1,1,,,,,"))
    assert "cost" in [r["column_name"] for r in spend.sql("DESCRIBE priced_usage")]


def test_price_usage_prices_any_usage_shaped_relation_with_any_rates_shaped_one(spend, db, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "big,,3.00,15.00,,,,,\nsmall,,0.15,0.60,,,,,"))
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [
        chat_record("r1", model="big", prompt=10_000, completion=1000),
        chat_record("r2", model="big", prompt=20_000, completion=2000)]))
    with open_store(db, read_only=True) as con:
        # What if this usage had run on the small model (a temp view, on a read-only store)?
        con.execute("CREATE TEMP VIEW as_small AS SELECT * REPLACE ('small' AS model) FROM usage")
        assert con.execute("SELECT sum(cost) FROM price_usage('as_small', 'rates', 0.5)").fetchall() == [
            (Decimal("0.0063"),)]  # 30,000 x 0.15 + 3,000 x 0.60, per 1M
        # A card that is not loaded: any table with the rates columns.
        con.execute("CREATE TEMP TABLE dearer AS FROM rates")
        con.execute("UPDATE dearer SET input_per_mtok = input_per_mtok * 2")
        assert con.execute("SELECT sum(cost) FROM price_usage('usage', 'dearer', 0.5)").fetchall() == [
            (Decimal("0.225"),)]  # 30,000 x 6.00 + 3,000 x 15.00
        assert con.execute("SELECT sum(cost) FROM priced_usage").fetchall() == [(Decimal("0.135"),)]
        same = con.execute("SELECT sum(cost) FROM price_usage('usage', 'rates', store_batch_discount())").fetchall()
        assert same == [(Decimal("0.135"),)]


def test_estimate_with_a_model_prices_by_the_same_rule_as_the_stored_usage(spend, tmp_path):
    import json

    config = tmp_path / "llm-spend.toml"
    config.write_text('[pricing]\nbatch_discount = "0.6"\n')
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1.10,4.40,,,,,"), config=config)
    spend.ok("ingest", "--mode", "batch", write_jsonl(tmp_path / "a.jsonl", [
        chat_record("r", created=int(datetime.now(timezone.utc).timestamp()), prompt=1234, completion=567)]),
        config=config)
    stored = Decimal(costs(spend)["r"]["cost"])
    assert stored == Decimal("0.00231132")  # (1234 x 1.10 + 567 x 4.40) x 0.6, per 1M
    estimated = json.loads(spend.ok("estimate", "--model", "m", "--mode", "batch", "--input-tokens", "1234",
                                    "--output-tokens", "567", "--requests", "1000", "--format", "json").stdout)
    assert Decimal(estimated["cost_per_request"]) == stored
    assert Decimal(estimated["input_per_mtok"]) == Decimal("0.66")
    assert Decimal(estimated["monthly_cost"]) == Decimal("2.31132")


# ---- the rate-card columns (context tiers, tiers, providers, patterns, parts), published prices ----

CARD_HEADER = ("model,mode,input_per_mtok,output_per_mtok,cached_input_per_mtok,cache_write_per_mtok,valid_from,"
               "valid_to,currency,provider,service_tier,input_tokens_above,cache_write_1h_per_mtok,"
               "audio_input_per_mtok,audio_output_per_mtok,image_input_per_mtok,image_output_per_mtok,"
               "per_request,web_search_per_k\n")


def full_card(path, rows: str):
    import textwrap

    path.write_text(CARD_HEADER + textwrap.dedent(rows).strip() + "\n", encoding="utf-8")
    return path


def add_usage(db, *rows: dict) -> None:
    """Canonical usage rows (input_tokens is all input, its cached and cache-write parts included)."""
    with open_store(db) as con:
        for i, row in enumerate(rows):
            values = {"request_id": f"r{i}", "ts": "2026-10-01 00:00:00+00", "mode": "serverless", "requests": 1,
                      "input_tokens": 0, "cached_input_tokens": 0, "cache_write_tokens": 0, "output_tokens": 0,
                      "reasoning_tokens": 0, **row}
            names = ", ".join(values)
            con.execute(f"INSERT INTO usage ({names}) SELECT {', '.join('$' + k for k in values)}", values)


def priced(spend) -> list[dict]:
    return spend.sql("SELECT * FROM priced_usage ORDER BY request_id")


SONNET = """
    claude-sonnet-4-5*,,3.00,15.00,0.30,3.75,,,,,,,6.00,,,,,,10
    claude-sonnet-4-5*,,6.00,22.50,0.60,7.50,,,,,,200000,12.00,,,,,,10
"""


def test_context_tier_prices_all_tokens_of_a_request_over_the_threshold(spend, db, tmp_path):
    spend.ok("rates", "load", full_card(tmp_path / "card.csv", SONNET))
    add_usage(db, {"model": "claude-sonnet-4-5", "input_tokens": 200_000},
              {"model": "claude-sonnet-4-5", "input_tokens": 200_001},
              {"model": "claude-sonnet-4-5", "input_tokens": 200_001, "output_tokens": 1000},
              # cached reads and cache writes count toward the threshold (all input)
              {"model": "claude-sonnet-4-5", "input_tokens": 210_000, "cached_input_tokens": 60_000,
               "cache_write_tokens": 10_000, "output_tokens": 100})
    rows = priced(spend)
    assert Decimal(rows[0]["cost"]) == Decimal("0.60")
    assert Decimal(rows[1]["cost"]) == Decimal("1.200006")
    assert Decimal(rows[2]["output_cost"]) == Decimal("0.0225") and Decimal(rows[2]["cost"]) == Decimal("1.222506")
    # 140,000 x 6.00 + 60,000 x 0.60 + 10,000 x 7.50 + 100 x 22.50, per 1M
    assert [Decimal(rows[3][c]) for c in ("input_cost", "cached_input_cost", "cache_write_cost", "output_cost")] == [
        Decimal("0.84"), Decimal("0.036"), Decimal("0.075"), Decimal("0.00225")]
    assert Decimal(rows[3]["cost"]) == Decimal("0.95325")
    assert [r["rate_card_line"] for r in rows] == [2, 3, 3, 3]


def test_the_highest_exceeded_threshold_wins(spend, db, tmp_path):
    spend.ok("rates", "load", full_card(tmp_path / "card.csv", """
        m,,1,0,,,,,,,,,,,,,,,
        m,,2,0,,,,,,,,1000,,,,,,,
        m,,3,0,,,,,,,,2000,,,,,,,
    """))
    add_usage(db, {"model": "m", "input_tokens": 1000}, {"model": "m", "input_tokens": 1001},
              {"model": "m", "input_tokens": 2000}, {"model": "m", "input_tokens": 2001})
    assert [Decimal(r["cost"]) for r in priced(spend)] == [
        Decimal("0.001"), Decimal("0.002002"), Decimal("0.004"), Decimal("0.006003")]


def test_one_hour_and_five_minute_cache_writes_on_the_same_message(spend, db, tmp_path):
    spend.ok("rates", "load", full_card(tmp_path / "card.csv", SONNET))
    # Claude Sonnet 4.5: 5-minute writes 1.25 x input ($3.75), 1-hour writes 2 x input ($6).
    add_usage(db, {"model": "claude-sonnet-4-5", "input_tokens": 4000, "cache_write_tokens": 3000,
                   "cache_write_1h_tokens": 1000, "output_tokens": 0})
    row = priced(spend)[0]
    assert Decimal(row["input_cost"]) == Decimal("0.003")           # 1,000 uncached x 3.00
    assert Decimal(row["cache_write_cost"]) == Decimal("0.0075")    # 2,000 5-minute x 3.75
    assert Decimal(row["cache_write_1h_cost"]) == Decimal("0.006")  # 1,000 1-hour x 6.00
    assert Decimal(row["cost"]) == Decimal("0.0165")


def test_one_hour_writes_without_their_rate_take_the_cache_write_rate(spend, db, tmp_path):
    spend.ok("rates", "load", full_card(tmp_path / "card.csv", "m,,3.00,15.00,,3.75,,,,,,,,,,,,,"))
    add_usage(db, {"model": "m", "input_tokens": 1000, "cache_write_tokens": 1000, "cache_write_1h_tokens": 1000})
    assert Decimal(priced(spend)[0]["cache_write_1h_cost"]) == Decimal("0.00375")


def test_nine_web_searches_at_ten_dollars_per_thousand(spend, db, tmp_path):
    spend.ok("rates", "load", full_card(tmp_path / "card.csv", SONNET + "\nno-search-rate,,1,1,,,,,,,,,,,,,,,"))
    add_usage(db, {"model": "claude-sonnet-4-5", "input_tokens": 1000, "web_search_requests": 9},
              {"model": "no-search-rate", "input_tokens": 1000, "web_search_requests": 1})
    rows = priced(spend)
    assert Decimal(rows[0]["web_search_cost"]) == Decimal("0.09")
    assert Decimal(rows[0]["cost"]) == Decimal("0.093")  # + 1,000 x 3.00 per 1M
    # Searches the card has no price for: unpriced, never 0, and the reason says so.
    assert rows[1]["priced"] is False and rows[1]["cost"] is None
    assert rows[1]["unpriced_reason"] == "web_search_requests without a web_search_per_k rate"


FLEX_CARD = """
    gpt-5,,1.25,10.00,0.125,,,,,,,,,,,,,,
    gpt-5,batch,0.625,5.00,0.0625,,,,,,,,,,,,,,
    gpt-5-mini,,0.25,2.00,,,,,,,,,,,,,,,
    gpt-5,,2.50,20.00,0.25,,,,,,priority,,,,,,,,
"""


def test_a_flex_request_without_a_flex_row_is_priced_at_the_batch_rate(spend, db, tmp_path):
    spend.ok("rates", "load", full_card(tmp_path / "card.csv", FLEX_CARD))
    add_usage(db, {"model": "gpt-5", "service_tier": "flex", "input_tokens": 1_000_000, "output_tokens": 1_000_000},
              {"model": "gpt-5-mini", "service_tier": "flex", "input_tokens": 1_000_000, "output_tokens": 1_000_000},
              {"model": "gpt-5", "service_tier": "priority", "input_tokens": 1_000_000},
              {"model": "gpt-5", "service_tier": "default", "input_tokens": 1_000_000})
    rows = priced(spend)
    assert Decimal(rows[0]["cost"]) == Decimal("5.625")  # gpt-5's batch row: 0.625 + 5.00
    assert Decimal(rows[1]["cost"]) == Decimal("1.125")  # no batch row: serverless x 0.5
    assert Decimal(rows[2]["cost"]) == Decimal("2.50")   # its own priority row
    assert Decimal(rows[3]["cost"]) == Decimal("1.25")   # default tier: the plain row


def test_a_priority_request_without_a_row_is_unpriced_and_rates_unpriced_says_why(spend, db, tmp_path):
    spend.ok("rates", "load", full_card(tmp_path / "card.csv", FLEX_CARD))
    add_usage(db, {"model": "gpt-5-mini", "service_tier": "priority", "input_tokens": 1000})
    row = priced(spend)[0]
    assert row["priced"] is False and row["cost"] is None and row["input_cost"] is None
    reason = "no rate for service tier 'priority' (only flex falls back to the batch rate)"
    assert row["unpriced_reason"] == reason
    lines = spend.ok("rates", "unpriced", "--format", "csv").stdout.splitlines()
    assert lines[0] == "model,mode,requests,input_tokens,output_tokens,first_seen,last_seen,service_tier,reason"
    assert lines[1].startswith("gpt-5-mini,serverless,1,1000,0,") and lines[1].endswith(f",priority,{reason}")


def test_an_exact_name_beats_a_pattern_and_a_longer_pattern_a_shorter_one(spend, db, tmp_path):
    spend.ok("rates", "load", full_card(tmp_path / "card.csv", """
        gpt-4o*,,5.00,15.00,,,,,,,,,,,,,,,
        gpt-4o-2024-*,,2.50,10.00,,,,,,,,,,,,,,,
        gpt-4o-2024-05-13,,5.00,15.00,,,,,,,,,,,,,,,
    """))
    add_usage(db, {"model": "gpt-4o-2024-05-13", "input_tokens": 1_000_000},
              {"model": "gpt-4o-2024-08-06", "input_tokens": 1_000_000},
              {"model": "gpt-4o-mini", "input_tokens": 1_000_000},
              {"model": "gpt-4", "input_tokens": 1_000_000})
    rows = priced(spend)
    assert [(r["rate_card_line"], r["cost"] and Decimal(r["cost"])) for r in rows] == [
        (4, Decimal("5")), (3, Decimal("2.5")), (2, Decimal("5")), (None, None)]
    explained = spend.sql("SELECT 1")  # the sandboxed SQL connection sees the macros too
    assert explained == [{"1": 1}]
    out = spend.ok("rates", "explain", "gpt-4o-2024-08-06", "--format", "json").stdout
    import json

    rows = json.loads(out)
    assert [(r["card_line"], r["rate_model"], r["rule"], r["requests"]) for r in rows] == [
        (3, "gpt-4o-2024-*", "own row, pattern", 1)]
    assert Decimal(rows[0]["input_rate"]) == Decimal("2.5") and Decimal(rows[0]["cost"]) == Decimal("2.5")


def test_a_provider_row_beats_a_generic_one(spend, db, tmp_path):
    spend.ok("rates", "load", full_card(tmp_path / "card.csv", """
        meta-llama/llama-3.3-70b-instruct,,0.88,0.88,,,,,,,,,,,,,,,
        meta-llama/llama-3.3-70b-instruct,,0.13,0.40,,,,,,openrouter,,,,,,,,,
    """))
    add_usage(db, {"model": "meta-llama/llama-3.3-70b-instruct", "provider": "together", "input_tokens": 1_000_000},
              {"model": "meta-llama/llama-3.3-70b-instruct", "provider": "openrouter", "input_tokens": 1_000_000},
              {"model": "meta-llama/llama-3.3-70b-instruct", "input_tokens": 1_000_000})
    assert [Decimal(r["cost"]) for r in priced(spend)] == [Decimal("0.88"), Decimal("0.13"), Decimal("0.88")]


def test_audio_and_image_tokens_take_their_rates_or_the_text_rate_of_their_side(spend, db, tmp_path):
    # gpt-4o-audio-preview: text $2.50 / $10, audio $40 / $80 per 1M; the image model has no image rate.
    spend.ok("rates", "load", full_card(tmp_path / "card.csv", """
        gpt-4o-audio-preview,,2.50,10.00,,,,,,,,,,40.00,80.00,,,,
        vision,,1.00,4.00,,,,,,,,,,,,,,,
    """))
    add_usage(db, {"model": "gpt-4o-audio-preview", "input_tokens": 1000, "audio_input_tokens": 400,
                   "output_tokens": 500, "audio_output_tokens": 200},
              {"model": "vision", "input_tokens": 1000, "image_input_tokens": 700, "output_tokens": 100,
               "image_output_tokens": 100})
    audio, image = priced(spend)
    assert Decimal(audio["input_cost"]) == Decimal("0.0015")   # 600 text x 2.50
    assert Decimal(audio["audio_cost"]) == Decimal("0.032")    # 400 x 40 + 200 x 80
    assert Decimal(audio["output_cost"]) == Decimal("0.003")   # 300 text x 10
    assert Decimal(audio["cost"]) == Decimal("0.0365")
    assert Decimal(image["image_cost"]) == Decimal("0.0011")   # 700 x 1.00 + 100 x 4.00
    assert Decimal(image["input_cost"]) == Decimal("0.0003") and Decimal(image["output_cost"]) == 0
    assert Decimal(image["cost"]) == Decimal("0.0014")


def test_a_per_request_fee_is_charged_per_request(spend, db, tmp_path):
    spend.ok("rates", "load", full_card(tmp_path / "card.csv", "m,,1,1,,,,,,,,,,,,,,0.005,"))
    add_usage(db, {"model": "m", "input_tokens": 1000}, {"model": "m", "requests": 3, "input_tokens": 3000})
    rows = priced(spend)
    assert [Decimal(r["request_fee_cost"]) for r in rows] == [Decimal("0.005"), Decimal("0.015")]
    assert [Decimal(r["cost"]) for r in rows] == [Decimal("0.006"), Decimal("0.018")]


def test_rates_with_twelve_decimal_places_are_exact(spend, db, tmp_path):
    spend.ok("rates", "load", full_card(tmp_path / "card.csv", "m,,0.083333333333,0.000000000001,,,,,,,,,,,,,,,"))
    add_usage(db, {"model": "m", "input_tokens": 1_000_000_000_000, "output_tokens": 3})
    row = priced(spend)[0]
    assert Decimal(row["input_cost"]) == Decimal("83333.333333")
    assert Decimal(row["output_cost"]) == Decimal("0.000000000000000003")
    assert Decimal(row["cost"]) == Decimal("83333.333333000000000003")


def test_cost_is_the_exact_sum_of_every_part_and_every_part_is_decimal_38_18(spend, db, tmp_path):
    spend.ok("rates", "load", full_card(tmp_path / "card.csv", """
        m,,3.000000000001,15,0.3,3.75,,,,,,,6,40,80,1.5,30,0.000000000007,10
    """))
    add_usage(db, {"model": "m", "input_tokens": 9000, "cached_input_tokens": 1000, "cache_write_tokens": 2000,
                   "cache_write_1h_tokens": 500, "audio_input_tokens": 300, "image_input_tokens": 200,
                   "output_tokens": 700, "audio_output_tokens": 100, "image_output_tokens": 50,
                   "web_search_requests": 3})
    row = priced(spend)[0]
    parts = ("input_cost", "cached_input_cost", "cache_write_cost", "cache_write_1h_cost", "audio_cost",
             "image_cost", "output_cost", "request_fee_cost", "web_search_cost")
    assert sum(Decimal(row[p]) for p in parts) == Decimal(row["cost"])
    assert Decimal(row["input_cost"]) == Decimal("0.016500000000005500")  # 5,500 x 3.000000000001
    assert Decimal(row["request_fee_cost"]) == Decimal("0.000000000007")
    described = {r["column_name"]: r["column_type"] for r in spend.sql("DESCRIBE priced_usage")}
    assert all(described[p] == "DECIMAL(38,18)" for p in (*parts, "cost"))
    assert described["priced"] == "BOOLEAN" and described["unpriced_reason"] == "VARCHAR"


def test_batch_discount_zero_is_refused_with_its_key(spend, tmp_path):
    config = tmp_path / "llm-spend.toml"
    config.write_text('[pricing]\nbatch_discount = "0"\n')
    result = spend("rates", "load", write_card(tmp_path / "card.csv", "m,,1,1,,,,,"), config=config)
    assert result.exit_code == 1
    assert "pricing.batch_discount: must be above 0, not 0" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_one_rounding_rule_for_discounted_rates_in_stored_pricing_and_estimates(spend, tmp_path):
    """rate x discount is rounded to the rates' 12 places, half away from zero, in the SQL rule that
    both the stored pricing and `estimate` use: 0.000000000003 x 0.5 = 0.0000000000015 -> ...002."""
    import json

    config = tmp_path / "llm-spend.toml"
    config.write_text('[pricing]\nbatch_discount = "0.5"\n')
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,0.000000000003,0,,,,,"), config=config)
    spend.ok("ingest", "--mode", "batch", write_jsonl(tmp_path / "a.jsonl", [
        chat_record("r", created=int(datetime.now(timezone.utc).timestamp()), prompt=1_000_000, completion=0)]),
        config=config)
    assert Decimal(costs(spend)["r"]["cost"]) == Decimal("0.000000000002")
    args = ["--input-tokens", "1000000", "--output-tokens", "0", "--requests", "1", "--mode", "batch", "--format", "json"]
    by_model = json.loads(spend.ok("estimate", "--model", "m", *args, config=config).stdout)
    by_price = json.loads(spend.ok("estimate", "--input-price", "0.000000000003", "--output-price", "0", *args,
                                   config=config).stdout)
    assert Decimal(by_model["cost_per_request"]) == Decimal(by_price["cost_per_request"]) == Decimal("0.000000000002")
